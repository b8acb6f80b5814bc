//! `scrollback check --site DIR`: every internal link of a built site resolves. Links are the
//! `href`, `src` and `action` attributes and refresh targets of every page, `url(…)` in stylesheets, and the permalink of every
//! search record; each must name a file of the site (a directory means its `index.html`) and,
//! with a `#fragment`, an element id on that page. External links are not fetched.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::ingest::percent_decode;
use crate::markup::unescape;

/// A link that does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The file that has the link, from the site root.
    pub file: String,
    /// The link as written (entities decoded).
    pub link: String,
    /// Why it does not resolve.
    pub why: String,
}

/// What [`check_site`] found.
#[derive(Debug, Default)]
pub struct LinkReport {
    /// Pages read (stylesheets and search records are read too, not counted).
    pub pages: usize,
    /// Internal links followed.
    pub links: usize,
    /// Links that do not resolve, in file order.
    pub broken: Vec<Broken>,
}

/// Errors reading the site itself.
#[derive(Debug, thiserror::Error)]
pub enum LinkCheckError {
    /// Not a directory, or unreadable.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// Not a site at all.
    #[error("{0}: no index.html here; expected a directory written by `scrollback build`")]
    NotASite(String),
}

static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\s(?:href|src|action)="([^"]*)"|http-equiv="refresh" content="\d+; url=([^"]*)""#)
        .expect("valid regex")
});
static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"\sid="([^"]*)""#).expect("valid regex"));
static CSS_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"url\(\s*['"]?([^'")]+)['"]?\s*\)"#).expect("valid regex"));
static SCHEME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:").expect("valid regex"));

/// Where links were found: file → links, and the ids of every page.
#[derive(Default)]
struct Site {
    files: BTreeSet<String>,
    ids: BTreeMap<String, BTreeSet<String>>,
    /// `(file, base, link)`: links in `file`, relative to the file `base` (itself, or the root
    /// `index.html` for search records).
    links: Vec<(String, String, String)>,
    /// Search record files that could not be read, so none of their links was checked.
    unreadable: Vec<Broken>,
}

/// Checks every internal link and anchor of the site in `dir`.
pub fn check_site(dir: &Path) -> Result<LinkReport, LinkCheckError> {
    if !dir.join("index.html").is_file() {
        return Err(LinkCheckError::NotASite(dir.display().to_string()));
    }
    let mut site = read_site(dir)?;
    let broken = std::mem::take(&mut site.unreadable);
    let mut report = LinkReport { pages: site.ids.len(), broken, ..LinkReport::default() };
    for (file, base, link) in &site.links {
        if let Some(why) = site.resolve(base, link) {
            report.broken.push(Broken { file: file.clone(), link: link.clone(), why });
        }
        report.links += 1;
    }
    Ok(report)
}

fn read_site(dir: &Path) -> Result<Site, LinkCheckError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| LinkCheckError::Io { path, source }
    };
    let mut site = Site::default();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            io(&path)(e.into())
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).expect("under dir").to_string_lossy().replace('\\', "/");
        site.files.insert(rel.clone());
        let read = || fs_err::read(entry.path()).map_err(io(entry.path()));
        let extension = entry.path().extension().and_then(|e| e.to_str()).unwrap_or("");
        if extension == "html" {
            let html = String::from_utf8_lossy(&read()?).into_owned();
            let ids = ID.captures_iter(&html).map(|c| unescape(&c[1])).collect();
            site.ids.insert(rel.clone(), ids);
            let links = ATTRIBUTE.captures_iter(&html).filter_map(|c| c.get(1).or(c.get(2)));
            let links = links.map(|m| unescape(m.as_str()));
            site.links.extend(links.map(|link| (rel.clone(), rel.clone(), link)));
        } else if extension == "css" {
            let css = String::from_utf8_lossy(&read()?).into_owned();
            site.links
                .extend(CSS_URL.captures_iter(&css).map(|c| (rel.clone(), rel.clone(), c[1].to_owned())));
        } else if is_search_records(&rel) {
            match search_permalinks(&read()?) {
                Ok(links) => {
                    site.links.extend(links.into_iter().map(|u| (rel.clone(), "index.html".to_owned(), u)));
                }
                Err(why) => site.unreadable.push(Broken { file: rel.clone(), link: String::new(), why }),
            }
        }
    }
    Ok(site)
}

/// `search/d-<hash>/<n>.bin`: document records, whose `u` is a permalink from the site root.
fn is_search_records(rel: &str) -> bool {
    rel.starts_with("search/d-") && Path::new(rel).extension().is_some_and(|e| e == "bin")
}

/// The permalinks in a record file (gzip, or already inflated by the host).
fn search_permalinks(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut json = Vec::new();
    let inflated = flate2::read::GzDecoder::new(bytes).read_to_end(&mut json).is_ok();
    let records: Vec<serde_json::Value> = serde_json::from_slice(if inflated { &json } else { bytes })
        .map_err(|e| format!("unreadable search records: {e}"))?;
    Ok(records.iter().filter_map(|r| r["u"].as_str().map(str::to_owned)).collect())
}

impl Site {
    /// Why `link`, written in the file `base`, does not resolve, or `None` when it does.
    fn resolve(&self, base: &str, link: &str) -> Option<String> {
        if SCHEME.is_match(link) || link.starts_with("//") {
            return None;
        }
        if link.starts_with('/') {
            return Some("absolute path: breaks when the site is served from a subdirectory".to_owned());
        }
        let (path, fragment) = link.split_once('#').map_or((link, None), |(p, f)| (p, Some(f)));
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        self.resolve_from(base, path, fragment)
    }

    fn resolve_from(&self, base: &str, path: &str, fragment: Option<&str>) -> Option<String> {
        if path.is_empty() {
            return self.check_fragment(base, fragment);
        }
        let Some(joined) = join(base.rsplit_once('/').map_or("", |(dir, _)| dir), &percent_decode(path))
        else {
            return Some("leaves the site".to_owned());
        };
        let target = if joined.is_empty() || joined.ends_with('/') {
            format!("{joined}index.html")
        } else if self.files.contains(&joined) {
            joined
        } else if self.files.contains(&format!("{joined}/index.html")) {
            format!("{joined}/index.html")
        } else {
            joined
        };
        if !self.files.contains(&target) {
            return Some(format!("no file {target}"));
        }
        self.check_fragment(&target, fragment)
    }

    fn check_fragment(&self, target: &str, fragment: Option<&str>) -> Option<String> {
        let fragment = percent_decode(fragment.filter(|f| !f.is_empty())?);
        let ids = self.ids.get(target)?;
        (!ids.contains(&fragment)).then(|| format!("no id=\"{fragment}\" in {target}"))
    }
}

/// `base` (a directory, `/`-separated, no trailing slash) joined with a relative `path`, with
/// `.` and `..` resolved; `None` when it climbs above the root. A trailing `/` is kept.
fn join(base: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    let mut joined = parts.join("/");
    let names_a_directory = matches!(path.rsplit('/').next(), Some("" | "." | ".."));
    if names_a_directory && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_like_a_browser_resolves_them() {
        assert_eq!(join("c/ops/2014/01/17", "../../../../../").as_deref(), Some(""));
        assert_eq!(join("c/ops", "2014/01/17/").as_deref(), Some("c/ops/2014/01/17/"));
        assert_eq!(join("c/ops", "../../assets/a.css").as_deref(), Some("assets/a.css"));
        assert_eq!(join("c", "../..").as_deref(), None);
        assert_eq!(join("", "./").as_deref(), Some(""));
        assert_eq!(unescape("a?x=1&amp;y=&quot;2&quot;"), "a?x=1&y=\"2\"");
    }
}
