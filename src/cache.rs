//! What the last build was made from, so a rebuild with nothing changed does nothing.
//!
//! A fingerprint covers everything that shapes the site: the content of every input file, the
//! effective configuration, the theme folder, the previous manifest given on the command line,
//! and the `scrollback` binary itself (templates and code are built into it). It is kept in
//! `<out>.index/build.json` with the hash of the `manifest.json` it produced. When both still
//! match, the site on disk is exactly what a new build would write, so nothing is rewritten.
//! A missing, unreadable or stale record only means a full build.

use std::path::{Path, PathBuf};

/// The record's file name in the sidecar directory.
pub const RECORD: &str = "build.json";

/// The inputs' fingerprint (BLAKE3 hex). Files under `skip` (the output, which may sit inside
/// an input folder) and staging directories are left out.
pub fn fingerprint(
    inputs: &[PathBuf],
    settings: &str,
    theme: Option<&Path>,
    skip: &[PathBuf],
) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"scrollback build fingerprint 1\0");
    hasher.update(settings.as_bytes());
    let binary = std::env::current_exe().and_then(fs_err::read)?;
    hasher.update(blake3::hash(&binary).as_bytes());
    for root in inputs.iter().map(PathBuf::as_path).chain(theme) {
        hasher.update(root.as_os_str().as_encoded_bytes());
        hasher.update(b"\0");
        let walk = walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name();
        let transient = |name: &str| name.contains(".staging-") || name.contains(".previous-");
        let files = walk.into_iter().filter_entry(|e| {
            !skip.iter().any(|s| e.path().starts_with(s)) && !transient(&e.file_name().to_string_lossy())
        });
        for entry in files {
            let entry = entry?;
            if entry.file_type().is_file() {
                hasher.update(entry.path().as_os_str().as_encoded_bytes());
                hasher.update(b"\0");
                hasher.update_reader(fs_err::File::open(entry.path())?)?;
            }
        }
    }
    Ok(hasher.finalize().to_hex().to_string())
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
