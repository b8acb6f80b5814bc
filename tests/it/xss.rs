//! The XSS corpus (tests/cases/xss/payloads.txt) through every rendering path: each payload
//! goes into every field of every format that reaches a page (message text in each markup,
//! people's names, channel names, topics, file names, card titles, fields and links, emoji and
//! reaction names), all sources are built into one site, and every page is checked with the
//! same tag/attribute/URL allow-list scan as the hand-written hostile case.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::harness::{Site, repo};
use crate::hostile::assert_inert;

fn payloads() -> Vec<String> {
    let text = fs_err::read_to_string(repo().join("tests/cases/xss/payloads.txt")).unwrap();
    text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(|l| l.replace("\\n", "\n")).collect()
}

/// A payload with no spaces, for fields that cannot hold them (IRC nicks, emoji names).
fn squeezed(p: &str) -> String {
    p.split_whitespace().collect::<Vec<_>>().join("")
}

fn write_json(path: &Path, value: &Value) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

fn slack(dir: &Path, payloads: &[String]) -> PathBuf {
    let root = dir.join("slack");
    let users: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"id": format!("U{i}"), "name": format!("u{i}"), "real_name": p, "profile": {"display_name": p, "real_name": p}}))
        .collect();
    write_json(&root.join("users.json"), &Value::Array(users));
    let mut channels = vec![
        json!({"id": "C0", "name": "general", "topic": {"value": payloads[1]}, "purpose": {"value": payloads[0]}}),
    ];
    for (i, p) in payloads.iter().take(3).enumerate() {
        channels.push(json!({"id": format!("C{}", i + 1), "name": p, "topic": {"value": p}}));
    }
    write_json(&root.join("channels.json"), &Value::Array(channels.clone()));
    let messages: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "type": "message", "user": format!("U{i}"), "text": p, "ts": format!("{}.000100", 1_583_056_800 + i),
                "reactions": [{"name": squeezed(p), "users": ["U0"], "count": 1}],
                "files": [{"id": format!("F{i}"), "name": p, "title": p, "mimetype": "text/html", "url_private": format!("javascript:alert({i})")}],
                "attachments": [{
                    "title": p, "title_link": "javascript:alert(1)", "text": p, "pretext": p, "fallback": p,
                    "author_name": p, "author_link": "javascript:alert(1)", "footer": p, "color": p,
                    "fields": [{"title": p, "value": p, "short": true}],
                }],
            })
        })
        .collect();
    for channel in &channels {
        let name = channel["name"].as_str().unwrap();
        write_json(&root.join(name).join("2020-03-01.json"), &Value::Array(messages.clone()));
    }
    root
}

fn discord(dir: &Path, payloads: &[String]) -> PathBuf {
    let messages: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "id": format!("{}", 9000 + i), "type": "Default", "timestamp": "2024-03-05T11:00:00+01:00",
                "timestampEdited": null, "isPinned": false, "content": p,
                "author": {"id": format!("{}", 70 + i), "name": squeezed(p), "discriminator": "0000", "nickname": p, "isBot": false},
                "attachments": [{"id": format!("{}", 800 + i), "url": "javascript:alert(1)", "fileName": p, "fileSizeBytes": 10}],
                "embeds": [{"title": p, "url": "javascript:alert(1)", "description": p, "author": {"name": p, "url": "javascript:alert(1)"}, "fields": [{"name": p, "value": p, "isInline": false}]}],
                "stickers": [{"id": "1", "name": p, "format": "Png", "sourceUrl": "javascript:alert(1)"}],
                "reactions": [{"emoji": {"id": "", "name": squeezed(p), "code": squeezed(p), "isAnimated": false, "imageUrl": "javascript:alert(1)"}, "count": 1}],
                "mentions": [], "inlineEmojis": [],
            })
        })
        .collect();
    let export = json!({
        "guild": {"id": "1", "name": payloads[0], "iconUrl": ""},
        "channel": {"id": "100", "type": "GuildTextChat", "categoryId": "9", "category": payloads[1], "name": payloads[2], "topic": payloads[3]},
        "messages": messages, "messageCount": payloads.len(),
    });
    let path = dir.join("discord").join("guild - channel [100].json");
    write_json(&path, &export);
    path
}

fn matrix(dir: &Path, payloads: &[String]) -> PathBuf {
    let event = |i: usize, kind: &str, state: Option<&str>, content: Value| {
        let mut e = json!({
            "type": kind, "sender": format!("@u{i}:example.org"), "origin_server_ts": 1_709_625_600_000u64 + i as u64 * 1000,
            "room_id": "!r:example.org", "event_id": format!("$e{kind}{i}:example.org"), "content": content,
        });
        if let Some(key) = state {
            e["state_key"] = json!(key);
        }
        e
    };
    let mut events = vec![event(0, "m.room.join_rules", Some(""), json!({"join_rule": "public"}))];
    for (i, p) in payloads.iter().enumerate() {
        let who = format!("@u{i}:example.org");
        events.push(event(i, "m.room.member", Some(&who), json!({"membership": "join", "displayname": p})));
        events.push(event(
            i,
            "m.room.message",
            None,
            json!({"msgtype": "m.text", "body": p, "format": "org.matrix.custom.html", "formatted_body": p}),
        ));
        events.push(event(i, "m.room.message", None, json!({"msgtype": "m.file", "body": p, "url": "mxc://example.org/x", "info": {"mimetype": "text/html"}})));
    }
    events.push(event(0, "m.room.topic", Some(""), json!({"topic": payloads[4]})));
    let export = json!({"room_name": payloads[5], "topic": payloads[6], "messages": events});
    let path = dir.join("matrix").join("export.json");
    write_json(&path, &export);
    path
}

fn mattermost(dir: &Path, payloads: &[String]) -> PathBuf {
    let mut lines = vec![
        json!({"type": "version", "version": 1}),
        json!({"type": "team", "team": {"name": "acme", "display_name": payloads[7], "type": "O"}}),
        json!({"type": "channel", "channel": {"team": "acme", "name": "ops", "display_name": payloads[8], "type": "O", "header": payloads[9], "purpose": payloads[10]}}),
    ];
    for (i, p) in payloads.iter().enumerate() {
        lines.push(json!({"type": "user", "user": {"username": format!("u{i}"), "email": format!("u{i}@example.com"), "nickname": p, "first_name": p}}));
        lines.push(json!({"type": "post", "post": {
            "team": "acme", "channel": "ops", "user": format!("u{i}"), "message": p, "create_at": 1_709_629_200_000u64 + i as u64 * 1000,
            "reactions": [{"user": "u0", "create_at": 1_709_629_260_000u64, "emoji_name": squeezed(p)}],
            "attachments": [{"path": p}],
            "props": {"attachments": [{"title": p, "title_link": "javascript:alert(1)", "text": p, "fields": [{"title": p, "value": p}]}]},
        }}));
    }
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let path = dir.join("mattermost").join("import.jsonl");
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(&path, text).unwrap();
    path
}

fn jsonl(dir: &Path, payloads: &[String]) -> PathBuf {
    let text: String = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let line = json!({"channel": if i < 3 { p.as_str() } else { "chat" }, "time": 1_646_121_900 + i, "author": p, "text": p, "attachments": [{"name": p}]});
            format!("{line}\n")
        })
        .collect();
    let path = dir.join("generic").join("chat.jsonl");
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(&path, text).unwrap();
    path
}

fn irc(dir: &Path, payloads: &[String]) -> PathBuf {
    let mut text = String::from("--- Log opened Tue Sep 20 22:01:49 2016\n");
    for (i, p) in payloads.iter().enumerate() {
        let line = p.replace('\n', " ");
        text.push_str(&format!("22:{:02} <nick{i}> {line}\n", i % 60));
        text.push_str(&format!("22:{:02}  * nick{i} {line}\n", i % 60));
        text.push_str(&format!("22:{:02} -!- nick{i} changed the topic of #ops to: {line}\n", i % 60));
    }
    let path = dir.join("irc").join("#ops.log");
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(&path, text).unwrap();
    path
}

fn campfire(dir: &Path, payloads: &[String]) -> PathBuf {
    let root = dir.join("campfire");
    write_json(
        &root.join("rooms.json"),
        &json!({"rooms": [{"id": 1, "name": payloads[11], "topic": payloads[12]}]}),
    );
    let messages: Vec<Value> = payloads
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let at = format!("2012/04/05 10:{:02}:00 +0000", i % 60);
            [
                json!({"type": "TextMessage", "room_id": 1, "created_at": at, "id": 2 * i, "user_id": 7, "body": p}),
                json!({"type": "PasteMessage", "room_id": 1, "created_at": at, "id": 2 * i + 1, "user_id": 7, "body": p}),
            ]
        })
        .collect();
    write_json(&root.join("transcript-2012-04-05.json"), &json!({"messages": messages}));
    root
}

static SITE: LazyLock<Site> = LazyLock::new(|| {
    let payloads = payloads();
    let dir = tempfile::tempdir().unwrap().keep();
    let inputs = [
        slack(&dir, &payloads),
        discord(&dir, &payloads),
        matrix(&dir, &payloads),
        mattermost(&dir, &payloads),
        jsonl(&dir, &payloads),
        irc(&dir, &payloads),
        campfire(&dir, &payloads),
    ];
    Site::build(&inputs, &[])
});

#[test]
fn the_corpus_renders_inertly_from_every_format() {
    let pages = assert_inert(&SITE);
    assert!(pages > 20, "{pages} pages");
    // Every source reached the site (so the scan covered each rendering path).
    let days: Vec<String> = SITE.files().into_keys().filter(|p| p.matches('/').count() == 5).collect();
    for year in ["2016", "2020", "2022", "2024", "2012"] {
        assert!(days.iter().any(|p| p.contains(&format!("/{year}/"))), "no {year} day pages: {days:?}");
    }
}

#[test]
fn payloads_show_as_text() {
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let mut pages_with_it = 0;
    for (path, bytes) in SITE.files() {
        if path.ends_with("index.html") && String::from_utf8_lossy(&bytes).contains(escaped) {
            pages_with_it += 1;
        }
    }
    assert!(pages_with_it >= 7, "the payload is shown, escaped, on {pages_with_it} pages");
}
