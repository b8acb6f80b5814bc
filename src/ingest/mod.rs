//! Ingestion: detect each INPUT's format and import it into one [`Archive`].
//!
//! Importers report problems instead of stopping at the first one, so a user sees every bad
//! file in one run (Pagefind's `fossick_many`). A problem names the file, and for JSON the
//! line, column and JSON path, plus what was expected. Whether problems fail the build is
//! the caller's decision (`--keep-going`).

pub mod days;
pub mod importer;
mod input;
pub mod ledger;

/// Declares each format's module and lists its `IMPORTER` in [`IMPORTERS`], in the order
/// given: a new format is its file and one name here.
macro_rules! importers {
    ($($format:ident),+ $(,)?) => {
        $(pub mod $format;)+

        /// Every importer, in the order detection tries them.
        pub static IMPORTERS: &[&Importer] = &[$(&$format::IMPORTER),+];
    };
}

// The most distinctive shapes first, the folder of images last.
importers!(slack, discord, mattermost, campfire, matrix, jsonl, irc, snapshots);

use std::fmt::Display;
use std::path::Path;

use serde::de::DeserializeOwned;

pub use importer::{Format, Importer};
pub use input::{Input, percent_decode};

use crate::model::Archive;

/// The largest attachment or snapshot read into the archive.
pub const MAX_MEDIA_BYTES: u64 = 64 << 20;

/// One problem with one input file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file's path inside the input, as problems show it.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("{path}:{line}:{column}: {message}")]
    Json {
        /// The file's path inside the input, as problems show it.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong and what was expected, with the JSON path when there is one.
        message: String,
    },
    /// The input or file is structurally wrong (missing file, unknown format, too large).
    #[error("{path}: {message}")]
    Invalid {
        /// The file or input.
        path: String,
        /// What was wrong and what was expected.
        message: String,
    },
}

impl IngestError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        IngestError::Io { path: path.display().to_string(), source }
    }

    pub(crate) fn invalid(path: impl Display, message: impl Into<String>) -> Self {
        IngestError::Invalid { path: path.to_string(), message: message.into() }
    }

    /// The error of one line of a JSON Lines file, parsed alone, placed on `line` of the file.
    pub(crate) fn at_line(self, line: usize) -> Self {
        match self {
            IngestError::Json { path, column, message, .. } => {
                IngestError::Json { path, line, column, message }
            }
            other => other,
        }
    }
}

/// The archive plus every problem met on the way.
#[derive(Debug, Default)]
pub struct Ingested {
    /// What could be read.
    pub archive: Archive,
    /// Files that could not be read, or parts of them; of these, only what came before the
    /// cut in a truncated file reached the archive.
    pub problems: Vec<IngestError>,
    /// Notes that do not lose data (unlisted folders, refused zip entries).
    pub warnings: Vec<String>,
    /// Files read.
    pub files_read: usize,
    /// Day files as earlier builds parsed them, and as this one did, for the next.
    pub days: days::Days,
    /// What each input gave, and what it could not.
    pub ledger: ledger::Ledger,
}

impl Ingested {
    /// Reads a whole file of `input`; a file that cannot be read is recorded as a problem.
    pub(crate) fn read(&mut self, input: &mut Input, rel: &str) -> Option<Vec<u8>> {
        input.read(rel).map_err(|e| self.problems.push(e)).ok()
    }
}

/// How inputs are read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Skip format detection.
    pub format: Option<Format>,
    /// The zone IRC logs' wall-clock times are in.
    pub irc_timezone: jiff::tz::TimeZone,
    /// IRC logs whose path (from the input the user named) matches, and the channel they log.
    pub irc_channels: Vec<(globset::GlobMatcher, String)>,
    /// The share of an input's messages and lines it may lose before that is a problem.
    pub max_dropped: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: None,
            irc_timezone: jiff::tz::TimeZone::UTC,
            irc_channels: Vec::new(),
            max_dropped: 0.01,
        }
    }
}

/// Reads every input into one archive. Problems with one input never stop the others.
pub fn ingest_all(inputs: &[impl AsRef<Path>], options: &Options) -> Ingested {
    ingest_remembering(inputs, options, days::Days::default())
}

/// [`ingest_all`], parsing only the day files `days` has no record of.
pub fn ingest_remembering(inputs: &[impl AsRef<Path>], options: &Options, days: days::Days) -> Ingested {
    let mut out = Ingested { days, ..Ingested::default() };
    for path in inputs {
        ingest_one(path.as_ref(), "", options, &mut out);
    }
    out.days.finish();
    out.warnings.extend(out.days.warning.take());
    let dropped = out.archive.finish();
    if dropped > 0 {
        out.warnings.push(format!(
            "{dropped} duplicate messages (same channel and id) were given more than once; each is kept once"
        ));
    }
    out
}

/// Reads the input at `path`, which lies at `within` in the folder the user named; one that
/// cannot be read is a problem, and an input of the ledger that gave nothing.
fn ingest_one(path: &Path, within: &str, options: &Options, out: &mut Ingested) {
    if let Err(e) = read_input(path, within, options, out) {
        out.ledger.unread(path.display().to_string(), e.to_string());
        out.problems.push(e);
    }
}

fn read_input(path: &Path, within: &str, options: &Options, out: &mut Ingested) -> Result<(), IngestError> {
    if let Some(children) = side_by_side(path)? {
        for child in children {
            let name = child.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            ingest_one(&child, &format!("{within}{name}/"), options, out);
        }
        return Ok(());
    }
    let mut input = Input::open(path, &importer::root_markers())?;
    within.clone_into(&mut input.within);
    // (A snapshot folder has no markers; its files stay at the folder's root.)
    out.warnings.extend(input.refused.drain(..).map(|r| format!("{}: {r}", path.display())));
    let format = match options.format {
        Some(f) => f,
        None => Format::detect(&mut input).ok_or_else(|| {
            IngestError::invalid(
                path.display(),
                format!("not a recognised chat export: expected {}", importer::expected()),
            )
        })?,
    };
    let (before, problems) = (ledger::census(&out.archive), out.problems.len());
    format.import(&mut input, options, out);
    // A file that could not be read (or only in part) is a drop of that input.
    for problem in &out.problems[problems..] {
        out.ledger.drop("could not be read", None, problem.to_string());
    }
    out.ledger.close(path.display().to_string(), format.name(), &before, &ledger::census(&out.archive));
    let account = out.ledger.inputs.last().expect("just closed");
    if account.lost_more_than(options.max_dropped) {
        let first = account.dropped.iter().find(|d| d.count.is_some()).map_or("", |d| d.first.as_str());
        out.problems.push(IngestError::invalid(
            path.display(),
            format!(
                "{} of {} lines or messages could not be read, more than {}% (max_dropped); the first at {first}",
                account.dropped_count(),
                account.read() + account.dropped_count(),
                options.max_dropped * 100.0
            ),
        ));
    }
    Ok(())
}

/// The exports in a folder that holds several side by side (`sample-logs/slack`,
/// `sample-logs/irc`: two or more folders and no files of its own but notes), or the one
/// zip it holds (a downloaded Slack export kept in a folder).
fn side_by_side(path: &Path) -> Result<Option<Vec<std::path::PathBuf>>, IngestError> {
    if !path.is_dir() {
        return Ok(None);
    }
    let (mut folders, mut files) = (Vec::new(), Vec::new());
    for entry in fs_err::read_dir(path).map_err(|e| IngestError::io(path, e))? {
        let entry = entry.map_err(|e| IngestError::io(path, e))?;
        let kind = entry.file_type().map_err(|e| IngestError::io(&entry.path(), e))?;
        if is_note(&entry.file_name().to_string_lossy()) {
            continue;
        }
        if kind.is_dir() { &mut folders } else { &mut files }.push(entry.path());
    }
    folders.sort();
    let lone_zip =
        folders.is_empty() && files.len() == 1 && has_extension(&files[0].to_string_lossy(), &["zip"]);
    Ok(if lone_zip { Some(files) } else { (files.is_empty() && folders.len() >= 2).then_some(folders) })
}

/// Whether a file named `name` is a note beside an export (a README, a LICENSE, a hidden
/// file), not part of it.
pub(crate) fn is_note(name: &str) -> bool {
    let name = name.rsplit('/').next().unwrap_or(name).to_lowercase();
    name.starts_with('.') || name.starts_with("readme") || name.starts_with("license")
}

/// Whether a path's extension is one of `extensions` (any case).
pub(crate) fn has_extension(path: &str, extensions: &[&str]) -> bool {
    Path::new(path).extension().is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// MIME types by extension, for sources that do not record one.
const MIMETYPES: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
    ("txt", "text/plain"),
    ("log", "text/plain"),
    ("md", "text/markdown"),
    ("csv", "text/csv"),
    ("json", "application/json"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("mp4", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
];

/// A MIME type from a file name's extension.
pub(crate) fn mimetype_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    MIMETYPES.iter().find(|(e, _)| *e == ext).map(|(_, m)| *m)
}

/// File bodies bundled with an export, read once per path (the same upload is often shared
/// in several messages).
#[derive(Default)]
pub(crate) struct Bodies(std::collections::BTreeMap<String, crate::model::Body>);

impl Bodies {
    /// The body at `path` in the input; a file too large or unreadable is a warning and `None`
    /// (shown as not archived).
    pub(crate) fn read(
        &mut self,
        input: &mut Input,
        path: &str,
        warnings: &mut Vec<String>,
    ) -> Option<crate::model::Body> {
        if let Some(body) = self.0.get(path) {
            return Some(body.clone());
        }
        match input.read_limited(path, MAX_MEDIA_BYTES) {
            Ok(bytes) => {
                let body = crate::model::Body::new(bytes, input.display(path));
                self.0.insert(path.to_owned(), body.clone());
                Some(body)
            }
            Err(e) => {
                warnings.push(format!("{e}; the file is shown as not archived"));
                None
            }
        }
    }
}

/// Parses JSON into `T`, turning a failure into an [`IngestError::Json`] with the line,
/// column and JSON path, and `expected` as the user-facing description of the shape.
pub(crate) fn parse_json<T: DeserializeOwned>(
    shown: &str,
    bytes: &[u8],
    expected: &str,
) -> Result<T, IngestError> {
    // Tracking the path costs on every value: parse plainly, and again with the path only
    // to say where a file went wrong.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        // The path ends in `?` where the parser stopped before knowing the key (syntax errors).
        let at = e.path().to_string();
        let at = at.trim_end_matches(".?").trim_end_matches('?');
        json_error(shown, at, e.inner(), expected)
    })?;
    de.end().map_err(|e| json_error(shown, "", &e, expected))?;
    Ok(value)
}

fn json_error(shown: &str, at: &str, err: &serde_json::Error, expected: &str) -> IngestError {
    let (line, column) = (err.line(), err.column());
    let text = err.to_string();
    let text = text.strip_suffix(&format!(" at line {line} column {column}")).unwrap_or(&text);
    let message = if at == "." || at.is_empty() {
        format!("{text} ({expected})")
    } else {
        format!("{at}: {text} ({expected})")
    };
    // serde_json says column 0 when the problem is the value that starts a line.
    IngestError::Json { path: shown.to_owned(), line, column: column.max(1), message }
}
