//! Writing the site: a staging directory beside `--out`, content hashes, `manifest.json`,
//! and a swap (or an update in place) at the end.
//!
//! Nothing touches the live site until every page has rendered (zola, mdBook and
//! Hugo all clean-then-write). If the build fails or panics, the staging
//! directory is removed on drop and the previous site is untouched. A first build (or one
//! that reuses nothing) is swapped in with two renames on the same file system: out →
//! previous, staging → out; the previous tree is removed only after the new one is in place.
//! A rebuild that reuses the previous site stages only new and changed files and moves them
//! in (see [`Staging`]).
//!
//! A build holds a lock beside `--out` (`.<name>.lock`, removed when it ends): a second build
//! into the same directory is refused instead of mixed in. Holding it, a build knows that
//! staging directories beside `--out` are left by a build that was killed, and removes them;
//! one killed between the two renames of the swap left the site renamed aside, which is put
//! back.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cache::{Previous, Reuse, Written};

pub mod journal;
mod lock;
mod manifest;
mod redirect;

use journal::{Journal, Mode, failpoint};

pub use crate::layout::MANIFEST;
use lock::BuildLock;
pub use lock::{Claim, claim, lock_path};
pub use manifest::{Manifest, ManifestError, read_manifest};
use manifest::{manifest_json, rel_at, rel_of};
pub use redirect::REDIRECT_JS;
use redirect::redirect_page;

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
    /// Another build holds the lock on `--out`.
    #[error("{0}: another scrollback build is writing this site; wait for it to finish (its lock is {1})")]
    Busy(String, String),
}

/// A site being written. Dropping it without [`Staging::commit`] discards it.
///
/// Without a previous site to reuse, every file is written into a staging directory that
/// replaces `out` whole at the end. With one, the staging directory gets only the files that
/// are new or changed; the files kept from the previous site stay where they are, and
/// [`Staging::commit`] moves the new ones in and removes what the new site no longer has
/// (so unchanged files are neither relinked nor deleted). Either way
/// nothing touches `out` before `commit`, which runs once everything was built.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    /// Staging directory for the site's search index, which lives beside the site.
    sidecar: Option<PathBuf>,
    /// Relative path → what was written there (locked: pages are written from many threads).
    files: Mutex<BTreeMap<String, Written>>,
    /// Directories made so far: each is made once, not tried again for every file in it
    /// (a `mkdir` that fails locks its parent all the same).
    dirs: Mutex<HashSet<String>>,
    /// The files of the site being replaced, for reuse.
    previous: Option<Previous>,
    /// Everything in `out` (the previous site), listed while the build runs: `commit` removes
    /// what the new site does not have.
    found: Option<Listing>,
    /// Files kept from the previous site instead of written.
    kept: AtomicUsize,
    /// Pages among them that were not rendered at all (their key matched).
    unrendered: AtomicUsize,
    /// Files of the previous site found changed since its build.
    tampered: AtomicUsize,
    /// Channel key → slug, recorded in the manifest so a later build can redirect renames.
    channels: BTreeMap<String, String>,
    /// Redirect page URL → the URL it sends to, recorded so later builds keep them.
    redirects: BTreeMap<String, String>,
    /// What the build was made from, recorded beside the site (see [`crate::cache`]).
    fingerprint: Option<String>,
    done: bool,
    /// Dropped last: the directories are cleaned up before another build may start.
    _lock: BuildLock,
}

impl Staging {
    /// Creates an empty staging directory next to `out`, claiming `out` first.
    pub fn begin(out: &Path) -> Result<Staging, OutputError> {
        Staging::begin_claimed(claim(out)?)
    }

    /// Creates an empty staging directory next to the directory `claim` holds.
    pub fn begin_claimed(claim: Claim) -> Result<Staging, OutputError> {
        let Claim { out, parent, name, lock, .. } = claim;
        ensure_replaceable(&out, MANIFEST)?;
        let dir = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if dir.exists() {
            fs_err::remove_dir_all(&dir)?;
        }
        fs_err::create_dir_all(&dir)?;
        Ok(Staging {
            out,
            dir,
            sidecar: None,
            files: Mutex::new(BTreeMap::new()),
            dirs: Mutex::new(HashSet::new()),
            previous: None,
            found: None,
            kept: AtomicUsize::new(0),
            unrendered: AtomicUsize::new(0),
            tampered: AtomicUsize::new(0),
            channels: BTreeMap::new(),
            redirects: BTreeMap::new(),
            fingerprint: None,
            done: false,
            _lock: lock,
        })
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

    /// Reuses files of `previous` (the site in `out`, updated in place at commit) where their
    /// content or page key matches: they are kept instead of written again, so they keep
    /// their bytes and their modification time.
    pub fn reuse_from(&mut self, previous: Previous) {
        self.previous = Some(previous);
        self.found = Some(Listing::start(&self.out));
    }

    /// Writes one file at `rel` (a `/`-separated path inside the site); safe from several
    /// threads at once.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), OutputError> {
        self.put(rel, bytes, None, true)
    }

    /// Writes the page at `rel` that `render` makes, unless the previous site has the page
    /// made from the same `key` (see [`crate::render::Theme::page_key`]): then that file is
    /// kept and `render` never runs.
    pub fn write_page<E: From<OutputError>>(
        &self,
        rel: &str,
        key: Option<String>,
        render: impl FnOnce() -> Result<String, E>,
    ) -> Result<(), E> {
        let mut intact = true;
        if let Some(key) = &key {
            match self.keep_previous(rel, |w| w.key.as_ref() == Some(key)) {
                Reuse::Yes(written) => {
                    self.record(rel, written);
                    self.unrendered.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Reuse::Changed => intact = false,
                Reuse::No => {}
            }
        }
        let page = render()?;
        Ok(self.put(rel, page.as_bytes(), key, intact)?)
    }

    /// Writes `bytes` at `rel`, or keeps the previous site's file there if it has the same
    /// content (and `reuse`), with its modification time, for mirrors like rsync.
    fn put(&self, rel: &str, bytes: &[u8], key: Option<String>, reuse: bool) -> Result<(), OutputError> {
        let hash = blake3::hash(bytes).to_hex().to_string();
        let previous = if reuse { self.keep_previous(rel, |w| w.hash == hash) } else { Reuse::No };
        let written = match previous {
            Reuse::Yes(previous) => Written { key, ..previous },
            Reuse::No | Reuse::Changed => {
                let path = self.create_parent(rel)?;
                fs_err::write(&path, bytes)?;
                Written::stat(&path, hash, key)?
            }
        };
        self.record(rel, written);
        Ok(())
    }

    /// Keeps the previous site's file at `rel` if its record is `accept`ed and the file is
    /// still as recorded.
    fn keep_previous(&self, rel: &str, accept: impl FnOnce(&Written) -> bool) -> Reuse<Written> {
        let Some(previous) = &self.previous else { return Reuse::No };
        match previous.file(rel, accept) {
            Reuse::Yes(written) => Reuse::Yes(self.keep(written)),
            Reuse::Changed => {
                self.tampered.fetch_add(1, Ordering::Relaxed);
                Reuse::Changed
            }
            Reuse::No => Reuse::No,
        }
    }

    /// Keeps every file of `rels` from the previous site if every one is there as recorded;
    /// returns their total size, or `None` (and keeps nothing) if one is not.
    pub fn reuse_all(&self, rels: &[String]) -> Option<u64> {
        let previous = self.previous.as_ref()?;
        let mut found = Vec::with_capacity(rels.len());
        for rel in rels {
            match previous.file(rel, |_| true) {
                Reuse::Yes(written) => found.push((rel, written)),
                Reuse::No | Reuse::Changed => return None,
            }
        }
        let mut bytes = 0;
        for (rel, written) in found {
            bytes += written.len;
            let written = self.keep(written);
            self.record(rel, written);
        }
        Some(bytes)
    }

    /// Keeps the previous site's file at `rel`: the site is updated in place (see
    /// [`Staging`]), so it is simply not removed.
    fn keep(&self, written: &Written) -> Written {
        self.kept.fetch_add(1, Ordering::Relaxed);
        written.clone()
    }

    fn create_parent(&self, rel: &str) -> Result<PathBuf, OutputError> {
        debug_assert!(!rel.starts_with('/') && !rel.split('/').any(|c| c == ".." || c.is_empty()));
        let path = self.dir.join(rel);
        if let Some((parent, _)) = rel.rsplit_once('/') {
            let made = self.dirs.lock().expect("no writer panics holding the lock").contains(parent);
            if !made {
                fs_err::create_dir_all(self.dir.join(parent))?;
                self.dirs.lock().expect("no writer panics holding the lock").insert(parent.to_owned());
            }
        }
        Ok(path)
    }

    fn record(&self, rel: &str, written: Written) {
        self.files.lock().expect("no writer panics holding the lock").insert(rel.to_owned(), written);
    }

    /// What was taken from the previous site.
    pub fn reused(&self) -> Reused {
        Reused {
            kept: self.kept.load(Ordering::Relaxed),
            unrendered: self.unrendered.load(Ordering::Relaxed),
            changed: self.tampered.load(Ordering::Relaxed),
        }
    }

    /// The redirect script's path (written once), for redirect pages.
    pub fn redirect_script(&self) -> Result<String, OutputError> {
        let rel = asset_path("redirect", "js", REDIRECT_JS.as_bytes());
        if !self.has(&rel) {
            self.write(&rel, REDIRECT_JS.as_bytes())?;
        }
        Ok(rel)
    }

    /// Writes a redirect page at the page URL `from` (`/c/ops/`) to the page URL `to`.
    pub fn write_redirect(
        &mut self,
        from: &str,
        to: &str,
        title: &str,
        text: &str,
    ) -> Result<(), OutputError> {
        let up = "../".repeat(from.matches('/').count().saturating_sub(1));
        let script = format!("{up}{}", self.redirect_script()?);
        let page = redirect_page(&format!("{up}{}", &to[1..]), &script, title, text);
        self.write(&rel_at(from), page.as_bytes())?;
        self.redirects.insert(from.to_owned(), to.to_owned());
        Ok(())
    }

    /// Records what the build was made from, so a rebuild from the same can be skipped.
    pub fn set_fingerprint(&mut self, fingerprint: Option<String>) {
        self.fingerprint = fingerprint;
    }

    /// Whether a file has been written at `rel`.
    pub fn has(&self, rel: &str) -> bool {
        self.files.lock().expect("no writer panics holding the lock").contains_key(rel)
    }

    /// Whether a file has been written at the site URL `url` (the file `url` names).
    pub fn has_url(&self, url: &str) -> bool {
        self.has(&rel_at(url))
    }

    /// The content hash of what has been written at `url` (`/c/ops/` for `c/ops/index.html`)
    /// for each of `urls`, in their order: `None` where nothing was.
    pub fn hashes_of<'u>(&self, urls: impl Iterator<Item = &'u str>) -> Vec<Option<String>> {
        let files = self.files.lock().expect("no writer panics holding the lock");
        let mut rel = String::new();
        urls.map(|url| {
            rel_of(url, &mut rel);
            files.get(rel.as_str()).map(|written| written.hash.clone())
        })
        .collect()
    }

    /// Records which slug each channel (by `"<source>:<id>"`) was published under.
    pub fn set_channels(&mut self, channels: BTreeMap<String, String>) {
        self.channels = channels;
    }

    /// Writes a content-addressed asset as `assets/<stem>.<hash>.<ext>` and returns that path.
    pub fn write_asset(&self, stem: &str, ext: &str, bytes: &[u8]) -> Result<String, OutputError> {
        let rel = asset_path(stem, ext, bytes);
        self.write(&rel, bytes)?;
        Ok(rel)
    }

    /// Writes `manifest.json` and makes the staged site `out`: in place over the previous
    /// site when there is one to reuse, else by swapping the staging directory in (and the
    /// sidecar in beside it either way). Everything is staged, and the commit marked
    /// ([`journal`]), before `out` is touched: a build killed from then on is finished by the
    /// next one.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let files = std::mem::take(self.files.get_mut().expect("no writer panics holding the lock"));
        let manifest = manifest_json(&files, &self.channels, &self.redirects);
        ensure_replaceable(&self.out, MANIFEST)?;
        let sidecar_target = sidecar_path(&self.out);
        if self.sidecar.is_some() {
            ensure_replaceable(&sidecar_target, SIDECAR_MARKER)?;
        }
        // The record of the previous site's files has served: it is freed, and the record of
        // this one's written, while the previous site is listed.
        let previous = self.previous.take();
        let found = self.found.take();
        let this = &self;
        let found = std::thread::scope(|scope| {
            scope.spawn(move || drop(previous));
            let records = scope.spawn(|| this.write_records(&files, manifest.as_bytes()));
            fs_err::write(this.dir.join(MANIFEST), &manifest)?;
            // The listing is started with the reuse of a previous site, and only then.
            let found = found.map(Listing::finish).transpose()?;
            records.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            Ok::<_, OutputError>(found)
        })?;
        let mode = if found.is_some() { Mode::Update } else { Mode::Swap };
        let journal = Journal::begin(&self.out, mode, &self.dir, self.sidecar.as_deref())?;
        // From here on what is staged is the commit's: a failure leaves it, marked, for the
        // next build to finish.
        self.done = true;
        let sidecar = self.sidecar.take();
        match &found {
            Some(found) => {
                journal::update_in_place(&self.out, &self.dir, |rel| files.contains_key(rel), found)?;
            }
            None => swap_in(&self.dir, &self.out, "commit:swapping")?,
        }
        failpoint("commit:site");
        if let Some(sidecar) = sidecar {
            swap_in(&sidecar, &sidecar_target, "commit:sidecar-swapping")?;
        }
        failpoint("commit:sidecar");
        journal.end()?;
        Ok(())
    }

    /// Writes the record of the site's `files` (and of what it was made from) into the
    /// sidecar, if there is one, tied to `manifest`.
    fn write_records(&self, files: &BTreeMap<String, Written>, manifest: &[u8]) -> Result<(), OutputError> {
        let Some(sidecar) = &self.sidecar else { return Ok(()) };
        fs_err::write(sidecar.join(crate::store::names::FILES), crate::cache::files_record(manifest, files))?;
        if let Some(fingerprint) = &self.fingerprint {
            fs_err::write(
                sidecar.join(crate::store::names::BUILD),
                crate::cache::record(fingerprint, manifest),
            )?;
        }
        Ok(())
    }
}

/// What a build took from the previous site.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reused {
    /// Files kept from it instead of written.
    pub kept: usize,
    /// Pages among them that were not even rendered, their key being unchanged.
    pub unrendered: usize,
    /// Its files found changed since its build (written again).
    pub changed: usize,
}

/// Renames `staging` to `target`, moving an existing `target` aside first and removing it
/// only once the new one is in place (restoring it if the rename fails); `step` is the
/// [`failpoint`] between the two renames.
fn swap_in(staging: &Path, target: &Path, step: &str) -> Result<(), OutputError> {
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
    failpoint(step);
    if let Err(e) = fs_err::rename(staging, target) {
        let _ = fs_err::rename(&previous, target);
        return Err(e.into());
    }
    fs_err::remove_dir_all(&previous)?;
    Ok(())
}

/// The entries under a directory (path from it with `/` between names, whether a directory),
/// children before their directory.
type Entries = Vec<(Box<str>, bool)>;

/// [`Entries`] listed on a thread of its own.
struct Listing(std::thread::JoinHandle<std::io::Result<Entries>>);

impl Listing {
    fn start(dir: &Path) -> Listing {
        let dir = dir.to_path_buf();
        Listing(
            std::thread::Builder::new()
                .name("listing".into())
                .spawn(move || {
                    walkdir::WalkDir::new(&dir)
                        .min_depth(1)
                        .contents_first(true)
                        .into_iter()
                        .map(|entry| {
                            let entry = entry.map_err(std::io::Error::from)?;
                            let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
                            let rel = rel.to_string_lossy().replace('\\', "/").into_boxed_str();
                            Ok((rel, entry.file_type().is_dir()))
                        })
                        .collect()
                })
                .expect("the listing thread starts"),
        )
    }

    fn finish(self) -> std::io::Result<Entries> {
        self.0.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
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

#[cfg(test)]
mod tests {
    use super::manifest::url_of;
    use super::*;

    #[test]
    fn a_failed_build_leaves_the_previous_site_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let first = Staging::begin(&out).unwrap();
        first.write("index.html", b"one").unwrap();
        first.commit().unwrap();
        {
            let second = Staging::begin(&out).unwrap();
            second.write("index.html", b"two").unwrap();
            // dropped without commit: a failed build
        }
        assert_eq!(fs_err::read_to_string(out.join("index.html")).unwrap(), "one");
        let leftovers: Vec<_> =
            fs_err::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("public")]);
    }

    #[test]
    fn a_url_leads_back_to_the_file_it_was_made_from() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = Staging::begin(&tmp.path().join("public")).unwrap();
        let files =
            ["index.html", "c/ops/index.html", "c/ops/2014/01/17/index.html", "assets/app.0123456789.js"];
        for rel in files {
            staging.write(rel, rel.as_bytes()).unwrap();
        }
        let urls: Vec<String> = files.iter().map(|rel| url_of(rel)).collect();
        assert_eq!(urls, ["/", "/c/ops/", "/c/ops/2014/01/17/", "/assets/app.0123456789.js"]);
        let asked = urls.iter().map(String::as_str).chain(["/c/gone/", "/assets/app.js"]);
        let hashes = staging.hashes_of(asked);
        let expected = files.iter().map(|rel| Some(blake3::hash(rel.as_bytes()).to_hex().to_string()));
        assert_eq!(hashes, expected.chain([None, None]).collect::<Vec<_>>());
    }

    #[test]
    fn a_directory_that_is_not_a_site_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::write(tmp.path().join("precious.txt"), "keep").unwrap();
        let err = Staging::begin(tmp.path()).err().unwrap();
        assert!(err.to_string().ends_with("refusing to replace a non-empty directory that is not a scrollback site (it has no manifest.json); remove it or choose another --out"));
    }

    #[test]
    fn redirect_pages_escape_what_they_show() {
        let page = redirect_page("../../incidents/x\"y/", "r.js", "Incident <id> moved", "<b>");
        assert!(page.contains("url=../../incidents/x&quot;y/\""));
        assert!(page.contains("<title>Incident &lt;id&gt; moved</title>"));
        assert!(page.contains("<p>&lt;b&gt; <a"));
    }

    #[test]
    fn manifest_lists_directory_urls_and_reads_back() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let mut staging = Staging::begin(&out).unwrap();
        staging.write("c/ops/index.html", b"ab").unwrap();
        staging.write("assets/x.1.css", b"cd").unwrap();
        staging.set_channels([("slack:C1".to_owned(), "ops".to_owned())].into());
        staging.write_redirect("/c/old/", "/c/ops/", "moved", "see").unwrap();
        staging.commit().unwrap();
        let manifest = read_manifest(&out.join(MANIFEST)).unwrap();
        assert_eq!(manifest.urls["/c/ops/"], blake3::hash(b"ab").to_hex().as_str());
        assert!(manifest.urls.contains_key("/assets/x.1.css"));
        assert_eq!(manifest.channels["slack:C1"], "ops");
        assert_eq!(manifest.redirects["/c/old/"], "/c/ops/");
        let page = fs_err::read_to_string(out.join("c/old/index.html")).unwrap();
        assert!(page.contains("<link rel=\"canonical\" href=\"../../c/ops/\">"), "{page}");
    }
}
