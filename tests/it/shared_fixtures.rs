//! Real exports from public projects, read from `../shared/fixtures` (never copied here).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::harness::{Site, article, shared_fixtures};
use crate::oracle;

fn slack(rel: &str) -> Option<PathBuf> {
    shared_fixtures().map(|f| f.join("slack").join(rel))
}

/// Channel name → slug, read from the home page's links.
fn slugs(site: &Site) -> BTreeMap<String, String> {
    let re = regex::Regex::new(r#"<a class="channel-name" href="c/([^"]+)/">#([^<]+)</a>"#).unwrap();
    re.captures_iter(&site.page("")).map(|c| (c[2].to_owned(), c[1].to_owned())).collect()
}

fn assert_no_tokens_or_addresses(site: &Site) {
    let email = regex::Regex::new(r"user\d+@example\.com").unwrap();
    for (path, bytes) in site.files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("xoxe"), "{path} has an export token");
        assert!(!text.contains("files.slack.com"), "{path} links a private file URL");
        assert!(!email.is_match(&text), "{path} has an e-mail address");
    }
}

#[test]
fn houstondatavis_export_builds_with_every_message_on_its_day() {
    let Some(input) = slack("houstondatavis-slack-export") else { return };
    let site = Site::build(std::slice::from_ref(&input), &[]);
    let expected = oracle::expected(&input);
    assert_eq!(expected.len(), 16);
    let slugs = slugs(&site);
    assert_eq!(slugs.len(), 16, "{slugs:?}");
    let total = oracle::assert_site_matches(&site, &expected, |name| slugs[name].clone());
    assert_eq!(total, 1382);
    assert!(site.stderr.contains("16 channels, 1382 messages"), "{}", site.stderr);
    // `random` was renamed `meetup-`; a different `meetup` exists. Both keep their own pages.
    assert_eq!(slugs["meetup"], "meetup");
    assert_eq!(slugs["meetup-"], "meetup-");
    assert_no_tokens_or_addresses(&site);
}

#[test]
fn slack_export_viewer_zip_builds_from_the_zip() {
    let Some(input) = slack("hfaran-slack-export-viewer/tests/testarchive.zip") else { return };
    let site = Site::build(std::slice::from_ref(&input), &[]);
    let expected = oracle::expected(&input);
    let slugs = slugs(&site);
    let total = oracle::assert_site_matches(&site, &expected, |name| slugs[name].clone());
    assert_eq!(total, 158);
    assert_no_tokens_or_addresses(&site);
}

/// Wraps a fixture holding bare message objects into a one-channel export in `dir`.
fn wrap_messages(fixture: &Path, dir: &Path) -> PathBuf {
    let export = dir.join("export");
    let value: serde_json::Value = serde_json::from_slice(&fs_err::read(fixture).unwrap()).unwrap();
    let messages = if value.is_array() { value } else { serde_json::Value::Array(vec![value]) };
    fs_err::create_dir_all(export.join("general")).unwrap();
    fs_err::write(export.join("channels.json"), r#"[{"id": "C1", "name": "general"}]"#).unwrap();
    fs_err::write(export.join("users.json"), "[]").unwrap();
    fs_err::write(export.join("general/2020-01-01.json"), serde_json::to_vec(&messages).unwrap()).unwrap();
    export
}

#[test]
fn zulip_thread_with_broadcast_reply_keeps_both_copies() {
    let Some(fixture) = slack(
        "zulip/zerver/tests/fixtures/slack_fixtures/exported_messages_fixtures/thread_with_broadcast_reply.json",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let site = Site::build(&[wrap_messages(&fixture, tmp.path())], &[]);
    let page = site.page("c/general/2015/06/12/");
    let thread = article(&page, "1434139102000002");
    assert_eq!(crate::harness::anchors(thread), ["1434139102000002", "1434139103000002", "1434139104000002"]);
    assert!(page.contains("<a class=\"thread-link\" href=\"#m-1434139102000002\">Replied in a thread</a>"));
}

#[test]
fn zulip_files_and_rich_text_message_hides_its_token_urls() {
    let Some(fixture) = slack(
        "zulip/zerver/tests/fixtures/slack_fixtures/exported_messages_fixtures/message_with_variety_files_and_rich_text.json",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let site = Site::build(&[wrap_messages(&fixture, tmp.path())], &[]);
    let page = site.page("c/general/2026/03/04/");
    let message = article(&page, "1772636065551219");
    assert!(
        message.contains("<strong>files  <span class=\"mention\">@U074VRHQ11T</span></strong>"),
        "{message}"
    );
    assert!(message.matches("<li class=\"file").count() >= 2, "{message}");
    assert!(!message.contains("token="), "{message}");
    assert_no_tokens_or_addresses(&site);
}
