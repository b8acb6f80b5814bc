//! What a build reports: its errors, and what it did.

use std::fmt::Write as _;
use std::time::Duration;

use crate::index::{self, IndexError};
use crate::ingest::IngestError;
use crate::output::{ManifestError, OutputError};
use crate::privacy::Withheld;
use crate::redact::Redactions;
use crate::render::{RenderError, ThemeError};

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
    /// Nothing changed since the last build, so nothing was written.
    pub up_to_date: bool,
    /// What was published.
    pub published: Published,
    /// What was taken from the previous build instead of done again.
    pub reused: Reused,
    /// Channels kept out, and why.
    pub withheld: Withheld,
    /// What each input gave, and what became of each channel.
    pub ledger: crate::ingest::ledger::Ledger,
    /// What was redacted, per rule and where.
    pub redactions: Redactions,
    /// Problems skipped under `--keep-going` (or found by `check`).
    pub problems: Vec<String>,
    /// Notes that lost nothing.
    pub warnings: Vec<String>,
    /// Time per phase.
    pub phases: Vec<(&'static str, Duration)>,
}

/// What a build published.
#[derive(Debug, Default)]
pub struct Published {
    /// Input files read.
    pub files_read: usize,
    /// Channels published.
    pub channels: usize,
    /// Messages published.
    pub messages: usize,
    /// Pages written (0 for `check`).
    pub pages: usize,
    /// Incidents found or declared.
    pub incidents: usize,
    /// Redirect pages written for renamed channels.
    pub redirects: usize,
    /// URLs of the previous build dropped under `--allow-removals`.
    pub removed: Vec<String>,
    /// Bytes of the static search files (`search/`, as the export wrote them) and of the
    /// index beside the site.
    pub index_bytes: (u64, u64),
}

/// What a build took from the previous one.
#[derive(Debug, Default)]
pub struct Reused {
    /// Files whose content is the same as in the previous build.
    pub unchanged: Option<usize>,
    /// Files taken from the previous site instead of rendered or written.
    pub files: crate::output::Reused,
    /// How the search index was written (`None` for `check`).
    pub index: Option<index::update::Outcome>,
    /// Day files parsed, and those not parsed again because the previous build's records of
    /// them were found ([`crate::ingest::days`]).
    pub days: (usize, usize),
    /// Messages whose text detection did not read again: the previous build had read them
    /// ([`crate::incidents::readings`]).
    pub readings: usize,
    /// Messages redaction did not look at again: the previous build had found nothing in them.
    pub clean: usize,
}
