//! Secrets in every place a Slack export can publish a value (message text with markup and
//! links, card titles, links, fields and fallbacks, Block Kit, file names and titles, reaction
//! names, channel topics and purposes, people's names, thread replies) reach no file of the
//! site: no page, search file or shared file name holds one, nor any long run of one.

use std::path::Path;

use serde_json::json;

use crate::harness::Site;

/// Token-shaped secrets, made at run time from a seed so the source holds none.
fn secret(seed: u64, prefix: &str, alphabet: &str, len: usize) -> String {
    let alphabet: Vec<char> = alphabet.chars().collect();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let body: String = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[(state % alphabet.len() as u64) as usize]
        })
        .collect();
    format!("{prefix}{body}")
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn write_json(root: &Path, rel: &str, value: &serde_json::Value) {
    let path = root.join(rel);
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

#[test]
fn no_secret_reaches_any_file_of_the_site() {
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("export");
    let s: Vec<String> = (0..20)
        .map(|i| match i % 4 {
            0 => secret(i, "ghp_", ALNUM, 36),
            1 => secret(i, "AKIA", UPPER32, 16),
            2 => secret(i, "glpat-", ALNUM, 20),
            _ => secret(i, "xoxb-1234567890-1234567890-", ALNUM, 24),
        })
        .collect();
    let aws_secret = secret(99, "", BASE64, 40);
    let aws_body = secret(98, "", BASE64, 40);
    let split = format!("{}\u{200B}{}", &s[16][..10], &s[16][10..]);
    write_json(
        &export,
        "users.json",
        &json!([
            {"id": "U1", "name": "ana", "profile": {"real_name": "Ana", "display_name": "ana"}},
            {"id": "U2", "name": "bot", "profile": {"real_name": format!("deploy {}", s[15]), "display_name": ""}},
        ]),
    );
    write_json(
        &export,
        "channels.json",
        &json!([{
            "id": "C1", "name": "ops", "created": 1709337600, "members": ["U1", "U2"],
            "topic": {"value": format!("rotate {}!", s[0]), "creator": "U1", "last_set": 0},
            "purpose": {"value": format!("*{}*", s[1]), "creator": "U1", "last_set": 0},
        }]),
    );
    let messages = json!([
        {"type": "message", "user": "U1", "ts": "1709370000.000100",
         "text": format!("the token is {}. and _{}_ and <https://ci.example.net/{}/log|build>", s[2], s[3], s[4]),
         "reactions": [{"name": s[5].clone(), "users": ["U1"], "count": 1}]},
        {"type": "message", "user": "U1", "ts": "1709370060.000100",
         "text": format!("key {} with secret {aws_secret}", s[6])},
        {"type": "message", "subtype": "bot_message", "bot_id": "B1", "username": "ci", "ts": "1709370120.000100",
         "text": "", "attachments": [{
            "fallback": format!("deploy failed: {}", s[7]), "pretext": format!("~{}~", s[8]),
            "title": format!("job {}", s[9]), "title_link": format!("https://ci.example.net/job?token={}&x=1", s[10]),
            "text": format!("`{}`", s[11]),
            "fields": [{"title": format!("key {}", s[12]), "value": format!("{}:", s[13]), "short": true}],
            "footer": format!("via {}", s[14]),
         }]},
        {"type": "message", "user": "U2", "ts": "1709370180.000100", "text": "",
         "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": format!("use {split} now")}}]},
        {"type": "message", "user": "U1", "ts": "1709370240.000100", "text": "notes attached",
         "files": [{"id": "F1", "name": format!("{}.txt", s[17]), "title": format!("creds {}", s[18]),
                    "mimetype": "text/plain", "size": 10}]},
        {"type": "message", "user": "U1", "ts": "1709370300.000100", "thread_ts": "1709370000.000100",
         "parent_user_id": "U1", "text": format!("resolving this; old one was {}\u{A0}(revoked)", s[19])},
    ]);
    write_json(&export, "ops/2024-03-02.json", &messages);
    // The file's body: a config someone shared.
    let body = format!("[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n", s[17], aws_body);
    fs_err::create_dir_all(export.join("ops/attachments")).unwrap();
    fs_err::write(export.join(format!("ops/attachments/F1-{}.txt", s[17])), body).unwrap();
    let site = Site::build(&[export], &[]);

    let mut planted = s.clone();
    planted.extend([aws_secret, aws_body]);
    let mut found = Vec::new();
    for (path, text) in site.texts() {
        let (path_lower, text_lower) = (path.to_lowercase(), text.to_lowercase());
        for secret in &planted {
            // The whole secret, or a long run of it as a search index may hold it.
            let run = secret.to_lowercase().chars().skip(4).take(16).collect::<String>();
            if text_lower.contains(&run) || path_lower.contains(&run) {
                found.push(format!("{path}: {secret}"));
            }
        }
    }
    assert!(found.is_empty(), "secrets published:\n{}", found.join("\n"));
    // Everything planted was seen and counted, so the check above looked at real pages.
    let page = site.page("c/ops/2024/03/02/");
    assert!(page.contains("deploy failed") || page.contains("job "), "{page}");
    assert!(page.contains("resolving this"), "{page}");
    let shared = site.files().into_iter().find(|(path, _)| path.starts_with("assets/files/"));
    let (_, shared) = shared.expect("the shared file is published");
    let shared = String::from_utf8_lossy(&shared);
    assert!(shared.contains("aws_secret_access_key = [token redacted]"), "{shared}");
    assert!(site.stderr.contains("redacted: "), "{}", site.stderr);
}
