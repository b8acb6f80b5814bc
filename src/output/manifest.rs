//! `manifest.json`: every published URL with the BLAKE3 hash of its content, the channels'
//! slugs and the redirects; and the mapping between URLs and files.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cache::Written;

/// The URL of a file: its directory for `index.html`, else its path, from the root.
pub(super) fn url_of(rel: &str) -> String {
    match rel.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{rel}"),
    }
}

/// The file a URL of the site is served from: [`url_of`] the other way.
pub(super) fn rel_at(url: &str) -> String {
    let mut rel = String::new();
    rel_of(url, &mut rel);
    rel
}

/// [`rel_at`] into `rel`, for callers that map many URLs through one buffer.
pub(super) fn rel_of(url: &str, rel: &mut String) {
    rel.clear();
    rel.push_str(url.strip_prefix('/').unwrap_or(url));
    if rel.is_empty() || rel.ends_with('/') {
        rel.push_str("index.html");
    }
}

/// A previous build's `manifest.json`: what it published, and under which slugs.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Manifest {
    /// URL → blake3 hex of its content.
    pub urls: BTreeMap<String, String>,
    /// Channel key (`"<source>:<id>"`) → slug (absent from manifests before format 2).
    #[serde(default)]
    pub channels: BTreeMap<String, String>,
    /// Redirect page URL → the URL it sends to.
    #[serde(default)]
    pub redirects: BTreeMap<String, String>,
}

/// A manifest that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}; expected the manifest.json of a site scrollback built")]
pub struct ManifestError {
    /// The manifest's path, as the error shows it.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

/// Reads a `manifest.json`.
pub fn read_manifest(path: &Path) -> Result<Manifest, ManifestError> {
    let error = |message: String| ManifestError { path: path.display().to_string(), message };
    let bytes = fs_err::read(path).map_err(|e| error(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| error(e.to_string()))
}

/// The manifest maps every published URL (directory URLs for pages) to its content hash, and
/// every channel to its slug.
pub(super) fn manifest_json(
    files: &BTreeMap<String, Written>,
    channels: &BTreeMap<String, String>,
    redirects: &BTreeMap<String, String>,
) -> String {
    /// `manifest.json`, its keys in the order a JSON object of them has always had.
    #[derive(serde::Serialize)]
    struct Published<'a> {
        channels: &'a BTreeMap<String, String>,
        format: u32,
        generator: &'a str,
        redirects: &'a BTreeMap<String, String>,
        urls: Urls<'a>,
    }
    /// URL → content hash, in URL order.
    struct Urls<'a>(Vec<(String, &'a str)>);
    impl serde::Serialize for Urls<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(self.0.iter().map(|(url, hash)| (url, hash)))
        }
    }
    // Sorted once, not kept sorted: the order of URLs is not the order of their files.
    let mut urls: Vec<(String, &str)> =
        files.iter().map(|(rel, written)| (url_of(rel), written.hash.as_str())).collect();
    urls.sort_unstable();
    let manifest = Published { channels, format: 2, generator: "scrollback", redirects, urls: Urls(urls) };
    let mut text = serde_json::to_string_pretty(&manifest).expect("a map of strings serialises");
    text.push('\n');
    text
}
