//! The sample export in `sample-logs/`: what a new user builds first.

use crate::harness::{Site, anchors, article, repo};
use crate::oracle;

fn sample() -> Site {
    Site::build(&[repo().join("sample-logs")], &[])
}

#[test]
fn sample_logs_publish_every_public_channel_and_nothing_else() {
    let site = sample();
    let channels = site.channels();
    assert_eq!(channels, ["deploys", "general", "ops", "parsec-ops", "random"]);
    // Build logs are often public: the summary counts what it held back, and names nothing.
    assert!(
        site.stderr.contains("  not published: 1 DM, 1 group DM, 1 private channel (-v names them)"),
        "{}",
        site.stderr
    );
    for name in ["ops-private", "dm-peter-sofia", "mpdm-peter--anna--li-1"] {
        assert!(!site.stderr.contains(name), "{name} named without -v: {}", site.stderr);
    }
    let site = Site::build(&[repo().join("sample-logs")], &["-v"]);
    for line in [
        "not published: ops-private (private channel; name it in publish.private to publish)",
        "not published: dm-peter-sofia (DM; name it in publish.private to publish)",
        "not published: mpdm-peter--anna--li-1 (group DM; name it in publish.private to publish)",
    ] {
        assert!(site.stderr.contains(line), "{line:?} not in {}", site.stderr);
    }
}

#[test]
fn sample_logs_put_every_message_on_the_page_of_its_day() {
    let site = sample();
    let expected = oracle::expected(&repo().join("sample-logs/slack"));
    let total = oracle::assert_site_matches(&site, &expected, str::to_owned);
    assert!(total > 200, "a few hundred messages, got {total}");
    // The home page counts standalone snapshot events too.
    let events: usize = expected
        .iter()
        .flat_map(|(channel, days)| days.keys().map(move |day| format!("c/{channel}/{day}/")))
        .map(|url| anchors(&site.page(&url)).iter().filter(|a| a.starts_with("snap-")).count())
        .sum();
    assert!(events > 0, "the sample has standalone snapshots");
    let home = site.page("");
    let irc: usize = irc_logs().values().map(Vec::len).sum();
    assert!(home.contains(&format!("{} messages in 5 channels", total + events + irc)), "{home}");
}

/// The sample's IRC logs: day → its lines.
fn irc_logs() -> std::collections::BTreeMap<String, Vec<String>> {
    let dir = repo().join("sample-logs/irc/freenode/#parsec-ops");
    fs_err::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = fs_err::read(&path).unwrap();
            let lines = bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| String::from_utf8_lossy(l).into_owned());
            (path.file_stem().unwrap().to_string_lossy().replace('-', "/"), lines.collect())
        })
        .collect()
}

#[test]
fn the_older_irc_history_is_a_channel_of_the_same_archive() {
    let site = sample();
    for (day, lines) in irc_logs() {
        let page = site.page(&format!("c/parsec-ops/{day}/"));
        assert_eq!(anchors(&page).len(), lines.len(), "every line of {day} is a message");
    }
    let page = site.page("c/parsec-ops/2013/11/05/");
    assert!(page.contains("café downstairs"), "a Latin-1 line decodes");
    let lag = site.page("c/parsec-ops/2013/11/04/");
    assert!(
        lag.contains("** PROBLEM Service Alert: db-rr12/Replication lag is CRITICAL ** lag 412s"),
        "mIRC codes stripped"
    );
    assert!(lag.contains("pnovak joined"));
    let pages = |p: &String| p.ends_with(".html") || p.ends_with(".json") || p.ends_with(".xml");
    for (path, bytes) in site.files().into_iter().filter(|(p, _)| pages(p)) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("gw.parsec-metrics.example") && !text.contains("cpe-203-0-113-7"),
            "{path} publishes a hostmask"
        );
        assert!(!text.contains('\u{3}'), "{path} has an mIRC colour code");
    }
    // The Nagios bot's notices are alerts: an incident from the IRC era too.
    let incident = site.page("incidents/2013-11-04-parsec-ops-0814/");
    assert!(incident.contains("db-rr12/Replication lag"), "{incident}");
}

#[test]
fn private_conversations_and_personal_data_never_reach_the_sample_site() {
    let site = sample();
    let forbidden = [
        "transit contract",
        "on-call pay",
        "Thanks for jumping on the switch",
        "Surprise cake",
        "ops-private",
        "parsec-metrics.example\"",
        "@parsec-metrics.example",
        "555 0134",
        "010-7788",
        "xoxe",
        "files.slack.com",
        "avatars.slack-edge.com",
    ];
    let pages = |p: &String| p.ends_with(".html") || p.ends_with(".json") || p.ends_with(".xml");
    for (path, bytes) in site.files().into_iter().filter(|(p, _)| pages(p)) {
        let text = String::from_utf8_lossy(&bytes);
        for needle in forbidden {
            assert!(!text.contains(needle), "{path} contains {needle:?}");
        }
    }
}

#[test]
fn sample_thread_replies_render_under_their_parent() {
    let site = sample();
    let page = site.page("c/ops/2014/01/17/");
    // Marcus proposes the replacement replica; Li, Marcus and Peter reply in the thread.
    let root = "1389979550000001";
    let thread = article(&page, root);
    assert!(thread.contains("3 replies from Li, Marcus O. and peter"), "{thread}");
    let inner = anchors(thread);
    assert_eq!(inner.len(), 4, "root and three replies: {inner:?}");
    assert_eq!(inner[0], root);
    // The replies are not repeated at the top level.
    assert_eq!(anchors(&page).iter().filter(|a| inner.contains(a)).count(), 4);
}

#[test]
fn the_incident_message_has_the_permalink_the_design_promises() {
    let site = sample();
    let page = site.page("c/ops/2014/01/17/");
    let alert = article(&page, "1389978699000123");
    assert!(alert.contains("<a class=\"permalink\" href=\"#m-1389978699000123\""), "{alert}");
    assert!(alert.contains("<time datetime=\"2014-01-17T17:11:39Z\">17:11</time>"), "{alert}");
    assert!(alert.contains("postgres.replication.lag_seconds"), "{alert}");
}

#[test]
fn broadcast_replies_show_in_the_thread_and_in_the_channel() {
    let site = sample();
    let page = site.page("c/ops/2014/01/12/");
    let (root, reply) = ("1389512282000001", "1389512490000001");
    // Anchored once, inside its thread...
    assert_eq!(anchors(&page).iter().filter(|a| *a == reply).count(), 1);
    let thread = article(&page, root);
    assert!(thread.contains(&format!("id=\"m-{reply}\"")), "{thread}");
    assert!(thread.contains("also sent to the channel"), "{thread}");
    // ...and shown again at its own time in the channel, linking to the thread.
    let after_thread = &page[page.find(thread).unwrap() + thread.len()..];
    assert!(
        after_thread
            .contains(&format!("<a class=\"thread-link\" href=\"#m-{root}\">Replied in a thread</a>"))
    );
    assert!(after_thread.contains(&format!("href=\"#m-{reply}\"")));
}

#[test]
fn one_person_across_sources_has_one_name_and_from_finds_them_everywhere() {
    let site = Site::with_config(
        &[repo().join("sample-logs")],
        "[[people]]\nname = \"Peter Novak\"\naccounts = [\"slack:peter\", \"irc:pnovak\", \"irc:pnovak|lunch\", \"irc:pnovak_typo\"]\n",
    );
    let irc = site.page("c/parsec-ops/2013/11/04/");
    assert!(irc.contains("<span class=\"author\">Peter Novak</span>"), "the IRC nick");
    assert!(!irc.contains("<span class=\"author\">pnovak</span>"));
    assert!(
        site.page("c/ops/2014/01/17/").contains("<span class=\"author\">Peter Novak</span>"),
        "the Slack account"
    );
    assert!(
        site.stderr.contains("warning: people: no account \"irc:pnovak_typo\" in the inputs"),
        "{}",
        site.stderr
    );
    let out = crate::harness::scrollback(site.tmp.path())
        .args(["search", "--json", "-n", "50", "--site"])
        .arg(&site.out)
        .arg("from:peter")
        .output()
        .unwrap();
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let channels: std::collections::BTreeSet<&str> =
        results["hits"].as_array().unwrap().iter().map(|h| h["channel"].as_str().unwrap()).collect();
    assert!(channels.contains("parsec-ops") && channels.contains("ops"), "{channels:?}");
}
