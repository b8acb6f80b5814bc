//! Incidents: detected from the sample's two stories and from hand-made alert traffic.

use std::sync::LazyLock;

use regex::Regex;

use crate::harness::{Site, case, repo, tree};

static SAMPLE: LazyLock<Site> = LazyLock::new(|| Site::build(&[repo().join("sample-logs")], &[]));
static CASE: LazyLock<Site> = LazyLock::new(|| Site::build(&[case("slack/incidents")], &[]));

fn ids(site: &Site) -> Vec<String> {
    let mut ids: Vec<String> = fs_err::read_dir(site.out.join("incidents"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        // Month pages are `incidents/<YYYY>/<MM>/`; ids start with a whole date.
        .filter(|name| name.contains('-'))
        .collect();
    ids.sort();
    ids
}

/// The `<dd>` of a fact on an incident page, tags stripped.
fn fact(page: &str, name: &str) -> String {
    let re = Regex::new(&format!(r"<dt>{name}</dt><dd>(.*?)</dd>")).unwrap();
    let html = &re.captures(page).unwrap_or_else(|| panic!("no {name} in page"))[1];
    Regex::new("<[^>]+>").unwrap().replace_all(html, "").into_owned()
}

/// Every evidence link on an incident page points at a message anchor that exists.
fn assert_links_resolve(site: &Site, page: &str) {
    let re = Regex::new(r##"href="\.\./\.\./(c/[^"#]+)#(m-[0-9]+)""##).unwrap();
    let mut seen = 0;
    for c in re.captures_iter(page) {
        assert!(site.page(&c[1]).contains(&format!("id=\"{}\"", &c[2])), "{}#{}", &c[1], &c[2]);
        seen += 1;
    }
    assert!(seen > 5, "evidence links: {seen}");
}

#[test]
fn the_sample_stories_are_two_incidents_with_times_linked_to_their_messages() {
    assert_eq!(ids(&SAMPLE), ["2013-11-04-parsec-ops-0814", "2014-01-12-ops-0727", "2014-01-17-ops-1711"]);
    let partition = SAMPLE.page("incidents/2014-01-12-ops-0727/");
    assert_eq!(fact(&partition, "Started"), "2014-01-12 07:27 UTC");
    assert_eq!(fact(&partition, "Acknowledged"), "2014-01-12 07:30 UTC after 2 min");
    assert_eq!(fact(&partition, "Resolved"), "2014-01-12 07:52 UTC after 24 min");
    assert_eq!(fact(&partition, "Participants"), "peter, sofia, anna, Li");
    assert!(partition.contains(
        "href=\"../../c/ops/2014/01/12/#m-1389511633000001\"><time datetime=\"2014-01-12T07:27:13Z\">"
    ));
    for alert in [
        "api.cache.metrics.mget.time on metrics-web-prod-513",
        "api.cache.metrics.mget.time on metrics-web-prod-514",
        "&quot;status=502&quot;",
        "Dalli::RingError",
    ] {
        assert!(partition.contains(alert), "{alert}");
    }
    assert_links_resolve(&SAMPLE, &partition);

    let replica = SAMPLE.page("incidents/2014-01-17-ops-1711/");
    assert!(replica.contains("<h1>Replication lag above 300s on db-rr16 (read replica)"));
    assert_eq!(fact(&replica, "Started"), "2014-01-17 17:11 UTC");
    assert!(
        replica.contains("href=\"../../c/ops/2014/01/17/#m-1389978699000123\""),
        "the start links to the first alert"
    );
    assert_eq!(fact(&replica, "Acknowledged"), "2014-01-17 17:16 UTC after 5 min");
    assert_eq!(fact(&replica, "Resolved"), "2014-01-17 19:02 UTC after 1 h 50 min");
    assert_eq!(fact(&replica, "Participants"), "Marcus O., peter, Li, Jonas Berg");
    assert!(
        replica.contains("postgres.replication.lag_seconds on db-rr18"),
        "the replacement's lag alert joined"
    );
    assert_links_resolve(&SAMPLE, &replica);
    // The graphs shared during each story (bundled, linked and standalone) are on its page.
    let graphs = |page: &str| -> Vec<String> {
        let files = &page[page.find("id=\"files-heading\"").expect("a files section")..];
        let files = &files[..files.find("</ul>").unwrap()];
        Regex::new(r#"<img [^>]*alt="([^"]+)""#)
            .unwrap()
            .captures_iter(files)
            .map(|c| c[1].to_owned())
            .collect()
    };
    assert_eq!(
        graphs(&partition),
        [
            "api.cache.metrics.mget.time p99 (exported again)",
            "api.cache.metrics.mget.time p99, metrics-web-prod-513 and -514",
            "API 5xx rate by host",
            "memcached mget latency back to normal after the partition"
        ]
    );
    assert_eq!(
        graphs(&replica),
        [
            "Read replica load after removing rr16 (rr14, rr15, rr17)",
            "postgres.replication.lag_seconds, db-rr16 and db-rr18"
        ]
    );
    // The routine alerts that cleared on their own are not incidents (the third is the IRC era's).
    assert_eq!(SAMPLE.page("incidents/").matches("<tr data-status=").count(), 3);
}

#[test]
fn routine_alerts_and_people_typing_alert_text_do_not_open_or_close_incidents() {
    assert_eq!(
        ids(&CASE),
        ["2020-05-01-alerts-1000", "2020-05-01-alerts-1400", "2020-05-01-ops-0900", "2020-05-01-ops-1200"]
    );
    let a = CASE.page("incidents/2020-05-01-alerts-1000/");
    // bob typed "[RESOLVED] HighLatency api" at 10:05; the bots resolved it at 10:55 and 10:56.
    assert_eq!(fact(&a, "Resolved"), "2020-05-01 10:56 UTC after 56 min");
}

#[test]
fn alerts_in_a_burst_group_into_one_incident_by_key() {
    let a = CASE.page("incidents/2020-05-01-alerts-1000/");
    let rows: Vec<&str> = a.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{a}");
    assert!(rows[0].starts_with("<td>alertmanager</td><td>HighLatency api</td><td>3</td>"), "{}", rows[0]);
    assert!(rows[1].starts_with("<td>sentry</td><td>p95 latency over 2s</td><td>2</td>"), "{}", rows[1]);
    assert!(a.contains("class=\"tl-note\""), "a stopwatch reaction puts a message on the timeline");
    // Each line shows its own message's text (and a card's title for a bot alert).
    let line = regex::Regex::new(r#"#m-(\d+)"><time[^>]*>[^<]*</time></a> <span class="tl-kind">[a-z]+</span> <span class="tl-author">[^<]*</span> <span class="tl-text">([^<]*)</span>"#).unwrap();
    let lines: Vec<(String, String)> =
        line.captures_iter(&a).map(|c| (c[1].to_owned(), c[2].to_owned())).collect();
    for expected in [
        ("1588327320000100", "Critical: p95 latency over 2s"),
        ("1588327500000100", "[RESOLVED] HighLatency api"),
        ("1588328400000100", "looking at the api latency, pinned the dashboard"),
    ] {
        assert!(
            lines.iter().any(|(id, text)| (id.as_str(), text.as_str()) == expected),
            "{expected:?} in {lines:?}"
        );
    }
}

#[test]
fn an_alert_that_never_resolves_closes_after_the_quiet_period_marked_inferred() {
    let b = CASE.page("incidents/2020-05-01-alerts-1400/");
    assert!(b.contains("<h1>Disk almost full on host:db-1"), "{b}");
    assert!(fact(&b, "Resolved").ends_with("inferred"), "{}", fact(&b, "Resolved"));
}

#[test]
fn pages_acknowledgements_and_commands_set_the_incident_fields() {
    let checkout = CASE.page("incidents/2020-05-01-ops-1200/");
    assert_eq!(fact(&checkout, "Mitigated"), "2020-05-01 12:20 UTC after 20 min");
    assert!(checkout.contains("<li class=\"tl-mitigated\">"), "{checkout}");
    assert!(checkout.contains("<a href=\"../../search/?q=incident%3A2020-05-01-ops-1200\">"));
    let c = CASE.page("incidents/2020-05-01-ops-0900/");
    assert!(!c.contains("<dt>Mitigated</dt>"), "no one said it was mitigated");
    assert_eq!(fact(&c, "Acknowledged"), "2020-05-01 09:05 UTC after 5 min");
    assert_eq!(fact(&c, "Severity"), "SEV2");
    assert_eq!(fact(&c, "Lead"), "alice");
    assert_eq!(fact(&c, "Resolved"), "2020-05-01 09:20 UTC after 20 min", "all clear from a person");
    let d = CASE.page("incidents/2020-05-01-ops-1200/");
    assert!(d.contains("<h1>Checkout errors for EU customers"));
    assert_eq!(fact(&d, "Resolved"), "2020-05-01 12:30 UTC after 30 min");
}

#[test]
fn config_declarations_add_and_override_incidents() {
    let site = Site::with_config(
        &[case("slack/incidents")],
        r#"
[[incidents.declare]]
channel = "ops"
start = "2020-05-01T16:00:00Z"
end = "2020-05-01T17:00:00Z"
title = "Planned database failover"
severity = "SEV3"
postmortem = "https://wiki.example.com/pm/failover"

[[incidents.declare]]
channel = "ops"
start = "2020-05-01T08:55:00Z"
title = "Pager storm"
"#,
    );
    assert_eq!(
        ids(&site),
        [
            "2020-05-01-alerts-1000",
            "2020-05-01-alerts-1400",
            "2020-05-01-ops-0855",
            "2020-05-01-ops-1200",
            "2020-05-01-ops-1600"
        ]
    );
    let planned = site.page("incidents/2020-05-01-ops-1600/");
    assert!(planned.contains("<h1>Planned database failover"));
    assert_eq!(fact(&planned, "Severity"), "SEV3");
    assert_eq!(fact(&planned, "Postmortem"), "https://wiki.example.com/pm/failover");
    assert_eq!(fact(&planned, "Source"), "declared in the configuration");
    // Overlapping a detected incident: the declaration sets start and title, detection the rest.
    let storm = site.page("incidents/2020-05-01-ops-0855/");
    assert!(storm.contains("<h1>Pager storm"));
    assert_eq!(fact(&storm, "Severity"), "SEV2");
}

#[test]
fn incident_ids_survive_rebuilds_with_messages_added_before_and_after() {
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("export");
    for (rel, bytes) in tree(&case("slack/incidents")) {
        let path = export.join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, bytes).unwrap();
    }
    let before = ids(&Site::build(std::slice::from_ref(&export), &[]));
    let earlier = r#"[{"type": "message", "user": "U1", "text": "quiet day", "ts": "1588230000.000100"},
        {"type": "message", "subtype": "bot_message", "username": "hubot", "text": "Incident # 7 :\ntriggered and assigned to bob", "ts": "1588233600.000100"},
        {"type": "message", "subtype": "bot_message", "username": "hubot", "text": "Incident # 7 :\nresolved and assigned to bob", "ts": "1588237200.000100"}]"#;
    fs_err::write(export.join("ops/2020-04-30.json"), earlier).unwrap();
    let later = r#"[{"type": "message", "subtype": "bot_message", "username": "hubot", "text": "Incident # 43 :\ntriggered and assigned to alice", "ts": "1588496400.000100"}]"#;
    fs_err::write(export.join("ops/2020-05-03.json"), later).unwrap();
    let after = ids(&Site::build(std::slice::from_ref(&export), &[]));
    assert!(before.iter().all(|id| after.contains(id)), "{before:?} within {after:?}");
    assert_eq!(after.len(), before.len() + 2);
}

#[test]
fn channel_pages_mark_incident_messages_and_the_feed_and_cards_describe_incidents() {
    let day = CASE.page("c/alerts/2020/05/01/");
    assert!(
        day.contains("<a class=\"incident-badge\" href=\"../../../../../incidents/2020-05-01-alerts-1000/\"")
    );
    let feed = fs_err::read_to_string(CASE.out.join("incidents/feed.xml")).unwrap();
    assert_eq!(feed.matches("<entry>").count(), 4);
    assert!(feed.contains("<id>urn:scrollback:incident:2020-05-01-ops-0900</id>"));
    assert!(feed.contains("<link href=\"2020-05-01-ops-0900/\"/>"));
    let page = CASE.page("incidents/2020-05-01-ops-0900/");
    assert!(page.contains("<meta property=\"og:title\" content=\"PagerDuty incident #42\">"), "{page}");
    assert!(page.contains("<meta name=\"twitter:card\" content=\"summary\">"));
    let index = CASE.page("incidents/");
    assert!(index.contains(
        "<tr data-status=\"resolved\" data-severity=\"SEV2\" data-channel=\"ops\" data-year=\"2020\">"
    ));
    assert!(CASE.page("").contains("Recent incidents"));
}

/// Where the redirect page of a retired id sends the browser.
fn redirect_target(site: &Site, id: &str) -> Option<String> {
    let page = site.page(&format!("incidents/{id}/"));
    let re = Regex::new(r#"<meta http-equiv="refresh" content="0; url=([^"]+)">"#).unwrap();
    re.captures(&page).map(|c| c[1].to_owned())
}

#[test]
fn an_id_a_rebuild_drops_keeps_resolving_through_any_number_of_later_builds() {
    let pager_storm = "[[incidents.declare]]\nchannel = \"ops\"\nstart = \"2020-05-01T08:55:00Z\"\ntitle = \"Pager storm\"\n";
    let config = tempfile::tempdir().unwrap();
    let declared = config.path().join("declared.toml");
    fs_err::write(&declared, pager_storm).unwrap();
    let with_declaration = ["--config", declared.to_str().unwrap()];
    let inputs = [case("slack/incidents")];

    let mut site = Site::build(&inputs, &[]);
    assert_eq!(redirect_target(&site, "2020-05-01-ops-0900"), None, "a live incident page");
    // The declaration moves the incident's start, so its id changes: the old one redirects.
    site.rebuild(&inputs, &with_declaration);
    assert_eq!(
        redirect_target(&site, "2020-05-01-ops-0900").as_deref(),
        Some("../../incidents/2020-05-01-ops-0855/")
    );
    let first = site.files();
    // Carried by the ledger into the next full build, which is byte-identical.
    site.rebuild(&inputs, &[with_declaration[0], with_declaration[1], "--force"]);
    assert_eq!(
        redirect_target(&site, "2020-05-01-ops-0900").as_deref(),
        Some("../../incidents/2020-05-01-ops-0855/")
    );
    assert!(site.files() == first, "rebuilding the same inputs over the site changed it");
    // Back to detection alone: the old id is live again, the declared one redirects to it.
    site.rebuild(&inputs, &[]);
    assert_eq!(redirect_target(&site, "2020-05-01-ops-0900"), None);
    assert_eq!(
        redirect_target(&site, "2020-05-01-ops-0855").as_deref(),
        Some("../../incidents/2020-05-01-ops-0900/")
    );
    let ledger: serde_json::Value =
        serde_json::from_slice(&fs_err::read(site.out.join("incidents/incidents.json")).unwrap()).unwrap();
    assert_eq!(ledger["retired"][0]["id"], "2020-05-01-ops-0855");
    assert_eq!(ledger["retired"][0]["to"], "incidents/2020-05-01-ops-0900/");
}

#[test]
fn an_id_whose_incident_is_gone_leads_to_the_channel_day_it_started() {
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("export");
    for (rel, bytes) in tree(&case("slack/incidents")) {
        let path = export.join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, bytes).unwrap();
    }
    let mut site = Site::build(std::slice::from_ref(&export), &[]);
    // Tuning: a longer minimum duration drops the short incidents.
    let config = tmp.path().join("scrollback.toml");
    fs_err::write(&config, "[incidents]\nmin_duration = \"6h\"\n").unwrap();
    site.rebuild(std::slice::from_ref(&export), &["--config", config.to_str().unwrap()]);
    let ledger: serde_json::Value =
        serde_json::from_slice(&fs_err::read(site.out.join("incidents/incidents.json")).unwrap()).unwrap();
    let retired = ledger["retired"].as_array().unwrap();
    assert!(!retired.is_empty(), "{ledger}");
    for r in retired {
        let id = r["id"].as_str().unwrap();
        let to = r["to"].as_str().unwrap();
        assert!(to.starts_with("c/") || to.starts_with("incidents/"), "{id} → {to}");
        assert_eq!(redirect_target(&site, id).unwrap(), format!("../../{to}"));
        let target = to.split('#').next().unwrap();
        assert!(site.has_page(target), "{id} redirects to a missing page {to}");
    }
}

#[test]
fn the_incidents_command_lists_a_sites_incidents() {
    let out = crate::harness::scrollback(SAMPLE.tmp.path())
        .args(["incidents", "--channel", "ops", "--site"])
        .arg(&SAMPLE.out)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "2014-01-17-ops-1711  resolved  #ops · 2014-01-17 17:11 UTC · severity unset · acknowledged after 5 min · resolved after 1 h 50 min\n  Replication lag above 300s on db-rr16 (read replica)\n  incidents/2014-01-17-ops-1711/\n\n\
         2014-01-12-ops-0727  resolved  #ops · 2014-01-12 07:27 UTC · severity unset · acknowledged after 2 min · resolved after 24 min\n  API 5xx rate above 2% on metrics-web-prod-513, metrics-web-prod-514\n  incidents/2014-01-12-ops-0727/\n\n"
    );
    let json = crate::harness::scrollback(CASE.tmp.path())
        .args(["incidents", "--json", "--status", "resolved", "--channel", "alerts", "--site"])
        .arg(&CASE.out)
        .output()
        .unwrap();
    let entries: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let listed: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(listed, ["2020-05-01-alerts-1400", "2020-05-01-alerts-1000"], "newest first");
    assert_eq!(entries[0]["inferred_end"], true);
    assert_eq!(entries[1]["time_to_resolve"], 56 * 60);
    let none = crate::harness::scrollback(CASE.tmp.path())
        .args(["incidents", "--json", "--status", "ongoing", "--site"])
        .arg(&CASE.out)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(none.stdout).unwrap().trim(), "[]");
    let missing = crate::harness::scrollback(CASE.tmp.path())
        .args(["incidents", "--site", "no-such-site"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("has no incidents/incidents.json"));
}

/// The incidents case built with `count` more incidents declared in `month` of 2020 (from its
/// first, an hour apart, half an hour each), before the case's own four in May.
fn with_declared(month: u32, count: u32) -> Site {
    let mut declarations = String::new();
    for n in 0..count {
        let (day, hour) = (1 + n / 24, n % 24);
        declarations.push_str(&format!(
            "[[incidents.declare]]\nchannel = \"ops\"\nstart = \"2020-{month:02}-{day:02}T{hour:02}:00:00Z\"\nend = \"2020-{month:02}-{day:02}T{hour:02}:30:00Z\"\n"
        ));
    }
    let config = tempfile::tempdir().unwrap();
    let path = config.path().join("declared.toml");
    fs_err::write(&path, declarations).unwrap();
    Site::build(&[case("slack/incidents")], &["--config", path.to_str().unwrap()])
}

#[test]
fn the_feed_lists_the_newest_incidents_and_the_index_lists_them_all() {
    // 60 declared incidents in April.
    let site = with_declared(4, 60);
    let feed = fs_err::read_to_string(site.out.join("incidents/feed.xml")).unwrap();
    let entries: Vec<&str> = feed.split("<entry>").skip(1).collect();
    assert_eq!(entries.len(), 50, "{feed}");
    assert!(entries[0].contains("2020-05-01"), "newest first: {}", entries[0]);
    // Four detected in May, then the declared ones from the last (2020-04-03 11:00) down.
    assert!(feed.contains("urn:scrollback:incident:2020-04-01-ops-1400"), "the 50th newest");
    assert!(!feed.contains("urn:scrollback:incident:2020-04-01-ops-1300"), "the 51st is left out");
    let index = site.page("incidents/");
    for id in ["2020-04-01-ops-0000", "2020-04-01-ops-1300", "2020-05-01-ops-0900"] {
        assert!(index.contains(&format!("href=\"../incidents/{id}/\"")), "{id} on the index");
    }
}

#[test]
fn the_index_lists_the_newest_hundred_and_a_page_per_month_lists_the_rest() {
    // 110 declared incidents in March.
    let site = with_declared(3, 110);
    let rows = |page: &str| page.matches("<tr data-status=").count();
    let index = site.page("incidents/");
    assert!(index.contains("<p class=\"lede\">114 incidents."), "{index}");
    assert_eq!(rows(&index), 100, "the newest hundred");
    assert!(index.contains("href=\"../incidents/2020-05-01-ops-0900/\""), "the newest is listed");
    assert!(!index.contains("2020-03-01-ops-0000/"), "the oldest is left to its month");
    assert!(index.contains(r#"<a href="2020/03/" aria-label="Mar 2020: 110 incidents">110</a>"#), "{index}");
    assert!(index.contains(r#"<a href="2020/05/" aria-label="May 2020: 4 incidents">4</a>"#), "{index}");
    let march = site.page("incidents/2020/03/");
    assert_eq!(rows(&march), 110);
    assert!(march.contains("<h1>Incidents in March 2020</h1>"));
    assert!(march.contains("href=\"../../../incidents/2020-03-01-ops-0000/\""), "every one of the month");
    assert!(march.contains(r#"<a rel="next" href="../../../incidents/2020/05/">May 2020 →</a>"#), "{march}");
    assert!(!march.contains("rel=\"prev\""), "nothing before March");
    let may = site.page("incidents/2020/05/");
    assert_eq!(rows(&may), 4);
    assert!(may.contains(r#"<a rel="prev" href="../../../incidents/2020/03/">← Mar 2020</a>"#), "{may}");
    assert!(!site.has_page("incidents/2020/04/"), "a month without incidents has no page");
}

#[test]
fn a_bot_the_recognisers_do_not_know_opens_incidents_only_by_a_configured_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("health.jsonl");
    let line = |time: &str, text: &str| {
        format!(
            "{{\"channel\": \"ops\", \"time\": \"2024-03-04T{time}:00Z\", \"author\": \"HealthBot\", \"bot\": true, \"text\": \"{text}\"}}\n"
        )
    };
    let lines = [
        line("10:00", "HEALTH FAIL checkout sev=P2 Checkout health check failing"),
        line("10:05", "HEALTH ACK checkout"),
        line("10:50", "HEALTH OK checkout"),
        line("12:00", "deploy finished"),
    ];
    fs_err::write(&export, lines.concat()).unwrap();
    let unknown = Site::build(std::slice::from_ref(&export), &[]);
    assert!(!unknown.out.join("incidents/2024-03-04-ops-1000").exists(), "an unknown bot opens nothing");
    let rule = r#"
[[incidents.sources]]
bot = "HealthBot"
open = '^HEALTH FAIL (?P<key>\S+)(?: sev=(?P<severity>\w+))?(?: (?P<title>.+))?'
resolve = '^HEALTH OK (?P<key>\S+)'
acknowledge = '^HEALTH ACK (?P<key>\S+)'
"#;
    let site = Site::with_config(std::slice::from_ref(&export), rule);
    let page = site.page("incidents/2024-03-04-ops-1000/");
    assert!(page.contains("<h1>Checkout health check failing"), "{page}");
    assert_eq!(fact(&page, "Severity"), "P2");
    assert_eq!(fact(&page, "Acknowledged"), "2024-03-04 10:05 UTC after 5 min");
    assert_eq!(fact(&page, "Resolved"), "2024-03-04 10:50 UTC after 50 min");
    let broken = tmp.path().join("broken.toml");
    fs_err::write(&broken, "[[incidents.sources]]\nbot = \"x\"\nopen = \"(\"\n").unwrap();
    let stderr = Site::failing(&[export], &["--config", broken.to_str().unwrap()]);
    assert!(stderr.contains("incidents.sources"), "{stderr}");
}
