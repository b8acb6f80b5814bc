//! Matrix: a hand-written Element export (edits, reactions, redactions, threads, replies,
//! membership, media) and the real events in the shared fixtures.

use std::sync::LazyLock;

use crate::harness::{Site, anchors, article, case, shared_fixtures};

static SITE: LazyLock<Site> = LazyLock::new(|| Site::build(&[case("matrix/element")], &[]));

fn page() -> String {
    SITE.page("c/ops/2024/03/05/")
}

#[test]
fn a_public_room_with_its_people_topic_and_membership() {
    assert_eq!(SITE.channels(), ["ops"], "named by its latest m.room.name; public by its join rules");
    let page = page();
    assert!(article(&page, "ev04-example-org").contains("Alice Liddell joined"));
    assert!(!page.contains("id=\"m-ev06-example-org\""), "a display name change is not a join");
    assert!(
        article(&page, "ev08-example-org").contains("<span class=\"author\">Alice Liddell</span>"),
        "display names"
    );
    assert!(article(&page, "ev26-example-org").contains("msg-leave"));
    assert!(article(&page, "ev07-example-org").contains("changed the topic to: Production ops"));
}

#[test]
fn html_bodies_replies_and_threads() {
    let page = page();
    let root = article(&page, "ev08-example-org");
    assert!(
        root.contains(
            "deploying <strong>api</strong> v2.3, see <a href=\"https://grafana.example.org/d/api\""
        ),
        "{root}"
    );
    assert!(
        root.contains("id=\"m-ev10-example-org\"") && root.contains("id=\"m-ev11-example-org\""),
        "the thread, fallback or not"
    );
    let reply = article(&page, "ev09-example-org");
    assert!(reply.contains("<p class=\"reply-to\">↪ <a href=\"../../../../../c/ops/2024/03/05/#m-ev08-example-org\">Alice Liddell</a>"));
    assert!(
        reply.contains("<div class=\"msg-body\">watching it</div>"),
        "the quoted fallback is gone: {reply}"
    );
    assert!(
        !article(&page, "ev10-example-org").contains("reply-to"),
        "a thread's fallback reply is not a reply"
    );
    assert!(article(&page, "ev11-example-org").contains("msg-action"), "m.emote");
    assert!(article(&page, "ev12-example-org").contains("<span class=\"badge\">bot</span>"), "m.notice");
}

#[test]
fn edits_reactions_and_redactions_fold_into_what_clients_show() {
    let page = page();
    let edited = article(&page, "ev14-example-org");
    assert!(edited.contains("<p>rollback done</p>") && edited.contains("(edited)"), "{edited}");
    assert!(!page.contains("hijacked"), "another sender's edit is not applied");
    assert!(!page.contains("id=\"m-ev15-example-org\""), "edits are not messages of their own");
    assert!(
        edited.contains("<li title=\"Alice Liddell and Bob Builder reacted with 👍\"><span class=\"emoji\">👍</span> 2</li>"),
        "one per sender: {edited}"
    );
    assert!(!edited.contains("🎉"), "a redacted reaction is gone");
    let deleted = article(&page, "ev22-example-org");
    assert!(deleted.contains("This message was deleted."));
    for (path, bytes) in SITE.files() {
        assert!(!String::from_utf8_lossy(&bytes).contains("hunter2"), "{path} keeps a redacted message");
    }
    assert!(article(&page, "ev24-example-org").contains("could not be decrypted"));
    assert!(
        article(&page, "ev13-example-org").contains("alt=\"p99.png\""),
        "the image bundled with the export"
    );
}

/// The real events: a `/messages` page, a `/context` answer and single events.
#[test]
fn the_shared_matrix_events_import() {
    let Some(fixtures) = shared_fixtures() else { return };
    let nio = fixtures.join("matrix/matrix-nio/tests/data");
    let site = Site::with_config(
        std::slice::from_ref(&nio),
        "[publish]\nprivate = [\"New room name\", \"SVkFJHzfwvuaIEawgC\", \"#tutorial:localhost\", \"testroom\", \"YHhmBTmGBHGQOlGpaZ\", \"jEsUZKDJdhlrceRyVU\"]\n",
    );
    let messages: serde_json::Value =
        serde_json::from_slice(&fs_err::read(nio.join("room_messages.json")).unwrap()).unwrap();
    let chunk = messages["chunk"].as_array().unwrap();
    let room = site.page("c/new-room-name/2015/10/14/");
    assert_eq!(anchors(&room).len(), chunk.len(), "two texts and the rename, named by it");
    assert!(room.contains("hello world") && room.contains("the world is big"));
    let context: serde_json::Value =
        serde_json::from_slice(&fs_err::read(nio.join("context.json")).unwrap()).unwrap();
    let expected = 1
        + context["events_before"].as_array().unwrap().len()
        + context["events_after"].as_array().unwrap().len();
    let found: usize = walkdir::WalkDir::new(site.out.join("c/svkfjhzfwvuaieawgc"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_name() == "index.html" && e.depth() == 4)
        .map(|e| anchors(&fs_err::read_to_string(e.path()).unwrap()).len())
        .sum();
    assert_eq!(found, expected);
    let sticker = site.page("c/jesuzkdjdhlrceryvu/2015/05/27/");
    assert!(
        sticker.contains("Sticker: Landing") && sticker.contains("not archived"),
        "mxc media is not archived"
    );
    let notice = site.page("c/yhhmbtmgbhgqolgpaz/2018/08/06/");
    assert!(notice.contains("313: nio wins!"), "the formatted body");

    // The spec's examples: one room, reached through their `$ref` envelopes.
    let spec = fixtures.join("matrix/matrix-spec/data/event-schemas/examples");
    let site =
        Site::with_config(&[spec], "[publish]\nprivate = [\"jEsUZKDJdhlrceRyVU\", \"m.room.member\"]\n");
    assert!(site.stderr.contains("duplicate messages"), "the examples share one event id: {}", site.stderr);
    assert!(site.channels().contains(&"jesuzkdjdhlrceryvu".to_owned()));
}
