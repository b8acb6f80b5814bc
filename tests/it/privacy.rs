//! Nothing private reaches the site, its search shards or its index: marker words planted in
//! private channels, group DMs, DMs, shared channels and profile fields are looked for in every
//! file (gzip inflated) and through `scrollback search`. A marker planted in a public channel
//! shows that the looking works.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{Site, anchors, article, case, gunzipped_text, tree};

const PUBLIC: &str = "zqpublicmarker";

/// A copy of a hand-made case in `dir`, to plant markers in.
fn copy_case(rel: &str, dir: &Path) -> PathBuf {
    let to = dir.join(rel.replace('/', "-"));
    for (path, bytes) in tree(&case(rel)) {
        let target = to.join(path);
        fs_err::create_dir_all(target.parent().unwrap()).unwrap();
        fs_err::write(target, bytes).unwrap();
    }
    to
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut value: Value = serde_json::from_slice(&fs_err::read(path).unwrap()).unwrap();
    edit(&mut value);
    fs_err::write(path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

fn message(user: &str, ts: &str, text: &str) -> Value {
    json!({"type": "message", "user": user, "ts": ts, "text": text})
}

/// The Slack case with markers in every place that must stay private; returns the markers.
fn plant_slack(export: &Path) -> Vec<&'static str> {
    edit_json(&export.join("users.json"), |users| {
        for user in users.as_array_mut().unwrap() {
            let profile = user["profile"].as_object_mut().unwrap();
            profile.insert("email".into(), json!("zqemailmarker@corp.example"));
            profile.insert("phone".into(), json!("zqphonemarker"));
            profile.insert("title".into(), json!("zqtitlemarker"));
            profile.insert("status_text".into(), json!("zqstatusmarker"));
            profile.insert("fields".into(), json!({"Xf01": {"value": "zqfieldmarker", "alt": ""}}));
        }
    });
    for (list, marker) in [("groups.json", "zqgrouppurpose"), ("mpims.json", "zqmpimpurpose")] {
        edit_json(&export.join(list), |list| {
            list[0]["purpose"] = json!({"value": marker, "creator": "U1", "last_set": 0});
            list[0]["topic"] = json!({"value": marker, "creator": "U1", "last_set": 0});
        });
    }
    let conversations = [
        ("secret-project", "zqgroupmarker"),
        ("mpdm-alice--bob-1", "zqmpimmarker"),
        ("D1", "zqdmmarker"),
        ("partners", "zqsharedmarker"),
    ];
    for (dir, marker) in conversations {
        edit_json(&export.join(dir).join("2020-03-01.json"), |day| {
            let mut m = message("U1", "1583060000.000100", &format!("{marker} in <#C1|general>"));
            m["files"] = json!([{"id": "FZ1", "name": format!("{marker}file.txt"), "title": marker}]);
            day.as_array_mut().unwrap().push(m);
        });
    }
    edit_json(&export.join("general/2020-03-01.json"), |day| {
        let mut m = message("U1", "1583060000.000100", &format!("{PUBLIC} from Alice"));
        m["user_profile"] = json!({"real_name": "Alice Liddell", "email": "zqprofilemarker@corp.example"});
        day.as_array_mut().unwrap().push(m);
    });
    vec![
        "zqemailmarker",
        "zqphonemarker",
        "zqtitlemarker",
        "zqstatusmarker",
        "zqfieldmarker",
        "zqgrouppurpose",
        "zqmpimpurpose",
        "zqgroupmarker",
        "zqmpimmarker",
        "zqdmmarker",
        "zqsharedmarker",
        "zqprofilemarker",
        "secret-project",
        "mpdm-alice",
    ]
}

/// The Mattermost case with markers in profiles, a private channel and a DM.
fn plant_mattermost(export: &Path) -> Vec<&'static str> {
    let path = export.join("import.jsonl");
    let mut lines: Vec<Value> =
        fs_err::read_to_string(&path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for line in lines.iter_mut().filter(|l| l["type"] == "user") {
        line["user"]["email"] = json!("zqemailmarker@acme.example");
        line["user"]["position"] = json!("zqpositionmarker");
        line["user"]["notify_props"] = json!({"mention_keys": "zqnotifymarker"});
    }
    let post = |channel: &str, message: &str| {
        json!({"type": "post", "post": {"team": "acme", "channel": channel, "user": "alice",
            "message": message, "create_at": 1_709_640_000_000_i64}})
    };
    lines.push(post("secrets", "zqgroupmarker"));
    lines.push(post("ops", PUBLIC));
    lines.push(json!({"type": "direct_post", "direct_post": {"channel_members": ["alice", "carol"],
        "user": "alice", "message": "zqdmmarker", "create_at": 1_709_640_000_000_i64}}));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    fs_err::write(&path, text).unwrap();
    vec!["zqemailmarker", "zqpositionmarker", "zqnotifymarker", "zqgroupmarker", "zqdmmarker"]
}

/// Looks for each marker in every file of the site and of its index directory, and asks the
/// index; the public marker must be found by both means.
fn assert_withheld(site: &Site, markers: &[&str]) {
    let texts = site.texts();
    assert!(texts.values().any(|t| t.contains(PUBLIC)), "the public marker is published");
    assert!(texts.keys().any(|p| p.starts_with("search/")), "search shards are checked");
    let index_dir = PathBuf::from(format!("{}.index", site.out.display()));
    let index = tree(&index_dir);
    assert!(index.len() > 3, "the index directory is checked");
    assert_eq!(site.search(PUBLIC, &[])["total"], 1, "the index has the public marker");
    for marker in markers {
        for (path, text) in &texts {
            assert!(!text.to_lowercase().contains(marker), "{path} has {marker}");
        }
        for (path, bytes) in &index {
            assert!(
                !gunzipped_text(bytes.clone()).contains(marker),
                "{}.index/{path} has {marker}",
                site.out.display()
            );
        }
        assert_eq!(site.search(marker, &[])["total"], 0, "the index finds {marker}");
    }
}

#[test]
fn slack_private_conversations_and_profile_fields_reach_no_file_shard_or_index() {
    let tmp = tempfile::tempdir().unwrap();
    let export = copy_case("slack/everything", tmp.path());
    let markers = plant_slack(&export);
    let site = Site::build(std::slice::from_ref(&export), &[]);
    assert_withheld(&site, &markers);
    // The day files' records (every conversation, as the export has it) were among the files
    // checked: they are encrypted with keys only the export's own bytes give.
    let days = PathBuf::from(format!("{}.index/days.bin", site.out.display()));
    assert!(fs_err::metadata(&days).unwrap().len() > 1000, "{} is checked", days.display());
    // Named, the conversations are published (so the markers were planted where they count),
    // but profile fields still are not.
    let config = "[publish]\nprivate = [\"secret-project\", \"mpdm-alice--bob-1\", \"partners\"]\n";
    let named = Site::with_config(&[export], config);
    let texts = named.texts();
    for marker in ["zqgroupmarker", "zqmpimmarker", "zqsharedmarker", "zqgrouppurpose", "zqgroupmarkerfile"] {
        assert!(texts.values().any(|t| t.contains(marker)), "{marker} is published once named");
    }
    assert_withheld(&named, &markers[..5]);
}

#[test]
fn mattermost_private_channels_dms_and_profiles_reach_no_file_shard_or_index() {
    let tmp = tempfile::tempdir().unwrap();
    let export = copy_case("mattermost/acme", tmp.path());
    let markers = plant_mattermost(&export);
    let site = Site::build(&[export], &[]);
    assert_withheld(&site, &markers);
}

#[test]
fn pseudonyms_replace_every_persons_name_and_stay_stable() {
    let config = "[publish]\npseudonymize = true\npseudonym_key = \"k\"\n";
    let site = Site::with_config(&[case("slack/everything")], config);
    let again = Site::with_config(&[case("slack/everything")], config);
    assert_eq!(site.files(), again.files(), "same key, same site");
    assert!(!site.stderr.contains("pseudonym_key"), "{}", site.stderr);
    let texts = site.texts();
    for name in ["Alice", "Liddell", "Bob Builder", "Gone Person"] {
        for (path, text) in &texts {
            assert!(!text.contains(name), "{path} names {name}");
        }
    }
    let day = site.page("c/general/2020/03/01/");
    assert!(day.contains("class=\"author\">alertbot<"), "bots keep their names");
    // The thread that read "3 replies from Alice and Bob Builder".
    let root = article(&day, "1583056802000100");
    let names = regex::Regex::new(r"3 replies from ([A-Z][a-z]+ [A-Z][a-z]+) and ([A-Z][a-z]+ [A-Z][a-z]+)")
        .unwrap()
        .captures(root)
        .unwrap_or_else(|| panic!("{root}"));
    let (alice, bob) = (&names[1], &names[2]);
    assert_ne!(alice, bob);
    assert!(root.contains(&format!("class=\"author\">{alice}<")), "{root}");
    let topic = format!("Welcome <span class=\"mention\">@{alice}</span>");
    assert!(site.page("c/general/").contains(&topic), "mentions follow the pseudonym");
    let hits = site.search(&format!("from:{}", alice.replace(' ', "-").to_lowercase()), &[]);
    assert!(hits["total"].as_u64().unwrap() > 3, "from: finds the pseudonym's handle: {hits}");
    assert!(hits["hits"].as_array().unwrap().iter().all(|h| h["author"] == *alice), "{hits}");
    let other = Site::with_config(&[case("slack/everything")], "[publish]\npseudonymize = true\n");
    assert!(other.stderr.contains("pseudonymize without pseudonym_key"), "{}", other.stderr);
    assert_ne!(other.page("c/general/2020/03/01/"), day, "the key changes the names");
}

#[test]
fn pseudonyms_reach_mattermost_ids_and_system_messages() {
    let config = "[publish]\npseudonymize = true\npseudonym_key = \"k\"\n";
    let plain = Site::build(&[case("mattermost/acme")], &[]);
    let site = Site::with_config(&[case("mattermost/acme")], config);
    let day = "c/ops/2024/03/05/";
    let (before, after) = (anchors(&plain.page(day)), anchors(&site.page(day)));
    assert!(before.iter().any(|a| a.ends_with("-alice")), "ids are built from user names: {before:?}");
    assert_eq!(before.len(), after.len());
    assert!(site.page(day).contains("joined the channel"));
    for (path, text) in site.texts() {
        for name in ["alice", "carol", "bob.b", "Liddell", "Bobby"] {
            assert!(!text.contains(name), "{path} names {name}");
        }
    }
}
