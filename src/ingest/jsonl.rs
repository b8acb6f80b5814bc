//! The generic format, for chat tools scrollback has no importer for: JSON Lines, one message
//! per line (`.jsonl` or `.ndjson`). The fields are documented in the book's
//! "Formats" chapter:
//!
//! ```json
//! {"channel": "ops", "time": "2014-01-17T17:11:39Z", "author": "peter", "text": "rr16 is lagging",
//!  "id": "m1", "thread": "m0", "bot": false, "markup": "markdown", "visibility": "public",
//!  "edited": "2014-01-17T17:12:00Z", "pinned": false,
//!  "reactions": [{"emoji": "eyes", "users": ["anna"]}],
//!  "attachments": [{"name": "lag.png", "path": "files/lag.png", "title": "Replication lag"}]}
//! ```
//!
//! Only `channel`, `time` and `text` (or an attachment) are required. Without an `id`, a
//! message's id is its time in milliseconds plus its position among the channel's messages of
//! that millisecond. Attachment paths are relative to the JSON Lines file.

use std::collections::BTreeMap;
use thin_vec::ThinVec;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};

use super::importer::Importer;
use super::{Bodies, Ingested, Input, has_extension, mimetype_of, parse_json};
use crate::model::{Author, Channel, File, Message, MessageKind, Reaction, Text, Thread, User, Visibility};

/// The importer's name in the model.
pub const SOURCE: &str = "jsonl";

/// Whether the input holds the generic format: a JSON Lines file whose first line has
/// `channel`, `time` and `text` or `attachments`.
pub fn detect(input: &mut Input) -> bool {
    let candidates: Vec<String> = files(input).into_iter().take(5).collect();
    candidates.iter().any(|rel| {
        input.peek(rel, 16 * 1024).is_ok_and(|head| {
            let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
            serde_json::from_slice::<serde_json::Value>(first).is_ok_and(|v| {
                v.get("channel").is_some()
                    && v.get("time").is_some()
                    && (v.get("text").is_some() || v.get("attachments").is_some())
            })
        })
    })
}

fn files(input: &Input) -> Vec<String> {
    match &input.selected {
        Some(file) => vec![file.clone()],
        None => input.files().filter(|f| has_extension(f, &["jsonl", "ndjson"])).map(str::to_owned).collect(),
    }
}

/// Imports every JSON Lines file of the input.
pub fn import(input: &mut Input, out: &mut Ingested) {
    let mut channels: BTreeMap<String, Channel> = BTreeMap::new();
    let mut taken: BTreeMap<(String, i64), u32> = BTreeMap::new();
    let mut bodies = Bodies::default();
    for rel in files(input) {
        let Some(bytes) = out.read(input, &rel) else {
            continue;
        };
        out.files_read += 1;
        let shown = input.display(&rel);
        let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
        for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let raw: RawMessage =
                match parse_json(&shown, line, "one message object per line with channel, time and text") {
                    Ok(raw) => raw,
                    Err(e) => {
                        out.problems.push(e.at_line(index + 1));
                        continue;
                    }
                };
            let channel = channels.entry(raw.channel.clone()).or_insert_with(|| new_channel(&raw.channel));
            if let Some(visibility) = raw.visibility {
                channel.visibility = channel.visibility.max(visibility.0);
            }
            let id = raw.id.clone().unwrap_or_else(|| {
                let ms = raw.time.0.as_millisecond();
                let seq = taken.entry((raw.channel.clone(), ms)).or_insert(0);
                *seq += 1;
                format!("{ms}{:03}", *seq - 1)
            });
            out.archive.users.entry(user_id(&raw.author)).or_insert_with(|| User {
                id: user_id(&raw.author),
                name: raw.author.clone(),
                handle: Some(raw.author.clone()),
                is_bot: raw.bot,
                deleted: false,
            });
            let files = raw
                .attachments
                .iter()
                .map(|a| {
                    let path = a
                        .path
                        .as_deref()
                        .map(|p| if folder.is_empty() { p.to_owned() } else { format!("{folder}/{p}") });
                    let body =
                        path.filter(|p| input.has(p)).and_then(|p| bodies.read(input, &p, &mut out.warnings));
                    File {
                        id: None,
                        title: a.title.clone(),
                        mimetype: mimetype_of(&a.name).map(str::to_owned),
                        size: body.as_ref().map(|b| b.bytes.len() as u64),
                        deleted: false,
                        body,
                        link: a.link.clone(),
                        name: a.name.clone(),
                    }
                })
                .collect();
            channel.messages.push(Message {
                id,
                time: raw.time.0,
                author: Author {
                    user: Some(user_id(&raw.author).into()),
                    name: raw.author.as_str().into(),
                    is_bot: raw.bot,
                },
                kind: if raw.bot { MessageKind::Bot } else { MessageKind::Normal },
                text: if raw.markup.as_deref() == Some("plain") {
                    Text::plain(raw.text)
                } else {
                    Text::markdown(raw.text)
                },
                edited: raw.edited.map(|t| Some(t.0)),
                reactions: raw
                    .reactions
                    .into_iter()
                    .map(|r| Reaction {
                        count: r.count.unwrap_or(u32::try_from(r.users.len()).unwrap_or(u32::MAX)),
                        users: r.users.iter().map(|u| user_id(u)).collect(),
                        name: r.emoji.trim_matches(':').to_owned(),
                    })
                    .collect(),
                attachments: ThinVec::new(),
                files,
                thread: raw.thread.map_or(Thread::None, |parent| Thread::Reply { parent, broadcast: false }),
                pinned: raw.pinned,
                reply_to: raw.reply_to,
            });
        }
    }
    for channel in channels.into_values() {
        out.archive.add_channel(channel);
    }
}

fn new_channel(name: &str) -> Channel {
    Channel {
        source: SOURCE,
        id: name.to_owned(),
        name: name.to_owned(),
        visibility: Visibility::Public,
        shared: false,
        topic: None,
        purpose: None,
        created: None,
        archived: false,
        messages: Vec::new(),
    }
}

fn user_id(name: &str) -> String {
    format!("{SOURCE}:{name}")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    channel: String,
    time: When,
    #[serde(default)]
    author: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    thread: Option<String>,
    #[serde(default)]
    reply_to: Option<String>,
    #[serde(default)]
    bot: bool,
    #[serde(default)]
    markup: Option<String>,
    #[serde(default)]
    visibility: Option<Seen>,
    #[serde(default)]
    edited: Option<When>,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    reactions: Vec<RawReaction>,
    #[serde(default)]
    attachments: Vec<RawAttachment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReaction {
    emoji: String,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    users: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttachment {
    name: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    link: Option<String>,
}

/// RFC 3339 with an offset, or Unix seconds.
struct When(Timestamp);

impl<'de> Deserialize<'de> for When {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => s
                .parse::<Timestamp>()
                .map(When)
                .map_err(|e| D::Error::custom(format!("time {s:?} is not RFC 3339 with an offset ({e})"))),
            serde_json::Value::Number(n) => n
                .as_f64()
                .and_then(|s| {
                    #[allow(clippy::cast_possible_truncation)]
                    let ms = (s * 1000.0).round() as i64;
                    Timestamp::from_millisecond(ms).ok()
                })
                .map(When)
                .ok_or_else(|| D::Error::custom(format!("time {n} is not Unix seconds"))),
            other => Err(D::Error::custom(format!("time must be a string or a number, found {other}"))),
        }
    }
}

/// `"public"`, `"private"`, `"group"` or `"dm"`.
struct Seen(Visibility);

impl<'de> Deserialize<'de> for Seen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match String::deserialize(d)?.as_str() {
            "public" => Ok(Seen(Visibility::Public)),
            "private" => Ok(Seen(Visibility::Private)),
            "group" => Ok(Seen(Visibility::GroupDirect)),
            "dm" => Ok(Seen(Visibility::Direct)),
            other => Err(D::Error::custom(format!(
                "visibility {other:?}: expected \"public\", \"private\", \"group\" or \"dm\""
            ))),
        }
    }
}

/// This format's entry in [`super::IMPORTERS`].
pub static IMPORTER: Importer = Importer {
    name: "jsonl",
    reads: "scrollback's generic JSON Lines",
    root_markers: &[],
    detect,
    import: |input, _, out| import(input, out),
};
