//! What the previous build left beside and in the site, read once into one value on threads
//! of its own (it does not depend on the inputs): its day records from the start of a build,
//! the rest once the build is known to run. Each phase takes the part it uses. Under
//! `--force` nothing of it is reused but the ledger and the manifest, which keep ids and
//! URLs.

use std::path::{Path, PathBuf};

use super::threads::Pending;
use crate::output::sidecar_path;
use crate::store::{Records, names};
use crate::{cache, index, ledger};

/// Everything the previous build left; `Err` in a part is a warning.
pub struct Previous {
    out: PathBuf,
    force: bool,
    /// What it parsed of each day file, read first: ingest needs it first.
    days: Pending<Read<Records>>,
    /// Everything else it left, read on a second thread once the build is known to run.
    rest: Option<Pending<Rest>>,
}

/// A part of the previous build: `Ok(None)` if there is none, `Err` (a warning) if it could
/// not be read.
pub type Read<T> = Result<Option<T>, String>;

/// Everything the previous build left but its day records.
struct Rest {
    /// The record of its files, to keep those that are still what the new site has.
    files: Read<cache::Previous>,
    /// Its incident ledger, whose ids must keep resolving.
    ledger: Read<ledger::Published>,
    /// `--previous-manifest`, else its manifest, if there is one: read once the pages are
    /// done, so that its URLs are not held through the build.
    manifest: Option<PathBuf>,
    /// What its build read of each message.
    readings: Read<Records>,
    /// The messages its redaction found nothing in.
    clean: Read<Records>,
    /// Its search index and static search manifest.
    search: Search,
}

/// What the previous build lends the search index and its export.
#[derive(Default)]
pub struct Search {
    /// Its index directory.
    pub index: Option<PathBuf>,
    /// Its search manifest, to link the record files that did not change (each is checked
    /// against the record of the previous build's files before it is linked).
    pub manifest: Option<index::export::Manifest>,
}

impl Previous {
    /// Starts reading what the site at `out` was built with, its day records first (they
    /// are read while the inputs are fingerprinted); `force`: only what keeps ids and URLs.
    pub fn read(out: &Path, force: bool) -> Previous {
        let days = sidecar_path(out).join(names::DAYS);
        let days = Pending::spawn("previous days", move || records(&days, force));
        Previous { out: out.to_owned(), force, days, rest: None }
    }

    /// Starts reading the rest, once the build is known to run (not up to date); `named`:
    /// `--previous-manifest`.
    pub fn read_rest(&mut self, named: Option<PathBuf>) {
        let (out, force) = (self.out.clone(), self.force);
        self.rest = Some(Pending::spawn("previous build", move || Rest::read(&out, force, named)));
    }

    /// The rest, waiting for it the first time.
    fn rest(&mut self) -> &mut Rest {
        self.rest.as_mut().expect("the rest is read before it is used").get()
    }

    /// The day records.
    pub fn days(&mut self) -> Read<Records> {
        take(self.days.get())
    }

    /// The record of the site's files.
    pub fn files(&mut self) -> Read<cache::Previous> {
        take(&mut self.rest().files)
    }

    /// The incident ledger.
    pub fn ledger(&mut self) -> Read<ledger::Published> {
        take(&mut self.rest().ledger)
    }

    /// The manifest to compare URLs with, if any.
    pub fn manifest(&mut self) -> Option<PathBuf> {
        self.rest().manifest.take()
    }

    /// What incident detection read of each message.
    pub fn readings(&mut self) -> Read<Records> {
        take(&mut self.rest().readings)
    }

    /// The messages redaction found nothing in.
    pub fn clean(&mut self) -> Read<Records> {
        take(&mut self.rest().clean)
    }

    /// The search index and manifest.
    pub fn search(&mut self) -> Search {
        std::mem::take(&mut self.rest().search)
    }
}

/// The per-message records at `path`, unless `force` reuses none.
fn records(path: &Path, force: bool) -> Read<Records> {
    if force { Ok(None) } else { Records::load(path) }
}

/// A part, taken out of where it was kept.
fn take<T>(part: &mut Read<T>) -> Read<T> {
    std::mem::replace(part, Ok(None))
}

impl Rest {
    fn read(out: &Path, force: bool, named: Option<PathBuf>) -> Rest {
        let sidecar = sidecar_path(out);
        let records = |name: &str| records(&sidecar.join(name), force);
        let files = if force { Ok(None) } else { cache::Previous::load(out, &sidecar) };
        let ledger = if out.join(ledger::PATH).is_file() {
            ledger::read_published(out)
                .map(Some)
                .map_err(|e| format!("{e}; ids of the previous site's incidents are not kept"))
        } else {
            Ok(None)
        };
        let manifest = named.or_else(|| Some(out.join(crate::layout::MANIFEST)).filter(|p| p.is_file()));
        let search = if force {
            Search::default()
        } else {
            let manifest = fs_err::read(out.join("search/manifest.json"))
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok());
            Search { index: Some(sidecar.clone()).filter(|p| p.is_dir()), manifest }
        };
        let (readings, clean) = (records(names::READINGS), records(names::CLEAN));
        Rest { files, ledger, manifest, readings, clean, search }
    }
}
