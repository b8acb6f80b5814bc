//! An independent reading of Slack exports, to check the site against: which message ids
//! each channel-day page must hold. Written separately from `src/ingest/slack.rs` (plain
//! `serde_json::Value` walking) so a bug there cannot hide itself here.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use serde_json::Value;

/// `channel name → day (YYYY/MM/DD, UTC) → message anchors expected on that page`.
pub type Expected = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Reads a Slack export directory or zip.
pub fn expected(input: &Path) -> Expected {
    let files = read_all(input);
    let channels: Vec<Value> = serde_json::from_slice(&files["channels.json"]).unwrap();
    let mut out = Expected::new();
    for channel in channels {
        if channel["is_ext_shared"] == true
            || channel["is_shared"] == true
            || channel["is_org_shared"] == true
        {
            continue;
        }
        let name = channel["name"].as_str().unwrap().to_owned();
        let mut messages: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (path, bytes) in &files {
            let Some(rest) = path.strip_prefix(&format!("{name}/")) else { continue };
            if rest.contains('/') || !rest.ends_with(".json") {
                continue;
            }
            let day: Vec<Value> = serde_json::from_slice(bytes).unwrap();
            for m in day {
                let ts = m["ts"].as_str().unwrap().to_owned();
                let parent = m["thread_ts"].as_str().filter(|p| *p != ts).map(str::to_owned);
                messages.insert(ts, parent);
            }
        }
        let mut days: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut placed_missing = BTreeSet::new();
        for (ts, parent) in &messages {
            let (home_ts, extra) = match parent {
                None => (ts.clone(), None),
                Some(p) if messages.contains_key(p) => (p.clone(), None),
                // Root not in the export: a placeholder with the root's id at the first reply.
                Some(p) => (ts.clone(), placed_missing.insert(p.clone()).then(|| p.clone())),
            };
            let day = utc_day(&home_ts);
            let entry = days.entry(day).or_default();
            entry.insert(ts.replace('.', ""));
            if let Some(root) = extra {
                entry.insert(root.replace('.', ""));
            }
        }
        out.insert(name, days);
    }
    out
}

fn utc_day(ts: &str) -> String {
    let secs: i64 = ts.split('.').next().unwrap().parse().unwrap();
    let date = jiff::Timestamp::from_second(secs).unwrap().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    format!("{:04}/{:02}/{:02}", date.year(), date.month(), date.day())
}

fn read_all(input: &Path) -> BTreeMap<String, Vec<u8>> {
    if input.is_dir() {
        return crate::harness::tree(input);
    }
    let mut zip = zip::ZipArchive::new(fs_err::File::open(input).unwrap()).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        if entry.is_dir() {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(entry.name().unwrap().into_owned(), bytes);
    }
    // Strip a wrapping folder, as scrollback does.
    let prefix = files
        .keys()
        .find(|k| k.ends_with("channels.json"))
        .unwrap()
        .trim_end_matches("channels.json")
        .to_owned();
    files.into_iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_owned(), v))).collect()
}

/// Checks every published channel-day page against the oracle; returns the message total.
pub fn assert_site_matches(
    site: &crate::harness::Site,
    expected: &Expected,
    slug: impl Fn(&str) -> String,
) -> usize {
    let mut total = 0;
    for (channel, days) in expected {
        let slug = slug(channel);
        for (day, ids) in days {
            let url = format!("c/{slug}/{day}/");
            assert!(site.has_page(&url), "missing page {url}");
            // Snapshot events (`snap-…`) come from snapshot folders, not from the messages.
            let found: BTreeSet<String> = crate::harness::anchors(&site.page(&url))
                .into_iter()
                .filter(|a| !a.starts_with("snap-"))
                .collect();
            assert_eq!(&found, ids, "messages on {url}");
            total += ids.len();
        }
        // No day pages beyond the expected ones.
        let dir = site.out.join("c").join(&slug);
        let pages = walkdir::WalkDir::new(&dir)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_name() == "index.html" && e.depth() == 4)
            .count();
        assert_eq!(pages, days.len(), "day pages of #{channel}");
    }
    total
}
