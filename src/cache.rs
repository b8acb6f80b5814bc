//! What the last build was made from, so a rebuild with nothing changed does nothing.
//!
//! A fingerprint covers everything that shapes the site: the content of every input file, the
//! effective configuration, the theme folder, the previous manifest given on the command line,
//! and the `scrollback` binary itself (templates and code are built into it). It is kept in
//! `<out>.index/build.json` with the hash of the `manifest.json` it produced. When both still
//! match, the site on disk is exactly what a new build would write, so nothing is rewritten.
//! A missing, unreadable or stale record only means a full build.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// The record's file name in the sidecar directory.
pub const RECORD: &str = "build.json";

/// Each input file's BLAKE3 hash, by absolute path, as the fingerprint took it.
pub type FileHashes = std::collections::HashMap<PathBuf, blake3::Hash>;

/// The inputs' fingerprint (BLAKE3 hex), and the hash of each file it covers. Files under
/// `skip` (the output, which may sit inside an input folder) and staging directories are
/// left out.
pub fn fingerprint(
    inputs: &[PathBuf],
    settings: &str,
    theme: Option<&Path>,
    skip: &[PathBuf],
) -> std::io::Result<(String, FileHashes)> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"scrollback build fingerprint 2\0");
    hasher.update(settings.as_bytes());
    let binary = binary_hash().ok_or_else(|| std::io::Error::other("the running binary cannot be read"))?;
    hasher.update(binary.as_bytes());
    let mut by_path = FileHashes::new();
    for root in inputs.iter().map(PathBuf::as_path).chain(theme) {
        hasher.update(root.as_os_str().as_encoded_bytes());
        hasher.update(b"\0");
        let walk = walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name();
        let transient = |name: &str| name.contains(".staging-") || name.contains(".previous-");
        let files = walk.into_iter().filter_entry(|e| {
            !skip.iter().any(|s| e.path().starts_with(s)) && !transient(&e.file_name().to_string_lossy())
        });
        let mut paths = Vec::new();
        for entry in files {
            let entry = entry?;
            if entry.file_type().is_file() {
                paths.push(entry.into_path());
            }
        }
        // Files are hashed on every core; their hashes go in in path order.
        let contents = paths
            .par_iter()
            .map(|path| Ok(blake3::Hasher::new().update_reader(fs_err::File::open(path)?)?.finalize()))
            .collect::<std::io::Result<Vec<_>>>()?;
        for (path, hash) in paths.into_iter().zip(contents) {
            hasher.update(path.as_os_str().as_encoded_bytes());
            hasher.update(b"\0");
            hasher.update(hash.as_bytes());
            by_path.insert(path, hash);
        }
    }
    Ok((hasher.finalize().to_hex().to_string(), by_path))
}

/// The record a build leaves beside the site.
pub fn record(fingerprint: &str, manifest: &[u8]) -> String {
    let record = serde_json::json!({
        "format": 1,
        "fingerprint": fingerprint,
        "manifest": blake3::hash(manifest).to_hex().as_str(),
    });
    format!("{record:#}\n")
}

/// Whether the site in `out` (with its sidecar `index`) was built from exactly `fingerprint`
/// and is as that build left it. `Err` explains a record that exists but cannot be trusted.
pub fn up_to_date(out: &Path, index: &Path, fingerprint: &str) -> Result<bool, String> {
    let path = index.join(RECORD);
    let Ok(bytes) = fs_err::read(&path) else { return Ok(false) };
    let record: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: {e}; ignoring it and building everything", path.display()))?;
    let (Some(built_from), Some(manifest)) = (record["fingerprint"].as_str(), record["manifest"].as_str())
    else {
        return Err(format!("{}: not a build record; ignoring it and building everything", path.display()));
    };
    if built_from != fingerprint {
        return Ok(false);
    }
    let current =
        fs_err::read(out.join(crate::output::MANIFEST)).map(|m| blake3::hash(&m).to_hex().to_string());
    Ok(current.is_ok_and(|c| c == manifest))
}

/// The per-file record's name in the sidecar directory.
pub const FILES: &str = "files.json";

/// One file as a build left it: its content hash, the size and modification time it had on
/// disk, and for a page the key of what rendered it (template and view, see
/// [`crate::render::Theme::page_key`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Written {
    /// BLAKE3 hex of the content (as in `manifest.json`).
    pub hash: String,
    /// Size in bytes.
    pub len: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime: u64,
    /// What rendered it, for pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Written {
    /// Records the file at `path`, just written with content `hash`.
    pub fn stat(path: &Path, hash: String, key: Option<String>) -> std::io::Result<Written> {
        let (len, mtime) = size_and_mtime(path)?;
        Ok(Written { hash, len, mtime, key })
    }
}

fn size_and_mtime(path: &Path) -> std::io::Result<(u64, u64)> {
    let meta = std::fs::symlink_metadata(path)?;
    let since = meta.modified()?.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Ok((meta.len(), u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)))
}

/// The files of the site being replaced, as its build recorded them, so that an unchanged
/// page is kept in the new site instead of rendered and written again.
///
/// Trust is checked twice: the record must name the hash of the `manifest.json` in `out` (so
/// it belongs to that very build), and a file is reused only while its size and modification
/// time are still those recorded (git's index does the same), so a file edited or replaced
/// since is rendered again.
#[derive(Debug)]
pub struct Previous {
    root: PathBuf,
    files: std::collections::HashMap<String, Written>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FilesRecord<F> {
    format: u32,
    manifest: String,
    files: F,
}

impl Previous {
    /// The record beside the site in `out`, if there is one to trust. `Err` is a warning: the
    /// record exists but is damaged or belongs to another build.
    pub fn load(out: &Path, sidecar: &Path) -> Result<Option<Previous>, String> {
        let path = sidecar.join(FILES);
        let (Ok(bytes), Ok(manifest)) =
            (fs_err::read(&path), fs_err::read(out.join(crate::output::MANIFEST)))
        else {
            return Ok(None);
        };
        let ignored =
            |why: String| format!("{}: {why}; ignoring it and rendering every page", path.display());
        let record: FilesRecord<std::collections::HashMap<String, Written>> =
            serde_json::from_slice(&bytes).map_err(|e| ignored(e.to_string()))?;
        if record.format != 1 {
            return Err(ignored(format!("format {} is not 1", record.format)));
        }
        if record.manifest != blake3::hash(&manifest).to_hex().as_str() {
            return Err(ignored("it was written for another build of the site".to_owned()));
        }
        Ok(Some(Previous { root: out.to_path_buf(), files: record.files }))
    }

    /// The record of the previous file at `rel` if the file still is what was recorded and
    /// `accept`s the record.
    pub fn file(&self, rel: &str, accept: impl FnOnce(&Written) -> bool) -> Reuse<&Written> {
        let Some(written) = self.files.get(rel).filter(|w| accept(w)) else { return Reuse::No };
        match size_and_mtime(&self.root.join(rel)) {
            Ok((len, mtime)) if len == written.len && mtime == written.mtime => Reuse::Yes(written),
            _ => Reuse::Changed,
        }
    }
}

/// Whether a previous file can stand in for a new one.
pub enum Reuse<T> {
    /// Yes, and here it is.
    Yes(T),
    /// No record matches.
    No,
    /// A record matches, but the file was changed or removed since.
    Changed,
}

/// The record a build leaves in the sidecar: every file, tied to the manifest it produced.
pub fn files_record(manifest: &[u8], files: &std::collections::BTreeMap<String, Written>) -> String {
    let record = FilesRecord { format: 1, manifest: blake3::hash(manifest).to_hex().to_string(), files };
    serde_json::to_string(&record).expect("strings and numbers serialize")
}

/// A hash of the running binary, whose code shapes every page; `None` if it cannot be read
/// (then nothing is reused).
pub fn binary_hash() -> Option<&'static blake3::Hash> {
    static HASH: std::sync::OnceLock<Option<blake3::Hash>> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_binary().ok()).as_ref()
}

/// Streamed: the binary is tens of megabytes, not worth holding.
fn hash_binary() -> std::io::Result<blake3::Hash> {
    let file = fs_err::File::open(std::env::current_exe()?)?;
    Ok(blake3::Hasher::new().update_reader(file)?.finalize())
}
