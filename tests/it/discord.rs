//! DiscordChatExporter JSON: the hand-written guild case (parts, threads, replies, pins,
//! reactions, embeds, media, private conversations) and the real export in the shared fixtures.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::harness::{Site, anchors, article, case, shared_fixtures, tree};
use crate::media::png;

/// The guild case copied beside the media files DCE's `--media` would have downloaded.
fn guild(root: &Path) -> PathBuf {
    let dir = root.join("guild");
    for (rel, bytes) in tree(&case("discord/guild")) {
        fs_err::create_dir_all(dir.join(&rel).parent().unwrap()).unwrap();
        fs_err::write(dir.join(rel), bytes).unwrap();
    }
    fs_err::create_dir_all(dir.join("media")).unwrap();
    fs_err::write(dir.join("media/p99-graph-0a1b2c.png"), png(320, 160, 1, &[])).unwrap();
    fs_err::write(dir.join("media/canary dashboard-ff.png"), png(320, 160, 2, &[])).unwrap();
    fs_err::write(dir.join("media/shipit-11.png"), png(64, 64, 3, &[])).unwrap();
    dir
}

static SITE: LazyLock<Site> = LazyLock::new(|| {
    let tmp = tempfile::tempdir().unwrap();
    Site::build(&[guild(tmp.path())], &["-v"])
});

fn day(d: &str) -> String {
    SITE.page(&format!("c/ops/2024/03/{d}/"))
}

#[test]
fn parts_merge_threads_join_their_root_and_times_become_utc() {
    assert_eq!(SITE.channels(), ["ops"]);
    let first: BTreeSet<String> = anchors(&day("05")).into_iter().collect();
    let expected: BTreeSet<String> = [
        "1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010", "2001", "2002",
        "3001",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(first, expected);
    assert_eq!(anchors(&day("06")), ["1011", "1012"], "part 2; its copy of 1010 is kept once");
    assert!(article(&day("05"), "1001").contains("<time datetime=\"2024-03-05T08:00:00Z\">"), "+01:00 → UTC");
    assert!(article(&day("06"), "1011").contains("<time datetime=\"2024-03-06T13:00:00Z\">"), "-05:00 → UTC");
    // A thread started from a message sits under it; one started on its own under the notice.
    assert!(article(&day("05"), "1001").contains("id=\"m-2001\""));
    let page = day("05");
    let notice = article(&page, "1007");
    assert!(
        notice.contains("Started the thread “db questions”.") && notice.contains("id=\"m-3001\""),
        "{notice}"
    );
}

#[test]
fn replies_pins_edits_reactions_and_unknown_types_keep_their_meaning() {
    let page = day("05");
    let reply = article(&page, "1003");
    assert!(reply.contains("<p class=\"reply-to\">↪ <a href=\"../../../../../c/ops/2024/03/05/#m-1001\">Alice</a>: <span class=\"reply-excerpt\">Deploying api v2.3, see #ops and ask @bob</span></p>"), "{reply}");
    assert!(reply.contains(
        "<li title=\"Alice and 1 other reacted with :thumbsup:\"><span class=\"emoji\">👍</span> 2</li>"
    ));
    assert!(reply.contains(":party_parrot:</span> 1</li>"), "a custom emoji shows its name");
    assert!(article(&page, "1001").contains("<span class=\"pinned\""));
    assert!(
        article(&page, "1006").contains("href=\"../../../../../c/ops/2024/03/05/#m-1004\""),
        "the pin notice points at the pinned message"
    );
    assert!(article(&page, "1008").contains("(edited)"));
    assert!(article(&page, "1009").contains("poll: keep v2.2? yes"), "a numeric message type keeps its text");
    assert!(article(&day("06"), "1012").contains("💯 done"), "surrogate-pair escapes decode");
}

#[test]
fn markdown_tokens_and_embeds_render_and_bots_open_incidents() {
    let page = day("05");
    let first = article(&page, "1001");
    assert!(
        first.contains(
            "Deploying <strong>api</strong> v2.3, see <a class=\"channel\" href=\"../../../../../c/ops/\""
        ),
        "{first}"
    );
    assert!(first.contains("<span class=\"mention\">@bob</span>"));
    let alert = article(&page, "1002");
    assert!(alert.contains("<div class=\"card-title\">[FIRING:1] HighLatency api</div>"), "{alert}");
    assert!(alert.contains("<dt>severity</dt><dd>critical</dd>"));
    assert!(
        article(&day("06"), "1011").contains("<a href=\"https://wiki.example.com/pm/42\""),
        "bare URL, without the full stop"
    );
    // The bot's embeds are alert text: [FIRING] at 08:05 and [RESOLVED] at 09:00 UTC.
    let incident = SITE.page("incidents/2024-03-05-ops-0805/");
    assert!(incident.contains("<h1>HighLatency api"), "{incident}");
}

#[test]
fn media_beside_the_export_is_kept_and_remote_urls_never_published() {
    let page = day("05");
    assert!(
        article(&page, "1004").contains("<img src=\"../../../../../assets/snapshots/"),
        "a Windows path (media\\…)"
    );
    assert!(article(&page, "1001").contains("alt=\"canary dashboard.png\""), "a percent-encoded path");
    assert!(article(&day("06"), "1012").contains("alt=\"Sticker: shipit\""));
    assert!(article(&page, "1005").contains("<span class=\"not-archived\">not archived</span>"));
    for (path, bytes) in SITE.files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("cdn.discordapp.com"), "{path} links Discord's CDN");
        assert!(
            !text.contains("private words") && !text.contains("dm words"),
            "{path} publishes a private conversation"
        );
    }
    assert!(SITE.stderr.contains("not published: dm-carol (DM;"), "{}", SITE.stderr);
    assert!(SITE.stderr.contains("not published: ops-secret (private channel;"));
}

#[test]
fn one_channel_file_can_be_given_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = guild(tmp.path());
    let site = Site::build(&[dir.join("Ops Guild - Text Channels - ops [100].json")], &[]);
    assert_eq!(site.channels(), ["ops"]);
    let page = site.page("c/ops/2024/03/05/");
    assert_eq!(anchors(&page).len(), 10, "only that file's messages");
    assert!(article(&page, "1004").contains("<img "), "its media is read from beside it");
    assert!(!site.has_page("c/ops/2024/03/06/"));
}

#[test]
fn a_truncated_export_is_named_with_its_line_and_the_rest_builds_with_keep_going() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = guild(tmp.path());
    let part = dir.join("Ops Guild - Text Channels - ops [100] [part 2].json");
    let text = fs_err::read_to_string(&part).unwrap();
    // Cut inside the last message (1012), as a crashed exporter leaves it.
    fs_err::write(&part, &text[..text.find("shipit").unwrap()]).unwrap();
    let out = crate::harness::scrollback(tmp.path())
        .arg("build")
        .arg(&dir)
        .args(["--out", "public"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = regex::Regex::new(
        r"ops \[100\] \[part 2\]\.json:\d+:\d+: messages\[2\]\.stickers\[0\]\.name: EOF while parsing .*; --keep-going keeps the 2 messages before the cut",
    )
    .unwrap();
    assert!(line.is_match(&stderr), "{stderr}");
    let site = Site::build(&[dir], &["--keep-going"]);
    assert!(site.has_page("c/ops/2024/03/05/"));
    assert_eq!(anchors(&site.page("c/ops/2024/03/06/")), ["1011"], "what came before the cut");
}

/// The real export: every message, reply, reaction and edit in its files reaches the site.
#[test]
fn the_shared_discord_export_keeps_every_message_reaction_and_edit() {
    let Some(fixtures) = shared_fixtures() else { return };
    let dir = fixtures.join("discord/zulip/zerver/tests/fixtures/discord_fixtures/channels");
    let mut ids = BTreeSet::new();
    let (mut reactions, mut edits, mut replies) = (0, 0, 0);
    for (_, bytes) in tree(&dir) {
        let export: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        for m in export["messages"].as_array().unwrap() {
            if ids.insert(m["id"].as_str().unwrap().to_owned()) {
                reactions += m["reactions"].as_array().map_or(0, Vec::len);
                edits += usize::from(!m["timestampEdited"].is_null());
                replies += usize::from(m["type"] == "Reply");
            }
        }
    }
    let site = Site::build(&[dir], &[]);
    let pages: String = walkdir::WalkDir::new(site.out.join("c"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_name() == "index.html" && e.depth() == 5)
        .map(|e| fs_err::read_to_string(e.path()).unwrap())
        .collect();
    let found: BTreeSet<String> = anchors(&pages).into_iter().collect();
    assert_eq!(found, ids);
    assert_eq!(pages.matches(" reacted with :").count(), reactions);
    assert_eq!(pages.matches("<span class=\"edited\"").count(), edits);
    assert_eq!(pages.matches("<p class=\"reply-to\">").count(), replies + 1, "replies and the pin notice");
    assert!(reactions > 0 && edits > 0 && replies > 0);
}

/// `tests/cases/discord/overlap`: two exports of one channel, the newer one sorting first.
static OVERLAP: LazyLock<Site> = LazyLock::new(|| Site::build(&[case("discord/overlap")], &[]));

#[test]
fn overlapping_exports_keep_each_messages_newest_copy_whatever_the_file_names() {
    let page = OVERLAP.page("c/deploys/2024/04/01/");
    assert_eq!(anchors(&page), ["5001", "5002", "5003"]);
    let edited = article(&page, "5002");
    assert!(edited.contains("right version number v42") && edited.contains("edited"), "{edited}");
    assert!(!page.contains("wrong version number"), "the old copy is gone");
    assert!(OVERLAP.has_page("c/deploys/2024/04/08/"));
}

#[test]
fn spoilers_underlines_image_embeds_and_thread_names_show() {
    let page = OVERLAP.page("c/deploys/2024/04/01/");
    let text = article(&page, "5001");
    assert!(text.contains(r#"<span class="spoiler">the canary is on eu-2</span>"#), "{text}");
    assert!(text.contains("<u>do not</u>") && !text.contains("||"), "{text}");
    let gif = article(&page, "5003");
    assert!(gif.contains(r#"href="https://media.tenor.com/abc/shipit.gif""#), "{gif}");
    assert!(!gif.contains("<img"), "remote images are never loaded: {gif}");
    // The guild case's thread "api rollout" was started from message 1001.
    assert!(article(&day("05"), "1001").contains("api rollout"), "{}", article(&day("05"), "1001"));
}

#[test]
fn a_thread_in_two_exports_is_named_once_on_its_starting_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = guild(tmp.path());
    let thread = dir.join("Ops Guild - ops - api rollout [1001].json");
    fs_err::copy(&thread, dir.join("Ops Guild - ops - api rollout [1001] (again).json")).unwrap();
    let site = Site::build(&[dir], &[]);
    let page = site.page("c/ops/2024/03/05/");
    let starter = article(&page, "1001");
    assert_eq!(starter.matches("api rollout").count(), 1, "{starter}");
    assert_eq!(anchors(&page).iter().filter(|a| *a == "2001").count(), 1, "each reply once");
}
