//! The generic JSON Lines format: every documented field, and errors that name the line.

use std::sync::LazyLock;

use crate::harness::{Site, anchors, article, case, scrollback};

static SITE: LazyLock<Site> = LazyLock::new(|| Site::build(&[case("jsonl/chat")], &["-v"]));

#[test]
fn every_field_reaches_the_page() {
    assert_eq!(SITE.channels(), ["support"]);
    let page = SITE.page("c/support/2022/03/01/");
    assert_eq!(
        anchors(&page),
        ["t1", "1646121900000000", "1646122000500000", "1646123400000000", "1646123400000001"],
        "ids given, else the millisecond and the order within it; the thread reply under its root"
    );
    let root = article(&page, "t1");
    assert!(root.contains("<time datetime=\"2022-03-01T08:00:00Z\">"), "an offset is honoured");
    assert!(root.contains("Customer reports <strong>502s</strong>"), "markdown by default");
    assert!(root.contains("id=\"m-1646121900000000\""), "thread");
    let reply = article(&page, "1646121900000000");
    assert!(reply.contains("/runbook.txt\" download=\"runbook.txt\">"), "attachment with a path");
    assert!(reply.contains("trace.har</span> <span class=\"not-archived\">"), "attachment without one");
    let thanks = article(&page, "1646122000500000");
    assert!(
        thanks.contains(
            "<p class=\"reply-to\">↪ <a href=\"../../../../../c/support/2022/03/01/#m-t1\">ada</a>"
        )
    );
    assert!(thanks.contains("<li title=\"grace reacted with :+1:\"><span class=\"emoji\">👍</span> 1</li>"));
    assert!(
        thanks.contains("<li title=\"3 others reacted with :tada:\"><span class=\"emoji\">🎉</span> 3</li>")
    );
    let bot = article(&page, "1646123400000000");
    assert!(bot.contains("msg-bot") && bot.contains("(edited)") && bot.contains("class=\"pinned\""));
    assert!(SITE.stderr.contains("not published: escalations (private channel;"));
    for (path, bytes) in SITE.files() {
        assert!(!String::from_utf8_lossy(&bytes).contains("private escalation words"), "{path}");
    }
}

#[test]
fn a_bad_line_is_named_by_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("chat.jsonl");
    fs_err::write(
        &file,
        "{\"channel\": \"a\", \"time\": 1, \"text\": \"ok\"}\n{\"channel\": \"a\", \"time\": \"yesterday\", \"text\": \"x\"}\n{\"channel\": \"a\", \"time\": 2, \"txt\": \"typo\"}\n",
    )
    .unwrap();
    let out = scrollback(tmp.path()).args(["build", "chat.jsonl", "--out", "public"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("chat.jsonl:2:") && stderr.contains("time \"yesterday\" is not RFC 3339"),
        "{stderr}"
    );
    assert!(stderr.contains("chat.jsonl:3:") && stderr.contains("unknown field `txt`"), "{stderr}");
}

#[test]
fn a_channel_name_longer_than_a_file_name_gets_a_capped_slug() {
    let tmp = tempfile::tempdir().unwrap();
    // 100 CJK characters: 300 bytes, over the 255 a path part may hold.
    let name = "運用チーム".repeat(20);
    let line =
        serde_json::json!({"channel": name, "time": 1646121900, "author": "ada", "text": "zqlongname"});
    let input = tmp.path().join("chat.jsonl");
    fs_err::write(&input, format!("{line}\n")).unwrap();
    let site = Site::build(&[input], &[]);
    let slugs = site.channels();
    assert_eq!(slugs.len(), 1);
    assert!(slugs[0].len() <= 200 && slugs[0].starts_with("運用チーム"), "{slugs:?}");
    assert!(site.page(&format!("c/{}/2022/03/01/", slugs[0])).contains("zqlongname"));
}

#[test]
fn names_reach_the_terminal_with_control_characters_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "ops\u{1b}]0;owned\u{7}\u{1b}[2J";
    let lines = [
        serde_json::json!({"channel": "general", "time": 1646121900, "author": "ada", "text": "hi"}),
        serde_json::json!({"channel": name, "time": 1646121900, "author": "ada", "text": "x", "visibility": "private"}),
    ];
    let input = tmp.path().join("chat.jsonl");
    fs_err::write(&input, lines.map(|l| format!("{l}\n")).concat()).unwrap();
    let site = Site::build(&[input], &["-v"]);
    assert!(!site.stderr.contains('\u{1b}') && !site.stderr.contains('\u{7}'), "{:?}", site.stderr);
    assert!(
        site.stderr.contains("not published: ops\\u{1b}]0;owned\\u{7}\\u{1b}[2J (private channel"),
        "{}",
        site.stderr
    );
}
