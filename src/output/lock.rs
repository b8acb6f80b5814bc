//! One build at a time per site: the lock beside the output (keyed by the directory's real
//! path), and the cleanup of what a killed build left.

use std::path::{Path, PathBuf};

use super::{OutputError, journal, sidecar_path};

/// `--out` held for one build: locked, with what killed builds left beside it cleaned up.
pub struct Claim {
    pub(super) out: PathBuf,
    pub(super) parent: PathBuf,
    pub(super) name: String,
    pub(super) lock: BuildLock,
    recovered: Vec<String>,
}

impl Claim {
    /// What was left beside `out` by builds that were killed, and what became of it (one
    /// line each, for the build's warnings).
    pub fn recovered(&self) -> &[String] {
        &self.recovered
    }
}

/// Claims `out` for a build: takes its lock (or fails, naming it, if another build holds
/// it) and cleans up after builds that were killed.
pub fn claim(out: &Path) -> Result<Claim, OutputError> {
    let name = out
        .file_name()
        .ok_or_else(|| OutputError::BadPath(out.display().to_string()))?
        .to_string_lossy()
        .into_owned();
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    fs_err::create_dir_all(&parent)?;
    let lock = BuildLock::take(out)?;
    let finished = journal::finish_interrupted(out)?;
    let mut recovered: Vec<String> = finished.into_iter().collect();
    recovered.extend(recover_interrupted(out, &parent, &name)?);
    Ok(Claim { out: out.to_path_buf(), parent, name, lock, recovered })
}

/// Where the lock of a build into `out` is: `.<name>.lock` beside it (not part of the site,
/// nor an input when `out` sits inside one).
pub fn lock_path(out: &Path) -> PathBuf {
    let name = out.file_name().map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.lock"))
}

/// `out` with symlinks resolved (its parent's, while it does not exist yet), so that two
/// spellings of one directory (a symlink to it, `a/../public`) take one lock.
pub(super) fn resolved(out: &Path) -> PathBuf {
    std::fs::canonicalize(out)
        .ok()
        .or_else(|| {
            let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            Some(std::fs::canonicalize(parent).ok()?.join(out.file_name()?))
        })
        .unwrap_or_else(|| out.to_path_buf())
}

/// An exclusive lock on the [`lock_path`] of the [`resolved`] output, removed when dropped.
pub(super) struct BuildLock {
    path: PathBuf,
    _file: std::fs::File,
}

impl BuildLock {
    pub(super) fn take(out: &Path) -> Result<BuildLock, OutputError> {
        let path = lock_path(&resolved(out));
        loop {
            let file = fs_err::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
            let file = file.into_parts().0;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(OutputError::Busy(out.display().to_string(), path.display().to_string()));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
            // The build that held it may have removed the file after it was opened here:
            // then this lock is on a file nobody else will look at.
            if still_at(&file, &path) {
                return Ok(BuildLock { path, _file: file });
            }
        }
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether `file` is still the file at `path`.
#[cfg(unix)]
pub(super) fn still_at(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
pub(super) fn still_at(_file: &std::fs::File, path: &Path) -> bool {
    path.exists()
}

/// Removes the staging directories that killed builds left beside `out` (this build holds
/// the lock, so no build is writing them), and puts back a site (or its sidecar) that a
/// build killed mid-swap left renamed aside.
pub(super) fn recover_interrupted(out: &Path, parent: &Path, name: &str) -> Result<Vec<String>, OutputError> {
    let mut recovered = Vec::new();
    let sidecar = sidecar_path(out);
    let mut entries: Vec<(String, PathBuf)> = fs_err::read_dir(parent)?
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    entries.sort();
    let ours = format!(".{name}.");
    for (file_name, path) in entries {
        let Some(rest) = file_name.strip_prefix(&ours) else { continue };
        let (aside, target) = if rest.starts_with("previous-") {
            (true, out)
        } else if rest.starts_with("index.previous-") {
            (true, sidecar.as_path())
        } else if rest.starts_with("staging-") || rest.starts_with("index.staging-") {
            (false, out)
        } else {
            continue;
        };
        if aside && !target.exists() {
            fs_err::rename(&path, target)?;
            recovered.push(format!(
                "{}: put back from {file_name}, where a build that was killed had moved it",
                target.display()
            ));
        } else {
            fs_err::remove_dir_all(&path)?;
            recovered.push(format!("{}: removed, left by a build that was killed", path.display()));
        }
    }
    Ok(recovered)
}
