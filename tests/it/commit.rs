//! A site is whole or the build says so: a build killed at any step of its commit
//! (`SCROLLBACK_FAILPOINT`) leaves a site that the next build finishes or replaces, so what is
//! on disk after it equals the old site or the new one, never a mix; and "Up to date" is said
//! only of a site that is still what the last build wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use scrollback::output::journal::STEPS;

use crate::harness::{repo, scrollback, tree};

/// `cp -a`: the copy keeps modification times, so the previous build's record still holds.
fn copy(from: &Path, to: &Path) {
    if to.exists() {
        fs_err::remove_dir_all(to).unwrap();
    }
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success());
}

/// The sample export, and a copy one day longer with a message added to an existing day.
fn exports(tmp: &Path) -> (PathBuf, PathBuf) {
    let old = tmp.join("old");
    let new = tmp.join("new");
    copy(&repo().join("sample-logs/slack"), &old);
    copy(&old, &new);
    let day = new.join("ops/2014-01-17.json");
    let mut messages: serde_json::Value = serde_json::from_slice(&fs_err::read(&day).unwrap()).unwrap();
    let added = serde_json::json!({"type": "message", "user": "U0PETER", "text": "zqadded", "ts": "1389999000.000100"});
    messages.as_array_mut().unwrap().push(added);
    fs_err::write(&day, serde_json::to_vec(&messages).unwrap()).unwrap();
    let next = serde_json::json!([{"type": "message", "user": "U0PETER", "text": "zqnewday", "ts": "1390200000.000100"}]);
    fs_err::write(new.join("ops/2014-01-20.json"), serde_json::to_vec(&next).unwrap()).unwrap();
    (old, new)
}

fn build(dir: &Path, input: &Path, out: &Path, extra: &[&str], failpoint: Option<&str>) -> (bool, String) {
    let mut cmd = scrollback(dir);
    cmd.arg("build").arg(input).arg("--out").arg(out).args(extra);
    if let Some(step) = failpoint {
        cmd.env("SCROLLBACK_FAILPOINT", step);
    }
    let output = cmd.output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[cfg(unix)]
#[test]
fn a_build_killed_at_any_step_of_its_commit_leaves_the_old_site_or_the_new() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = exports(tmp.path());
    let base = tmp.path().join("base");
    assert!(build(tmp.path(), &old, &base, &[], None).0);
    let fresh = tmp.path().join("fresh");
    assert!(build(tmp.path(), &new, &fresh, &[], None).0);
    let (old_site, new_site) = (tree(&base), tree(&fresh));
    assert_ne!(old_site, new_site);

    let work = tmp.path().join("work");
    fs_err::create_dir_all(&work).unwrap();
    let site = work.join("public");
    let mut killed = std::collections::BTreeSet::new();
    for mode in [&[][..], &["--force"][..]] {
        for step in STEPS {
            for (next, expected) in [(&old, &old_site), (&new, &new_site)] {
                copy(&base, &site);
                copy(&tmp.path().join("base.index"), &work.join("public.index"));
                let (ok, stderr) = build(tmp.path(), &new, &site, mode, Some(step));
                if ok {
                    // Not a step of this way of committing: the build simply finished.
                    assert_eq!(tree(&site), new_site, "{step} {mode:?}");
                } else {
                    assert!(
                        stderr.contains(&format!("failpoint {step}: aborting")),
                        "{step} {mode:?}: {stderr}"
                    );
                    killed.insert(*step);
                }
                // Back to the old export drops the new day's URL: allowed, to compare the sites.
                let (ok, stderr) = build(tmp.path(), next, &site, &["--allow-removals"], None);
                assert!(ok, "{step} {mode:?}: {stderr}");
                assert!(
                    tree(&site) == *expected,
                    "{step} {mode:?}: the site is neither old nor new\n{stderr}"
                );
                let (ok, stderr) = build(tmp.path(), next, &site, &["--allow-removals"], None);
                assert!(ok && stderr.contains("Up to date"), "{step} {mode:?}: {stderr}");
                let mut beside: Vec<String> = fs_err::read_dir(&work)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect();
                beside.sort();
                assert_eq!(beside, ["public", "public.index"], "{step} {mode:?}: left beside the site");
            }
        }
    }
    // Each step is on one way of committing or both, and each was reached.
    assert_eq!(killed, STEPS.iter().copied().collect(), "steps never reached");
}

#[test]
fn up_to_date_is_said_only_of_the_site_the_last_build_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let input = repo().join("sample-logs/slack");
    let site = tmp.path().join("public");
    assert!(build(tmp.path(), &input, &site, &[], None).0);
    let built = tree(&site);
    assert!(build(tmp.path(), &input, &site, &[], None).1.contains("Up to date"));
    // A directory removed, a page replaced, a file edited with its size kept.
    fs_err::remove_dir_all(site.join("search")).unwrap();
    fs_err::write(site.join("index.html"), "<p>replaced</p>").unwrap();
    let css = fs_err::read_dir(site.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "css"));
    let css = css.unwrap();
    let mut bytes = fs_err::read(&css).unwrap();
    bytes[0] ^= 1;
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs_err::write(&css, bytes).unwrap();
    let (ok, stderr) = build(tmp.path(), &input, &site, &[], None);
    assert!(ok && !stderr.contains("Up to date"), "{stderr}");
    assert!(tree(&site) == built, "the rebuild restores what the build wrote");
}
