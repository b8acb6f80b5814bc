//! Malformed input: clear errors with file, line and column; nothing lost.

use crate::harness::{Site, invalid, repo, scrollback, tree};

const PROBLEMS: &str = concat!(
    "  tests/invalid/slack/many-problems/users.json: missing: a Slack export has users.json (or org_users.json) at its root; without it, names fall back to those embedded in messages\n",
    "  tests/invalid/slack/many-problems/general/2020-03-01.json:1:1: invalid type: map, expected a sequence (a day file must be a JSON array of message objects)\n",
    "  tests/invalid/slack/many-problems/eng/2020-03-01.json:3:89: [1]: trailing comma (a day file must be a JSON array of message objects)\n",
    "  tests/invalid/slack/many-problems/random/2020-03-01.json:2:72: [0].ts: invalid timestamp \"yesterday\", expected Slack's \"<seconds>.<microseconds>\" like \"1389978699.000123\" (a day file must be a JSON array of message objects)\n",
);

#[test]
fn malformed_input_reports_every_problem_with_its_position_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let output = scrollback(&repo())
        .args(["--quiet", "build", "tests/invalid/slack/many-problems", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let expected = format!(
        "error: build failed\n  caused by: 4 problems in the input; nothing was written (--keep-going builds the rest):\n{PROBLEMS}"
    );
    assert_eq!(stderr, expected);
    assert!(!out.exists());
    assert_eq!(fs_err::read_dir(tmp.path()).unwrap().count(), 0, "no staging directory left behind");
}

#[test]
fn keep_going_builds_the_rest_and_lists_what_it_skipped() {
    let site = Site::build(&[invalid("slack/many-problems")], &["--keep-going"]);
    assert!(site.page("c/fine/2020/03/01/").contains("this one is fine"));
    assert!(site.page("c/eng/").contains("0 messages"), "the broken day file is skipped whole");
    let skipped: String = site
        .stderr
        .lines()
        .filter(|l| l.starts_with("skipped: "))
        .map(|l| format!("  {}\n", &l[9..]))
        .collect();
    let relative = skipped.replace(&format!("{}/", repo().display()), "");
    assert_eq!(relative, PROBLEMS);
    // The input ledger lists each file it could not read under its input.
    let ledger: serde_json::Value =
        serde_json::from_slice(&fs_err::read(site.tmp.path().join("public.index/inputs.json")).unwrap())
            .unwrap();
    let dropped = ledger["inputs"][0]["dropped"].as_array().unwrap();
    assert_eq!(dropped.len(), 4, "{dropped:?}");
    assert!(
        dropped.iter().all(|d| d["reason"] == "could not be read" && d["count"].is_null()),
        "{dropped:?}"
    );
    assert!(site.stderr.contains("    a file: could not be read (first at "), "{}", site.stderr);
}

#[test]
fn a_failed_build_leaves_the_previous_site_untouched() {
    let site = Site::build(&[repo().join("tests/cases/slack/everything")], &[]);
    let before = tree(&site.out);
    let output = scrollback(site.tmp.path())
        .arg("build")
        .arg(invalid("slack/many-problems"))
        .arg("--out")
        .arg(&site.out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(tree(&site.out), before);
    let mut entries: Vec<_> = fs_err::read_dir(site.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    entries.sort();
    assert_eq!(entries, ["public", "public.index"], "no staging or previous directories left");
}

/// The entries beside the site, sorted.
fn beside(site: &Site) -> Vec<String> {
    let mut entries: Vec<_> = fs_err::read_dir(site.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    entries.sort();
    entries
}

#[test]
fn a_build_cleans_up_after_one_that_was_killed() {
    let inputs = [repo().join("tests/cases/slack/everything")];
    let mut site = Site::build(&inputs, &[]);
    let before = tree(&site.out);
    // Killed while staging, and killed mid-swap: the site renamed aside, the new one not in.
    let dir = site.tmp.path();
    for staging in [".public.staging-999999", ".public.index.staging-999999"] {
        fs_err::create_dir_all(dir.join(staging).join("c")).unwrap();
        fs_err::write(dir.join(staging).join("c/index.html"), "half").unwrap();
    }
    fs_err::rename(&site.out, dir.join(".public.previous-999998")).unwrap();
    site.rebuild(&inputs, &[]);
    assert_eq!(beside(&site), ["public", "public.index"], "{}", site.stderr);
    assert_eq!(tree(&site.out), before);
    assert!(
        site.stderr.contains(
            "public: put back from .public.previous-999998, where a build that was killed had moved it"
        ),
        "{}",
        site.stderr
    );
    for staging in [".public.staging-999999", ".public.index.staging-999999"] {
        assert!(
            site.stderr.contains(&format!("{staging}: removed, left by a build that was killed")),
            "{}",
            site.stderr
        );
    }
    // The site put back is known for the build it is: nothing to do.
    assert!(site.stderr.contains("Up to date: "), "{}", site.stderr);
}

#[test]
fn a_second_build_into_the_same_site_is_refused_while_one_runs() {
    let inputs = [repo().join("tests/cases/slack/everything")];
    let mut site = Site::build(&inputs, &[]);
    let before = tree(&site.out);
    let lock_path = site.tmp.path().join(".public.lock");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    let output =
        scrollback(site.tmp.path()).arg("build").args(&inputs).arg("--out").arg(&site.out).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: another scrollback build is writing this site; wait for it to finish (its lock is {})",
            site.out.display(),
            lock_path.display()
        )),
        "{stderr}"
    );
    assert_eq!(tree(&site.out), before);
    // Nor through another name for the same directory.
    #[cfg(unix)]
    {
        let alias = site.tmp.path().join("alias");
        std::os::unix::fs::symlink(&site.out, &alias).unwrap();
        let output =
            scrollback(site.tmp.path()).arg("build").args(&inputs).arg("--out").arg(&alias).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains("another scrollback build"), "{stderr}");
        std::fs::remove_file(&alias).unwrap();
    }
    assert_eq!(tree(&site.out), before);
    drop(lock);
    std::fs::remove_file(&lock_path).unwrap();
    site.rebuild(&inputs, &["--force"]);
    assert_eq!(beside(&site), ["public", "public.index"], "the lock goes with the build");
}

#[test]
fn a_rebuild_replaces_the_previous_site_completely() {
    let site = Site::build(&[repo().join("tests/cases/slack/everything")], &[]);
    scrollback(site.tmp.path())
        .arg("build")
        .arg(invalid("slack/many-problems"))
        .args(["--keep-going", "--allow-removals", "--out"])
        .arg(&site.out)
        .assert()
        .success();
    assert!(!site.out.join("c/general/2020/03/01/index.html").exists(), "stale pages are gone");
    assert!(site.out.join("c/fine/2020/03/01/index.html").exists());
}

#[test]
fn an_output_directory_that_is_not_a_site_is_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    fs_err::create_dir(tmp.path().join("docs")).unwrap();
    fs_err::write(tmp.path().join("docs/notes.txt"), "mine").unwrap();
    scrollback(tmp.path())
        .arg("build")
        .arg(repo().join("sample-logs"))
        .args(["--out", "docs"])
        .assert()
        .failure()
        .stderr(predicates::str::ends_with("error: build failed\n  caused by: docs: refusing to replace a non-empty directory that is not a scrollback site (it has no manifest.json); remove it or choose another --out\n"));
    assert_eq!(fs_err::read_to_string(tmp.path().join("docs/notes.txt")).unwrap(), "mine");
}

#[test]
fn inputs_that_are_not_exports_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    fs_err::write(tmp.path().join("notes.zip"), "not a zip").unwrap();
    fs_err::create_dir(tmp.path().join("empty")).unwrap();
    let out = scrollback(tmp.path())
        .args(["-q", "build", "notes.zip", "empty", "missing", "--out", "public"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "error: build failed",
            "  caused by: 3 problems in the input; nothing was written (--keep-going builds the rest):"
        ]
    );
    assert_eq!(lines[2], "  notes.zip: not a readable zip archive: invalid Zip archive: Could not find EOCD");
    // Every format scrollback reads is named, so the user can tell what was expected.
    assert!(lines[3].starts_with("  empty: not a recognised chat export: expected a Slack export (a directory or .zip with channels.json and users.json at its root), DiscordChatExporter JSON, a Mattermost bulk export"), "{stderr}");
    assert!(lines[3].ends_with("or a folder of PNG snapshots"), "{stderr}");
    assert_eq!(lines[4], "  missing: No such file or directory (os error 2)");
    assert_eq!(lines.len(), 5);
}
