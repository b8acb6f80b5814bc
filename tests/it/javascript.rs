//! The JavaScript side, run from `cargo test` so one command tests everything, against the
//! binary built for these tests: the search engine's node tests (`tests/js/`) and the browser
//! tests (`tests/browser/`: headless Chromium, axe-core, the Nu Html Checker).

use std::process::Command;

use crate::harness::repo;

/// Whether a tool is installed; when it is not, the caller skips, except under `CI=true`.
pub fn available(program: &str, arg: &str) -> bool {
    let found = Command::new(program).arg(arg).output().is_ok_and(|o| o.status.success());
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "{program} is required under CI=true");
    if !found {
        eprintln!("skipping: {program} not found");
    }
    found
}

/// Runs `node --test <dir>` against the binary built for these tests.
fn node_tests(dir: &str, env: &[(&str, &str)]) {
    let output = Command::new("node")
        .args(["--test", dir])
        .current_dir(repo())
        .env("SCROLLBACK_BIN", env!("CARGO_BIN_EXE_scrollback"))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("# fail 0"),
        "node tests in {dir} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_search_page_engine_reproduces_the_rust_results() {
    if available("node", "--version") {
        node_tests("tests/js/", &[]);
    }
}

#[test]
fn the_site_works_in_a_real_browser_and_validates() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let playwright = repo().join("tests/browser/node_modules/playwright-core");
    let ready = std::path::Path::new(&chromium).exists() && playwright.is_dir();
    assert!(
        ready || std::env::var("CI").as_deref() != Ok("true"),
        "browser tests need {chromium} and `npm ci --prefix tests/browser` under CI=true"
    );
    if !ready || !available("node", "--version") {
        eprintln!(
            "skipping: install chromium and run `npm ci --prefix tests/browser` to run the browser tests"
        );
        return;
    }
    node_tests("tests/browser/", &[("CHROMIUM", &chromium)]);
}
