//! URLs that last: a rebuild may not drop a URL the previous build published; renamed channels
//! leave redirects behind, kept through later builds and renames.

use std::path::{Path, PathBuf};

use crate::harness::{Site, case, scrollback, tree};

/// A copy of the hand-made Slack case that a test may edit.
fn export(dir: &Path) -> PathBuf {
    let to = dir.join("export");
    for (rel, bytes) in tree(&case("slack/everything")) {
        fs_err::create_dir_all(to.join(&rel).parent().unwrap()).unwrap();
        fs_err::write(to.join(rel), bytes).unwrap();
    }
    to
}

fn rename_channel(export: &Path, from: &str, to: &str) {
    let path = export.join("channels.json");
    let text = fs_err::read_to_string(&path).unwrap();
    fs_err::write(&path, text.replace(&format!("\"name\": \"{from}\""), &format!("\"name\": \"{to}\"")))
        .unwrap();
    fs_err::rename(export.join(from), export.join(to)).unwrap();
}

/// A copy of the case in `dir`, built into `dir/public`: (export, out).
fn built(dir: &Path) -> (PathBuf, PathBuf) {
    let (export, out) = (export(dir), dir.join("public"));
    assert!(build(&export, &out, &[]).0);
    (export, out)
}

/// Builds `export` into `out` with extra arguments: (success, stderr).
fn build(export: &Path, out: &Path, args: &[&str]) -> (bool, String) {
    let output = scrollback(out.parent().unwrap())
        .arg("build")
        .arg(export)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn renamed_channels_leave_redirects_that_later_builds_keep() {
    let tmp = tempfile::tempdir().unwrap();
    let export = export(tmp.path());
    let mut site = Site::build(std::slice::from_ref(&export), &[]);
    rename_channel(&export, "eng", "engineering");
    site.rebuild(std::slice::from_ref(&export), &[]);
    assert!(site.stderr.contains("redirects for renamed channels: 2"), "{}", site.stderr);
    let old = site.page("c/eng/2020/03/01/");
    assert!(
        old.contains("<link rel=\"canonical\" href=\"../../../../../c/engineering/2020/03/01/\">"),
        "{old}"
    );
    assert!(old.contains(
        "<meta http-equiv=\"refresh\" content=\"0; url=../../../../../c/engineering/2020/03/01/\">"
    ));
    assert!(site.page("c/eng/").contains("href=\"../../c/engineering/\""));
    // The redirect script keeps the #fragment of a permalink.
    let script = regex::Regex::new(r#"<script src="((?:\.\./)+)(assets/redirect\.[0-9a-f]+\.js)">"#).unwrap();
    let js = &script.captures(&old).unwrap()[2];
    assert!(String::from_utf8(site.files()[js].clone()).unwrap().contains("location.hash"));

    // Kept by a build with nothing changed, then followed through a second rename.
    let before = site.files();
    site.rebuild(std::slice::from_ref(&export), &["--force"]);
    assert_eq!(site.files(), before, "a full rebuild with no change is byte-identical");
    rename_channel(&export, "engineering", "eng-team");
    site.rebuild(std::slice::from_ref(&export), &[]);
    for old in ["c/eng/2020/03/01/", "c/engineering/2020/03/01/"] {
        assert!(site.page(old).contains("href=\"../../../../../c/eng-team/2020/03/01/\""), "{old}");
    }
    let check = scrollback(site.tmp.path()).args(["check", "--site"]).arg(&site.out).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
}

#[test]
fn a_build_that_drops_a_published_url_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let (export, out) = built(tmp.path());
    let published = fs_err::read(out.join("manifest.json")).unwrap();
    fs_err::remove_file(export.join("general/2020-03-02.json")).unwrap();
    let (ok, stderr) = build(&export, &out, &[]);
    assert!(!ok);
    let listed = "2 URLs of the previous build would be gone; nothing was written (--allow-removals publishes anyway):\n  /c/general/2020/03/02/\n  /c/general/2020/03/03/\n";
    assert!(stderr.contains(listed), "{stderr}");
    assert_eq!(fs_err::read(out.join("manifest.json")).unwrap(), published, "the site is untouched");
    assert!(out.join("c/general/2020/03/02/index.html").is_file());

    // Against a manifest fetched from wherever the site is published, into a fresh directory.
    let fetched = tmp.path().join("published-manifest.json");
    fs_err::write(&fetched, &published).unwrap();
    let (ok, stderr) =
        build(&export, &tmp.path().join("fresh"), &["--previous-manifest", fetched.to_str().unwrap()]);
    assert!(!ok && stderr.contains("  /c/general/2020/03/02/"), "{stderr}");

    let (ok, stderr) = build(&export, &out, &["--allow-removals"]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("removed (--allow-removals): /c/general/2020/03/02/ /c/general/2020/03/03/"),
        "{stderr}"
    );
    assert!(!out.join("c/general/2020/03/02/index.html").exists());
}

#[test]
fn an_unreadable_previous_manifest_is_an_error_when_named_and_a_warning_when_found() {
    let tmp = tempfile::tempdir().unwrap();
    let export = export(tmp.path());
    let out = tmp.path().join("public");
    let bad = tmp.path().join("bad.json");
    fs_err::write(&bad, "{").unwrap();
    let (ok, stderr) = build(&export, &out, &["--previous-manifest", bad.to_str().unwrap()]);
    assert!(!ok && stderr.contains("bad.json: EOF while parsing"), "{stderr}");
    assert!(build(&export, &out, &[]).0);
    let unchanged = build(&export, &out, &["--force"]).1;
    let files = tree(&out).len() - 1; // all but manifest.json itself
    assert!(unchanged.contains(&format!("unchanged since the previous build: {files} files")), "{unchanged}");
    fs_err::write(out.join("manifest.json"), "[]").unwrap();
    let (ok, stderr) = build(&export, &out, &[]);
    assert!(ok && stderr.contains("removed URLs are not checked"), "{stderr}");
}

/// Modification times of every file under `dir`.
fn mtimes(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let walk = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().map(Result::unwrap);
    walk.filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_owned(), e.metadata().unwrap().modified().unwrap()))
        .collect()
}

#[test]
fn a_rebuild_with_nothing_changed_writes_nothing_and_any_change_builds_again() {
    let tmp = tempfile::tempdir().unwrap();
    let (export, out) = built(tmp.path());
    let (site, index) = (mtimes(&out), mtimes(&tmp.path().join("public.index")));
    let (ok, stderr) = build(&export, &out, &[]);
    assert!(ok && stderr.contains("Up to date: "), "{stderr}");
    assert_eq!(mtimes(&out), site, "no file rewritten");
    assert_eq!(mtimes(&tmp.path().join("public.index")), index);

    // Any change to what shapes the site builds again: an input, the config, a theme file.
    let day = export.join("eng/2020-03-01.json");
    let text = fs_err::read_to_string(&day).unwrap().replacen("\"text\": \"", "\"text\": \"zqchanged ", 1);
    fs_err::write(&day, text).unwrap();
    let (ok, stderr) = build(&export, &out, &[]);
    assert!(ok && stderr.contains("Built "), "{stderr}");
    assert!(fs_err::read_to_string(out.join("c/eng/2020/03/01/index.html")).unwrap().contains("zqchanged"));
    let config = tmp.path().join("scrollback.toml");
    fs_err::write(&config, "title = \"Renamed\"\n").unwrap();
    let (ok, stderr) = build(&export, &out, &["--config", config.to_str().unwrap()]);
    assert!(ok && stderr.contains("Built "), "{stderr}");
    let theme = tmp.path().join("theme");
    fs_err::create_dir_all(theme.join("assets")).unwrap();
    fs_err::write(&config, "title = \"Renamed\"\ntheme = \"theme\"\n").unwrap();
    assert!(build(&export, &out, &["--config", config.to_str().unwrap()]).1.contains("Built "));
    assert!(build(&export, &out, &["--config", config.to_str().unwrap()]).1.contains("Up to date: "));
    fs_err::write(theme.join("assets/style.css"), "body { color: red }").unwrap();
    let (ok, stderr) = build(&export, &out, &["--config", config.to_str().unwrap()]);
    assert!(ok && stderr.contains("Built "), "{stderr}");

    // A site changed behind scrollback's back, or a damaged record, is never trusted.
    fs_err::write(
        out.join("manifest.json"),
        fs_err::read_to_string(out.join("manifest.json")).unwrap() + " ",
    )
    .unwrap();
    assert!(build(&export, &out, &["--config", config.to_str().unwrap()]).1.contains("Built "));
    fs_err::write(tmp.path().join("public.index/build.json"), "{").unwrap();
    let (ok, stderr) = build(&export, &out, &["--config", config.to_str().unwrap()]);
    assert!(ok && stderr.contains("build.json: EOF while parsing") && stderr.contains("Built "), "{stderr}");
    let forced = build(&export, &out, &["--config", config.to_str().unwrap(), "--force"]).1;
    assert!(forced.contains("Built "), "{forced}");
}

/// The manifest's URL → hash map of a built site.
fn manifest_urls(out: &Path) -> serde_json::Map<String, serde_json::Value> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs_err::read(out.join("manifest.json")).unwrap()).unwrap();
    manifest["urls"].as_object().unwrap().clone()
}

#[test]
fn a_rebuild_after_appending_a_day_equals_a_clean_build_of_the_same_export() {
    let tmp = tempfile::tempdir().unwrap();
    let export = export(tmp.path());
    let mut site = Site::build(std::slice::from_ref(&export), &[]);
    let day = serde_json::json!([{"type": "message", "user": "U1", "text": "the next day", "ts": "1583236800.000100"}]);
    fs_err::write(export.join("eng/2020-03-03.json"), day.to_string()).unwrap();
    let before = manifest_urls(&site.out);
    let (old_files, old_times) = (site.files(), mtimes(&site.out));
    site.rebuild(std::slice::from_ref(&export), &[]);
    let reused =
        regex::Regex::new(r"index: [1-9]\d* messages kept from the previous build's index, \d+ indexed")
            .unwrap();
    assert!(reused.is_match(&site.stderr), "the index was updated, not rewritten: {}", site.stderr);
    let remembered = regex::Regex::new(
        r"messages read: 1 new or changed, (\d+) remembered from the previous build; redaction skipped (\d+) found clean",
    )
    .unwrap();
    let counts = remembered.captures(&site.stderr).unwrap_or_else(|| panic!("{}", site.stderr));
    let (remembered_count, clean_count): (u32, u32) =
        (counts[1].parse().unwrap(), counts[2].parse().unwrap());
    let total: u32 = regex::Regex::new(r"channels, (\d+) messages").unwrap().captures(&site.stderr).unwrap()
        [1]
    .parse()
    .unwrap();
    assert_eq!(remembered_count, total - 1, "every other message remembered: {}", site.stderr);
    assert!(clean_count > 0 && clean_count <= remembered_count, "{}", site.stderr);
    let days =
        regex::Regex::new(r"day files: 1 new or changed parsed, [1-9]\d* remembered from the previous build")
            .unwrap();
    assert!(days.is_match(&site.stderr), "only the new day file is parsed: {}", site.stderr);
    let clean = Site::build(std::slice::from_ref(&export), &[]);
    assert_eq!(site.files(), clean.files(), "the rebuilt site is the clean build, byte for byte");
    // And so is what it knows for the next build, and its redaction report.
    for file in ["days.bin", "readings.bin", "clean.bin", "redactions.json"] {
        let read = |out: &Path| fs_err::read(out.with_file_name("public.index").join(file)).unwrap();
        assert_eq!(read(&site.out), read(&clean.out), "{file}");
    }
    // A file whose content did not change was not written again: it keeps its mtime.
    let new_files = site.files();
    for (path, time) in mtimes(&site.out) {
        let rel = path.strip_prefix(&site.out).unwrap().to_str().unwrap().replace('\\', "/");
        let was = old_times.iter().find(|(p, _)| *p == path).map(|(_, t)| *t);
        let same = old_files.get(&rel) == new_files.get(&rel);
        assert_eq!(was == Some(time), same && rel != "manifest.json", "{rel}");
    }
    // The pages that changed: the new day, the day before it (its "next" link), and the
    // channel and home pages (their counts); besides them, only search files.
    let after = manifest_urls(&site.out);
    let mut pages: Vec<&str> = after
        .iter()
        .filter(|(url, hash)| url.ends_with('/') && before.get(*url) != Some(*hash))
        .map(|(url, _)| url.as_str())
        .collect();
    pages.sort();
    assert_eq!(pages, ["/", "/c/eng/", "/c/eng/2020/03/01/", "/c/eng/2020/03/03/"]);
}

#[test]
fn a_new_redaction_rule_reaches_messages_an_earlier_build_found_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let (export, out) = built(tmp.path());
    assert!(tree(&out).iter().any(|(_, bytes)| String::from_utf8_lossy(bytes).contains("eng message")));
    let config = tmp.path().join("scrollback.toml");
    let rule =
        "[[redaction.rules]]\nname = \"eng\"\npattern = 'eng message'\nreplacement = \"[eng redacted]\"\n";
    fs_err::write(&config, rule).unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let (ok, stderr) = build(&export, &out, &args);
    assert!(ok && stderr.contains("redaction skipped 0 found clean before"), "{stderr}");
    let fresh = tmp.path().join("fresh");
    assert!(build(&export, &fresh, &args).0);
    assert_eq!(tree(&out), tree(&fresh), "the rebuild redacts as a clean build does");
    assert!(!tree(&out).iter().any(|(_, bytes)| String::from_utf8_lossy(bytes).contains("eng message")));
}

/// Day and incident pages are kept by a key made from what they show, without rendering
/// them (see `render::keys`): each kind of change a page shows from outside its own messages
/// must render it again, so that the rebuilt site is still a clean build of the same inputs.
#[test]
fn a_page_is_rendered_again_whenever_anything_it_shows_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (export, out) = built(tmp.path());
    let config = tmp.path().join("scrollback.toml");
    fs_err::write(&config, "").unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let edit = |rel: &str, from: &str, to: &str| {
        let path = export.join(rel);
        let text = fs_err::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} has {from:?}");
        fs_err::write(&path, text.replace(from, to)).unwrap();
    };
    let (general, eng) = ("c/general/2020/03/01/index.html", "c/eng/2020/03/01/index.html");
    let changes: [(&str, &dyn Fn(), &str, &str); 8] = [
        (
            "a reply from another day, shown under its root",
            &|| edit("general/2020-03-02.json", "A reply on the next day", "An edited reply"),
            general,
            "An edited reply",
        ),
        (
            "a message mentioning someone who does not write on that day",
            &|| edit("eng/2020-03-01.json", "eng message", "eng message for <@U3>"),
            eng,
            "Gone Person",
        ),
        (
            "that person's name",
            &|| edit("users.json", "Gone Person", "Gone Elsewhere"),
            eng,
            "Gone Elsewhere",
        ),
        ("the channel's topic", &|| edit("channels.json", "Welcome <@U1>", "Hello <@U1>"), general, "Hello"),
        (
            "a mentioned channel's name",
            &|| rename_channel(&export, "eng", "engineering"),
            general,
            "#engineering",
        ),
        (
            "an incident badge",
            &|| {
                let declared = "[[incidents.declare]]\nchannel = \"general\"\ntitle = \"Declared by hand\"\n\
                                start = \"2020-03-01T10:00:00Z\"\nend = \"2020-03-01T10:05:00Z\"\n";
                fs_err::write(&config, declared).unwrap();
            },
            general,
            "Declared by hand",
        ),
        (
            "a message an incident shows",
            &|| edit("general/2020-03-01.json", "First reply", "First *reply*, edited"),
            "incidents/2020-03-01-general-1000/index.html",
            "First reply, edited",
        ),
        (
            "the name of someone in an incident",
            &|| edit("users.json", "Bob Builder", "Robert Builder"),
            "incidents/2020-03-01-general-1000/index.html",
            "Robert Builder",
        ),
    ];
    let kept_pages = regex::Regex::new(r"(\d+) of them pages not rendered again").unwrap();
    for (n, (what, change, page, shown)) in changes.into_iter().enumerate() {
        // The clean build is told the previous manifest too, so that it writes the same
        // redirects for a renamed channel.
        let previous = tmp.path().join(format!("manifest-{n}.json"));
        fs_err::copy(out.join("manifest.json"), &previous).unwrap();
        change();
        let (ok, stderr) = build(&export, &out, &args);
        assert!(ok, "{what}: {stderr}");
        // Pages must have been kept, or the comparison below would hold whatever the keys did.
        let kept: usize = kept_pages.captures(&stderr).map_or(0, |c| c[1].parse().unwrap());
        assert!(kept > 0, "{what}: no page was kept: {stderr}");
        assert!(fs_err::read_to_string(out.join(page)).unwrap().contains(shown), "{what}: {page} shows it");
        let fresh = tmp.path().join(format!("fresh-{n}"));
        let clean_args = [&args[..], &["--previous-manifest", previous.to_str().unwrap()]].concat();
        assert!(build(&export, &fresh, &clean_args).0);
        let (rebuilt, clean) = (tree(&out), tree(&fresh));
        let differ: Vec<&String> =
            rebuilt.keys().chain(clean.keys()).filter(|f| rebuilt.get(*f) != clean.get(*f)).collect();
        assert!(differ.is_empty(), "{what}: the rebuilt site is a clean build, but these differ: {differ:?}");
    }
}

#[test]
fn a_reply_is_rendered_again_when_the_message_it_answers_moves_to_another_page() {
    let tmp = tempfile::tempdir().unwrap();
    let (export, out) = (tmp.path().join("chat.jsonl"), tmp.path().join("public"));
    let config = tmp.path().join("scrollback.toml");
    fs_err::write(&config, "day_page_messages = 2\n").unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let line = |id: &str, time: &str, extra: &str| {
        format!(
            "{{\"channel\": \"ops\", \"id\": \"{id}\", \"time\": \"{time}\", \"author\": \"ann\", \"text\": \"say {id}\"{extra}}}\n"
        )
    };
    let answered = line("a", "2020-03-01T12:00:00Z", "");
    let reply = line("r", "2020-03-02T09:00:00Z", ", \"reply_to\": \"a\"");
    let later = line("z", "2020-03-03T09:00:00Z", "");
    fs_err::write(&export, [answered.clone(), reply.clone(), later.clone()].concat()).unwrap();
    assert!(build(&export, &out, &args).0);
    let replying = "c/ops/2020/03/02/index.html";
    assert!(fs_err::read_to_string(out.join(replying)).unwrap().contains("2020/03/01/#m-a"));
    // Two earlier messages that day put the answered one on the day's second page.
    let earlier = [line("e1", "2020-03-01T08:00:00Z", ""), line("e2", "2020-03-01T09:00:00Z", "")].concat();
    fs_err::write(&export, [earlier, answered, reply, later].concat()).unwrap();
    let (ok, stderr) = build(&export, &out, &args);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("pages not rendered again"), "the later day's page is kept: {stderr}");
    let fresh = tmp.path().join("fresh");
    assert!(build(&export, &fresh, &args).0);
    let (rebuilt, clean) = (tree(&out), tree(&fresh));
    assert!(String::from_utf8_lossy(&clean[replying]).contains("2020/03/01/2/#m-a"));
    assert!(rebuilt[replying] == clean[replying], "the reply links where its answer is now");
}

#[test]
fn a_template_change_changes_exactly_the_pages_it_renders() {
    let tmp = tempfile::tempdir().unwrap();
    let export = export(tmp.path());
    let out = tmp.path().join("public");
    let theme = tmp.path().join("theme");
    let config = tmp.path().join("scrollback.toml");
    fs_err::write(&config, "theme = \"theme\"\n").unwrap();
    let config = config.to_str().unwrap();
    assert!(build(&export, &out, &["--config", config]).0);
    let before = manifest_urls(&out);
    let day = fs_err::read_to_string(crate::harness::repo().join("templates/day.html")).unwrap();
    fs_err::create_dir_all(theme.join("templates")).unwrap();
    fs_err::write(
        theme.join("templates/day.html"),
        day.replace("{% block main %}", "{% block main %}<!-- v2 -->"),
    )
    .unwrap();
    let times = mtimes(&out);
    let (ok, stderr) = build(&export, &out, &["--config", config]);
    assert!(ok, "{stderr}");
    let after = manifest_urls(&out);
    // Every unchanged file was kept from the previous site, and every page but the day
    // pages was not even rendered (checked against the page count below).
    let unchanged = regex::Regex::new(
        r"unchanged since the previous build: (\d+) files \((\d+) kept from it, (\d+) of them pages not rendered again\)",
    )
    .unwrap();
    let counts = unchanged.captures(&stderr).unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(counts[1], counts[2], "{stderr}");
    let kept = mtimes(&out).iter().filter(|entry| times.contains(entry)).count();
    assert_eq!(kept.to_string(), counts[2], "every kept file keeps its mtime");
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    let changed: Vec<&String> = after.iter().filter(|(u, h)| before[*u] != **h).map(|(u, _)| u).collect();
    let days: Vec<&String> =
        after.keys().filter(|u| u.matches('/').count() == 6 && u.starts_with("/c/")).collect();
    assert!(!days.is_empty());
    let pages = after.keys().filter(|u| u.ends_with('/')).count();
    assert_eq!(counts[3].parse::<usize>().unwrap(), pages - days.len(), "{stderr}");
    assert_eq!(changed, days, "only the day pages changed");
}

#[test]
fn a_damaged_stale_or_tampered_page_record_is_never_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let (export, out) = built(tmp.path());
    let record = tmp.path().join("public.index/files.bin");
    let clean = tree(&out);
    let edit = |name: &str| {
        let day = export.join("eng/2020-03-01.json");
        let text = fs_err::read_to_string(&day).unwrap().replacen(
            "\"text\": \"",
            &format!("\"text\": \"{name} "),
            1,
        );
        fs_err::write(&day, text).unwrap();
    };
    // Each case changes an input, so that a build happens, and compares with a clean build.
    let expect_clean = |stderr: &str| {
        let fresh = tmp.path().join(format!("fresh-{}", stderr.len()));
        assert!(build(&export, &fresh, &[]).0);
        assert_eq!(tree(&out), tree(&fresh), "{stderr}");
    };

    let mut damaged = fs_err::read(&record).unwrap();
    damaged.truncate(damaged.len() / 2);
    fs_err::write(&record, damaged).unwrap();
    edit("one");
    let (ok, stderr) = build(&export, &out, &[]);
    assert!(ok && stderr.contains("files.bin: damaged or not from this version"), "{stderr}");
    assert!(stderr.contains("ignoring it and rendering every page"), "{stderr}");
    assert!(stderr.contains("(0 kept"), "{stderr}");
    assert!(stderr.contains("messages read: 1 new or changed"), "only the edited message is read: {stderr}");
    assert!(stderr.contains("day files: 1 new or changed parsed"), "only the edited day is parsed: {stderr}");
    expect_clean(&stderr);

    // A damaged record of what the last build read of each message, or of what redaction
    // found clean: that work is done again for every message.
    // Or of the day files it parsed: every day file is parsed again.
    for (file, edit_text, nothing) in [
        ("readings.bin", "five", ", 0 remembered from the previous build"),
        ("clean.bin", "six", "redaction skipped 0 found clean"),
        ("days.bin", "seven", "messages read"),
    ] {
        let records = tmp.path().join("public.index").join(file);
        let mut bytes = fs_err::read(&records).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        fs_err::write(&records, bytes).unwrap();
        edit(edit_text);
        let (ok, stderr) = build(&export, &out, &[]);
        let warning =
            format!("{file}: damaged or not from this version; doing its work again for every message");
        assert!(ok && stderr.contains(&warning), "{stderr}");
        assert!(stderr.contains(nothing), "{stderr}");
        assert_eq!(stderr.contains("day files:"), file != "days.bin", "{stderr}");
        expect_clean(&stderr);
    }

    // A record from another build of the site (here: the site's manifest was replaced).
    let text = fs_err::read_to_string(out.join("manifest.json")).unwrap();
    fs_err::write(out.join("manifest.json"), text.replace("\"format\": 2", "\"format\":  2")).unwrap();
    edit("two");
    let (ok, stderr) = build(&export, &out, &[]);
    assert!(ok && stderr.contains("it was written for another build of the site"), "{stderr}");
    expect_clean(&stderr);

    // A damaged record of the search index's base: the index is written from scratch. (And
    // files that are not the site's, left in it, are gone after the site is updated in place.)
    fs_err::write(tmp.path().join("public.index/base/documents.bin"), "SBDOCS01").unwrap();
    fs_err::create_dir_all(out.join("stray/deeper")).unwrap();
    fs_err::write(out.join("stray/deeper/notes.txt"), "not the site's").unwrap();
    fs_err::write(out.join("c/stray.html"), "not the site's").unwrap();
    edit("four");
    let (ok, stderr) = build(&export, &out, &[]);
    assert!(
        ok && stderr.contains("documents.bin is damaged; writing the search index from scratch"),
        "{stderr}"
    );
    assert!(!stderr.contains("kept from the previous build's index"), "{stderr}");
    expect_clean(&stderr);
    assert!(!out.join("stray").exists(), "directories left empty are removed too");
    let search = |out: &Path| {
        scrollback(tmp.path()).args(["search", "--json", "four", "--site"]).arg(out).output().unwrap().stdout
    };
    assert_eq!(search(&out), search(&tmp.path().join(format!("fresh-{}", stderr.len()))));

    // A published page changed behind scrollback's back is rendered again, not kept.
    let page = out.join("c/general/2020/03/02/index.html");
    let original = fs_err::read_to_string(&page).unwrap();
    fs_err::write(&page, original.replace("<main", "<main data-edited")).unwrap();
    edit("three");
    let (ok, stderr) = build(&export, &out, &[]);
    assert!(ok && stderr.contains("1 file of the previous site changed after it was built"), "{stderr}");
    assert_eq!(fs_err::read_to_string(&page).unwrap(), original);
    expect_clean(&stderr);
    assert_ne!(tree(&out), clean, "the edits were published");
}

/// A Slack export of one channel with `days` days of `per_day` messages each.
fn long_export(dir: &Path, days: u32, per_day: u32) -> PathBuf {
    let export = dir.join("long");
    fs_err::create_dir_all(export.join("ops")).unwrap();
    fs_err::write(export.join("users.json"), r#"[{"id": "U1", "name": "ana"}]"#).unwrap();
    let channels = r#"[{"id": "C1", "name": "ops", "created": 1583020800, "members": ["U1"]}]"#;
    fs_err::write(export.join("channels.json"), channels).unwrap();
    for day in 0..days {
        let start = 1_583_020_800 + u64::from(day) * 86_400;
        let messages: Vec<serde_json::Value> = (0..per_day)
            .map(|i| {
                let text = format!("deploy {day}-{i} of metrics-web-{} done", i % 7);
                serde_json::json!({"type": "message", "user": "U1", "text": text, "ts": format!("{}.000100", start + u64::from(i) * 60)})
            })
            .collect();
        let date = jiff::Timestamp::from_second(i64::try_from(start).unwrap()).unwrap().strftime("%Y-%m-%d");
        fs_err::write(export.join(format!("ops/{date}.json")), serde_json::to_string(&messages).unwrap())
            .unwrap();
    }
    export
}

#[test]
fn appending_messages_renames_only_the_last_search_files() {
    let tmp = tempfile::tempdir().unwrap();
    // 9,000 messages: three directories of document files (4,096 messages each, 16 to a
    // file), and the terms in two segments, of 8,192 messages and the rest.
    let export = long_export(tmp.path(), 10, 900);
    let config = tmp.path().join("scrollback.toml");
    fs_err::write(&config, "[search]\nsegments = [4096]\n").unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let out = tmp.path().join("public");
    assert!(build(&export, &out, &args).0);
    let before = manifest_urls(&out);
    let times = mtimes(&out);
    let day = long_export(&tmp.path().join("plus"), 11, 900).join("ops/2020-03-11.json");
    fs_err::copy(day, export.join("ops/2020-03-11.json")).unwrap();
    let (ok, stderr) = build(&export, &out, &args);
    assert!(ok, "{stderr}");
    // The first directory's records (messages older than the index's base) were kept from
    // the previous build, not made again: they keep their modification times.
    let now = mtimes(&out);
    let file_0 =
        now.iter().find(|(p, _)| p.ends_with("0.bin") && p.to_string_lossy().contains("/d-")).unwrap();
    let first_dir: Vec<_> = now.iter().filter(|(p, _)| p.parent() == file_0.0.parent()).collect();
    assert_eq!(first_dir.len(), 256);
    assert!(first_dir.iter().all(|entry| times.contains(entry)));
    let clean = tmp.path().join("clean");
    assert!(build(&export, &clean, &args).0);
    assert_eq!(tree(&out), tree(&clean), "the rebuilt site is the clean build, byte for byte");
    let after = manifest_urls(&out);
    // The first term segment (messages 0–8,191) keeps its files, the second is written again.
    let search: serde_json::Value =
        serde_json::from_slice(&fs_err::read(out.join("search/manifest.json")).unwrap()).unwrap();
    let segments = search["segments"].as_array().unwrap();
    let bounds: Vec<(u64, u64)> =
        segments.iter().map(|s| (s["first"].as_u64().unwrap(), s["docs"].as_u64().unwrap())).collect();
    assert_eq!(bounds, [(0, 8192), (8192, 1708)]);
    let dirs = |s: &serde_json::Value| [s["terms"]["dir"].clone(), s["postings"]["dir"].clone()];
    for (segment, kept) in segments.iter().zip([true, false]) {
        for dir in dirs(segment) {
            let prefix = format!("/search/{}", dir.as_str().unwrap());
            let files: Vec<&String> = after.keys().filter(|u| u.starts_with(&prefix)).collect();
            assert!(!files.is_empty(), "{prefix}");
            assert!(files.iter().all(|u| before.contains_key(*u) == kept), "{prefix}: kept {kept}");
            let written: Vec<_> =
                now.iter().filter(|(p, _)| p.to_string_lossy().contains(&prefix[1..])).collect();
            assert_eq!(written.len(), files.len(), "{prefix}");
            assert!(written.iter().all(|e| times.contains(e) == kept), "{prefix}: mtimes kept {kept}");
        }
    }
    let documents = |urls: &serde_json::Map<String, serde_json::Value>| -> Vec<String> {
        urls.keys().filter(|u| u.starts_with("/search/d-")).cloned().collect()
    };
    let (old, new) = (documents(&before), documents(&after));
    assert_eq!((old.len(), new.len()), (563, 619), "9,000 and 9,900 messages, 16 to a file");
    // Files 0–511 (the first two directories) keep their URLs; the third directory changes.
    let kept: Vec<&String> = new.iter().filter(|u| old.contains(u)).collect();
    assert_eq!(kept.len(), 512, "{kept:?}");
    assert!(
        kept.iter()
            .all(|u| u.rsplit('/').next().unwrap().trim_end_matches(".bin").parse::<usize>().unwrap() < 512)
    );
}
