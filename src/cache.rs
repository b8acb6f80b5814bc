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

use crate::store;

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
    let binary =
        store::binary_hash().ok_or_else(|| std::io::Error::other("the running binary cannot be read"))?;
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
    let path = index.join(store::names::BUILD);
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
    let Ok(current) = fs_err::read(out.join(crate::layout::MANIFEST)).map(|m| blake3::hash(&m)) else {
        return Ok(false);
    };
    if current.to_hex().as_str() != manifest {
        return Ok(false);
    }
    // The site on disk must still be what that build wrote: every file it recorded, with the
    // size and modification time it had (a removed, replaced or edited file is not).
    Ok(Previous::read(out, index, &current).ok().flatten().is_some_and(|previous| previous.intact()))
}

/// The per-file record's kind in its envelope.
const FILES_KIND: &str = "files";

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
    pub key: Option<String>,
}

impl Written {
    /// Records the file at `path`, just written with content `hash`.
    pub fn stat(path: &Path, hash: String, key: Option<String>) -> std::io::Result<Written> {
        let (len, mtime) = size_and_mtime(path)?;
        Ok(Written { hash, len, mtime, key })
    }
}

/// Size and modification time (nanoseconds since 1970, 0 before) of the file at `path`,
/// as a build records them and the next one checks them: both through here, so that they
/// agree.
fn size_and_mtime(path: &Path) -> std::io::Result<(u64, u64)> {
    #[cfg(unix)]
    return stat_at(rustix::fs::CWD, path);
    #[cfg(not(unix))]
    {
        let meta = std::fs::symlink_metadata(path)?;
        let since = meta.modified()?.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Ok((meta.len(), u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)))
    }
}

/// [`size_and_mtime`] of the file at `path` from the directory `dir`.
#[cfg(unix)]
fn stat_at(dir: impl std::os::fd::AsFd, path: impl rustix::path::Arg) -> std::io::Result<(u64, u64)> {
    let stat = rustix::fs::statat(dir, path, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
    #[allow(clippy::useless_conversion, reason = "the fields' types differ between platforms")]
    let (seconds, nanos) = (i64::from(stat.st_mtime), i64::try_from(stat.st_mtime_nsec).unwrap_or(0));
    let mtime = if seconds < 0 {
        0
    } else {
        u64::try_from(i128::from(seconds) * 1_000_000_000 + i128::from(nanos)).unwrap_or(u64::MAX)
    };
    Ok((u64::try_from(stat.st_size).unwrap_or(0), mtime))
}

/// The previous site's directory. On Unix it is opened once and its files are looked up
/// from it: walking to it from `/` again for each of 140,000 files was half of their stats.
#[derive(Debug)]
struct Root {
    path: PathBuf,
    #[cfg(unix)]
    dir: Option<std::os::fd::OwnedFd>,
}

impl Root {
    fn open(path: &Path) -> Root {
        #[cfg(unix)]
        let dir = {
            use rustix::fs::{Mode, OFlags};
            rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).ok()
        };
        Root {
            path: path.to_path_buf(),
            #[cfg(unix)]
            dir,
        }
    }

    /// [`size_and_mtime`] of the file at `rel` in the directory.
    fn size_and_mtime(&self, rel: &str) -> std::io::Result<(u64, u64)> {
        #[cfg(unix)]
        if let Some(dir) = &self.dir {
            return stat_at(dir, rel);
        }
        size_and_mtime(&self.path.join(rel))
    }
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
    root: Root,
    files: foldhash::HashMap<String, Written>,
}

impl Previous {
    /// The record beside the site in `out`, if there is one to trust. `Err` is a warning: the
    /// record exists but is damaged or belongs to another build.
    pub fn load(out: &Path, sidecar: &Path) -> Result<Option<Previous>, String> {
        let Ok(manifest) = fs_err::read(out.join(crate::layout::MANIFEST)) else { return Ok(None) };
        Previous::read(out, sidecar, &blake3::hash(&manifest))
    }

    /// [`Previous::load`] for the site whose `manifest.json` hashes to `manifest`.
    fn read(out: &Path, sidecar: &Path, manifest: &blake3::Hash) -> Result<Option<Previous>, String> {
        let path = sidecar.join(store::names::FILES);
        let Ok(bytes) = fs_err::read(&path) else { return Ok(None) };
        let ignored = |why: &str| format!("{}: {why}; ignoring it and rendering every page", path.display());
        let (made_for, files) =
            parse_files(&bytes).ok_or_else(|| ignored("damaged or not from this version"))?;
        if made_for != *manifest.as_bytes() {
            return Err(ignored("it was written for another build of the site"));
        }
        Ok(Some(Previous { root: Root::open(out), files }))
    }

    /// Whether every file recorded is still on disk as it was recorded.
    pub fn intact(&self) -> bool {
        self.files.iter().all(|(rel, written)| {
            self.root
                .size_and_mtime(rel)
                .is_ok_and(|(len, mtime)| len == written.len && mtime == written.mtime)
        })
    }

    /// The record of the previous file at `rel` if the file still is what was recorded and
    /// `accept`s the record.
    pub fn file(&self, rel: &str, accept: impl FnOnce(&Written) -> bool) -> Reuse<&Written> {
        let Some(written) = self.files.get(rel).filter(|w| accept(w)) else { return Reuse::No };
        match self.root.size_and_mtime(rel) {
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

/// The record a build leaves in the sidecar: every file, tied to the manifest it produced
/// (its BLAKE3 hash), in the records' envelope ([`store::seal`]). Binary: it is read and
/// written every build, one entry per file of the site.
pub fn files_record(manifest: &[u8], files: &std::collections::BTreeMap<String, Written>) -> Vec<u8> {
    let manifest: [u8; 32] = *blake3::hash(manifest).as_bytes();
    store::seal(FILES_KIND, &store::encode(&(manifest, files)))
}

/// The manifest hash and the files of a record [`files_record`] made; `None` if it is
/// damaged or of another format.
pub fn parse_files(bytes: &[u8]) -> Option<([u8; 32], foldhash::HashMap<String, Written>)> {
    store::decode(&bytes[store::open(FILES_KIND, bytes)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_record_reads_back_only_whole() {
        let page = Written { hash: "ab".repeat(32), len: 10, mtime: 7, key: Some("k".repeat(32)) };
        let asset = Written { key: None, ..page.clone() };
        let files =
            std::collections::BTreeMap::from([("a/index.html".into(), page), ("x.css".into(), asset)]);
        let record = files_record(b"{}", &files);
        let (manifest, read) = parse_files(&record).unwrap();
        assert_eq!(manifest, *blake3::hash(b"{}").as_bytes());
        assert_eq!(read.into_iter().collect::<std::collections::BTreeMap<_, _>>(), files);
        for at in [0, FILES_KIND.len() + 40, record.len() / 2, record.len() - 1] {
            let mut damaged = record.clone();
            damaged[at] ^= 1;
            assert!(parse_files(&damaged).is_none(), "a flipped bit at {at}");
        }
        assert!(parse_files(&record[..record.len() - 1]).is_none(), "truncated");
    }
}
