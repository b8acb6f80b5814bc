//! What a build shows while it runs: a spinner per phase on a terminal, one plain line per
//! phase elsewhere (CI logs), nothing under `--quiet`.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// How phases are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// Nothing (`--quiet`, `check`, library use).
    #[default]
    Hidden,
    /// A spinner with the elapsed time, left as a line when the phase ends.
    Terminal,
    /// `ingest: 0.21 s` when each phase ends.
    Lines,
}

impl Progress {
    /// A spinner on a terminal, lines when stderr is not one, nothing when `quiet`.
    pub fn for_stderr(quiet: bool) -> Progress {
        match (quiet, std::io::stderr().is_terminal()) {
            (true, _) => Progress::Hidden,
            (false, true) => Progress::Terminal,
            (false, false) => Progress::Lines,
        }
    }

    /// Shows that `phase` has started.
    pub fn start(self, phase: &'static str) -> Phase {
        let bar = (self == Progress::Terminal).then(|| {
            let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template");
            // Phases may run side by side (index beside render): one spinner each.
            let bar = spinners().add(ProgressBar::new_spinner().with_style(style).with_message(phase));
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Phase { progress: self, name: phase, bar }
    }
}

fn spinners() -> &'static MultiProgress {
    static SPINNERS: std::sync::OnceLock<MultiProgress> = std::sync::OnceLock::new();
    SPINNERS.get_or_init(MultiProgress::new)
}

/// Runs `f` as `phase`, shown while it runs; returns its value and how long it took.
pub fn timed<T>(progress: Progress, phase: &'static str, f: impl FnOnce() -> T) -> (T, Duration) {
    let shown = progress.start(phase);
    let start = std::time::Instant::now();
    let value = f();
    let elapsed = start.elapsed();
    shown.finish(elapsed);
    (value, elapsed)
}

/// A phase being shown.
pub struct Phase {
    progress: Progress,
    name: &'static str,
    bar: Option<ProgressBar>,
}

impl Phase {
    /// Shows that the phase ended after `elapsed`.
    pub fn finish(self, elapsed: Duration) {
        let line = format!("{}: {:.2} s", self.name, elapsed.as_secs_f64());
        match (self.progress, self.bar) {
            (_, Some(bar)) => {
                bar.set_style(ProgressStyle::with_template("  {msg}").expect("valid template"));
                bar.finish_with_message(line);
            }
            (Progress::Lines, None) => eprintln!("{line}"),
            _ => {}
        }
    }
}
