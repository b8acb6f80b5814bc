//! The `scrollback` binary: parse arguments, run one command, print errors with their causes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Parser;

use scrollback::cli::{BuildArgs, CheckArgs, Cli, Command, InitArgs};
use scrollback::config::{self, Config};
use scrollback::render::Theme;
use scrollback::site::{BuildOptions, Report, Site};

fn main() -> ExitCode {
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
        Command::Init(args) => init(args),
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
    let config = load_config(cli)?;
    let out = args.out.clone().or_else(|| config.out.clone()).unwrap_or_else(|| PathBuf::from("public"));
    let options = BuildOptions {
        inputs: inputs(&args.inputs, &config),
        out: out.clone(),
        keep_going: args.keep_going,
        format: args.format,
    };
    let report = Site::new(&config, options).build().context("build failed")?;
    print_notes(&report, "skipped");
    if !cli.quiet {
        eprintln!(
            "Built {} from {} file{}: {} channel{}, {} messages, {} pages.",
            out.display(),
            report.files_read,
            plural(report.files_read),
            report.channels,
            plural(report.channels),
            report.messages,
            report.pages
        );
        print_summary(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn check(cli: &Cli, args: &CheckArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let options = BuildOptions {
        inputs: inputs(&args.inputs, &config),
        out: PathBuf::new(),
        keep_going: true,
        format: args.format,
    };
    let report = Site::new(&config, options).check()?;
    print_notes(&report, "error");
    if !cli.quiet {
        eprintln!(
            "Checked {} file{}: {} channel{} and {} messages would be published; {} problem{}.",
            report.files_read,
            plural(report.files_read),
            report.channels,
            plural(report.channels),
            report.messages,
            report.problems.len(),
            plural(report.problems.len())
        );
        print_summary(&report);
    }
    Ok(if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
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
        eprintln!("{problem_label}: {problem}");
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
}

fn print_summary(report: &Report) {
    for (name, why) in &report.withheld.channels {
        eprintln!("  not published: {name} ({why})");
    }
    if !report.redactions.is_empty() {
        let parts: Vec<String> = report.redactions.iter().map(|(rule, n)| format!("{n} {rule}")).collect();
        eprintln!("  redacted: {}", parts.join(", "));
    }
    let phases: Vec<String> =
        report.phases.iter().map(|(name, t)| format!("{name} {:.2}s", t.as_secs_f64())).collect();
    eprintln!("  time: {}", phases.join(", "));
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
