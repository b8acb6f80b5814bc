//! Hand-made Slack export `tests/cases/slack/everything`: every subtype, threads, reactions,
//! edits, mentions, privacy rules.

use std::sync::LazyLock;

use crate::harness::{Site, anchors, article, case};

/// Built once: every test here only reads it.
static SITE: LazyLock<Site> = LazyLock::new(|| Site::build(&[case("slack/everything")], &["-v"]));

static DAY1: LazyLock<String> = LazyLock::new(|| SITE.page("c/general/2020/03/01/"));

fn day1() -> &'static str {
    &DAY1
}

fn id(offset: u64, seq: u32) -> String {
    format!("{}{seq:06}", 1_583_056_800 + offset)
}

#[test]
fn every_subtype_renders_with_its_kind() {
    let page = day1();
    let kinds = [
        (0, 100, "join"),
        (1, 200, "normal"),
        (5, 100, "topic"),
        (6, 100, "purpose"),
        (7, 100, "rename"),
        (8, 100, "bot"),
        (9, 100, "action"),
        (10, 100, "normal"),
        (11, 100, "pin"),
        (12, 100, "deleted"),
        (15, 100, "leave"),
        (16, 100, "event"),
        (17, 100, "event"),
        (23, 100, "archive"),
        (24, 100, "unarchive"),
        (25, 100, "file-comment"),
    ];
    for (offset, seq, kind) in kinds {
        let a = article(page, &id(offset, seq));
        assert!(a.starts_with(&format!("<article class=\"msg msg-{kind}")), "{kind}: {a}");
    }
    let join = article(page, &id(0, 100));
    assert!(join.contains("msg-system"), "system events are styled quietly: {join}");
}

#[test]
fn thread_replies_render_under_their_parent_even_from_another_day() {
    let page = day1();
    let root = article(page, &id(2, 100));
    let inner = anchors(root);
    // Root, first reply, broadcast reply, and the reply posted the next day.
    assert_eq!(inner, [id(2, 100), id(3, 100), id(4, 100), "1583143200000100".to_owned()]);
    assert!(root.contains("3 replies from Alice and Bob Builder"), "{root}");
    // The next-day reply carries its date, since it differs from the page's day.
    assert!(root.contains("<time datetime=\"2020-03-02T10:00:00Z\">2020-03-02 10:00</time>"), "{root}");
    // ...and is not on the next day's page.
    let next = SITE.page("c/general/2020/03/02/");
    assert_eq!(anchors(&next), ["1583143201000100"]);
}

#[test]
fn deleted_and_missing_thread_roots_keep_their_replies() {
    let page = day1();
    let tombstone = article(page, &id(12, 100));
    assert!(tombstone.contains("This message was deleted."));
    assert_eq!(anchors(tombstone), [id(12, 100), id(13, 100)]);
    let missing = article(page, "1583000000000001");
    assert!(missing.starts_with("<article class=\"msg msg-missing-parent msg-system\""), "{missing}");
    assert!(missing.contains("The start of this thread is not in the archive."));
    assert_eq!(anchors(missing), ["1583000000000001".to_owned(), id(14, 100)]);
}

#[test]
fn days_come_from_the_timestamp_not_the_file_name() {
    // Filed under 2020-03-02 (a Pacific date) but posted 2020-03-03T02:00Z.
    assert_eq!(anchors(&SITE.page("c/general/2020/03/03/")), ["1583200800000100"]);
}

#[test]
fn reactions_edits_and_pins_are_shown() {
    let hello = article(day1(), &id(1, 200));
    assert!(
        hello.contains("<span class=\"edited\" title=\"edited 2020-03-01 10:01 UTC\">(edited)</span>"),
        "{hello}"
    );
    assert!(hello.contains("<span class=\"pinned\""), "{hello}");
    assert!(
        hello.contains(
            "<li title=\"Bob Builder and 1 other reacted with :+1:\"><span class=\"emoji\">👍</span> 2</li>"
        ),
        "{hello}"
    );
    assert!(
        hello.contains(
            "<li title=\"Alice and Bob Builder reacted with :clap:\"><span class=\"emoji\">👏🏼</span> 2</li>"
        ),
        "{hello}"
    );
    assert!(
        hello.contains("<span class=\"emoji\">:partyparrot:</span> 1"),
        "custom emoji fall back to their name: {hello}"
    );
    assert!(
        hello.contains("<strong>team</strong> 👋 ping <span class=\"mention\">@Bob Builder</span>"),
        "{hello}"
    );
}

#[test]
fn mentions_links_and_dates_resolve_and_private_channel_names_stay_hidden() {
    let a = article(day1(), &id(19, 100));
    assert!(a.contains("<span class=\"mention\">@here</span>"), "{a}");
    assert!(a.contains("<a class=\"channel\" href=\"../../../../../c/eng/\" rel=\"nofollow noopener noreferrer ugc\">#eng</a>"), "{a}");
    assert!(a.contains("<span class=\"mention\">#private-channel</span>"), "{a}");
    assert!(!a.contains("secret-project"), "{a}");
    assert!(
        a.contains(
            "<a href=\"https://example.com/docs\" rel=\"nofollow noopener noreferrer ugc\">the docs</a>"
        ),
        "{a}"
    );
    assert!(a.contains("<time datetime=\"2020-03-01T11:00:00Z\">Mar 1 11:00</time> &amp; more &lt;3"), "{a}");
}

#[test]
fn authors_fall_back_to_embedded_profiles_and_bot_names() {
    let page = day1();
    assert!(article(page, &id(18, 100)).contains("<span class=\"author\">Ext Erna</span>"));
    let bot = article(page, &id(8, 100));
    assert!(bot.contains("<span class=\"author\">alertbot</span> <span class=\"badge\">bot</span>"), "{bot}");
    assert!(bot.contains("<div class=\"card accent-red\">"), "{bot}");
    assert!(bot.contains("<strong>cpu</strong> at 99% on <code>web-1</code>"), "{bot}");
    assert!(
        bot.contains("<a href=\"https://mon.example/alerts/1\""),
        "token stripped from the title link: {bot}"
    );
    assert!(article(page, &id(22, 100)).contains("<span class=\"author\">Gone Person</span>"));
}

#[test]
fn block_kit_only_messages_render_their_blocks() {
    let a = article(day1(), &id(20, 100));
    assert!(
        a.contains("Blocks only: <span class=\"mention\">@Bob Builder</span> 1 &lt; 2 <a href=\"https://example.com/b\""),
        "{a}"
    );
}

#[test]
fn files_are_listed_without_their_token_urls() {
    let a = article(day1(), &id(10, 100));
    assert!(a.contains("<span class=\"file-name\">CPU graph</span> <span class=\"file-meta\">graph.png</span> <span class=\"file-meta\">PNG image, 12.3 KB</span>"), "{a}");
    assert!(a.contains("not archived"), "{a}");
    assert!(!a.contains("files.slack.com"), "{a}");
}

#[test]
fn only_public_unshared_channels_are_published() {
    let c = SITE.channels();
    assert_eq!(c, ["eng", "general", "old"]);
    for (path, bytes) in SITE.files() {
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["secret", "wonderland", "builder.example", "555-010", "010-9999", "xoxe", "mpdm"] {
            assert!(!text.contains(secret), "{path} leaks {secret:?}");
        }
    }
    assert!(
        SITE.stderr.contains("unlisted: folder has day files but no entry in channels.json"),
        "{}",
        SITE.stderr
    );
    assert!(SITE.stderr.contains(
        "not published: partners (shared with another organisation; name it in publish.private to publish)"
    ));
    assert!(SITE.stderr.contains("redacted: 3 email, 1 phone, 1 slack-token"), "{}", SITE.stderr);
}

#[test]
fn emails_and_phone_numbers_in_text_are_redacted_visibly() {
    let a = article(day1(), &id(21, 100));
    let marker = |kind| format!("<span class=\"redacted\">[{kind} redacted]</span>");
    let expected = format!("mail me at {} or call {}, {}", marker("email"), marker("phone"), marker("email"));
    assert!(a.contains(&expected), "{a}");
}

#[test]
fn private_conversations_are_published_only_when_named() {
    let site = Site::with_config(
        &[case("slack/everything")],
        "[publish]\nprivate = [\"secret-project\"]\nexclude = [\"ol*\"]\n",
    );
    assert!(site.has_page("c/secret-project/"));
    assert!(site.page("c/secret-project/2020/03/01/").contains("private channel secret"));
    assert!(!site.has_page("c/old/"), "excluded by pattern");
    assert!(site.stderr.contains("1 excluded channel"), "{}", site.stderr);
    // Now that it is published, mentions of it link to it.
    assert!(site.page("c/general/2020/03/01/").contains("href=\"../../../../../c/secret-project/\" rel=\"nofollow noopener noreferrer ugc\">#secret-project</a>"));
}

#[test]
fn archived_channels_are_marked() {
    let home = SITE.page("");
    assert!(
        home.contains(
            "<a class=\"channel-name\" href=\"c/old/\">#old</a> <span class=\"badge\">archived</span>"
        ),
        "{home}"
    );
}

#[test]
fn day_pages_link_to_the_previous_and_next_day() {
    let day2 = SITE.page("c/general/2020/03/02/");
    assert!(
        day2.contains("<a rel=\"prev\" href=\"../../../../../c/general/2020/03/01/\">← Sun 1 Mar 2020</a>"),
        "{day2}"
    );
    assert!(
        day2.contains("<a rel=\"next\" href=\"../../../../../c/general/2020/03/03/\">Tue 3 Mar 2020 →</a>"),
        "{day2}"
    );
}

#[test]
fn display_timezone_moves_day_boundaries() {
    let site = Site::with_config(&[case("slack/everything")], "display_timezone = \"America/Los_Angeles\"\n");
    // 2020-03-03T02:00Z is the evening of 2 March in California.
    assert!(anchors(&site.page("c/general/2020/03/02/")).contains(&"1583200800000100".to_owned()));
    assert!(!site.has_page("c/general/2020/03/03/"));
    assert!(site.page("").contains("Times in <span data-zone>America/Los_Angeles</span>"));
}

#[test]
fn the_redaction_report_says_where_but_never_what() {
    let path = scrollback::redact::report::path(&SITE.out);
    assert!(!path.starts_with(&SITE.out), "the report is outside the published tree");
    let text = fs_err::read_to_string(&path).unwrap();
    for secret in ["bob@builder.example", "010-9999", "xoxe-"] {
        assert!(!text.contains(secret), "{secret} in the report");
    }
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["rules"], serde_json::json!({"email": 3, "phone": 1, "slack-token": 1}));
    assert_eq!(report["total"], 5);
    let hits = report["hits"].as_array().unwrap();
    assert_eq!(hits.iter().map(|h| h["count"].as_u64().unwrap()).sum::<u64>(), 5);
    // Each hit's permalink leads to the page and message it names.
    for hit in hits {
        assert_eq!(hit["channel"], "general", "{hit}");
        let url = hit["url"].as_str().unwrap();
        let (page, anchor) = url.split_once('#').unwrap();
        assert!(SITE.page(page).contains(&format!("id=\"{anchor}\"")), "{url}");
    }
}

/// `tests/cases/slack/cards`: a link card, a link with a start time and a legacy file comment.
static CARDS: LazyLock<Site> = LazyLock::new(|| Site::build(&[case("slack/cards")], &[]));

#[test]
fn link_cards_read_as_written_and_links_keep_their_parameters() {
    let page = CARDS.page("c/links/2023/11/14/");
    let card = article(&page, "1700000100000100");
    assert!(card.contains("Tips &amp; Advice &lt;2024&gt;"), "{card}");
    assert!(card.contains("Blog &amp; Co"), "{card}");
    assert!(!card.contains("&amp;amp;") && !card.contains("&amp;lt;"), "escaped twice: {card}");
    assert!(!card.contains("a=1&amp;amp;b=2"), "a broken link: {card}");
    assert!(card.contains(r#"href="https://blog.example.com/tips?a=1&amp;b=2""#), "{card}");
    let video = article(&page, "1700000200000100");
    assert!(video.contains(r#"href="https://youtu.be/dQw4w9WgXcQ?t=1m6s""#), "{video}");
    assert!(video.contains(">https://youtu.be/dQw4w9WgXcQ?t=1m6s<"), "{video}");
}

#[test]
fn a_file_comment_is_by_its_commenter() {
    let page = CARDS.page("c/links/2023/11/14/");
    let comment = article(&page, "1700000300000100");
    assert!(comment.contains(r#"<span class="author">Bob</span>"#), "{comment}");
}

#[test]
fn overlapping_exports_keep_each_messages_newest_copy_in_either_order() {
    let tmp = tempfile::tempdir().unwrap();
    let copy = |name: &str| {
        let dir = tmp.path().join(name);
        for (rel, bytes) in crate::harness::tree(&case("slack/cards")) {
            fs_err::create_dir_all(dir.join(&rel).parent().unwrap()).unwrap();
            fs_err::write(dir.join(rel), bytes).unwrap();
        }
        dir
    };
    let (old, new) = (copy("march"), copy("april"));
    let day = new.join("links/2023-11-14.json");
    let text = fs_err::read_to_string(&day).unwrap().replace(
        r#""text": "the talk, from the good part: <https://youtu.be/dQw4w9WgXcQ?t=1m6s>""#,
        r#""text": "the talk, from the best part", "edited": {"user": "U2", "ts": "1700000900.000000"}"#,
    );
    assert!(text.contains("best part"), "the case still has the message this test edits");
    fs_err::write(&day, text).unwrap();
    for inputs in [[old.clone(), new.clone()], [new.clone(), old.clone()]] {
        let site = Site::build(&inputs, &[]);
        let page = site.page("c/links/2023/11/14/");
        let message = article(&page, "1700000200000100");
        assert!(message.contains("the best part") && message.contains("edited"), "{inputs:?}: {message}");
    }
}
