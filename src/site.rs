//! `Site`: the pipeline, one method per phase, each timed.
//!
//! ingest → normalize (privacy filter, redaction) → render into a staging directory → swap.
//! Every input is parsed and validated before anything is written (zola's load-then-build
//! order), so bad input never costs the previous site.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use crate::cache;
use crate::config::Config;
use crate::continuity;
use crate::incidents::{self, Detected};
use crate::index::{self, DocSource, IndexError, IndexMeta};
use crate::ingest::days::Days;
use crate::ingest::{self, Format, IngestError, Ingested};
use crate::layout::{Layout, channel_key};
use crate::ledger;
use crate::memo::{Filed, Known, Memo};
use crate::output::{MANIFEST, Manifest, ManifestError, OutputError, Staging, read_manifest};
use crate::people;
use crate::privacy::{self, Withheld};
use crate::progress::Progress;
use crate::redact::{self, Redactions, Redactor};
use crate::render::{self, RenderError, Theme, ThemeError};
use crate::snapshots;

/// What to build from where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Inputs (export directories or zips).
    pub inputs: Vec<PathBuf>,
    /// Output directory (`build` only).
    pub out: PathBuf,
    /// Build what can be read and list what could not, instead of failing.
    pub keep_going: bool,
    /// Skip format detection.
    pub format: Option<Format>,
    /// The last published build's `manifest.json`, when it is not the one in `out`.
    pub previous_manifest: Option<PathBuf>,
    /// Publish even if URLs of the previous build would be gone.
    pub allow_removals: bool,
    /// How phases are shown while they run.
    pub progress: Progress,
    /// Build even if nothing changed since the last build, and reuse nothing of it.
    pub force: bool,
    /// Whether the process ends with the build.
    pub lifetime: Lifetime,
}

/// Whether the process goes on after a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// It ends: the archive's memory is left for the system to take back whole. Freeing a
    /// million messages piece by piece took a quarter of a CPU-second, beside the commit.
    Exits,
    /// It goes on (`serve` rebuilds): everything is freed.
    Stays,
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Nothing to read.
    #[error("no inputs: give INPUT paths or set `inputs` in scrollback.toml")]
    NoInputs,
    /// Inputs had problems and `--keep-going` was not given.
    #[error("{}", input_summary(.0))]
    Input(Vec<IngestError>),
    /// The theme could not be loaded.
    #[error(transparent)]
    Theme(#[from] ThemeError),
    /// A page failed to render.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The site could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The search index could not be written.
    #[error("{path}: writing the search index{space}")]
    Index {
        /// The index directory.
        path: String,
        /// What the disk holding it has left, when that is next to nothing.
        space: String,
        /// What failed.
        #[source]
        source: IndexError,
    },
    /// The static search files could not be written.
    #[error("writing the static search files")]
    Export(#[from] index::export::ExportError),
    /// The previous manifest named with `--previous-manifest` could not be read.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// URLs the previous build published would be gone.
    #[error("{}", removed_summary(.0))]
    Removed(Vec<String>),
}

fn removed_summary(urls: &[String]) -> String {
    let mut text = format!(
        "{} URL{} of the previous build would be gone; nothing was written (--allow-removals publishes anyway):",
        urls.len(),
        if urls.len() == 1 { "" } else { "s" }
    );
    for url in urls.iter().take(50) {
        text.push_str("\n  ");
        text.push_str(url);
    }
    if urls.len() > 50 {
        let _ = write!(text, "\n  … and {} more", urls.len() - 50);
    }
    text
}

fn input_summary(problems: &[IngestError]) -> String {
    let mut text = format!(
        "{} problem{} in the input; nothing was written (--keep-going builds the rest):",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for problem in problems {
        text.push_str("\n  ");
        text.push_str(&problem.to_string());
    }
    text
}

/// What a build or check did.
#[derive(Debug, Default)]
pub struct Report {
    /// Input files read.
    pub files_read: usize,
    /// Channels published.
    pub channels: usize,
    /// Messages published.
    pub messages: usize,
    /// Pages written (0 for `check`).
    pub pages: usize,
    /// Files whose content is the same as in the previous build.
    pub unchanged: Option<usize>,
    /// What was taken from the previous site instead of rendered or written.
    pub reused: crate::output::Reused,
    /// How the search index was written (`None` for `check`).
    pub index_update: Option<index::update::Outcome>,
    /// Redirect pages written for renamed channels.
    pub redirects: usize,
    /// URLs of the previous build dropped under `--allow-removals`.
    pub removed: Vec<String>,
    /// Bytes of the static search files (`search/`, as the export wrote them) and of the
    /// index beside the site.
    pub index_bytes: (u64, u64),
    /// Nothing changed since the last build, so nothing was written.
    pub up_to_date: bool,
    /// Incidents found or declared.
    pub incidents: usize,
    /// Messages whose text detection did not read again: the previous build had read them
    /// ([`incidents::readings`]).
    pub remembered: usize,
    /// Messages redaction did not look at again: the previous build had found nothing in them.
    pub known_clean: usize,
    /// Day files parsed, and those not parsed again because the previous build's records of
    /// them were found ([`ingest::days`]).
    pub days: (usize, usize),
    /// Channels kept out, and why.
    pub withheld: Withheld,
    /// What was redacted, per rule and where.
    pub redactions: Redactions,
    /// Problems skipped under `--keep-going` (or found by `check`).
    pub problems: Vec<String>,
    /// Notes that lost nothing.
    pub warnings: Vec<String>,
    /// Time per phase.
    pub phases: Vec<(&'static str, Duration)>,
}

/// One build of one site.
pub struct Site<'a> {
    config: &'a Config,
    options: BuildOptions,
    report: Report,
}

impl<'a> Site<'a> {
    /// Prepares a build; nothing is read yet.
    pub fn new(config: &'a Config, options: BuildOptions) -> Self {
        Site { config, options, report: Report::default() }
    }

    /// Reads, checks and normalises every input without writing anything.
    pub fn check(mut self) -> Result<Report, BuildError> {
        let mut ingested = self.ingest(Days::default())?;
        self.report.problems = ingested.problems.drain(..).map(|p| p.to_string()).collect();
        self.normalize(&mut ingested, None);
        Ok(self.report)
    }

    /// Builds the site into `options.out`, replacing the previous one only on success.
    pub fn build(mut self) -> Result<Report, BuildError> {
        if self.options.inputs.is_empty() {
            return Err(BuildError::NoInputs);
        }
        // Held to the end: no other build writes the site meanwhile.
        let claim = crate::output::claim(&self.options.out)?;
        self.report.warnings.extend(claim.recovered().iter().cloned());
        // Read while the inputs are fingerprinted: an append needs it first thing.
        let previous_days = self.previous_days();
        let fingerprint = self.timed("fingerprint", Site::fingerprint);
        let (fingerprint, hashes) = fingerprint.unzip();
        if let Some(fingerprint) = &fingerprint
            && !self.options.force
        {
            let index = crate::output::sidecar_path(&self.options.out);
            match cache::up_to_date(&self.options.out, &index, fingerprint) {
                Ok(true) => {
                    self.report.up_to_date = true;
                    return Ok(self.report);
                }
                Ok(false) => {}
                Err(warning) => self.report.warnings.push(warning),
            }
        }
        let earlier = Earlier::read(&self.options);
        let mut staging = Staging::begin_claimed(claim)?;
        staging.set_fingerprint(fingerprint);
        let index_dir = staging.sidecar()?;
        let days = self.days(previous_days, &index_dir, hashes.unwrap_or_default());
        let mut ingested = self.ingest(days)?;
        if !ingested.problems.is_empty() {
            if !self.options.keep_going {
                return Err(BuildError::Input(std::mem::take(&mut ingested.problems)));
            }
            self.report.problems = ingested.problems.drain(..).map(|p| p.to_string()).collect();
        }
        let mut earlier = earlier.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        let clean = std::mem::replace(&mut earlier.clean, Ok(None)).unwrap_or_else(|warning| {
            self.report.warnings.push(warning);
            None
        });
        let normalized = self.normalize(&mut ingested, clean.as_ref());
        drop(clean);
        self.render(ingested, (staging, index_dir), earlier, normalized)?;
        Ok(self.report)
    }

    /// What this build is made from; `None` (a full build, recorded as nothing) if an input
    /// cannot be read, which ingest will then report properly.
    fn fingerprint(&mut self) -> Option<(String, cache::FileHashes)> {
        let previous = self.options.previous_manifest.as_ref().and_then(|p| fs_err::read(p).ok());
        let settings = format!(
            "{:?}\0{:?}\0{}\0{:?}",
            self.config,
            self.options.format,
            self.options.keep_going,
            previous.map(|m| blake3::hash(&m))
        );
        let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
        let out = absolute(&self.options.out);
        let skip = [
            crate::output::sidecar_path(&out),
            crate::output::lock_path(&out),
            crate::output::journal::marker_path(&out),
            out,
        ];
        let inputs: Vec<PathBuf> = self.options.inputs.iter().map(absolute).collect();
        cache::fingerprint(&inputs, &settings, self.config.theme.as_deref(), &skip).ok()
    }

    fn timed<T>(&mut self, phase: &'static str, f: impl FnOnce(&mut Self) -> T) -> T {
        let (value, elapsed) = crate::progress::timed(self.options.progress, phase, || f(self));
        self.report.phases.push((phase, elapsed));
        value
    }

    /// What the previous build parsed of each day file (`Err` is a warning), read on a thread
    /// of its own; none under `--force`.
    fn previous_days(&self) -> std::thread::JoinHandle<Result<Option<Memo>, String>> {
        let path = crate::output::sidecar_path(&self.options.out).join(ingest::days::FILE);
        let force = self.options.force;
        std::thread::spawn(move || if force { Ok(None) } else { Memo::load(&path) })
    }

    /// The day records of the previous build as `previous` reads them, to be found by the
    /// fingerprint's `hashes`, and this build's going into the sidecar `index_dir`.
    fn days(
        &mut self,
        previous: std::thread::JoinHandle<Result<Option<Memo>, String>>,
        index_dir: &std::path::Path,
        hashes: cache::FileHashes,
    ) -> Days {
        let previous = previous.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        let previous = previous.unwrap_or_else(|warning| {
            self.report.warnings.push(warning);
            None
        });
        Days::new(previous, &index_dir.join(ingest::days::FILE), hashes)
    }

    fn ingest(&mut self, days: Days) -> Result<Ingested, BuildError> {
        if self.options.inputs.is_empty() {
            return Err(BuildError::NoInputs);
        }
        let options =
            ingest::Options { format: self.options.format, irc_timezone: self.config.irc_time_zone() };
        let ingested =
            self.timed("ingest", |site| ingest::ingest_remembering(&site.options.inputs, &options, days));
        self.report.files_read = ingested.files_read;
        self.report.days = (ingested.days.parsed, ingested.days.found);
        self.report.warnings.extend(ingested.warnings.iter().cloned());
        Ok(ingested)
    }

    /// Filters, unifies and redacts the archive; returns what redaction found clean, for the
    /// next build (redaction skips what the `clean` records of the previous one name), and
    /// each message's digest as it is published.
    fn normalize(&mut self, ingested: &mut Ingested, clean: Option<&Memo>) -> Normalized {
        let settings = format!("{:?}", self.config.redaction);
        let known = Known::new("clean", &[settings.as_bytes()], clean);
        let normalized = self.timed("normalize", |site| {
            std::thread::scope(|scope| {
                // The rules are compiled beside the steps before redaction, which take one core.
                let config = site.config;
                let compiling = scope.spawn(move || Redactor::new(&config.redaction));
                site.select_and_unify(&mut ingested.archive);
                let compiled = compiling.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                let redactor = compiled.expect("validated with the config");
                let redacted = redact::redact_archive(&mut ingested.archive, &redactor, &known);
                site.report.redactions = redacted.redactions;
                site.report.known_clean = redacted.known_clean;
                ingested.archive.share_names();
                Normalized { clean: redacted.clean, contents: redacted.contents }
            })
        });
        for name in &self.report.withheld.unmatched_names {
            self.report.warnings.push(format!("publish: no channel named {name:?} in the inputs"));
        }
        self.report.channels = ingested.archive.channels.len();
        self.report.messages = ingested.archive.message_count();
        normalized
    }

    /// Keeps only the channels to publish, unifies people (and pseudonymises them if asked),
    /// and places snapshots on their messages: what comes before redaction.
    fn select_and_unify(&mut self, archive: &mut crate::model::Archive) {
        self.report.withheld = privacy::select_channels(archive, &self.config.publish);
        let unified = people::unify(archive, &self.config.people);
        self.report.warnings.extend(unified.warnings);
        let publish = &self.config.publish;
        if publish.pseudonymize {
            if publish.pseudonym_key.is_none() {
                self.report.warnings.push(
                    "publish: pseudonymize without pseudonym_key: anyone with the user list can tell who is who"
                        .to_owned(),
                );
            }
            let key = publish.pseudonym_key.as_deref().unwrap_or_default();
            people::pseudonyms::apply(archive, &unified.persons, key);
        }
        let placed = snapshots::attach(archive, &self.report.withheld.hidden_ids);
        self.report.warnings.extend(placed);
    }

    fn render(
        &mut self,
        ingested: Ingested,
        (mut staging, index_dir): (Staging, PathBuf),
        earlier: Earlier,
        Normalized { clean, contents }: Normalized,
    ) -> Result<(), BuildError> {
        let theme = Theme::load(self.config.theme.as_deref())?;
        let previous = earlier.ledger.unwrap_or_else(|warning| {
            self.report.warnings.push(warning);
            None
        });
        match earlier.files {
            Ok(Some(previous)) => staging.reuse_from(previous),
            Ok(None) => {}
            Err(warning) => self.report.warnings.push(warning),
        }
        let tz = self.config.time_zone();
        let archive = &ingested.archive;
        let layout =
            Layout::new(archive, &self.report.withheld.hidden_ids, &tz, self.config.day_page_messages);
        let assets = render::write_assets(&theme, &staging)?;
        let readings = earlier.readings.unwrap_or_else(|warning| {
            self.report.warnings.push(warning);
            None
        });
        let detected = self.timed("incidents", |site| {
            incidents::detect(archive, &layout, &site.config.incidents, &tz, (&contents, readings.as_ref()))
        });
        drop(readings);
        let Detected { incidents, digests, readings, remembered } = detected;
        // Which incident each message is shown in, for the search documents and the badges.
        let places = incidents::by_position(archive, &incidents);
        self.report.incidents = incidents.len();
        self.report.remembered = remembered;
        // Written on a thread of its own while the pages are made: it only has to be there
        // before the site is committed.
        let filing = {
            let memos = [(incidents::readings::FILE, readings), (redact::CLEAN, clean)];
            let memos: Vec<_> =
                memos.into_iter().filter_map(|(name, filed)| Some((index_dir.join(name), filed?))).collect();
            std::thread::spawn(move || memos.iter().try_for_each(|(path, filed)| filed.write(path)))
        };
        write_redaction_report(&self.report.redactions, &layout, &tz, &index_dir)?;
        // The incident index with its month pages, and the incident ledger, are written
        // beside the documents: before the search index and the other pages take their
        // memory.
        let (docs, (index_pages, retired)) = self.timed("documents", |site| {
            let (docs, incident_files) = rayon::join(
                || index::documents::collect(archive, &layout, (&incidents, &places, digests), &tz),
                || {
                    let config = site.config;
                    let pages = render::render_incident_index(
                        archive, &layout, &incidents, config, &theme, &assets, &staging,
                    )?;
                    let ledger = ledger::compile(
                        archive,
                        &layout,
                        &incidents,
                        &config.display_timezone,
                        previous.as_ref(),
                    );
                    ledger::publish(&ledger, &staging)?;
                    Ok::<_, BuildError>((pages, ledger.retired))
                },
            );
            incident_files.map(|incident_index| (docs, incident_index))
        })?;
        // The previous ledger has given its ids to the new one.
        drop(previous);
        // The search index takes one core (tantivy, one writer in time order) while the pages
        // render on the others: neither reads what the other writes.
        let (config, progress) = (self.config, self.options.progress);
        let previous_search = self.previous_search();
        let (mut search_phases, mut page_phases) = (Phases::new(progress), Phases::new(progress));
        let manifest = earlier.manifest.as_deref();
        let (search, pages) = std::thread::scope(|scope| {
            let search = std::thread::Builder::new()
                .name("search".into())
                .spawn_scoped(scope, || {
                    let dirs = (previous_search, index_dir.as_path());
                    let search = index_and_export(&docs, &layout, config, dirs, &staging, &mut search_phases);
                    // The search files are mostly done before the pages: the manifest is
                    // read meanwhile.
                    (search, manifest.map(read_manifest))
                })
                .expect("the search thread starts");
            let pages = render_pages(
                archive,
                &layout,
                (&incidents, &places, &contents),
                config,
                (&theme, &assets),
                &staging,
                &mut page_phases,
            );
            let (search, manifest) = search.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (search.map(|search| (search, manifest)), pages)
        });
        let (((outcome, export, warning), manifest), (stats, media_warnings)) = (search?, pages?);
        self.report.index_update = Some(outcome);
        self.report.warnings.extend(warning);
        self.report.phases.extend(search_phases.times);
        self.report.phases.extend(page_phases.times);
        self.report.warnings.extend(media_warnings);
        let redirects = ledger::write_redirects(&retired, &mut staging)?;
        self.report.pages = stats.pages + index_pages + redirects;
        self.keep_urls(&layout, manifest, &mut staging)?;
        self.report.reused = staging.reused();
        let changed = self.report.reused.changed;
        if changed > 0 {
            self.report.warnings.push(format!(
                "{changed} file{} of the previous site changed after it was built; written again",
                if changed == 1 { "" } else { "s" }
            ));
        }
        // The archive is not needed to publish: its memory goes before the files record is made.
        drop(docs);
        drop(layout);
        filing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)).map_err(OutputError::from)?;
        // The archive's memory is given back on a thread of its own while the site is
        // committed, unless the process ends anyway.
        let freeing = match self.options.lifetime {
            Lifetime::Exits => {
                std::mem::forget((ingested, incidents));
                None
            }
            Lifetime::Stays => Some(std::thread::spawn(move || drop((ingested, incidents)))),
        };
        self.timed("write", |_| staging.commit())?;
        if let Some(freeing) = freeing {
            freeing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        let index = dir_bytes(&crate::output::sidecar_path(&self.options.out));
        self.report.index_bytes = (export.bytes as u64, index);
        Ok(())
    }

    /// Records the channels' slugs, redirects renamed channels, and refuses to drop a URL the
    /// previous build published unless `--allow-removals`.
    fn keep_urls(
        &mut self,
        layout: &Layout,
        previous: Option<Result<Manifest, ManifestError>>,
        staging: &mut Staging,
    ) -> Result<(), BuildError> {
        let slugs: BTreeMap<String, String> =
            layout.channels.iter().map(|c| (channel_key(c.channel), c.slug.clone())).collect();
        staging.set_channels(slugs.clone());
        let Some(previous) = self.previous_manifest(previous)? else { return Ok(()) };
        let kept = continuity::keep_urls(&previous, &slugs, staging)?;
        self.report.redirects = kept.redirects;
        self.report.pages += kept.redirects;
        self.report.unchanged = Some(kept.unchanged);
        if !kept.removed.is_empty() && !self.options.allow_removals {
            return Err(BuildError::Removed(kept.removed));
        }
        self.report.removed = kept.removed;
        Ok(())
    }

    /// `--previous-manifest` (an error if unreadable), else the manifest of the site being
    /// replaced (a warning if unreadable: it is only a guard), as [`Earlier`] read them.
    fn previous_manifest(
        &mut self,
        read: Option<Result<Manifest, ManifestError>>,
    ) -> Result<Option<Manifest>, BuildError> {
        match read {
            None => Ok(None),
            Some(Ok(manifest)) => Ok(Some(manifest)),
            Some(Err(e)) if self.options.previous_manifest.is_some() => Err(e.into()),
            Some(Err(e)) => {
                self.report.warnings.push(format!("{e}; removed URLs are not checked"));
                Ok(None)
            }
        }
    }

    /// The previous build's index and search manifest, unless `--force`.
    fn previous_search(&self) -> PreviousSearch {
        let out = &self.options.out;
        if self.options.force {
            return PreviousSearch { index: None, manifest: None };
        }
        let manifest =
            fs_err::read(out.join("search/manifest.json")).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let index = Some(crate::output::sidecar_path(out)).filter(|p| p.is_dir());
        PreviousSearch { index, manifest }
    }
}

/// What normalising leaves besides the archive.
struct Normalized {
    /// The messages redaction found nothing in, for the next build.
    clean: Option<Filed>,
    /// Each message's [`crate::model::Message::digest`], per channel and message.
    contents: Vec<Vec<[u8; 16]>>,
}

/// What the site being replaced lends this build. It does not depend on the inputs, so it
/// is read on a thread of its own while they are.
struct Earlier {
    /// The record of its files, to keep those that are still what the new site has (`Err`
    /// is a warning); none under `--force`.
    files: Result<Option<cache::Previous>, String>,
    /// Its incident ledger, whose ids must keep resolving (`Err` is a warning).
    ledger: Result<Option<ledger::Published>, String>,
    /// `--previous-manifest`, else its manifest, if there is one: read once the pages are
    /// done, so that its URLs are not held through the build.
    manifest: Option<PathBuf>,
    /// What its build read of each message (`Err` is a warning); none under `--force`.
    readings: Result<Option<Memo>, String>,
    /// The messages its build's redaction found nothing in (`Err` is a warning); none under
    /// `--force`.
    clean: Result<Option<Memo>, String>,
}

impl Earlier {
    fn read(options: &BuildOptions) -> std::thread::JoinHandle<Earlier> {
        let (out, force, named) = (options.out.clone(), options.force, options.previous_manifest.clone());
        std::thread::Builder::new()
            .name("earlier".into())
            .spawn(move || {
                let files = if force {
                    Ok(None)
                } else {
                    cache::Previous::load(&out, &crate::output::sidecar_path(&out))
                };
                let ledger = if out.join(ledger::PATH).is_file() {
                    ledger::read_published(&out)
                        .map(Some)
                        .map_err(|e| format!("{e}; ids of the previous site's incidents are not kept"))
                } else {
                    Ok(None)
                };
                let manifest = named.or_else(|| Some(out.join(MANIFEST)).filter(|p| p.is_file()));
                let memo = |name: &str| {
                    if force { Ok(None) } else { Memo::load(&crate::output::sidecar_path(&out).join(name)) }
                };
                let (readings, clean) = (memo(incidents::readings::FILE), memo(redact::CLEAN));
                Earlier { files, ledger, manifest, readings, clean }
            })
            .expect("the thread reading the previous site starts")
    }
}

/// What the previous build lends the search index and its export.
struct PreviousSearch {
    /// Its index directory.
    index: Option<PathBuf>,
    /// Its search manifest, to link the record files that did not change (each is checked
    /// against the record of the previous build's files before it is linked).
    manifest: Option<index::export::Manifest>,
}

/// Phases run on one thread, shown and timed.
struct Phases {
    progress: Progress,
    times: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn new(progress: Progress) -> Phases {
        Phases { progress, times: Vec::new() }
    }

    fn run<T>(&mut self, phase: &'static str, f: impl FnOnce() -> T) -> T {
        let (value, elapsed) = crate::progress::timed(self.progress, phase, f);
        self.times.push((phase, elapsed));
        value
    }
}

/// Writes the search index beside the site (from the previous one where it can, see
/// [`index::update`]) and exports it into `search/`.
fn index_and_export(
    docs: &index::documents::Documents,
    layout: &Layout,
    config: &Config,
    (previous, index_dir): (PreviousSearch, &std::path::Path),
    staging: &Staging,
    phases: &mut Phases,
) -> Result<(index::update::Outcome, index::export::ExportStats, Option<String>), BuildError> {
    let (outcome, warning) = phases.run("index", || {
        let meta = IndexMeta {
            format: index::FORMAT,
            timezone: config.display_timezone.clone(),
            base_url: config.base_url.clone(),
            docs: docs.len() as u64,
        };
        index::update::write(docs, index_dir, &meta, previous.index.as_deref())
            .map_err(index_error(index_dir))
    })?;
    let channels: Vec<String> = layout.channels.iter().map(|c| c.slug.clone()).collect();
    let export = phases.run("export", || {
        let index = index::SearchIndex::open(index_dir)?;
        // Only an index appended to was written by the same binary and settings: nothing of
        // the previous export is kept otherwise.
        let previous = match outcome {
            index::update::Outcome::Appended { kept, .. } => {
                previous.manifest.map(|manifest| index::export::Previous { manifest, unchanged: kept })
            }
            index::update::Outcome::Fresh => None,
        };
        let layout = (channels.as_slice(), config.search.segments.as_slice());
        index::export::write(&index, docs, layout, staging, previous.as_ref())
    })?;
    Ok((outcome, export, warning))
}

/// A failure to write the index in `dir`, naming it. tantivy's writer threads lose the I/O
/// error that stopped them ("An index writer was killed"), so a full disk is told from the
/// disk itself.
fn index_error(dir: &std::path::Path) -> impl Fn(IndexError) -> BuildError + '_ {
    move |source| BuildError::Index { path: dir.display().to_string(), space: space_left(dir), source }
}

/// `"; no space left on device (N KB free)"` when the file system holding `path` is full
/// (under a megabyte left), else nothing.
fn space_left(path: &std::path::Path) -> String {
    #[cfg(unix)]
    if let Ok(stat) = rustix::fs::statvfs(path) {
        let free = stat.f_bavail.saturating_mul(stat.f_frsize);
        if free < 1 << 20 {
            return format!("; no space left on device ({} KB free)", free / 1024);
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    String::new()
}

/// Publishes the shared files and snapshots, then renders every page.
fn render_pages(
    archive: &crate::model::Archive,
    layout: &Layout,
    incidents: render::Found<'_>,
    config: &Config,
    (theme, assets): (&Theme, &render::Assets),
    staging: &Staging,
    phases: &mut Phases,
) -> Result<(render::RenderStats, Vec<String>), BuildError> {
    let (media, warnings) = phases.run("media", || snapshots::publish(archive, staging))?;
    let stats = phases.run("render", || {
        render::render_site(archive, layout, incidents, &media, config, theme, assets, staging)
    })?;
    Ok((stats, warnings))
}

/// Total size of the files under `dir`.
fn dir_bytes(dir: &std::path::Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

/// Where the redaction report goes: beside the site, never in it.
pub fn redaction_report_path(out: &std::path::Path) -> PathBuf {
    crate::output::sidecar_path(out).join(REDACTION_REPORT)
}

const REDACTION_REPORT: &str = "redactions.json";

/// Writes what was redacted where (rule, channel, permalink, count), never the values, into
/// the sidecar directory that is swapped in with the site.
fn write_redaction_report(
    redactions: &Redactions,
    layout: &Layout,
    tz: &jiff::tz::TimeZone,
    dir: &std::path::Path,
) -> Result<(), BuildError> {
    let hits: Vec<serde_json::Value> = redactions
        .hits
        .iter()
        .map(|hit| {
            let channel = hit.channel.and_then(|i| layout.channels.get(i));
            // The message's permalink; the channel's page for its topic; nothing for names.
            let url = channel.map(|c| match hit.message.as_deref().and_then(|id| c.by_id.get(id)) {
                Some(message) => c.permalink(message, tz),
                None => crate::layout::channel_path(&c.slug),
            });
            serde_json::json!({
                "rule": hit.rule,
                "channel": channel.map(|c| c.channel.name.as_str()),
                "url": url,
                "count": hit.count,
            })
        })
        .collect();
    let report = serde_json::json!({
        "format": 1,
        "total": redactions.counts.values().sum::<usize>(),
        "rules": redactions.counts,
        "hits": hits,
    });
    let mut text = serde_json::to_string_pretty(&report).expect("JSON values serialize");
    text.push('\n');
    fs_err::write(dir.join(REDACTION_REPORT), text).map_err(OutputError::from)?;
    Ok(())
}
