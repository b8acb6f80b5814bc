//! IRC logs: one hand-written log per client style, and the real XChat logs in the shared
//! fixtures, counted line by line.

use std::sync::LazyLock;

use crate::harness::{Site, anchors, article, case, shared_fixtures, tree};

static SITE: LazyLock<Site> = LazyLock::new(|| Site::build(&[case("irc/styles")], &["-v"]));

/// `(time, author, kind, text)` of each message on a page, tags stripped.
fn messages(page: &str) -> Vec<(String, String, String, String)> {
    let tags = regex::Regex::new("<[^>]+>").unwrap();
    anchors(page)
        .iter()
        .map(|id| {
            let a = article(page, id);
            let grab = |re: &str| {
                regex::Regex::new(re).unwrap().captures(a).map_or(String::new(), |c| c[1].to_owned())
            };
            let body = grab(r#"(?s)<div class="msg-body">(.*?)</div>"#);
            (
                grab(r#"<time datetime="([^"]+)""#),
                grab(r#"<span class="author">([^<]*)</span>"#),
                grab(r#"class="msg msg-([a-z-]+)"#),
                tags.replace_all(&body, "").trim().to_owned(),
            )
        })
        .collect()
}

fn row(time: &str, author: &str, kind: &str, text: &str) -> (String, String, String, String) {
    (time.to_owned(), author.to_owned(), kind.to_owned(), text.to_owned())
}

#[test]
fn irssi_markers_set_the_day_and_events_read_plainly() {
    assert_eq!(SITE.channels(), ["alpha", "beta", "delta", "gamma"]);
    assert_eq!(
        messages(&SITE.page("c/alpha/2016/09/20/")),
        [
            row("2016-09-20T22:01:00Z", "alice", "join", "alice joined"),
            row("2016-09-20T22:02:00Z", "alice", "normal", "deploying the api now"),
            row("2016-09-20T23:58:00Z", "alice", "action", "watches the graphs"),
        ]
    );
    assert_eq!(
        messages(&SITE.page("c/alpha/2016/09/21/")),
        [
            row("2016-09-21T00:03:00Z", "bob", "normal", "p99 is fine"),
            row("2016-09-21T00:04:00Z", "bob", "event", "bob is now known as bob_away"),
            row("2016-09-21T00:05:00Z", "alice", "topic", "alice changed the topic to: api v2 is out"),
            row("2016-09-21T00:06:00Z", "bob_away", "leave", "bob_away quit (Quit: Bye)"),
        ]
    );
}

#[test]
fn weechat_limnoria_and_znc_lines_and_a_private_query() {
    assert_eq!(
        messages(&SITE.page("c/beta/2024/01/05/")),
        [
            row("2024-01-05T21:07:33Z", "carol", "normal", "shipping the parser tonight"),
            row("2024-01-05T21:07:40Z", "dave", "join", "dave joined"),
            row("2024-01-05T21:08:30Z", "carol", "action", "waves"),
            row("2024-01-05T21:09:10Z", "dave", "leave", "dave quit (Client Quit)"),
        ]
    );
    let gamma = messages(&SITE.page("c/gamma/2019/10/05/"));
    assert_eq!(gamma[0], row("2019-10-05T00:19:23Z", "erin", "join", "erin joined"));
    assert_eq!(
        gamma[3],
        row("2019-10-05T00:40:00Z", "erin", "leave", "erin quit (Ping timeout: 268 seconds)")
    );
    let delta = SITE.page("c/delta/2016/06/03/");
    assert_eq!(
        anchors(&delta),
        ["1464960134000", "1464960491000", "1464960491001", "1464960600000"],
        "second + order within it"
    );
    assert!(delta.contains("hey! &amp; &lt;b&gt;not html&lt;/b&gt;"), "text is escaped, never markup");
    assert!(article(&delta, "1464960600000").contains("msg-bot"), "a notice");
    assert!(SITE.stderr.contains("not published: carol (DM;"), "{}", SITE.stderr);
    for (path, bytes) in SITE.files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("private query words"), "{path}");
        assert!(
            !text.contains("host.example") && !text.contains("198.51.100.4"),
            "{path} publishes a hostmask"
        );
    }
}

#[test]
fn the_wall_clock_is_read_in_the_configured_zone() {
    let site = Site::with_config(&[case("irc/styles")], "[irc]\ntimezone = \"Europe/Berlin\"\n");
    let alpha = messages(&site.page("c/alpha/2016/09/20/"));
    assert_eq!(alpha[0].0, "2016-09-20T20:01:00Z", "22:01 CEST");
}

#[test]
fn ids_survive_a_log_that_grows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    for (rel, bytes) in tree(&case("irc/styles/znc")) {
        fs_err::create_dir_all(dir.join(&rel).parent().unwrap()).unwrap();
        fs_err::write(dir.join(rel), bytes).unwrap();
    }
    let mut site = Site::build(std::slice::from_ref(&dir), &[]);
    let before = anchors(&site.page("c/delta/2016/06/03/"));
    let log = dir.join("libera/#delta/2016-06-03.log");
    let mut text = fs_err::read_to_string(&log).unwrap();
    text.push_str("[13:30:00] <frank> appended in the same second as the notice\n[14:00:00] <grace> later\n");
    fs_err::write(&log, text).unwrap();
    site.rebuild(&[dir], &[]);
    let after = anchors(&site.page("c/delta/2016/06/03/"));
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after[before.len()..], ["1464960600001", "1464962400000"]);
}

/// The real XChat logs: every line is a message; the one with an impossible time (with a
/// warning) and the one with none are kept at the time of the line before.
#[test]
fn the_shared_xchat_logs_keep_every_timed_line() {
    let Some(fixtures) = shared_fixtures() else { return };
    let dir = fixtures.join("irc/xchat/plaso/test_data");
    let timed = regex::Regex::new(r"^\s*[a-z]{3} \d{2} \d{2}:\d{2}:\d{2} ").unwrap();
    let text = String::from_utf8_lossy(&fs_err::read(dir.join("xchat.log")).unwrap()).into_owned();
    let expected = text.lines().filter(|l| timed.is_match(l)).count();
    let site = Site::build(&[dir.join("xchat.log")], &[]);
    let found: usize =
        ["c/gugle/2011/12/31/", "c/gugle/2012/02/26/"].iter().map(|p| anchors(&site.page(p)).len()).sum();
    assert_eq!(found, expected);
    assert!(
        site.stderr
            .contains("xchat.log: 1 lines with an impossible time were kept at the time of the line before"),
        "{}",
        site.stderr
    );
    assert!(site.page("c/gugle/2011/12/31/").contains("日本"), "UTF-8 lines stay UTF-8");

    let scrollback =
        String::from_utf8_lossy(&fs_err::read(dir.join("xchatscrollback.log")).unwrap()).into_owned();
    let expected = scrollback.lines().filter(|l| l.starts_with("T ")).count();
    let site = Site::build(&[dir.join("xchatscrollback.log")], &[]);
    let pages: usize = walkdir::WalkDir::new(site.out.join("c"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_name() == "index.html" && e.depth() == 5)
        .map(|e| anchors(&fs_err::read_to_string(e.path()).unwrap()).len())
        .sum();
    assert_eq!(pages, expected);
}

/// Logs as people keep them: dates in folders, channels in no name, Windows-1252 bytes,
/// untimed lines, and the eggdrop (with its file names), dircproxy and irclogs.ubuntu.com
/// styles.
static LAYOUTS: LazyLock<Site> = LazyLock::new(|| {
    Site::with_config(
        &[case("irc/layouts")],
        "[[irc.channels]]\npath = \"standup/*.log\"\nname = \"#daily-standup\"\n",
    )
});

#[test]
fn a_date_in_a_folder_dates_the_log_and_untimed_lines_take_the_time_before() {
    assert_eq!(
        messages(&LAYOUTS.page("c/ops/2024/10/18/")),
        [
            row("2024-10-18T09:00:00Z", "alice", "normal", "morning, deploying api"),
            row("2024-10-18T09:00:00Z", "bob", "event", "bob is now known as bobby"),
            row(
                "2024-10-18T09:05:00Z",
                "bobby",
                "normal",
                "runbook: https://wiki.example.com/runbook?t=1m6s&amp;page=2"
            ),
            row("2024-10-18T09:05:00Z", "carol", "join", "carol joined"),
        ]
    );
    assert_eq!(messages(&LAYOUTS.page("c/ops/2024/10/19/")).len(), 2);
    assert!(!LAYOUTS.stderr.contains("could not be read"), "{}", LAYOUTS.stderr);
}

#[test]
fn logs_that_name_no_channel_are_one_channel_named_by_their_folder_or_the_config() {
    let channels = LAYOUTS.channels();
    for name in ["daily-standup", "egg", "euro", "meetings", "ops", "proxy", "ubuntu-meeting"] {
        assert!(channels.iter().any(|c| c == name), "{name} in {channels:?}");
    }
    assert!(!channels.iter().any(|c| c == "12" || c == "19" || c == "standup"), "{channels:?}");
    assert_eq!(
        messages(&LAYOUTS.page("c/meetings/2020/06/12/")),
        [
            row("2020-06-12T16:00:00Z", "dan", "normal", "#startmeeting weekly"),
            row("2020-06-12T16:00:00Z", "erin", "join", "erin joined"),
            row("2020-06-12T16:01:00Z", "erin", "normal", "hi all"),
            row("2020-06-12T16:02:00Z", "frank", "normal", "agenda is on the wiki"),
            row("2020-06-12T16:02:00Z", "erin", "leave", "erin quit (Ping timeout: 240 seconds)"),
            row("2020-06-12T16:30:00Z", "dan", "normal", "#endmeeting"),
        ]
    );
    assert_eq!(messages(&LAYOUTS.page("c/daily-standup/2024/10/18/")).len(), 2);
}

#[test]
fn bytes_that_are_not_utf8_read_as_windows_1252() {
    let texts: Vec<String> = messages(&LAYOUTS.page("c/euro/2024/10/18/")).into_iter().map(|m| m.3).collect();
    assert_eq!(texts, ["š", "price € 5, “quoted”", "café in UTF-8"]);
}

#[test]
fn eggdrop_dircproxy_and_ubuntu_lines_are_events_by_their_nick() {
    let styles = [
        (
            "c/egg/2024/10/18/",
            vec![
                row("2024-10-18T12:00:00Z", "gina", "join", "gina joined"),
                row("2024-10-18T12:01:00Z", "gina", "normal", "hello eggs"),
                row("2024-10-18T12:02:00Z", "gina", "action", "waves"),
                row("2024-10-18T12:03:00Z", "gina", "event", "gina is now known as gina_"),
                row("2024-10-18T12:04:00Z", "gina_", "topic", "gina_ changed the topic to: eggs all day"),
                row("2024-10-18T12:05:00Z", "gina_", "leave", "gina_ left (bye)"),
                row("2024-10-18T12:06:00Z", "hal", "leave", "hal left (Quit: gone)"),
            ],
        ),
        (
            "c/proxy/2024/10/18/",
            vec![
                row("2024-10-18T10:00:00Z", "ivan", "join", "ivan joined"),
                row("2024-10-18T10:01:00Z", "ivan", "normal", "hello from behind the proxy"),
                row("2024-10-18T10:02:00Z", "ivan", "action", "stretches"),
                row("2024-10-18T10:03:00Z", "NickServ", "bot", "identify please"),
                row("2024-10-18T10:04:00Z", "ivan", "leave", "ivan left"),
            ],
        ),
        (
            "c/ubuntu-meeting/2024/10/18/",
            vec![
                row("2024-10-18T16:00:00Z", "jo", "normal", "meeting time"),
                row("2024-10-18T16:00:00Z", "kees", "join", "kees joined"),
                row("2024-10-18T16:01:00Z", "kees", "normal", "o/"),
                row("2024-10-18T16:01:00Z", "kees", "event", "kees is now known as kees_"),
                row("2024-10-18T16:05:00Z", "jo", "action", "waves"),
            ],
        ),
    ];
    for (page, expected) in styles {
        assert_eq!(messages(&LAYOUTS.page(page)), expected, "{page}");
    }
    for (path, bytes) in LAYOUTS.files() {
        assert!(!String::from_utf8_lossy(&bytes).contains("host.example"), "{path} publishes a hostmask");
    }
    // eggdrop's own file names: `#egg.log.18Oct2024`; a compressed one is named, not read.
    assert!(
        LAYOUTS.stderr.contains("eggdrop: 1 file not read as IRC logs (not .log, .txt or .weechatlog), the first #egg.log.17Oct2024.gz"),
        "{}",
        LAYOUTS.stderr
    );
}

#[test]
fn a_log_whose_lines_have_no_date_fails_the_build_naming_its_first_line() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    fs_err::create_dir(&logs).unwrap();
    fs_err::write(logs.join("#nodate.log"), "[09:00] <alice> when is this?\n[09:01] <bob> nobody knows\n")
        .unwrap();
    fs_err::write(logs.join("#dated.2024-10-18.log"), "[09:00] <carol> today\n").unwrap();
    let stderr = Site::failing(std::slice::from_ref(&logs), &[]);
    assert!(
        stderr.contains(
            "2 of 3 lines or messages could not be read, more than 1% (max_dropped); the first at "
        ) && stderr.contains("#nodate.log:1"),
        "{stderr}"
    );
    let kept = Site::build(std::slice::from_ref(&logs), &["--keep-going"]);
    assert!(kept.stderr.contains("(irc): 1 message in 1 channel; 2 dropped"), "{}", kept.stderr);
    assert!(kept.stderr.contains("2: IRC lines without a date or time"), "{}", kept.stderr);
    let ledger: serde_json::Value =
        serde_json::from_slice(&fs_err::read(kept.tmp.path().join("public.index/inputs.json")).unwrap())
            .unwrap();
    let account = &ledger["inputs"][0];
    assert_eq!(account["channels"]["irc:dated"]["read"], 1);
    assert_eq!(account["dropped"][0]["count"], 2);
    assert!(account["dropped"][0]["first"].as_str().unwrap().ends_with("#nodate.log:1"), "{account}");
    // A team that accepts the loss says so.
    let lenient = Site::with_config(std::slice::from_ref(&logs), "max_dropped = 0.9\n");
    assert!(lenient.stderr.contains("2 dropped"), "{}", lenient.stderr);
}
