//! The labelled corpus of incident classes (`tests/cases/slack/incident-classes`): the
//! incidents an on-call engineer would list in a week of alert traffic, each labelled with the
//! message that starts it and the one that ends it (none: still going when the export ends),
//! its title and severity. Detection must list exactly these.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::harness::{Site, case};

#[derive(Deserialize)]
struct Label {
    channel: String,
    /// The `ts` of the message that starts it.
    start: String,
    /// The `ts` of the message that ends it; none while it goes on.
    end: Option<String>,
    class: String,
    title: Option<String>,
    severity: Option<String>,
}

/// Whole seconds of a Slack `ts` or an RFC 3339 time.
fn second(time: &str) -> i64 {
    match time.split_once('.') {
        Some((seconds, _)) if !time.contains('T') => seconds.parse().unwrap(),
        _ => time.parse::<jiff::Timestamp>().unwrap().as_second(),
    }
}

/// Every channel's message times, in order.
fn channel_times(export: &std::path::Path) -> BTreeMap<String, Vec<i64>> {
    let mut times = BTreeMap::new();
    for entry in fs_err::read_dir(export).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let mut all = Vec::new();
        for day in fs_err::read_dir(&dir).unwrap() {
            let messages: Vec<serde_json::Value> =
                serde_json::from_str(&fs_err::read_to_string(day.unwrap().path()).unwrap()).unwrap();
            all.extend(messages.iter().map(|m| second(m["ts"].as_str().unwrap())));
        }
        all.sort_unstable();
        times.insert(dir.file_name().unwrap().to_string_lossy().into_owned(), all);
    }
    times
}

#[test]
fn every_labelled_incident_is_found_with_its_start_end_title_and_severity_and_nothing_else() {
    let export = case("slack/incident-classes");
    let site = Site::build(std::slice::from_ref(&export), &[]);
    let labels: Vec<Label> =
        serde_json::from_str(&fs_err::read_to_string(export.join("labels.json")).unwrap()).unwrap();
    let ledger: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(site.out.join("incidents/incidents.json")).unwrap())
            .unwrap();
    let found = ledger["incidents"].as_array().unwrap();
    let times = channel_times(&export);
    // Where a time falls among its channel's messages: the last message at or before it.
    let place = |channel: &str, second: i64| times[channel].partition_point(|t| *t <= second);
    let mut wrong = Vec::new();
    let mut matched = 0;
    for label in &labels {
        let start = second(&label.start);
        let hit = found.iter().find(|i| {
            i["channel"] == label.channel.as_str() && second(i["start"].as_str().unwrap()) == start
        });
        let Some(incident) = hit else {
            wrong.push(format!("missed: {} in #{} at {}", label.class, label.channel, label.start));
            continue;
        };
        matched += 1;
        let ended = incident["end"].as_str().filter(|_| incident["status"] == "resolved");
        match (&label.end, ended) {
            (None, None) => {}
            (Some(end), Some(found_end)) => {
                let off =
                    place(&label.channel, second(end)).abs_diff(place(&label.channel, second(found_end)));
                if off > 1 {
                    wrong.push(format!("{}: ends at {found_end}, {off} messages from {end}", label.class));
                }
            }
            (end, found_end) => wrong.push(format!("{}: ends {found_end:?}, labelled {end:?}", label.class)),
        }
        let title = incident["title"].as_str().unwrap();
        if label.title.as_deref().is_some_and(|t| !title.contains(t)) {
            wrong.push(format!("{}: titled {title:?}, labelled {:?}", label.class, label.title));
        }
        if incident["severity"].as_str() != label.severity.as_deref() {
            wrong.push(format!(
                "{}: severity {}, labelled {:?}",
                label.class, incident["severity"], label.severity
            ));
        }
    }
    for incident in found {
        let start = second(incident["start"].as_str().unwrap());
        if !labels.iter().any(|l| incident["channel"] == l.channel.as_str() && second(&l.start) == start) {
            wrong.push(format!("false open: {} {}", incident["id"], incident["title"]));
        }
    }
    let (precision, recall) =
        (matched as f64 / found.len().max(1) as f64, matched as f64 / labels.len() as f64);
    assert!(wrong.is_empty(), "precision {precision:.2}, recall {recall:.2}:\n{}", wrong.join("\n"));
}
