//! The command line itself: help, init, check, config errors.

use crate::harness::{repo, scrollback};

#[test]
fn help_lists_the_commands() {
    let output = scrollback(&repo()).arg("--help").output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!(help);
}

#[test]
fn init_writes_a_config_that_builds_the_sample_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    scrollback(tmp.path()).args(["init", "--theme"]).assert().success();
    let config = fs_err::read_to_string(tmp.path().join("scrollback.toml")).unwrap();
    assert_eq!(config, scrollback::config::TEMPLATE);
    assert!(tmp.path().join("theme/templates/day.html").is_file());
    assert!(tmp.path().join("theme/assets/style.css").is_file());
    scrollback(tmp.path())
        .arg("init")
        .assert()
        .failure()
        .stderr("error: scrollback.toml already exists; use --force to overwrite it\n");
    // The written config builds once its input exists.
    fs_err::write(
        tmp.path().join("scrollback.toml"),
        config
            .replace("inputs = [\"sample-logs\"]", &format!("inputs = [{:?}]", repo().join("sample-logs")))
            .replace("# theme = \"theme\"", "theme = \"theme\""),
    )
    .unwrap();
    fs_err::write(tmp.path().join("theme/assets/style.css"), "body { color: rebeccapurple }").unwrap();
    scrollback(tmp.path()).arg("build").assert().success();
    let css: Vec<_> = fs_err::read_dir(tmp.path().join("public/assets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "css"))
        .collect();
    assert_eq!(
        fs_err::read_to_string(&css[0]).unwrap(),
        "body { color: rebeccapurple }",
        "theme overrides apply"
    );
}

#[test]
fn check_reports_problems_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let output = scrollback(tmp.path())
        .arg("check")
        .arg(repo().join("tests/invalid/slack/many-problems"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 4, "{stderr}");
    assert!(
        stderr.contains("Checked 5 files: 4 channels and 2 messages would be published; 4 problems."),
        "{stderr}"
    );
    assert_eq!(fs_err::read_dir(tmp.path()).unwrap().count(), 0);
    scrollback(tmp.path()).arg("check").arg(repo().join("sample-logs")).assert().success();
}

#[test]
fn unknown_config_keys_are_errors_with_their_position() {
    let tmp = tempfile::tempdir().unwrap();
    fs_err::write(tmp.path().join("scrollback.toml"), "title = \"Ops\"\n[publish]\nchanels = [\"ops\"]\n")
        .unwrap();
    let output = scrollback(tmp.path()).arg("build").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("error: scrollback.toml: TOML parse error at line 3, column 1"), "{stderr}");
    assert!(
        stderr.contains("unknown field `chanels`, expected one of `channels`, `private`, `exclude`"),
        "{stderr}"
    );
}

#[test]
fn no_inputs_is_an_error_that_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    scrollback(tmp.path()).arg("build").assert().failure().stderr(
        "error: build failed\n  caused by: no inputs: give INPUT paths or set `inputs` in scrollback.toml\n",
    );
}

#[test]
fn environment_overrides_the_config_file() {
    let tmp = tempfile::tempdir().unwrap();
    fs_err::write(tmp.path().join("scrollback.toml"), "title = \"From file\"\n").unwrap();
    scrollback(tmp.path())
        .arg("build")
        .arg(repo().join("tests/cases/slack/everything"))
        .env("SCROLLBACK_TITLE", "From env")
        .env("SCROLLBACK_OUT", "site")
        .assert()
        .success();
    let home = fs_err::read_to_string(tmp.path().join("site/index.html")).unwrap();
    assert!(home.contains("<title>From env</title>"), "{home}");
}

#[test]
fn a_build_outside_a_terminal_logs_one_line_per_phase_and_quiet_logs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let build = |extra: &[&str]| {
        let output = scrollback(tmp.path())
            .args(["build", repo().join("sample-logs").to_str().unwrap(), "--out", "site"])
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stderr).unwrap()
    };
    let log = build(&[]);
    let mut phases: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split_once(": ").filter(|(_, t)| t.ends_with(" s")).map(|(p, _)| p))
        .collect();
    // The search index is written beside the rendering, so those lines may come in any order.
    phases[5..9].sort_unstable();
    assert_eq!(
        phases,
        [
            "fingerprint",
            "ingest",
            "normalize",
            "incidents",
            "documents",
            "export",
            "index",
            "media",
            "render",
            "write"
        ],
        "{log}"
    );
    let summary = log.lines().find(|l| l.starts_with("  time: ")).unwrap();
    let in_order = regex::Regex::new(r"^  time: fingerprint [\d.]+s, ingest [\d.]+s, normalize [\d.]+s, incidents [\d.]+s, documents [\d.]+s, index [\d.]+s, export [\d.]+s, media [\d.]+s, render [\d.]+s, write [\d.]+s$").unwrap();
    assert!(in_order.is_match(summary), "{summary}");
    assert!(log.contains("Built site from 48 files: 5 channels, 257 messages, 45 pages."), "{log}");
    assert!(
        regex::Regex::new(r"\n  search: \d+ KB static files, \d+ KB index\n").unwrap().is_match(&log),
        "{log}"
    );
    assert!(!log.contains('\u{1b}'), "no terminal escapes in a log");
    let again = build(&["--force"]);
    assert!(again.contains("  unchanged since the previous build: "), "{again}");
    assert_eq!(build(&["--quiet"]), "");
}

#[test]
fn the_nightly_examples_use_only_commands_and_flags_that_exist() {
    let mut commands = Vec::new();
    for example in ["examples/github-actions/chat-archive.yml", "examples/cron/nightly.sh"] {
        let text = fs_err::read_to_string(repo().join(example)).unwrap();
        let lines = text.lines().map(str::trim).filter(|l| !l.starts_with('#'));
        commands.extend(lines.filter_map(|l| l.split_once("scrollback ").map(|(_, c)| c.to_owned())));
    }
    assert!(commands.len() >= 4, "{commands:?}");
    for command in commands.iter().filter(|c| c.starts_with("build") || c.starts_with("check")) {
        let sub = command.split_whitespace().next().unwrap();
        let help = scrollback(&repo()).args([sub, "--help"]).output().unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        for flag in command.split_whitespace().filter(|w| w.starts_with("--")) {
            assert!(help.contains(flag), "`scrollback {command}`: {sub} has no {flag}");
        }
    }
}
