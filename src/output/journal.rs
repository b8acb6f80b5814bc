//! The commit journal: a site is whole, old or new, even when a build is killed while it
//! moves the new site in.
//!
//! Before a commit touches `out`, everything it needs is staged (the new files, the new
//! `manifest.json`, the sidecar with its record of the new site's files) and a marker beside
//! `out` (`.<name>.commit`) names the staging directories and how the site goes in. Only then
//! is `out` changed, and the marker is removed once the sidecar is in place too. The next
//! build that claims `out` and finds the marker finishes the commit from what was staged
//! (every step can run again: files already moved are no longer staged, files already
//! removed are gone), before anything else looks at the site.
//!
//! `SCROLLBACK_FAILPOINT=<step>` aborts the process at that step of a commit, as a kill
//! would, so that tests can prove each step recoverable ([`STEPS`]).

use std::path::{Path, PathBuf};

use super::{Entries, MANIFEST, OutputError, swap_in};

/// How the staged site goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The staging directory replaces `out` whole.
    Swap,
    /// The staged files are moved into `out`, and what the new site lacks is removed.
    Update,
}

/// The steps of a commit at which [`failpoint`] can abort, in order.
pub const STEPS: &[&str] = &[
    "commit:marked",
    "commit:removed",
    "commit:moving",
    "commit:moved",
    "commit:swapping",
    "commit:site",
    "commit:sidecar-swapping",
    "commit:sidecar",
];

/// Aborts the process here when `SCROLLBACK_FAILPOINT` names `step`.
pub fn failpoint(step: &str) {
    static CHOSEN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if CHOSEN.get_or_init(|| std::env::var("SCROLLBACK_FAILPOINT").ok()).as_deref() == Some(step) {
        eprintln!("failpoint {step}: aborting");
        std::process::abort();
    }
}

/// The first line of a marker, with its format's version.
const MAGIC: &str = "scrollback commit 1";

/// A commit under way: its marker, removed by [`Journal::end`].
pub struct Journal {
    path: PathBuf,
}

/// Where the marker of commits into `out` is.
pub fn marker_path(out: &Path) -> PathBuf {
    let name = out.file_name().map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.commit"))
}

impl Journal {
    /// Writes the marker for a commit of `staging` (and `sidecar`) into `out` (atomically:
    /// written aside, then renamed).
    pub fn begin(out: &Path, mode: Mode, staging: &Path, sidecar: Option<&Path>) -> std::io::Result<Journal> {
        let name = |p: &Path| p.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let mode = match mode {
            Mode::Swap => "swap",
            Mode::Update => "update",
        };
        let text = format!("{MAGIC}\n{mode}\n{}\n{}\n", name(staging), sidecar.map(name).unwrap_or_default());
        let path = marker_path(out);
        let written = path.with_extension("commit-new");
        fs_err::write(&written, text)?;
        fs_err::rename(&written, &path)?;
        failpoint("commit:marked");
        Ok(Journal { path })
    }

    /// The commit is done: the marker goes.
    pub fn end(self) -> std::io::Result<()> {
        fs_err::remove_file(&self.path)
    }
}

/// Finishes a commit into `out` that a killed build left marked; says what it did.
pub fn finish_interrupted(out: &Path) -> Result<Option<String>, OutputError> {
    let path = marker_path(out);
    let Ok(text) = fs_err::read_to_string(&path) else { return Ok(None) };
    let parent = path.parent().unwrap_or(Path::new("."));
    let mut lines = text.lines();
    let (Some(MAGIC), Some(mode), Some(staging), sidecar) =
        (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        fs_err::remove_file(&path)?;
        return Ok(Some(format!("{}: not a commit marker; removed", path.display())));
    };
    let staging = parent.join(staging);
    let sidecar = sidecar.filter(|s| !s.is_empty()).map(|s| parent.join(s));
    if staging.is_dir() {
        match mode {
            "update" => {
                let record = sidecar.as_ref().map(|s| s.join(crate::store::names::FILES));
                let files = record
                    .and_then(|r| fs_err::read(r).ok())
                    .and_then(|bytes| crate::cache::parse_files(&bytes))
                    .map(|(_, files)| files);
                let Some(files) = files else {
                    return Err(OutputError::Io(std::io::Error::other(format!(
                        "{}: a build was killed while it updated {}, and its record of the new site is gone; remove {} and build again",
                        path.display(),
                        out.display(),
                        out.display()
                    ))));
                };
                let found = super::Listing::start(out).finish()?;
                update_in_place(out, &staging, |rel| files.contains_key(rel), &found)?;
            }
            _ => swap_in(&staging, out, "commit:swapping")?,
        }
    }
    if let Some(sidecar) = sidecar.filter(|s| s.is_dir()) {
        swap_in(&sidecar, &super::sidecar_path(out), "commit:sidecar-swapping")?;
    }
    fs_err::remove_file(&path)?;
    Ok(Some(format!(
        "{}: finished the commit of a build that was killed while it put the new site in place",
        out.display()
    )))
}

/// Makes `out` the site staged in `staging` (with its `manifest.json`), from the files kept of
/// the previous site: removes what the new site does not `keep`, moves the staged files in,
/// and the manifest last. `found` lists `out`, children before their directory.
pub fn update_in_place(
    out: &Path,
    staging: &Path,
    keep: impl Fn(&str) -> bool,
    found: &Entries,
) -> Result<(), OutputError> {
    // Children come before their directory, so a directory none of whose files are kept
    // is empty by the time it comes, and goes too. Directories are known by their path
    // from the site's root.
    let mut occupied: foldhash::HashSet<&str> = foldhash::HashSet::default();
    for (rel, is_dir) in found {
        let rel = &**rel;
        if *is_dir {
            if !occupied.contains(rel) {
                remove(&out.join(rel), true)?;
            }
            continue;
        }
        if rel == MANIFEST || keep(rel) {
            let mut dir = rel;
            while let Some(at) = dir.rfind('/') {
                dir = &dir[..at];
                if !occupied.insert(dir) {
                    break;
                }
            }
        } else {
            remove(&out.join(rel), false)?;
        }
    }
    failpoint("commit:removed");
    let staged: Vec<walkdir::DirEntry> = walkdir::WalkDir::new(staging)
        .min_depth(1)
        .into_iter()
        .filter(|e| e.as_ref().map_or(true, |e| !e.file_type().is_dir()))
        .collect::<Result<_, _>>()
        .map_err(std::io::Error::from)?;
    let mut created: foldhash::HashSet<PathBuf> = foldhash::HashSet::default();
    for (moved, entry) in staged.iter().enumerate() {
        let rel = entry.path().strip_prefix(staging).unwrap_or(entry.path());
        if rel == Path::new(MANIFEST) {
            continue;
        }
        if moved == staged.len() / 2 {
            failpoint("commit:moving");
        }
        let to = out.join(rel);
        let dir = rel.parent().map(|d| d.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        if let Some(parent) = to.parent()
            && !dir.is_empty()
            && !occupied.contains(dir.as_str())
            && created.insert(parent.to_path_buf())
        {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::rename(entry.path(), &to)?;
    }
    failpoint("commit:moved");
    fs_err::rename(staging.join(MANIFEST), out.join(MANIFEST))?;
    fs_err::remove_dir_all(staging)?;
    Ok(())
}

/// Removes a file or an empty directory; one already gone (a commit finished twice) is fine.
fn remove(path: &Path, dir: bool) -> std::io::Result<()> {
    let removed = if dir { fs_err::remove_dir(path) } else { fs_err::remove_file(path) };
    match removed {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
