//! `scrollback check --site`: the sites built from every hand-made case and the sample have no
//! broken internal link; a damaged site has each of its broken links reported.

use std::path::Path;

use crate::harness::{Site, case, repo, scrollback};

/// `check --site` on `out`: (success, stdout, stderr).
fn check(out: &Path) -> (bool, String, String) {
    let output = scrollback(out.parent().unwrap()).args(["check", "--site"]).arg(out).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn every_case_and_the_sample_build_sites_without_broken_links() {
    let cases = [
        "slack/everything",
        "slack/incidents",
        "slack/hostile",
        "discord/guild",
        "mattermost/acme",
        "matrix/element",
        "irc/styles",
        "campfire/export",
        "jsonl/chat",
    ];
    let inputs = cases.iter().map(|c| case(c)).chain([repo().join("sample-logs")]);
    for input in inputs {
        let site = Site::build(std::slice::from_ref(&input), &["--keep-going"]);
        let (ok, stdout, stderr) = check(&site.out);
        assert!(ok && stdout.is_empty(), "{}: {stdout}{stderr}", input.display());
        let links: usize = stderr.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(links > 50, "{}: {stderr}", input.display());
    }
}

#[test]
fn broken_pages_anchors_assets_and_absolute_links_are_each_reported() {
    let site = Site::build(&[repo().join("sample-logs")], &[]);
    let day = site.out.join("c/ops/2014/01/17/index.html");
    let html = fs_err::read_to_string(&day).unwrap();
    // A message the incident page links to loses its anchor; a page and a stylesheet go away.
    let html = html.replacen("id=\"m-1389978699000123\"", "id=\"gone\"", 1);
    let html = html.replacen(
        "</main>",
        "<a href=\"/c/ops/\">abs</a><a href=\"../../../../../../x\">up</a></main>",
        1,
    );
    fs_err::write(&day, html).unwrap();
    fs_err::remove_dir_all(site.out.join("c/ops/2014/01/18")).unwrap();
    let mut assets = fs_err::read_dir(site.out.join("assets")).unwrap().map(|e| e.unwrap().path());
    let css = assets.find(|p| p.extension().is_some_and(|e| e == "css")).unwrap();
    fs_err::remove_file(&css).unwrap();
    // A damaged search record file is reported, not skipped.
    let mut search = fs_err::read_dir(site.out.join("search")).unwrap().map(|e| e.unwrap().path());
    let records = search.find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("d-")).unwrap();
    fs_err::write(records.join("0.bin"), "not records").unwrap();
    let (ok, stdout, stderr) = check(&site.out);
    assert!(!ok, "{stderr}");
    let css_name = css.file_name().unwrap().to_str().unwrap();
    for expected in [
        "c/ops/2014/01/17/index.html: /c/ops/ (absolute path: breaks when the site is served from a subdirectory)",
        "c/ops/2014/01/17/index.html: ../../../../../../x (leaves the site)",
        "no id=\"m-1389978699000123\" in c/ops/2014/01/17/index.html",
        "(no file c/ops/2014/01/18/index.html)",
        &format!("index.html: assets/{css_name} (no file assets/{css_name})"),
        "search/d-",
        "/0.bin: unreadable search records: expected ident",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    assert!(stderr.contains("broken."), "{stderr}");
}

#[test]
fn a_directory_that_is_not_a_site_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = check(tmp.path());
    assert!(!ok);
    assert!(stderr.contains("no index.html here"), "{stderr}");
}
