//! Mattermost bulk exports: the hand-written team case and the real files in the shared
//! fixtures (a whole old-style export, and single objects cut from a v11 export).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::harness::{Site, anchors, article, case, shared_fixtures, tree};
use crate::media::png;

const UPLOADS: &str = "data/20240305/teams/acme/channels/c1/users/u3";

/// The case as `mmctl export` would zip it: `import.jsonl` and the files under `data/`.
fn acme(root: &Path) -> PathBuf {
    let dir = root.join("acme");
    for (rel, bytes) in tree(&case("mattermost/acme")) {
        fs_err::create_dir_all(dir.join(&rel).parent().unwrap()).unwrap();
        fs_err::write(dir.join(rel), bytes).unwrap();
    }
    for (rel, bytes) in
        [("f1/latency.png", png(300, 120, 9, &[])), ("f2/runbook.txt", b"1. check replicas\n".to_vec())]
    {
        let path = dir.join(UPLOADS).join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, bytes).unwrap();
    }
    dir
}

static SITE: LazyLock<Site> = LazyLock::new(|| {
    let tmp = tempfile::tempdir().unwrap();
    Site::build(&[acme(tmp.path())], &["-v"])
});

fn ops() -> String {
    SITE.page("c/ops/2024/03/05/")
}

#[test]
fn posts_and_unsorted_replies_land_in_time_order_under_their_root() {
    assert_eq!(SITE.channels(), ["ops", "ops-labs-ops"], "one name in two teams: two channels");
    let page = ops();
    assert_eq!(
        anchors(&page),
        [
            "1709627400000-carol",
            "1709628000000-bob.b",
            "1709629200000-alice",
            "1709629800000-carol",
            "1709630400000-bob.b",
            "1709629500000-grafana-bot",
            "1709631000000-carol",
            "1709631000000-carol-7a783969",
            "1709632800000-grafana-bot"
        ],
        "replies (first, second) inside their root; same-millisecond posts told apart"
    );
    let root = article(&page, "1709629200000-alice");
    assert!(root.find("first reply").unwrap() < root.find("second reply").unwrap());
    assert!(root.contains("first reply 🤣 at 12:30:45"), "shortcodes in text are emoji, as reactions are");
    assert!(root.contains("<span class=\"pinned\""));
    assert!(root.contains("<span class=\"mention\">@Bobby</span>"), "@username shows the person's name");
    assert!(
        root.contains(
            "<li title=\"Bobby and carol reacted with :+1:\"><span class=\"emoji\">👍</span> 2</li>"
        ),
        "{root}"
    );
    assert!(article(&page, "1709629800000-carol").contains("(edited)"));
    for join in ["1709627400000-carol", "1709628000000-bob.b"] {
        assert!(article(&page, join).contains("msg-join"), "{join}: a system type, and the old join text");
    }
}

#[test]
fn webhook_cards_attachments_and_privacy() {
    let page = ops();
    let alert = article(&page, "1709629500000-grafana-bot");
    assert!(
        alert.contains("<span class=\"author\">Grafana Alerts</span> <span class=\"badge\">bot</span>"),
        "{alert}"
    );
    assert!(alert.contains("<dt>count</dt><dd>3</dd>"), "a number as a field value");
    assert!(
        SITE.has_page("incidents/2024-03-05-ops-0905/"),
        "the webhook's alerts open and close an incident"
    );
    assert!(article(&page, "1709629800000-carol").contains("alt=\"latency.png\""), "path with data/");
    let files = article(&page, "1709631000000-carol-7a783969");
    assert!(files.contains("/runbook.txt\" download=\"runbook.txt\">"), "path without data/: {files}");
    assert!(
        files.contains(
            "missing.pdf</span> <span class=\"file-meta\">PDF</span> <span class=\"not-archived\">"
        )
    );
    for (path, bytes) in SITE.files() {
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["private words", "dm words", "dm reply words", "group words", "acme.example"] {
            assert!(!text.contains(secret), "{path} has {secret:?}");
        }
    }
    for withheld in ["secrets (private channel", "dm-alice-carol (DM", "dm-alice-bob.b-carol (group DM"] {
        assert!(SITE.stderr.contains(&format!("not published: {withheld}")), "{}", SITE.stderr);
    }
}

#[test]
fn dms_in_either_member_order_are_one_conversation() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("scrollback.toml");
    fs_err::write(&config, "[publish]\nprivate = [\"dm-alice-carol\"]\n").unwrap();
    let site = Site::build(&[acme(tmp.path())], &["--config", config.to_str().unwrap()]);
    let dm = site.page("c/dm-alice-carol/2024/03/05/");
    assert_eq!(anchors(&dm), ["1709632200000-alice", "1709632260000-carol"]);
}

#[test]
fn a_broken_line_is_named_by_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = acme(tmp.path());
    let jsonl = dir.join("import.jsonl");
    let mut text = fs_err::read_to_string(&jsonl).unwrap();
    text = text.replacen(
        "{\"type\":\"post\",\"post\":{\"team\":\"labs\"",
        "{\"type\":\"post\",\"post\":{\"team\":7",
        1,
    );
    fs_err::write(&jsonl, text).unwrap();
    let out = crate::harness::scrollback(tmp.path())
        .arg("build")
        .arg(&dir)
        .args(["--out", "public"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("import.jsonl:20:"), "{stderr}");
    assert!(stderr.contains("invalid type: integer `7`, expected a string"), "{stderr}");
}

/// Published channel name → message count and reaction count, from the export's own lines.
fn expected(jsonl: &str) -> BTreeMap<String, (usize, u32)> {
    let mut public = BTreeSet::new();
    let mut counts: BTreeMap<String, (usize, u32)> = BTreeMap::new();
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        match v["type"].as_str().unwrap() {
            "channel" if v["channel"]["type"] == "O" => {
                public.insert(v["channel"]["name"].as_str().unwrap().to_owned());
            }
            "post" => {
                let post = &v["post"];
                let entry = counts.entry(post["channel"].as_str().unwrap().to_owned()).or_default();
                let replies = post["replies"].as_array().cloned().unwrap_or_default();
                entry.0 += 1 + replies.len();
                for p in std::iter::once(post).chain(&replies) {
                    entry.1 += u32::try_from(p["reactions"].as_array().map_or(0, Vec::len)).unwrap();
                }
            }
            _ => {}
        }
    }
    counts.retain(|name, _| public.contains(name));
    counts
}

#[test]
fn the_shared_mattermost_export_keeps_every_public_post_reply_and_reaction() {
    let Some(fixtures) = shared_fixtures() else { return };
    let file = fixtures.join("mattermost/zulip/zerver/tests/fixtures/mattermost_fixtures/export.json");
    let expected = expected(&fs_err::read_to_string(&file).unwrap());
    let site = Site::build(&[file], &["-v"]);
    let reaction =
        regex::Regex::new(r#"reacted with :[^:"]+:"><span class="emoji">[^<]*</span> (\d+)</li>"#).unwrap();
    let mut found = BTreeMap::new();
    for slug in site.channels() {
        let pages: String = walkdir::WalkDir::new(site.out.join("c").join(&slug))
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_name() == "index.html" && e.depth() == 4)
            .map(|e| fs_err::read_to_string(e.path()).unwrap())
            .collect();
        let reactions = reaction.captures_iter(&pages).map(|c| c[1].parse::<u32>().unwrap()).sum();
        found.insert(slug, (anchors(&pages).len(), reactions));
    }
    assert_eq!(found, expected);
    assert!(site.stderr.contains("not published: dumbledores-army (private channel"));
    assert!(
        site.stderr.contains(
            "1 post names the channel gryffindor/slytherin-quidditch-team, which its team does not own; \
             shown in slytherin/slytherin-quidditch-team"
        ),
        "{}",
        site.stderr
    );
}

#[test]
fn the_shared_v11_objects_import_with_replies_sorted_and_dms_by_participants() {
    let Some(fixtures) = shared_fixtures() else { return };
    let samples = fixtures
        .join("mattermost/zulip/zerver/tests/fixtures/mattermost_v11.1.0_fixtures/exported_object_samples");
    let order =
        ["version", "channel", "user", "bot", "post", "post_with_replies", "direct_channel", "direct_post"];
    let mut jsonl = String::new();
    for name in order {
        let value: serde_json::Value =
            serde_json::from_slice(&fs_err::read(samples.join(format!("{name}.json"))).unwrap()).unwrap();
        jsonl.push_str(&serde_json::to_string(&value).unwrap());
        jsonl.push('\n');
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("import.jsonl");
    fs_err::write(&input, jsonl).unwrap();
    // The posts' channels are not among the sample's channel objects: private until named.
    let config = tmp.path().join("scrollback.toml");
    fs_err::write(
        &config,
        "[publish]\nprivate = [\"minus-8\", \"amet-0\", \"dm-adam.torres-eugene.montgomery-rebecca.diaz\"]\n",
    )
    .unwrap();
    let site = Site::build(&[input], &["--config", config.to_str().unwrap()]);
    let thread = site.page("c/amet-0/2026/01/20/");
    let root = article(&thread, "1768916201357-eugene.montgomery");
    let replies: Vec<usize> = ["1768916233181-user-1", "1768916252899-user-1", "1768916284233-brandon.mccoy"]
        .iter()
        .map(|id| root.find(&format!("id=\"m-{id}\"")).unwrap_or_else(|| panic!("{id} not under its root")))
        .collect();
    assert!(replies.windows(2).all(|w| w[0] < w[1]), "replies in time order");
    assert!(site.has_page("c/minus-8/2026/01/20/"));
    assert_eq!(
        anchors(&site.page("c/dm-adam-torres-eugene-montgomery-rebecca-diaz/2026/01/20/")),
        ["1768951608481-eugene.montgomery"]
    );
}

#[test]
fn the_shared_direct_channel_export_keeps_every_dm_post_by_member_set() {
    let Some(fixtures) = shared_fixtures() else { return };
    let file = fixtures
        .join("mattermost/zulip/zerver/tests/fixtures/mattermost_fixtures/direct_channel/export.json");
    let text = fs_err::read_to_string(&file).unwrap();
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["type"] == "direct_post" {
            let mut members: Vec<&str> = v["direct_post"]["channel_members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            members.sort_unstable();
            members.dedup();
            *expected.entry(format!("dm-{}", members.join("-"))).or_default() += 1;
        }
    }
    let private: Vec<String> = expected.keys().map(|k| format!("{k:?}")).collect();
    let site = Site::with_config(&[file], &format!("[publish]\nprivate = [{}]\n", private.join(", ")));
    for (dm, count) in &expected {
        let pages: usize = walkdir::WalkDir::new(site.out.join("c").join(dm))
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_name() == "index.html" && e.depth() == 4)
            .map(|e| anchors(&fs_err::read_to_string(e.path()).unwrap()).len())
            .sum();
        assert_eq!(pages, *count, "{dm}");
    }
    assert!(expected.len() >= 2, "{expected:?}");
}
