//! `scrollback search`: the tantivy index of record, queried through the real binary.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use scrollback::index::DocSource;

use crate::harness::{Site, repo, scrollback};

static SAMPLE: LazyLock<Site> = LazyLock::new(|| Site::build(&[repo().join("sample-logs")], &[]));

fn search(query: &str, extra: &[&str]) -> Value {
    SAMPLE.search(query, extra)
}

fn ids(results: &Value) -> BTreeSet<String> {
    results["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
}

/// Every published message's id and searchable text, read back from the library's own
/// indexing input, as the oracle for recall.
fn documents() -> Vec<(String, String)> {
    with_documents(|docs| (0..docs.len()).map(|ord| docs.get(ord)).map(|d| (d.id, d.text)).collect())
}

#[test]
fn documents_made_on_demand_are_the_ones_hashed_in_time_order() {
    with_documents(|docs| {
        assert!(docs.len() > 200, "{}", docs.len());
        let made: Vec<_> = (0..docs.len()).map(|ord| docs.get(ord)).collect();
        for (ord, doc) in made.iter().enumerate() {
            assert_eq!(doc.ord, ord as u64);
            assert_eq!(docs.time(ord), doc.time);
            // The index base is reused by these hashes: the document made later must be the
            // one hashed when collecting.
            assert_eq!(docs.hash(ord), scrollback::index::documents::doc_hash(doc), "{}", doc.id);
        }
        assert!(
            made.windows(2)
                .all(|w| (w[0].time, &w[0].channel, &w[0].id) < (w[1].time, &w[1].channel, &w[1].id))
        );
        assert!(
            made.iter().any(|d| d.is.first().is_some_and(|f| f == "incident")),
            "incident flags are kept"
        );
        // Every field the hash takes is exercised: replies, and `has:` flags.
        assert!(made.iter().any(|d| d.thread.is_some()), "replies are among them");
        assert!(made.iter().any(|d| !d.has.is_empty()), "has: flags are among them");
    });
}

/// Runs `f` over the sample's search documents, made as a build makes them.
fn with_documents<T>(f: impl FnOnce(&scrollback::index::documents::Documents) -> T) -> T {
    let config = scrollback::config::Config::default();
    let mut ingested = scrollback::ingest::ingest_all(
        &[repo().join("sample-logs")],
        &scrollback::ingest::Options::default(),
    );
    let withheld = scrollback::privacy::select_channels(&mut ingested.archive, &config.publish);
    scrollback::snapshots::attach(&mut ingested.archive, &withheld.hidden_ids());
    let redactor = scrollback::redact::Redactor::new(&config.redaction).unwrap();
    let known = scrollback::store::Known::nothing();
    let contents = scrollback::redact::redact_archive(&mut ingested.archive, &redactor, &known).contents;
    let tz = config.time_zone();
    let layout = scrollback::layout::Layout::new(
        &ingested.archive,
        &withheld.hidden_ids(),
        &tz,
        config.day_page_messages,
    );
    let archive = &ingested.archive;
    let detected = scrollback::incidents::detect(archive, &layout, &config.incidents, &tz, &contents, None);
    let incidents = &detected.incidents;
    let places = scrollback::incidents::by_position(archive, incidents);
    f(&scrollback::index::documents::collect(archive, &layout, incidents, &places, detected.digests, &tz))
}

fn containing(pattern: &str) -> BTreeSet<String> {
    let re = Regex::new(pattern).unwrap();
    documents().into_iter().filter(|(_, text)| re.is_match(text)).map(|(id, _)| id).collect()
}

#[test]
fn identifiers_are_found_wherever_they_appear() {
    for identifier in
        ["metrics-web-prod-513", "api.cache.metrics.mget.time", "10.0.3.7", "rr16", "web-prod-513"]
    {
        let expected = containing(&format!(
            r"(?i)(^|[^\p{{Alphabetic}}\p{{N}}]){}($|[^\p{{Alphabetic}}\p{{N}}])",
            regex::escape(identifier)
        ));
        assert!(!expected.is_empty(), "{identifier} occurs in the sample");
        let found = search(identifier, &[]);
        assert_eq!(ids(&found), expected, "{identifier}");
        assert_eq!(found["total"], expected.len());
    }
    // Inside key=value and host:port, the case Pagefind misses.
    let inside = containing(r"upstream=metrics-web-prod-513:8081");
    assert!(!inside.is_empty() && inside.is_subset(&ids(&search("metrics-web-prod-513", &[]))));
    // A longer number is a different number.
    assert!(search("web-prod-5", &[])["hits"].as_array().unwrap().is_empty());
}

#[test]
fn numbers_match_their_suffixed_forms() {
    let expected = containing(r"(^|[^\p{Alphabetic}\p{N}])502($|[^\p{N}])");
    assert_eq!(ids(&search("502", &[])), expected);
    assert!(expected.len() >= 3, "502 and 502s");
}

#[test]
fn phrases_require_adjacent_words() {
    let expected = containing(r"(?i)\bread[^\p{Alphabetic}\p{N}]+replica\b");
    let found = search("\"read replica\"", &[]);
    assert_eq!(ids(&found), expected);
    let both: BTreeSet<String> =
        containing(r"(?i)\bread\b").intersection(&containing(r"(?i)\breplica\b")).cloned().collect();
    assert!(both.len() > expected.len(), "the phrase is stricter than both words");
    assert_eq!(ids(&search("read replica", &[])), both);
}

#[test]
fn json_hits_have_the_documented_shape_and_permalinks_that_resolve() {
    let results = search("rr16", &["-n", "3"]);
    let hits = results["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(results["total"], 16);
    let keys: Vec<&String> = hits[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["author", "channel", "id", "score", "snippet", "time", "url"]);
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for hit in hits {
        let url = hit["url"].as_str().unwrap();
        let (page, anchor) = url.split_once('#').unwrap();
        assert_eq!(anchor, format!("m-{}", hit["id"].as_str().unwrap()));
        assert!(SAMPLE.page(page).contains(&format!("id=\"{anchor}\"")), "{url}");
        assert!(hit["snippet"].as_str().unwrap().contains("<mark>rr16</mark>"), "{hit}");
    }
}

#[test]
fn exclusions_and_filters_narrow_the_results() {
    let all = search("rr16", &[]);
    let without = search("rr16 -replication", &[]);
    assert!(ids(&without).is_subset(&ids(&all)) && ids(&without).len() < ids(&all).len());
    for hit in without["hits"].as_array().unwrap() {
        assert!(!hit["snippet"].as_str().unwrap().to_lowercase().contains("replication"), "{hit}");
    }
    let general = search("rr16 channel:general", &[]);
    assert!(general["hits"].as_array().unwrap().iter().all(|h| h["channel"] == "general"));
    assert_eq!(general["total"], 1);
    let marcus = search("from:marcus rr16", &[]);
    assert!(marcus["hits"].as_array().unwrap().iter().all(|h| h["author"] == "Marcus O."));
    let day = search("rr16 on:2014-01-17", &[]);
    assert!(
        day["hits"].as_array().unwrap().iter().all(|h| h["time"].as_str().unwrap().starts_with("2014-01-17"))
    );
    let window = search("rr16 after:2014-01-16 before:2014-01-18", &[]);
    assert_eq!(ids(&window), ids(&day), "after/before exclude their own days, as in Slack");
    // Three graphs attached in Slack, three from the snapshot folder, one photo without bytes.
    assert_eq!(search("has:file", &[])["total"], 7);
    assert_eq!(search("has:image", &[])["total"], 7);
    // Bot alerts link through their cards; an IRC line and a snapshot's note link by the
    // bare addresses in their plain text. Of the three runbooks messages, two link in their
    // own text (Slack's and IRC's; a quote in a card has the words but no link).
    assert_eq!(search("has:link", &[])["total"], 42);
    assert_eq!(search("has:link channel:parsec-ops", &[])["total"], 1);
    assert_eq!(search("runbooks", &[])["total"], 3);
    assert_eq!(search("has:link runbooks", &[])["total"], 2);
}

#[test]
fn newest_first_orders_by_time() {
    let results = search("channel:deploys sort:newest", &[]);
    let times: Vec<&str> =
        results["hits"].as_array().unwrap().iter().map(|h| h["time"].as_str().unwrap()).collect();
    assert!(times.len() > 10 && times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[test]
fn prefixes_complete_to_frequent_terms() {
    let prefix = ids(&search("replic*", &[]));
    let words = containing(r"(?i)\breplic");
    assert_eq!(prefix, words);
}

#[test]
fn private_conversations_never_reach_the_index() {
    for query in ["transit contract", "surprise cake", "switch so fast", "li.wei"] {
        assert_eq!(search(query, &[])["total"], 0, "{query}");
    }
}

#[test]
fn searching_a_site_without_an_index_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    scrollback(tmp.path())
        .args(["search", "--site", "nowhere", "x"])
        .assert()
        .failure()
        .stderr("error: nowhere.index: no search index here; build the site first (`scrollback build … --out SITE`)\n");
}

#[test]
fn terminal_output_lists_channel_time_author_snippet_and_link() {
    let output = scrollback(SAMPLE.tmp.path())
        .args(["search", "--site"])
        .arg(&SAMPLE.out)
        .args(["-n", "1", "\"read replica\""])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        "#ops · 2014-01-17 18:55 UTC · peter · 7.287\n  rr18 is taking reads. Read replica load back to 36%.\n  c/ops/2014/01/17/#m-1389984902000001\n\n"
    );
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "1 of 7 results\n");
}

/// Queries whose results the JavaScript client must reproduce (`tests/js/`).
const PARITY_QUERIES: &[(&str, bool)] = &[
    ("metrics-web-prod-513", false),
    ("web-prod-513", false),
    ("api.cache.metrics.mget.time", false),
    ("10.0.3.7", false),
    ("502", false),
    ("rr16", false),
    ("replica", false),
    ("read replica", false),
    ("\"read replica\"", false),
    ("kafka latency", false),
    ("kafka lag", false),
    ("the", false),
    ("the replica", false),
    ("repl*", false),
    ("kafka repl", true),
    ("rr16 -replication", false),
    ("rr16 channel:general", false),
    ("from:marcus rr16", false),
    ("rr16 on:2014-01-17", false),
    ("rr16 after:2014-01-16 before:2014-01-18", false),
    ("channel:deploys sort:newest", false),
    ("replica sort:oldest", false),
    ("has:file", false),
    ("is:incident rr16", false),
    ("is:incident", false),
    ("incident:2014-01-17-ops-1711 replica", false),
    ("incident:2014-01-12-ops-0727", false),
    ("Café ÉCLAIR", false),
    ("upstream=metrics-web-prod-513:8081", false),
    ("postgres.replication.lag_seconds 1843", false),
    ("nothing-like-this-anywhere", false),
];

/// Texts whose tokens the JavaScript tokenizer must reproduce.
const PARITY_TEXTS: &[&str] = &[
    "upstream=metrics-web-prod-513:8081 rt=30.001",
    "ping 10.0.3.7. then v1.2.3 and api.cache.metrics.mget.time!",
    "rr16 502s 4am ipv4 9f3a2b 1.5GB",
    "Café ÉCLAIR ΟΔΟΣ Σίσυφος İstanbul ½ ٣ naïve",
    "a--b c. d _e_ f__g x-",
    "https://metrics.librato.com/alerts/64105?x=1&y=2",
    "emoji 👍 and 日本語のテキスト and 한국어",
    "a very long token aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa end",
];

#[test]
fn js_parity_vectors_are_current() {
    let index = scrollback::index::SearchIndex::open(&scrollback::index::index_dir_for(&SAMPLE.out)).unwrap();
    let tokenize: Vec<Value> = PARITY_TEXTS
        .iter()
        .map(|text| {
            let tokens: Vec<Value> = scrollback::index::tokenize::tokenize(text)
                .into_iter()
                .map(|t| serde_json::json!([t.text, t.position, t.kind]))
                .collect();
            serde_json::json!({ "text": text, "tokens": tokens })
        })
        .collect();
    let queries: Vec<Value> = PARITY_QUERIES
        .iter()
        .map(|(query, prefix)| {
            let options = scrollback::index::SearchOptions { limit: 10, sort: None, prefix_last: *prefix };
            let results = index.search(query, &options).unwrap();
            let hits: Vec<Value> = results.hits.iter().map(|h| serde_json::json!([h.id, h.score])).collect();
            serde_json::json!({ "query": query, "prefix": prefix, "total": results.total, "hits": hits })
        })
        .collect();
    let vectors = serde_json::json!({
        "comment": "Written by `SCROLLBACK_UPDATE_VECTORS=1 cargo test js_parity`; checked by tests/js/search.test.js against sample-logs.",
        "tokenize": tokenize,
        "queries": queries,
    });
    let text = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
    let path = repo().join("tests/js/vectors.json");
    if std::env::var_os("SCROLLBACK_UPDATE_VECTORS").is_some() {
        fs_err::write(&path, &text).unwrap();
    }
    let committed = fs_err::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "tests/js/vectors.json is out of date; run `SCROLLBACK_UPDATE_VECTORS=1 cargo test js_parity` and review the diff"
    );
}
