//! Running the binary on fixtures and reading what it wrote (after mdBook's `BookTest`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/cases/<rel>`.
pub fn case(rel: &str) -> PathBuf {
    repo().join("tests/cases").join(rel)
}

/// `tests/invalid/<rel>`.
pub fn invalid(rel: &str) -> PathBuf {
    repo().join("tests/invalid").join(rel)
}

/// The shared real-export fixtures (`SCROLLBACK_FIXTURES` or `../shared/fixtures`). Absent:
/// the calling test says so and skips, except under `CI=true`, where that is a failure.
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("SCROLLBACK_FIXTURES")
        .map_or_else(|| repo().join("../shared/fixtures"), PathBuf::from);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared fixtures not found at {} (set SCROLLBACK_FIXTURES); required under CI=true",
        dir.display()
    );
    eprintln!("skipping: shared fixtures not found at {}", dir.display());
    None
}

/// The binary, run in `dir`, with no `SCROLLBACK_*` variables leaking in from the caller.
pub fn scrollback(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("scrollback").expect("the binary is built for tests");
    cmd.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SCROLLBACK_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// A built site in a temporary directory.
pub struct Site {
    pub tmp: TempDir,
    pub out: PathBuf,
    pub stderr: String,
}

impl Site {
    /// Builds `inputs` with extra arguments; panics with stderr if the build fails.
    pub fn build(inputs: &[PathBuf], args: &[&str]) -> Site {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let mut site = Site { tmp, out, stderr: String::new() };
        site.rebuild(inputs, args);
        site
    }

    /// Builds again into the same directory, replacing the site.
    pub fn rebuild(&mut self, inputs: &[PathBuf], args: &[&str]) {
        let output = scrollback(self.tmp.path())
            .arg("build")
            .args(inputs)
            .arg("--out")
            .arg(&self.out)
            .args(args)
            .output()
            .unwrap();
        self.stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "build failed:\n{}", self.stderr);
    }

    /// Builds `inputs` with extra arguments, expecting the build to fail: its stderr.
    pub fn failing(inputs: &[PathBuf], args: &[&str]) -> String {
        let tmp = tempfile::tempdir().unwrap();
        let output = scrollback(tmp.path())
            .arg("build")
            .args(inputs)
            .arg("--out")
            .arg(tmp.path().join("public"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "the build succeeded:\n{stderr}");
        stderr
    }

    /// Builds `inputs` with `config` as the scrollback.toml.
    pub fn with_config(inputs: &[PathBuf], config: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scrollback.toml");
        fs_err::write(&path, config).unwrap();
        Site::build(inputs, &["--config", path.to_str().unwrap()])
    }

    /// The HTML of the page at a site URL (`"c/ops/"`, `""` for home).
    pub fn page(&self, url: &str) -> String {
        let path = self.out.join(url).join("index.html");
        fs_err::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Whether a page exists at the URL.
    pub fn has_page(&self, url: &str) -> bool {
        self.out.join(url).join("index.html").is_file()
    }

    /// The published channels' slugs, sorted.
    pub fn channels(&self) -> Vec<String> {
        let mut slugs: Vec<String> = fs_err::read_dir(self.out.join("c"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        slugs.sort();
        slugs
    }

    /// Every file, `/`-separated path → bytes.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        tree(&self.out)
    }

    /// Every file of the site as text, gzipped ones (search shards) decompressed.
    pub fn texts(&self) -> BTreeMap<String, String> {
        self.files().into_iter().map(|(path, bytes)| (path, gunzipped_text(bytes))).collect()
    }

    /// `scrollback search QUERY --json [EXTRA]` on this site, 1000 hits unless `-n` is given.
    pub fn search(&self, query: &str, extra: &[&str]) -> serde_json::Value {
        let limit = if extra.contains(&"-n") { &[][..] } else { &["-n", "1000"][..] };
        let output = scrollback(self.tmp.path())
            .args(["search", "--site"])
            .arg(&self.out)
            .args(["--json", query])
            .args(limit)
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

/// The bytes as text, inflated first if they are gzip.
pub fn gunzipped_text(bytes: Vec<u8>) -> String {
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out).unwrap();
        out
    } else {
        bytes
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

/// All files under `dir` with their contents.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            (rel, fs_err::read(e.path()).unwrap())
        })
        .collect()
}

/// Message anchors on a page, in order.
pub fn anchors(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"id="m-([^"]+)""#).unwrap();
    re.captures_iter(html).map(|c| c[1].to_owned()).collect()
}

/// The `<article>` for anchor `id`, up to its closing tag (threads nest articles).
pub fn article<'h>(html: &'h str, id: &str) -> &'h str {
    let start = html.find(&format!("id=\"m-{id}\"")).unwrap_or_else(|| panic!("no message m-{id}"));
    let start = html[..start].rfind("<article").unwrap();
    let mut depth = 0;
    let mut i = start;
    while i < html.len() {
        if html[i..].starts_with("<article") {
            depth += 1;
        } else if html[i..].starts_with("</article>") {
            depth -= 1;
            if depth == 0 {
                return &html[start..i + "</article>".len()];
            }
        }
        i += html[i..].chars().next().unwrap().len_utf8();
    }
    panic!("unclosed article m-{id}")
}

/// The text between `<main` and `</main>`.
pub fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("page has <main>");
    let end = html.find("</main>").expect("page has </main>");
    &html[start..end + "</main>".len()]
}
