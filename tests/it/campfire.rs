//! Campfire transcripts: a `campfire_export` folder (XML), API JSON with rooms and people, and
//! the real transcripts in the shared fixtures.

use crate::harness::{Site, anchors, article, case, shared_fixtures};

#[test]
fn an_exported_room_keeps_its_messages_pastes_and_uploads() {
    let site = Site::build(&[case("campfire/export")], &[]);
    assert_eq!(site.channels(), ["ops-room"], "named by its folder");
    let page = site.page("c/ops-room/2012/05/11/");
    assert_eq!(
        anchors(&page),
        ["1002", "1003", "1004", "1005", "1006", "1007", "1009"],
        "no timestamp markers or ads"
    );
    assert!(article(&page, "1002").contains("entered the room"));
    let text = article(&page, "1003");
    assert!(
        text.contains("stuck &amp; the queue is at 40k &lt;script&gt;"),
        "entities decoded once, escaped again"
    );
    assert!(text.contains("class=\"pinned\""), "starred");
    assert!(
        article(&page, "1004").contains(
            "<pre><code>ERROR worker-3: ```timeout```\nERROR worker-4: timeout\n  at Queue.pop\n</code></pre>"
        ),
        "a paste keeps its lines, even with backticks in it"
    );
    assert!(
        article(&page, "1005").contains("/restart-notes.txt\" download=\"restart-notes.txt\">"),
        "the upload from its folder"
    );
    assert!(article(&page, "1006").contains("played a sound: rimshot"));
    assert!(article(&page, "1007").contains("changed the topic to: Queue backlog (resolved)"));
}

#[test]
fn api_json_names_rooms_and_people_and_converts_offsets() {
    let site = Site::build(&[case("campfire/api")], &[]);
    assert_eq!(site.channels(), ["support"], "named by rooms.json");
    let page = site.page("c/support/2012/04/05/");
    let first = article(&page, "2001");
    assert!(first.contains("<span class=\"author\">Kim Lee</span>"), "named by a user object: {first}");
    assert!(first.contains("<time datetime=\"2012-04-05T15:53:14Z\">"), "-0500 → UTC");
    let tweet = article(&page, "2002");
    assert!(tweet.contains("@acmestatus") && tweet.contains("status: all systems go"), "{tweet}");
    for (path, bytes) in site.files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("0123456789abcdef") && !text.contains("kim@acme.example"), "{path}");
    }
}

#[test]
fn a_message_with_an_unreadable_time_is_counted_in_the_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("api");
    for (rel, bytes) in crate::harness::tree(&case("campfire/api")) {
        fs_err::create_dir_all(dir.join(&rel).parent().unwrap()).unwrap();
        fs_err::write(dir.join(rel), bytes).unwrap();
    }
    let transcript = dir.join("transcript-2012-04-05.json");
    let text = fs_err::read_to_string(&transcript).unwrap();
    fs_err::write(&transcript, text.replacen("2012/04/05 10:53:14 -0500", "yesterday-ish", 1)).unwrap();
    let stderr = Site::failing(std::slice::from_ref(&dir), &[]);
    assert!(stderr.contains("lines or messages could not be read"), "{stderr}");
    let site = Site::build(&[dir], &["--keep-going"]);
    assert!(
        site.stderr.contains("1: Campfire messages with an unreadable created_at (first at "),
        "{}",
        site.stderr
    );
    assert!(site.stderr.contains("message 2001 (\"yesterday-ish\")"), "{}", site.stderr);
}

#[test]
fn the_shared_campfire_transcripts_keep_every_message() {
    let Some(fixtures) = shared_fixtures() else { return };
    let tinder = fixtures.join("campfire/collectiveidea-tinder/spec/fixtures");
    let recent: serde_json::Value =
        serde_json::from_slice(&fs_err::read(tinder.join("rooms/recent.json")).unwrap()).unwrap();
    let ids: Vec<String> =
        recent["messages"].as_array().unwrap().iter().map(|m| m["id"].to_string()).collect();
    let site = Site::build(&[tinder], &[]);
    assert_eq!(anchors(&site.page("c/room-490096/2012/04/05/")), ids);

    let xml = fixtures.join("campfire/precipice-campfire_export/message_spec.transcript.xml");
    let text = fs_err::read_to_string(&xml).unwrap();
    let messages = text.matches("<created-at").count();
    let markers = text.matches("<type>TimestampMessage</type>").count();
    let site = Site::build(&[xml], &[]);
    let page = site.page("c/room-222/2012/05/11/");
    assert_eq!(anchors(&page).len(), messages - markers);
    assert!(article(&page, "333").contains("@twitter_user"));
}
