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

/// The real XChat logs: every line with a readable time is a message; the one with an
/// impossible time is skipped with a warning.
#[test]
fn the_shared_xchat_logs_keep_every_timed_line() {
    let Some(fixtures) = shared_fixtures() else { return };
    let dir = fixtures.join("irc/xchat/plaso/test_data");
    let timed = regex::Regex::new(r"^\s*[a-z]{3} \d{2} ([0-2]\d):([0-5]\d):([0-5]\d) ").unwrap();
    let text = String::from_utf8_lossy(&fs_err::read(dir.join("xchat.log")).unwrap()).into_owned();
    let expected = text.lines().filter(|l| timed.captures(l).is_some_and(|c| &c[1] < "24")).count();
    let site = Site::build(&[dir.join("xchat.log")], &[]);
    let found: usize =
        ["c/gugle/2011/12/31/", "c/gugle/2012/02/26/"].iter().map(|p| anchors(&site.page(p)).len()).sum();
    assert_eq!(found, expected);
    assert!(
        site.stderr.contains("xchat.log: 1 lines without a readable date or time were skipped"),
        "{}",
        site.stderr
    );
    assert!(site.page("c/gugle/2011/12/31/").contains("日本"), "UTF-8 lines stay UTF-8");

    let scrollback =
        String::from_utf8_lossy(&fs_err::read(dir.join("xchatscrollback.log")).unwrap()).into_owned();
    let expected =
        scrollback.lines().filter(|l| regex::Regex::new(r"^T -?\d+ ").unwrap().is_match(l)).count();
    let site = Site::build(&[dir.join("xchatscrollback.log")], &[]);
    let pages: usize = walkdir::WalkDir::new(site.out.join("c"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_name() == "index.html" && e.depth() == 5)
        .map(|e| anchors(&fs_err::read_to_string(e.path()).unwrap()).len())
        .sum();
    assert_eq!(pages, expected);
}
