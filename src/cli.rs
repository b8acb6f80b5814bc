//! Command-line interface (clap derive). Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::ingest::Format;

/// Turn exported chat logs into a static website: channel history, permalinks, search.
#[derive(Debug, Clone, Parser)]
#[command(name = "scrollback", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Configuration file [default: ./scrollback.toml if it exists]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more about what is happening (-vv for debug detail)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Read every input and write the site into the output directory, atomically
    Build(BuildArgs),
    /// Read and validate every input and the configuration; report every problem, write nothing.
    /// With --site, check instead that every internal link and anchor of a built site resolves
    Check(CheckArgs),
    /// Build, then serve the site on 127.0.0.1 for previewing (with --watch, rebuild on change)
    Serve(ServeArgs),
    /// Search a built site from the terminal (its index is in <SITE>.index)
    Search(SearchArgs),
    /// List a built site's incidents (from <SITE>/incidents/incidents.json)
    Incidents(IncidentsArgs),
    /// Write a commented scrollback.toml (and, with --theme, the default theme) to start from
    Init(InitArgs),
}

/// `scrollback build`.
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Exports: directories, .zip files or single files, in any supported format [default: `inputs` from the config]
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output directory; replaced only when the build succeeds [default: `out` from the config, else ./public]
    #[arg(short, long, value_name = "DIR", env = "SCROLLBACK_OUT")]
    pub out: Option<PathBuf>,

    /// Build from whatever can be read, listing the files that were skipped
    #[arg(long)]
    pub keep_going: bool,

    /// Input format, instead of detecting it
    #[arg(long, value_parser = format_parser())]
    pub format: Option<Format>,

    /// The last published build's manifest.json, if not the one in --out: a URL it lists may
    /// not disappear
    #[arg(long, value_name = "FILE")]
    pub previous_manifest: Option<PathBuf>,

    /// Publish even if URLs of the previous build would be gone (they are listed)
    #[arg(long)]
    pub allow_removals: bool,

    /// Build everything again: even if the inputs, config, theme and binary are those of the
    /// last build, and without reusing any of its pages
    #[arg(long)]
    pub force: bool,
}

/// `scrollback serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// What to build, as for `build`.
    #[command(flatten)]
    pub build: BuildArgs,

    /// Port to listen on (0 picks a free one)
    #[arg(short, long, default_value_t = 8000)]
    pub port: u16,

    /// Address to listen on; anything but loopback makes the site reachable from other machines
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: std::net::IpAddr,

    /// Rebuild when an input, the config or the theme changes
    #[arg(short, long)]
    pub watch: bool,
}

/// `scrollback check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Exports: directories, .zip files or single files, in any supported format [default: `inputs` from the config]
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// A built site whose links to check: pages, assets, anchors, search permalinks
    #[arg(long, value_name = "DIR", conflicts_with = "inputs")]
    pub site: Option<PathBuf>,

    /// Input format, instead of detecting it
    #[arg(long, value_parser = format_parser())]
    pub format: Option<Format>,
}

/// `scrollback search`.
#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// The query: words, "phrases", -exclusions, identifiers, prefix*, channel:, from:, has:,
    /// after:, before:, on:, sort: (see the book's "Search" chapter)
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,

    /// The site directory, as given to `build --out` [default: `out` from the config, else ./public]
    #[arg(long, value_name = "DIR")]
    pub site: Option<PathBuf>,

    /// How many hits to show
    #[arg(short = 'n', long, default_value_t = 10, value_name = "N")]
    pub limit: usize,

    /// Print `{"total": N, "hits": [{"id", "url", "channel", "author", "time", "snippet", "score"}]}`
    #[arg(long)]
    pub json: bool,

    /// Result order (overrides `sort:` in the query)
    #[arg(long, value_enum)]
    pub sort: Option<crate::index::query::Sort>,
}

/// `scrollback incidents`.
#[derive(Debug, Clone, Args)]
pub struct IncidentsArgs {
    /// The site directory, as given to `build --out` [default: `out` from the config, else ./public]
    #[arg(long, value_name = "DIR")]
    pub site: Option<PathBuf>,

    /// Only incidents with this status
    #[arg(long, value_enum)]
    pub status: Option<IncidentStatus>,

    /// Only incidents in this channel (its name as in URLs)
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,

    /// Print the ledger's entries as JSON (the fields are in the book's "Incidents" chapter)
    #[arg(long)]
    pub json: bool,
}

/// An incident's status, for `--status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IncidentStatus {
    /// Still open at the end of the archive.
    Ongoing,
    /// Resolved (stated or inferred).
    Resolved,
}

/// `scrollback init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Where to write the configuration
    #[arg(default_value = "scrollback.toml", value_name = "FILE")]
    pub path: PathBuf,

    /// Also write the default templates and assets into DIR for editing
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "theme")]
    pub theme: Option<PathBuf>,

    /// Overwrite files that already exist
    #[arg(long)]
    pub force: bool,
}

/// `--format`: one of the importers' names.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Format::names())
        .map(|name: String| Format::named(&name).expect("the parser accepts only importers' names"))
}
