//! Writing the site: a staging directory beside `--out`, content hashes, `manifest.json`,
//! and a swap at the end.
//!
//! Nothing touches the live site until every page has rendered (security.md §6.1: zola,
//! mdBook and Hugo all clean-then-write). If the build fails or panics, the staging
//! directory is removed on drop and the previous site is untouched. The swap is two renames
//! on the same file system: out → previous, staging → out; the previous tree is removed
//! only after the new one is in place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name of the file listing every published URL and its content hash.
pub const MANIFEST: &str = "manifest.json";

/// Problems writing the site.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file system operation failed (the error names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// `--out` holds something that is not a scrollback site.
    #[error(
        "{0}: refusing to replace a non-empty directory that is not a scrollback site (it has no {MANIFEST}); remove it or choose another --out"
    )]
    NotASite(String),
    /// `--out` is not usable as a directory path.
    #[error("{0}: expected a directory path for --out")]
    BadPath(String),
}

/// A site being written. Dropping it without [`Staging::commit`] discards it.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    /// Staging directory for the site's search index, which lives beside the site.
    sidecar: Option<PathBuf>,
    /// Relative path → blake3 hex of the content.
    files: BTreeMap<String, String>,
    done: bool,
}

impl Staging {
    /// Creates an empty staging directory next to `out`.
    pub fn begin(out: &Path) -> Result<Staging, OutputError> {
        let name = out
            .file_name()
            .ok_or_else(|| OutputError::BadPath(out.display().to_string()))?
            .to_string_lossy()
            .into_owned();
        ensure_replaceable(out, MANIFEST)?;
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs_err::create_dir_all(parent)?;
        let dir = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if dir.exists() {
            fs_err::remove_dir_all(&dir)?;
        }
        fs_err::create_dir_all(&dir)?;
        Ok(Staging { out: out.to_path_buf(), dir, sidecar: None, files: BTreeMap::new(), done: false })
    }

    /// An empty directory for the sidecar (the search index), swapped in as
    /// [`sidecar_path`] together with the site. Its files are not part of the site.
    pub fn sidecar(&mut self) -> Result<PathBuf, OutputError> {
        let dir = self.dir.with_file_name(
            self.dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .replace(".staging-", ".index.staging-"),
        );
        if dir.exists() {
            fs_err::remove_dir_all(&dir)?;
        }
        fs_err::create_dir_all(&dir)?;
        self.sidecar = Some(dir.clone());
        Ok(dir)
    }

    /// Writes one file at `rel` (a `/`-separated path inside the site).
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), OutputError> {
        debug_assert!(!rel.starts_with('/') && !rel.split('/').any(|c| c == ".." || c.is_empty()));
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(&path, bytes)?;
        self.files.insert(rel.to_owned(), blake3::hash(bytes).to_hex().to_string());
        Ok(())
    }

    /// Writes a content-addressed asset as `assets/<stem>.<hash>.<ext>` and returns that path.
    pub fn write_asset(&mut self, stem: &str, ext: &str, bytes: &[u8]) -> Result<String, OutputError> {
        let rel = asset_path(stem, ext, bytes);
        self.write(&rel, bytes)?;
        Ok(rel)
    }

    /// Writes `manifest.json` and swaps the staging directory in as `out` (and the sidecar
    /// in beside it).
    pub fn commit(mut self) -> Result<(), OutputError> {
        let manifest = manifest_json(&self.files);
        fs_err::write(self.dir.join(MANIFEST), manifest)?;
        ensure_replaceable(&self.out, MANIFEST)?;
        let sidecar_target = sidecar_path(&self.out);
        if self.sidecar.is_some() {
            ensure_replaceable(&sidecar_target, SIDECAR_MARKER)?;
        }
        swap_in(&self.dir, &self.out)?;
        self.done = true;
        if let Some(sidecar) = self.sidecar.take() {
            swap_in(&sidecar, &sidecar_target)?;
        }
        Ok(())
    }
}

/// Renames `staging` to `target`, moving an existing `target` aside first and removing it
/// only once the new one is in place (restoring it if the rename fails).
fn swap_in(staging: &Path, target: &Path) -> Result<(), OutputError> {
    if !target.exists() {
        fs_err::rename(staging, target)?;
        return Ok(());
    }
    let previous = staging.with_file_name(
        staging.file_name().unwrap_or_default().to_string_lossy().replace(".staging-", ".previous-"),
    );
    if previous.exists() {
        fs_err::remove_dir_all(&previous)?;
    }
    fs_err::rename(target, &previous)?;
    if let Err(e) = fs_err::rename(staging, target) {
        let _ = fs_err::rename(&previous, target);
        return Err(e.into());
    }
    fs_err::remove_dir_all(&previous)?;
    Ok(())
}

/// The file that marks a sidecar directory as scrollback's (the search index's metadata).
pub const SIDECAR_MARKER: &str = "scrollback-index.json";

/// Where a site's sidecar lives: `<out>.index` beside `<out>`.
pub fn sidecar_path(out: &Path) -> PathBuf {
    let name = out.file_name().map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!("{name}.index"))
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        if let Some(sidecar) = &self.sidecar {
            let _ = std::fs::remove_dir_all(sidecar);
        }
    }
}

/// `assets/<stem>.<first 10 hex of blake3>.<ext>`.
pub fn asset_path(stem: &str, ext: &str, bytes: &[u8]) -> String {
    let hash = blake3::hash(bytes).to_hex();
    format!("assets/{stem}.{}.{ext}", &hash[..10])
}

/// `out` must be absent, empty, or a previous scrollback output (it has `marker`).
fn ensure_replaceable(out: &Path, marker: &str) -> Result<(), OutputError> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(OutputError::NotASite(out.display().to_string()));
    }
    let empty = fs_err::read_dir(out)?.next().is_none();
    if empty || out.join(marker).is_file() {
        Ok(())
    } else {
        Err(OutputError::NotASite(out.display().to_string()))
    }
}

/// The manifest maps every published URL (directory URLs for pages) to its content hash.
fn manifest_json(files: &BTreeMap<String, String>) -> String {
    let urls: BTreeMap<String, &str> = files
        .iter()
        .map(|(rel, hash)| {
            let url = match rel.strip_suffix("index.html") {
                Some(dir) => format!("/{dir}"),
                None => format!("/{rel}"),
            };
            (url, hash.as_str())
        })
        .collect();
    let manifest = serde_json::json!({
        "generator": "scrollback",
        "format": 1,
        "urls": urls,
    });
    let mut text = serde_json::to_string_pretty(&manifest).expect("a map of strings serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_build_leaves_the_previous_site_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let mut first = Staging::begin(&out).unwrap();
        first.write("index.html", b"one").unwrap();
        first.commit().unwrap();
        {
            let mut second = Staging::begin(&out).unwrap();
            second.write("index.html", b"two").unwrap();
            // dropped without commit: a failed build
        }
        assert_eq!(fs_err::read_to_string(out.join("index.html")).unwrap(), "one");
        let leftovers: Vec<_> =
            fs_err::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("public")]);
    }

    #[test]
    fn a_directory_that_is_not_a_site_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::write(tmp.path().join("precious.txt"), "keep").unwrap();
        let err = Staging::begin(tmp.path()).err().unwrap();
        assert!(err.to_string().ends_with("refusing to replace a non-empty directory that is not a scrollback site (it has no manifest.json); remove it or choose another --out"));
    }

    #[test]
    fn manifest_lists_directory_urls() {
        let mut files = BTreeMap::new();
        files.insert("c/ops/index.html".to_owned(), "ab".to_owned());
        files.insert("assets/x.1.css".to_owned(), "cd".to_owned());
        let json = manifest_json(&files);
        assert!(json.contains("\"/c/ops/\": \"ab\""), "{json}");
        assert!(json.contains("\"/assets/x.1.css\": \"cd\""), "{json}");
    }
}
