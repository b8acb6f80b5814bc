//! `Site`: the pipeline. [`Site::build`] is one line per phase (begin, ingest, normalise,
//! lay out, analyse, index and render, keep URLs, publish), each a method from the previous
//! phase's value to the next, timed and shown. Every input is parsed and validated before
//! anything is written (zola's load-then-build order), so bad input never costs the previous
//! site. Concurrency lives in `site::threads`: the previous build is read beside the inputs, and
//! the search index is written beside the pages.

mod previous;
mod report;
mod threads;

use std::path::PathBuf;
use std::time::Duration;

use crate::cache;
use crate::config::Config;
use crate::continuity;
use crate::incidents::{self, Detected};
use crate::index::{self, DocSource, IndexError, IndexMeta};
use crate::ingest::days::Days;
use crate::ingest::{self, Format, Ingested};
use crate::layout::{Layout, channel_key};
use crate::ledger;
use crate::markup::PlainDigest;
use crate::model::{Archive, Incident};
use crate::output::{Manifest, ManifestError, OutputError, Staging, read_manifest};
use crate::people;
use crate::privacy;
use crate::progress::Progress;
use crate::redact::{self, Redactor};
use crate::render::{self, Theme};
use crate::snapshots;
use crate::store::{self, Filed, Known, Records};
use previous::{Previous, Read};
pub use report::{BuildError, Published, Report, Reused};
use threads::{Pending, beside};

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
    /// It ends: the archive's memory is left for the system to take back whole, instead of
    /// freed piece by piece beside the commit.
    Exits,
    /// It goes on (`serve` rebuilds): everything is freed.
    Stays,
}

/// One build of one site.
pub struct Site<'a> {
    config: &'a Config,
    options: BuildOptions,
    report: Report,
}

/// Where a build writes, and what it has from the previous one.
struct Build {
    staging: Staging,
    /// The sidecar directory being staged (`<out>.index/`).
    index_dir: PathBuf,
    previous: Previous,
    /// The input files' hashes, as the fingerprint took them.
    hashes: cache::FileHashes,
    theme: Theme,
    /// The theme's assets as written into the site (`None` until [`Site::reuse`]).
    assets: Option<render::Assets>,
    /// The records for the next build, being written.
    filing: Option<Pending<std::io::Result<()>>>,
}

impl Build {
    fn assets(&self) -> &render::Assets {
        self.assets.as_ref().expect("the assets are written before the pages")
    }
}

/// What normalising leaves besides the archive.
struct Normalized {
    /// The messages redaction found nothing in, for the next build.
    clean: Option<Filed>,
    /// Each message's [`crate::model::Message::digest`], per channel and message.
    contents: Vec<Vec<[u8; 16]>>,
}

/// What incident detection found, with what the pages show of each message.
struct Found {
    incidents: Vec<Incident>,
    /// Which incident each message is shown in (see [`incidents::by_position`]).
    places: incidents::Places,
    /// Each message's digest as it is published.
    contents: Vec<Vec<[u8; 16]>>,
}

/// The search documents, and what was written beside them.
struct Documented<'l> {
    docs: index::documents::Documents<'l>,
    /// Pages of the incident index, written with the ledger.
    index_pages: usize,
    /// Incident ids earlier builds published that no longer name one.
    retired: Vec<ledger::Retired>,
}

/// What the search index and the pages left to publish.
struct Written {
    /// The manifest of the site being replaced, read while the pages were made.
    manifest: Option<Result<Manifest, ManifestError>>,
    pages: usize,
}

impl<'a> Site<'a> {
    /// Prepares a build; nothing is read yet.
    pub fn new(config: &'a Config, options: BuildOptions) -> Self {
        Site { config, options, report: Report::default() }
    }

    /// Reads, checks and normalises every input without writing anything.
    pub fn check(mut self) -> Result<Report, BuildError> {
        let mut ingested = self.ingest(Days::default(), false)?;
        self.normalize(&mut ingested, Ok(None));
        Ok(self.report)
    }

    /// Builds the site into `options.out`, replacing the previous one only on success.
    pub fn build(mut self) -> Result<Report, BuildError> {
        let Some(mut build) = self.begin()? else { return Ok(self.report) };
        let days = self.days(&mut build);
        let mut ingested = self.ingest(days, !self.options.keep_going)?;
        let normalized = self.normalize(&mut ingested, build.previous.clean());
        self.reuse(&mut build)?;
        let incidents = {
            let archive = &ingested.archive;
            let layout = self.lay_out(archive);
            let (found, digests) = self.detect(archive, &layout, normalized, &mut build);
            let documented = self.document(archive, &layout, &found, digests, &mut build)?;
            let written = self.index_and_render(archive, &layout, &found, &documented, &mut build)?;
            self.keep_urls(&layout, &documented, written, &mut build)?;
            found.incidents
        };
        self.publish(build, (ingested, incidents))?;
        Ok(self.report)
    }

    fn timed<T>(&mut self, phase: &'static str, f: impl FnOnce(&mut Self) -> T) -> T {
        let (value, elapsed) = crate::progress::timed(self.options.progress, phase, || f(self));
        self.report.phases.push((phase, elapsed));
        value
    }

    /// A part of the previous build, or nothing with a warning if it could not be read.
    fn or_warn<T>(&mut self, read: Read<T>) -> Option<T> {
        read.unwrap_or_else(|warning| {
            self.report.warnings.push(warning);
            None
        })
    }

    /// Claims the output, starts reading the previous build, and fingerprints the inputs:
    /// `None` if nothing changed since the previous build (then nothing is written).
    fn begin(&mut self) -> Result<Option<Build>, BuildError> {
        if self.options.inputs.is_empty() {
            return Err(BuildError::NoInputs);
        }
        // Held to the end: no other build writes the site meanwhile.
        let claim = crate::output::claim(&self.options.out)?;
        self.report.warnings.extend(claim.recovered().iter().cloned());
        let mut previous = Previous::read(&self.options.out, self.options.force);
        let (fingerprint, hashes) = self.timed("fingerprint", Site::fingerprint).unzip();
        if let Some(fingerprint) = &fingerprint
            && self.up_to_date(fingerprint)
        {
            return Ok(None);
        }
        previous.read_rest(self.options.previous_manifest.clone());
        let theme = Theme::load(self.config.theme.as_deref())?;
        let mut staging = Staging::begin_claimed(claim)?;
        staging.set_fingerprint(fingerprint);
        let index_dir = staging.sidecar()?;
        let hashes = hashes.unwrap_or_default();
        Ok(Some(Build { staging, index_dir, previous, hashes, theme, assets: None, filing: None }))
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

    /// Whether the site is what the previous build of the same `fingerprint` left.
    fn up_to_date(&mut self, fingerprint: &str) -> bool {
        if self.options.force {
            return false;
        }
        let index = crate::output::sidecar_path(&self.options.out);
        match cache::up_to_date(&self.options.out, &index, fingerprint) {
            Ok(up_to_date) => self.report.up_to_date = up_to_date,
            Err(warning) => self.report.warnings.push(warning),
        }
        self.report.up_to_date
    }

    /// The previous build's day records, to be found by the fingerprint's hashes, and this
    /// build's going into the sidecar.
    fn days(&mut self, build: &mut Build) -> Days {
        let previous = build.previous.days();
        let previous = self.or_warn(previous);
        let hashes = std::mem::take(&mut build.hashes);
        Days::new(previous, &build.index_dir.join(store::names::DAYS), hashes)
    }

    /// Reads every input; `strict`: a problem fails the build (else it is reported).
    fn ingest(&mut self, days: Days, strict: bool) -> Result<Ingested, BuildError> {
        if self.options.inputs.is_empty() {
            return Err(BuildError::NoInputs);
        }
        let options = ingest::Options {
            format: self.options.format,
            irc_timezone: self.config.irc_time_zone(),
            irc_channels: self.config.irc_channels(),
            max_dropped: self.config.max_dropped,
        };
        let mut ingested =
            self.timed("ingest", |site| ingest::ingest_remembering(&site.options.inputs, &options, days));
        self.report.published.files_read = ingested.files_read;
        self.report.reused.days = (ingested.days.parsed, ingested.days.found);
        self.report.warnings.extend(ingested.warnings.iter().cloned());
        self.report.ledger = std::mem::take(&mut ingested.ledger);
        if strict && !ingested.problems.is_empty() {
            return Err(BuildError::Input(std::mem::take(&mut ingested.problems)));
        }
        self.report.problems = ingested.problems.drain(..).map(|p| p.to_string()).collect();
        Ok(ingested)
    }

    /// Filters, unifies and redacts the archive; returns what redaction found clean, for the
    /// next build (redaction skips what the `clean` records of the previous one name), and
    /// each message's digest as it is published.
    fn normalize(&mut self, ingested: &mut Ingested, clean: Read<Records>) -> Normalized {
        let clean = self.or_warn(clean);
        let settings = format!("{:?}", self.config.redaction);
        let known = Known::new("clean", &[settings.as_bytes()], clean.as_ref());
        let normalized = self.timed("normalize", |site| {
            // The rules are compiled beside the steps before redaction, which take one core.
            let config = site.config;
            let (compiled, ()) = beside(
                "redaction rules",
                move || Redactor::new(&config.redaction),
                || site.select_and_unify(&mut ingested.archive),
            );
            let redactor = compiled.expect("validated with the config");
            let redacted = redact::redact_archive(&mut ingested.archive, &redactor, &known);
            site.report.redactions = redacted.redactions;
            site.report.reused.clean = redacted.known_clean;
            ingested.archive.share_names();
            Normalized { clean: redacted.clean, contents: redacted.contents }
        });
        for name in &self.report.withheld.unmatched_names {
            self.report.warnings.push(format!("publish: no channel named {name:?} in the inputs"));
        }
        self.report.published.channels = ingested.archive.channels.len();
        self.report.published.messages = ingested.archive.message_count();
        normalized
    }

    /// Keeps only the channels to publish, unifies people (and pseudonymises them if asked),
    /// and places snapshots on their messages: what comes before redaction.
    fn select_and_unify(&mut self, archive: &mut Archive) {
        let before = ingest::ledger::census(archive);
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
        let placed = snapshots::attach(archive, &self.report.withheld.hidden_ids());
        self.report.warnings.extend(placed);
        self.settle_ledger(before, archive);
    }

    /// Says in the ledger which channels of `before` (the archive as read) were published,
    /// as `archive` now holds them, and why the others were not.
    fn settle_ledger(&mut self, before: ingest::ledger::Census, archive: &Archive) {
        let published = ingest::ledger::census(archive);
        let kinds = &self.report.withheld.hidden;
        let withheld = before
            .into_iter()
            .filter(|(key, _)| !published.contains_key(key))
            .map(|(key, (_, n))| {
                let kind = kinds.get(&key).copied().unwrap_or("not published").to_owned();
                (key, (n, kind))
            })
            .collect();
        self.report.ledger.settle(&published, &withheld);
    }

    /// Keeps every file of the previous site that the new one will have unchanged, then
    /// writes the theme's assets.
    fn reuse(&mut self, build: &mut Build) -> Result<(), BuildError> {
        let files = build.previous.files();
        if let Some(files) = self.or_warn(files) {
            build.staging.reuse_from(files);
        }
        build.assets = Some(render::write_assets(&build.theme, &build.staging)?);
        Ok(())
    }

    /// Every page's URL and every message's permalink.
    fn lay_out<'x>(&self, archive: &'x Archive) -> Layout<'x> {
        let tz = self.config.time_zone();
        Layout::new(archive, &self.report.withheld.hidden_ids(), &tz, self.config.day_page_messages)
    }

    /// Detects incidents, and files what was read of each message for the next build; the
    /// plain text's digests go on to the search documents.
    fn detect(
        &mut self,
        archive: &Archive,
        layout: &Layout,
        Normalized { clean, contents }: Normalized,
        build: &mut Build,
    ) -> (Found, Vec<Vec<PlainDigest>>) {
        let readings = build.previous.readings();
        let readings = self.or_warn(readings);
        let tz = self.config.time_zone();
        let detected = self.timed("incidents", |site| {
            incidents::detect(archive, layout, &site.config.incidents, &tz, &contents, readings.as_ref())
        });
        let Detected { incidents, digests, readings, remembered } = detected;
        let places = incidents::by_position(archive, &incidents);
        self.report.published.incidents = incidents.len();
        self.report.reused.readings = remembered;
        let records = [(store::names::READINGS, readings), (store::names::CLEAN, clean)];
        build.filing = Some(file_records(&build.index_dir, records));
        (Found { incidents, places, contents }, digests)
    }

    /// Writes the redaction report, and makes the search documents beside the incident index
    /// and the ledger (before the search index and the other pages take their memory).
    fn document<'l>(
        &mut self,
        archive: &'l Archive,
        layout: &'l Layout<'l>,
        found: &'l Found,
        digests: Vec<Vec<PlainDigest>>,
        build: &mut Build,
    ) -> Result<Documented<'l>, BuildError> {
        let tz = self.config.time_zone();
        redact::report::write(&self.report.redactions, layout, &tz, &build.index_dir)
            .map_err(OutputError::from)?;
        self.report.ledger.write(&build.index_dir).map_err(OutputError::from)?;
        let ledger = build.previous.ledger();
        let ledger = self.or_warn(ledger);
        let (config, build) = (self.config, &*build);
        let incidents = &found.incidents;
        let (docs, (index_pages, retired)) = self.timed("documents", |_| {
            let (docs, incident_files) = rayon::join(
                || index::documents::collect(archive, layout, incidents, &found.places, digests, &tz),
                || -> Result<_, BuildError> {
                    let pages = render::render_incident_index(
                        archive,
                        layout,
                        incidents,
                        config,
                        &build.theme,
                        build.assets(),
                        &build.staging,
                    )?;
                    let ledger = ledger::compile(
                        archive,
                        layout,
                        incidents,
                        &config.display_timezone,
                        ledger.as_ref(),
                    );
                    ledger::publish(&ledger, &build.staging)?;
                    Ok((pages, ledger.retired))
                },
            );
            incident_files.map(|incident_files| (docs, incident_files))
        })?;
        Ok(Documented { docs, index_pages, retired })
    }

    /// Writes the search index and its export on a thread of their own (tantivy, one writer
    /// in time order) while the files and pages are written on the others: neither reads
    /// what the other writes.
    fn index_and_render(
        &mut self,
        archive: &Archive,
        layout: &Layout,
        found: &Found,
        documented: &Documented,
        build: &mut Build,
    ) -> Result<Written, BuildError> {
        let (config, progress) = (self.config, self.options.progress);
        let (search, manifest) = (build.previous.search(), build.previous.manifest());
        let (mut search_phases, mut page_phases) = (Phases::new(progress), Phases::new(progress));
        let build = &*build;
        let (search, pages) = beside(
            "search",
            || {
                let search =
                    index_and_export(&documented.docs, layout, config, search, build, &mut search_phases);
                // The search files are mostly done before the pages: the manifest is read
                // meanwhile.
                search.map(|search| (search, manifest.as_deref().map(read_manifest)))
            },
            || {
                let shown = render::Shown {
                    incidents: &found.incidents,
                    places: &found.places,
                    contents: &found.contents,
                };
                render_pages(archive, layout, shown, config, build, &mut page_phases)
            },
        );
        let (((outcome, export, warning), manifest), (stats, media_warnings)) = (search?, pages?);
        self.report.reused.index = Some(outcome);
        self.report.warnings.extend(warning);
        self.report.phases.extend(search_phases.times);
        self.report.phases.extend(page_phases.times);
        self.report.warnings.extend(media_warnings);
        self.report.published.index_bytes.0 = export.bytes as u64;
        Ok(Written { manifest, pages: stats.pages })
    }

    /// Writes redirects for retired incident ids and renamed channels, records the channels'
    /// slugs, and refuses to drop a URL the previous build published unless
    /// `--allow-removals`.
    fn keep_urls(
        &mut self,
        layout: &Layout,
        documented: &Documented,
        Written { manifest, pages }: Written,
        build: &mut Build,
    ) -> Result<(), BuildError> {
        let staging = &mut build.staging;
        let redirects = ledger::write_redirects(&documented.retired, staging)?;
        self.report.published.pages = pages + documented.index_pages + redirects;
        let slugs: std::collections::BTreeMap<String, String> =
            layout.channels.iter().map(|c| (channel_key(c.channel), c.slug.clone())).collect();
        staging.set_channels(slugs.clone());
        if let Some(previous) = self.previous_manifest(manifest)? {
            let kept = continuity::keep_urls(&previous, &slugs, staging)?;
            self.report.published.redirects = kept.redirects;
            self.report.published.pages += kept.redirects;
            self.report.reused.unchanged = Some(kept.unchanged);
            if !kept.removed.is_empty() && !self.options.allow_removals {
                return Err(BuildError::Removed(kept.removed));
            }
            self.report.published.removed = kept.removed;
        }
        self.report.reused.files = build.staging.reused();
        let changed = self.report.reused.files.changed;
        if changed > 0 {
            self.report.warnings.push(format!(
                "{changed} file{} of the previous site changed after it was built; written again",
                if changed == 1 { "" } else { "s" }
            ));
        }
        Ok(())
    }

    /// `--previous-manifest` (an error if unreadable), else the manifest of the site being
    /// replaced (a warning if unreadable: it is only a guard).
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

    /// Waits for the records of this build, then commits the site; the archive's memory is
    /// given back meanwhile, unless the process ends anyway.
    fn publish(&mut self, build: Build, archive: (Ingested, Vec<Incident>)) -> Result<(), BuildError> {
        let Build { staging, filing, .. } = build;
        filing.map(Pending::wait).transpose().map_err(OutputError::from)?;
        let freeing = match self.options.lifetime {
            Lifetime::Exits => {
                std::mem::forget(archive);
                None
            }
            Lifetime::Stays => Some(Pending::spawn("freeing", move || drop(archive))),
        };
        self.timed("write", |_| staging.commit())?;
        if let Some(freeing) = freeing {
            freeing.wait();
        }
        self.report.published.index_bytes.1 = dir_bytes(&crate::output::sidecar_path(&self.options.out));
        Ok(())
    }
}

/// Writes each of `records` that was made into the sidecar directory `dir`, on a thread of
/// its own: it only has to be there before the site is committed.
fn file_records<const N: usize>(
    dir: &std::path::Path,
    records: [(&str, Option<Filed>); N],
) -> Pending<std::io::Result<()>> {
    let records: Vec<_> =
        records.into_iter().filter_map(|(name, filed)| Some((dir.join(name), filed?))).collect();
    Pending::spawn("records", move || records.iter().try_for_each(|(path, filed)| filed.write(path)))
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
    previous: previous::Search,
    build: &Build,
    phases: &mut Phases,
) -> Result<(index::update::Outcome, index::export::ExportStats, Option<String>), BuildError> {
    let (index_dir, staging) = (build.index_dir.as_path(), &build.staging);
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
        let layout = index::export::Cuts { channels: &channels, segments: &config.search.segments };
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
    archive: &Archive,
    layout: &Layout,
    shown: render::Shown<'_>,
    config: &Config,
    build: &Build,
    phases: &mut Phases,
) -> Result<(render::RenderStats, Vec<String>), BuildError> {
    let staging = &build.staging;
    let (media, warnings) = phases.run("media", || snapshots::publish(archive, staging))?;
    let stats = phases.run("render", || {
        render::render_site(archive, layout, shown, &media, config, &build.theme, build.assets(), staging)
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
