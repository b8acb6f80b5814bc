//! The `scrollback` binary: parse arguments, run one command, print errors with their causes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Parser;

use scrollback::cli::{
    BuildArgs, CheckArgs, Cli, Command, IncidentStatus, IncidentsArgs, InitArgs, SearchArgs, ServeArgs,
};
use scrollback::config::{self, Config};
use scrollback::index::{self, SearchIndex, SearchOptions};
use scrollback::ledger;
use scrollback::progress::Progress;
use scrollback::render::Theme;
use scrollback::site::{BuildOptions, Lifetime, Report, Site};

// glibc's allocator spent a fifth of a large build's CPU time in malloc and free (many small
// strings across threads); mimalloc's per-thread heaps do not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc keeps freed memory for a second (`purge_delay`, 1000 ms) before it gives it back.
/// A build frees and allocates in phases, so that second of garbage would stand in its peak;
/// 50 ms lowers the peak at no cost in speed (shorter delays cost time).
#[allow(unsafe_code, reason = "one FFI call that sets an integer option")]
fn give_freed_memory_back_sooner() {
    // `mi_option_purge_delay` in mimalloc.h (v2 and v3); the bindings do not name it.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets an option mimalloc reads when it next purges; nothing else is touched.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 50) };
}

fn main() -> ExitCode {
    give_freed_memory_back_sooner();
    let cli = Cli::parse();
    init_logging(&cli);
    match run(&cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::INFO,
        (false, _) => tracing::Level::DEBUG,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

fn run(cli: &Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Build(args) => build(cli, args),
        Command::Check(args) => check(cli, args),
        Command::Serve(args) => serve(cli, args),
        Command::Init(args) => init(args),
        Command::Search(args) => search(cli, args),
        Command::Incidents(args) => incidents(cli, args),
    }
}

fn load_config(cli: &Cli) -> Result<Config> {
    let mut config = Config::load(cli.config.as_deref())?;
    config.apply_env(|k| std::env::var(k).ok())?;
    Ok(config)
}

fn inputs(args: &[PathBuf], config: &Config) -> Vec<PathBuf> {
    if args.is_empty() { config.inputs.clone() } else { args.to_vec() }
}

fn build(cli: &Cli, args: &BuildArgs) -> Result<ExitCode> {
    build_site(cli, args, Lifetime::Exits)?;
    Ok(ExitCode::SUCCESS)
}

/// Builds as `build` does; returns the output directory and the config it was built with.
fn build_site(cli: &Cli, args: &BuildArgs, lifetime: Lifetime) -> Result<(PathBuf, Config)> {
    let config = load_config(cli)?;
    let out = args.out.clone().or_else(|| config.out.clone()).unwrap_or_else(|| PathBuf::from("public"));
    let options = BuildOptions {
        inputs: inputs(&args.inputs, &config),
        out: out.clone(),
        keep_going: args.keep_going,
        format: args.format,
        previous_manifest: args.previous_manifest.clone(),
        allow_removals: args.allow_removals,
        progress: Progress::for_stderr(cli.quiet),
        force: args.force,
        lifetime,
    };
    let report = Site::new(&config, options).build().context("build failed")?;
    if report.up_to_date {
        print_notes(&report, "skipped");
        if !cli.quiet {
            eprintln!(
                "Up to date: {} was built from these inputs, config, theme and binary; nothing written (--force rebuilds).",
                out.display()
            );
        }
        return Ok((out, config));
    }
    print_notes(&report, "skipped");
    if !cli.quiet {
        eprintln!(
            "Built {} from {} file{}: {} channel{}, {} messages, {} pages.",
            out.display(),
            report.published.files_read,
            plural(report.published.files_read),
            report.published.channels,
            plural(report.published.channels),
            report.published.messages,
            report.published.pages
        );
        print_summary(&report, cli.verbose > 0);
    }
    Ok((out, config))
}

fn serve(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    let (out, config) = build_site(cli, &args.build, Lifetime::Stays)?;
    if args.watch {
        let mut watched = inputs(&args.build.inputs, &config);
        watched.extend(cli.config.clone().or_else(|| {
            let default = PathBuf::from(config::DEFAULT_FILE);
            default.is_file().then_some(default)
        }));
        watched.extend(config.theme.clone());
        let ignore = [
            out.clone(),
            index::index_dir_for(&out),
            scrollback::output::lock_path(&out),
            scrollback::output::journal::marker_path(&out),
        ];
        let (cli, args) = (cli.clone(), args.build.clone());
        scrollback::serve::watch(&watched, &ignore, move || {
            if let Err(err) = build_site(&cli, &args, Lifetime::Stays) {
                eprintln!("error: rebuild failed, still serving the previous build: {err:#}");
            }
        })
        .context("cannot watch the inputs")?;
    }
    let addr = std::net::SocketAddr::new(args.bind, args.port);
    let quiet = cli.quiet;
    scrollback::serve::serve(&out, addr, |bound| {
        if !quiet {
            eprintln!("Serving {} at http://{bound}/ (Ctrl-C to stop)", out.display());
        }
    })
    .with_context(|| format!("cannot serve on {addr}"))?;
    Ok(ExitCode::SUCCESS)
}

fn check(cli: &Cli, args: &CheckArgs) -> Result<ExitCode> {
    if let Some(site) = &args.site {
        return check_links(cli, site);
    }
    let config = load_config(cli)?;
    let options = BuildOptions {
        inputs: inputs(&args.inputs, &config),
        out: PathBuf::new(),
        keep_going: true,
        format: args.format,
        previous_manifest: None,
        allow_removals: false,
        progress: Progress::Hidden,
        force: false,
        lifetime: Lifetime::Exits,
    };
    let report = Site::new(&config, options).check()?;
    print_notes(&report, "error");
    if !cli.quiet {
        eprintln!(
            "Checked {} file{}: {} channel{} and {} messages would be published; {} problem{}.",
            report.published.files_read,
            plural(report.published.files_read),
            report.published.channels,
            plural(report.published.channels),
            report.published.messages,
            report.problems.len(),
            plural(report.problems.len())
        );
        print_summary(&report, cli.verbose > 0);
    }
    Ok(if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn check_links(cli: &Cli, site: &Path) -> Result<ExitCode> {
    let report = scrollback::linkcheck::check_site(site)?;
    for broken in &report.broken {
        if broken.link.is_empty() {
            println!("{}: {}", broken.file, broken.why);
        } else {
            println!("{}: {} ({})", broken.file, broken.link, broken.why);
        }
    }
    if !cli.quiet {
        eprintln!(
            "Checked {} link{} in {} page{}: {} broken.",
            report.links,
            plural(report.links),
            report.pages,
            plural(report.pages),
            report.broken.len()
        );
    }
    Ok(if report.broken.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn search(cli: &Cli, args: &SearchArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let site = args.site.clone().or_else(|| config.out.clone()).unwrap_or_else(|| PathBuf::from("public"));
    let index = SearchIndex::open(&index::index_dir_for(&site))?;
    let options = SearchOptions { limit: args.limit, sort: args.sort, prefix_last: false };
    let results = index.search(&args.query.join(" "), &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    let tz = jiff::tz::TimeZone::get(&index.meta.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let color = std::io::IsTerminal::is_terminal(&std::io::stdout());
    for hit in &results.hits {
        let when = hit.time.parse::<jiff::Timestamp>().map_or_else(
            |_| hit.time.clone(),
            |t| t.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string(),
        );
        println!("#{} · {when} · {} · {:.3}", hit.channel, hit.author, hit.score);
        let snippet: String = hit
            .snippet_plain
            .iter()
            .map(|p| if p.hit && color { format!("\x1b[1;33m{}\x1b[0m", p.text) } else { p.text.clone() })
            .collect();
        println!("  {snippet}");
        println!("  {}\n", hit.url);
    }
    if !cli.quiet {
        eprintln!("{} of {} result{}", results.hits.len(), results.total, plural(results.total));
    }
    Ok(ExitCode::SUCCESS)
}

fn incidents(cli: &Cli, args: &IncidentsArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let site = args.site.clone().or_else(|| config.out.clone()).unwrap_or_else(|| PathBuf::from("public"));
    let ledger = ledger::read(&site)?;
    let wanted = |e: &&ledger::Entry| {
        let status = match args.status {
            Some(IncidentStatus::Ongoing) => e.status == "ongoing",
            Some(IncidentStatus::Resolved) => e.status == "resolved",
            None => true,
        };
        status && args.channel.as_ref().is_none_or(|c| *c == e.channel)
    };
    let entries: Vec<&ledger::Entry> = ledger.incidents.iter().rev().filter(wanted).collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(ExitCode::SUCCESS);
    }
    let tz = jiff::tz::TimeZone::get(&ledger.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    for e in &entries {
        let start = e.start.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M %Z");
        let took =
            |label: &str, secs: Option<i64>| secs.map(|s| format!(" · {label} {}", ledger::duration(s)));
        println!(
            "{}  {}{}  #{} · {start} · severity {}{}{}{}",
            e.id,
            e.status,
            if e.inferred_end { " (inferred)" } else { "" },
            e.channel,
            e.severity.as_deref().unwrap_or("unset"),
            took("acknowledged after", e.time_to_acknowledge).unwrap_or_default(),
            took("mitigated after", e.time_to_mitigate).unwrap_or_default(),
            took("resolved after", e.time_to_resolve).unwrap_or_default(),
        );
        println!("  {}", e.title);
        println!("  {}\n", e.url);
    }
    if !cli.quiet {
        eprintln!("{} incident{}", entries.len(), plural(entries.len()));
    }
    Ok(ExitCode::SUCCESS)
}

fn init(args: &InitArgs) -> Result<ExitCode> {
    if args.path.exists() && !args.force {
        bail!("{} already exists; use --force to overwrite it", args.path.display());
    }
    fs_err::write(&args.path, config::TEMPLATE)?;
    eprintln!("Wrote {}", args.path.display());
    if let Some(dir) = &args.theme {
        if dir.exists() && !args.force {
            bail!("{} already exists; use --force to overwrite it", dir.display());
        }
        for path in Theme::write_defaults(dir)? {
            eprintln!("Wrote {path}");
        }
        eprintln!("Set `theme = {:?}` in {} to use it.", dir.display().to_string(), args.path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn print_notes(report: &Report, problem_label: &str) {
    for problem in &report.problems {
        eprintln!("{problem_label}: {}", shown(problem));
    }
    for warning in &report.warnings {
        eprintln!("warning: {}", shown(warning));
    }
}

/// Text from the export as the terminal may show it: control characters (escape sequences,
/// carriage returns, bells) are written escaped, never sent raw.
fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The unpublished conversations: counted by kind, and named only with `-v` (build logs are
/// often public, and a DM's name says who talked).
fn print_withheld(report: &Report, verbose: bool) {
    let withheld = &report.withheld;
    if verbose {
        for (name, why) in &withheld.channels {
            eprintln!("  not published: {} ({why})", shown(name));
        }
    } else if !withheld.kinds.is_empty() {
        let kinds: Vec<String> =
            withheld.kinds.iter().map(|(kind, n)| format!("{n} {kind}{}", plural(*n))).collect();
        eprintln!("  not published: {} (-v names them)", kinds.join(", "));
    }
}

fn print_summary(report: &Report, verbose: bool) {
    for account in &report.ledger.inputs {
        eprintln!("  input {}", account.summary());
    }
    print_withheld(report, verbose);
    if !report.redactions.counts.is_empty() {
        let parts: Vec<String> =
            report.redactions.counts.iter().map(|(rule, n)| format!("{n} {rule}")).collect();
        eprintln!("  redacted: {}", parts.join(", "));
    }
    if let Some(unchanged) = report.reused.unchanged {
        eprintln!(
            "  unchanged since the previous build: {unchanged} files ({} kept from it, {} of them pages not rendered again)",
            report.reused.files.kept, report.reused.files.unrendered
        );
    }
    let (search, index) = report.published.index_bytes;
    if search + index > 0 {
        eprintln!("  search: {} KB static files, {} KB index", search.div_ceil(1024), index.div_ceil(1024));
    }
    if let (parsed, found @ 1..) = report.reused.days {
        eprintln!("  day files: {parsed} new or changed parsed, {found} remembered from the previous build");
    }
    if report.reused.readings > 0 || report.reused.clean > 0 {
        let read = report.published.messages.saturating_sub(report.reused.readings);
        eprintln!(
            "  messages read: {read} new or changed, {} remembered from the previous build; redaction skipped {} found clean before",
            report.reused.readings, report.reused.clean
        );
    }
    if let Some(scrollback::index::update::Outcome::Appended { kept, added }) = report.reused.index {
        eprintln!("  index: {kept} messages kept from the previous build's index, {added} indexed");
    }
    if report.published.redirects > 0 {
        eprintln!("  redirects for renamed channels: {}", report.published.redirects);
    }
    if !report.published.removed.is_empty() {
        eprintln!("  removed (--allow-removals): {}", report.published.removed.join(" "));
    }
    let phases: Vec<String> =
        report.phases.iter().map(|(name, t)| format!("{name} {:.2}s", t.as_secs_f64())).collect();
    eprintln!("  time: {}", phases.join(", "));
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
