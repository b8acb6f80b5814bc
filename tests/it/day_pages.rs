//! A channel-day over `day_page_messages` is split into numbered pages: the day's URL shows
//! the first and links the rest, every permalink (pages, search, threads, replies) leads to
//! the page that holds the message, and messages added to the day later move none of the
//! earlier ones.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::{Site, anchors, scrollback};

/// A JSON Lines export of one busy day: `n` messages, every tenth the root of a thread of two
/// replies, every seventh a reply to an earlier one; and `late_replies` to its first thread,
/// sent days later.
fn busy_day(path: &Path, n: usize, late_replies: usize) {
    let mut lines = Vec::new();
    // Replies to the day's first thread, days later.
    for r in 0..late_replies {
        lines.push(serde_json::json!({"channel": "ops", "time": 1646400000 + r, "author": "bob",
            "text": format!("zqlate{r}"), "id": format!("late{r}"), "thread": "m0"}));
    }
    for i in 0..n {
        let mut line = serde_json::json!({"channel": "ops", "time": 1646121600 + i * 10, "author": "ada",
                                          "text": format!("zqmsg{i}"), "id": format!("m{i}")});
        if i % 7 == 6 {
            line["reply_to"] = format!("m{}", i - 5).into();
        }
        lines.push(line);
        if i % 10 == 0 {
            for r in 0..2 {
                lines.push(serde_json::json!({"channel": "ops", "time": 1646121600 + i * 10 + 1 + r,
                    "author": "bob", "text": format!("zqreply{i}-{r}"), "id": format!("r{i}-{r}"), "thread": format!("m{i}")}));
            }
        }
    }
    fs_err::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

/// Each anchor of the day's pages → the page (its path under the day) it is on.
fn anchored(site: &Site) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for (path, text) in site.texts() {
        let Some(rest) = path.strip_prefix("c/ops/2022/03/01/") else { continue };
        if !rest.ends_with("index.html") {
            continue;
        }
        for anchor in anchors(&text) {
            assert!(found.insert(anchor.clone(), rest.to_owned()).is_none(), "{anchor} on two pages");
        }
    }
    found
}

#[test]
fn a_busy_day_is_split_into_pages_whose_permalinks_resolve_and_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("chat.jsonl");
    busy_day(&input, 180, 0);
    let config = "day_page_messages = 50\n";
    let mut site = Site::with_config(std::slice::from_ref(&input), config);
    let first = site.page("c/ops/2022/03/01/");
    assert!(first.contains("Page 1 of 4:"), "{first}");
    assert!(first.contains("<a href=\"../../../../../c/ops/2022/03/01/2/\">2</a>"), "{first}");
    for page in 2..=4 {
        let html = site.page(&format!("c/ops/2022/03/01/{page}/"));
        assert!(html.contains(&format!("Page {page} of 4:")), "page {page}");
        assert!(
            html.contains("href=\"../../../../../../c/ops/2022/03/01/\">1</a>"),
            "page {page} links the first"
        );
    }
    assert!(!site.has_page("c/ops/2022/03/01/5/"));
    let pages = anchored(&site);
    assert_eq!(pages.len(), 180 + 36, "every message and reply has one anchor");
    assert!(pages.values().any(|p| p == "4/index.html"));
    // A thread stays whole with its root.
    let of = |id: &str| {
        pages.get(id).unwrap_or_else(|| panic!("no {id} in {:?}", pages.keys().take(20).collect::<Vec<_>>()))
    };
    assert_eq!(of("r170-0"), of("m170"));
    // Every link on every page leads to a page holding its anchor.
    let output = scrollback(site.tmp.path()).args(["check", "--site"]).arg(&site.out).output().unwrap();
    let said =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && said.contains(" 0 broken"), "{said}");
    // Search leads to the page too.
    let hits = site.search("zqmsg175", &[]);
    let url = hits["hits"][0]["url"].as_str().unwrap_or_else(|| panic!("{hits}"));
    assert_eq!(format!("c/ops/2022/03/01/{}#m-m175", of("m175").trim_end_matches("index.html")), url);

    // The day grows, and so does its first thread: what was on a page stays on it.
    busy_day(&input, 200, 120);
    let config_path = tmp.path().join("scrollback.toml");
    fs_err::write(&config_path, config).unwrap();
    site.rebuild(&[input], &["--config", config_path.to_str().unwrap()]);
    let later = anchored(&site);
    for (anchor, page) in &pages {
        assert_eq!(later.get(anchor), Some(page), "{anchor} moved");
    }
    assert_eq!(later.len(), pages.len() + 24 + 120, "20 messages, 2 threads, 120 late replies");
}

#[test]
fn a_reply_sent_to_the_channel_on_a_later_page_links_to_its_thread_on_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("export");
    fs_err::create_dir_all(export.join("ops")).unwrap();
    fs_err::write(export.join("channels.json"), r#"[{"id": "C1", "name": "ops"}]"#).unwrap();
    fs_err::write(export.join("users.json"), r#"[{"id": "U1", "name": "ada"}]"#).unwrap();
    let message =
        |ts: &str, text: &str| serde_json::json!({"type": "message", "user": "U1", "text": text, "ts": ts});
    let mut day: Vec<serde_json::Value> =
        (0..6).map(|i| message(&format!("164612160{i}.000100"), &format!("zqtop{i}"))).collect();
    day[0]["thread_ts"] = "1646121600.000100".into();
    let mut broadcast = message("1646121700.000100", "zqbroadcast");
    broadcast["thread_ts"] = "1646121600.000100".into();
    broadcast["parent_user_id"] = "U1".into();
    broadcast["subtype"] = "thread_broadcast".into();
    day.push(broadcast);
    fs_err::write(export.join("ops/2022-03-01.json"), serde_json::to_vec(&day).unwrap()).unwrap();
    let site = Site::with_config(&[export], "day_page_messages = 2\n");
    let last = site.page("c/ops/2022/03/01/4/");
    assert!(last.contains("zqbroadcast"), "{last}");
    assert!(last.contains("href=\"../../../../../../c/ops/2022/03/01/#m-1646121600000100\""), "{last}");
    let output = scrollback(site.tmp.path()).args(["check", "--site"]).arg(&site.out).output().unwrap();
    let said =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && said.contains(" 0 broken"), "{said}");
}
