//! Campfire (the classic 37signals API, formats.md §6): transcripts as the API's JSON
//! (`{"messages": [...]}`) or XML (`<messages>`), alone or as `campfire_export` lays them out
//! (`<account>/<room>/<YYYY>/<MM>/<DD>/transcript.xml`, uploads in a folder per upload beside
//! it).
//!
//! Rooms are named by `rooms.json` / `room` objects in the input, else by the export's folder,
//! else `room-<id>`; people by `user` objects or a room's `users`, else `user <id>`. Pastes keep
//! their lines as a code block; Campfire's periodic timestamp markers and its advertisements
//! are left out.

use std::collections::BTreeMap;
use thin_vec::ThinVec;

use jiff::Timestamp;
use jiff::civil::DateTime;
use quick_xml::events::Event as Xml;
use serde::Deserialize;
use serde_json::Value;

use super::importer::Importer;
use super::{Bodies, IngestError, Ingested, Input, has_extension, mimetype_of};
use crate::model::{Attachment, Author, Channel, File, Message, MessageKind, Text, Thread, User, Visibility};

/// The importer's name in the model.
pub const SOURCE: &str = "campfire";

/// Whether the input holds Campfire transcripts.
pub fn detect(input: &mut Input) -> bool {
    let candidates: Vec<String> = transcripts(input).into_iter().take(5).collect();
    candidates.iter().any(|rel| {
        input.peek(rel, 4096).is_ok_and(|head| {
            let head = String::from_utf8_lossy(&head);
            let typed = ["TextMessage", "EnterMessage", "TimestampMessage", "PasteMessage", "UploadMessage"]
                .iter()
                .any(|t| head.contains(t));
            typed && (head.contains("\"messages\"") || head.contains("<messages"))
        })
    })
}

fn transcripts(input: &Input) -> Vec<String> {
    match &input.selected {
        Some(file) => vec![file.clone()],
        None => input.files().filter(|f| has_extension(f, &["json", "xml"])).map(str::to_owned).collect(),
    }
}

/// One message as the API describes it, from JSON or XML alike.
#[derive(Debug, Default, Deserialize)]
struct Raw {
    #[serde(deserialize_with = "text_or_number")]
    id: String,
    #[serde(default, deserialize_with = "opt_text_or_number")]
    room_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text_or_number")]
    user_id: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    created_at: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    starred: Option<Value>,
    #[serde(default)]
    tweet: Option<Tweet>,
}

#[derive(Debug, Default, Deserialize)]
struct Tweet {
    #[serde(default, deserialize_with = "opt_text_or_number")]
    id: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    author_username: Option<String>,
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_text_or_number(d).map(Option::unwrap_or_default)
}

fn opt_text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Imports every transcript, with the rooms and people the input names.
pub fn import(input: &mut Input, out: &mut Ingested) {
    let mut rooms: BTreeMap<String, String> = BTreeMap::new();
    let mut users: BTreeMap<String, String> = BTreeMap::new();
    let mut transcripts_read: Vec<(String, Vec<Raw>)> = Vec::new();
    for rel in transcripts(input) {
        let Some(bytes) = out.read(input, &rel) else {
            continue;
        };
        let shown = input.display(&rel);
        let parsed = if has_extension(&rel, &["xml"]) {
            xml_messages(&bytes)
        } else {
            json_file(&bytes, &mut rooms, &mut users)
        };
        match parsed {
            Ok(Some(messages)) => transcripts_read.push((rel, messages)),
            Ok(None) => {}
            Err(message) => out.problems.push(IngestError::invalid(shown, message)),
        }
        out.files_read += 1;
    }
    let mut bodies = Bodies::default();
    let mut channels: BTreeMap<String, Channel> = BTreeMap::new();
    for (rel, messages) in transcripts_read {
        let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
        for raw in messages {
            let Some(time) = parse_time(&raw.created_at) else {
                out.ledger.drop(
                    "Campfire messages with an unreadable created_at",
                    Some(1),
                    format!("{}: message {} ({:?})", input.display(&rel), raw.id, raw.created_at),
                );
                continue;
            };
            let room = raw.room_id.clone().unwrap_or_default();
            let name = rooms
                .get(&room)
                .cloned()
                .or_else(|| room_from_path(&rel))
                .unwrap_or_else(|| format!("room-{room}"));
            let channel = channels.entry(room.clone()).or_insert_with(|| new_channel(&room, &name));
            let Some(mut message) = message(&raw, time, &users) else { continue };
            if raw.kind == "UploadMessage" {
                let file_name = raw.body.clone().unwrap_or_default();
                let found = input
                    .files()
                    .find(|f| {
                        f.starts_with(&folder)
                            && f.ends_with(&format!("/{file_name}"))
                            && f.len() > folder.len() + file_name.len() + 1
                    })
                    .map(str::to_owned);
                let body = found.and_then(|p| bodies.read(input, &p, &mut out.warnings));
                message.files.push(File {
                    id: None,
                    mimetype: mimetype_of(&file_name).map(str::to_owned),
                    size: body.as_ref().map(|b| b.bytes.len() as u64),
                    title: None,
                    deleted: false,
                    body,
                    link: None,
                    name: file_name,
                });
            }
            if let Some(user) = raw.user_id.as_ref() {
                let id = user_id(user);
                out.archive.users.entry(id.clone()).or_insert_with(|| User {
                    id,
                    name: message.author.name.to_string(),
                    handle: None,
                    is_bot: false,
                    deleted: false,
                });
            }
            channel.messages.push(message);
        }
    }
    for channel in channels.into_values() {
        out.archive.add_channel(channel);
    }
}

/// `campfire_export`'s `<account>/<room>/<YYYY>/<MM>/<DD>/transcript.xml`: the room's folder.
fn room_from_path(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    let n = parts.len();
    let dated = n >= 5 && parts[n - 4..n - 1].iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
    dated.then(|| parts[n - 5].to_owned())
}

fn new_channel(id: &str, name: &str) -> Channel {
    Channel {
        source: SOURCE,
        id: id.to_owned(),
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

fn user_id(id: &str) -> String {
    format!("{SOURCE}:{id}")
}

fn message(raw: &Raw, time: Timestamp, users: &BTreeMap<String, String>) -> Option<Message> {
    let who = raw.user_id.as_ref().map_or_else(
        || "Campfire".to_owned(),
        |id| users.get(id).cloned().unwrap_or_else(|| format!("user {id}")),
    );
    let body = raw.body.clone().unwrap_or_default();
    let (kind, text) = match raw.kind.as_str() {
        "TextMessage" | "" => (MessageKind::Normal, Text::plain(body)),
        "PasteMessage" => (MessageKind::Normal, paste(&body)),
        "SoundMessage" => {
            (MessageKind::Event("sound".into()), Text::plain(format!("played a sound: {body}")))
        }
        // The tweet is a card; the upload a file.
        "TweetMessage" | "UploadMessage" => (MessageKind::Normal, Text::plain(String::new())),
        "EnterMessage" => (MessageKind::Join, Text::plain(format!("{who} entered the room"))),
        "LeaveMessage" => (MessageKind::Leave, Text::plain(format!("{who} left the room"))),
        "KickMessage" => (MessageKind::Leave, Text::plain(format!("{who} was kicked from the room"))),
        "TopicChangeMessage" => {
            (MessageKind::Topic, Text::plain(format!("{who} changed the topic to: {body}")))
        }
        // Campfire's own periodic "--- 10:47 AM ---" markers and its ads are not messages.
        "TimestampMessage" | "SystemMessage" | "AdvertisementMessage" => return None,
        other => {
            let event = other.trim_end_matches("Message");
            (MessageKind::Event(kebab(event)), Text::plain(body))
        }
    };
    let attachments = raw
        .tweet
        .as_ref()
        .map(|t| Attachment {
            author_name: t.author_username.clone().map(|u| format!("@{u}")),
            author_link: t.author_username.as_ref().map(|u| format!("https://twitter.com/{u}")),
            text: t.message.clone().or_else(|| raw.body.clone()).map(Text::plain),
            from_url: match (&t.author_username, &t.id) {
                (Some(u), Some(id)) => Some(format!("https://twitter.com/{u}/status/{id}")),
                _ => None,
            },
            service_name: Some("Twitter".to_owned()),
            ..Attachment::default()
        })
        .into_iter()
        .collect();
    Some(Message {
        id: raw.id.clone(),
        time,
        author: Author {
            user: raw.user_id.as_deref().map(|u| user_id(u).into()),
            name: who.into(),
            is_bot: false,
        },
        kind,
        text,
        edited: None,
        reactions: ThinVec::new(),
        attachments,
        files: ThinVec::new(),
        thread: Thread::None,
        pinned: matches!(&raw.starred, Some(Value::Bool(true)))
            || matches!(&raw.starred, Some(Value::String(s)) if s == "true"),
        reply_to: None,
    })
}

/// A paste keeps its lines: a code block whose fence is longer than any backtick run in it.
fn paste(body: &str) -> Text {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    Text::markdown(format!("{fence}\n{body}\n{fence}"))
}

fn kebab(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// `2012/04/05 10:53:14 +0000` (REST JSON), `2009-11-22T19:11:41Z` (XML), `2009-12-01 23:44:40`
/// (streaming, UTC).
fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let (stamp, offset) = match s.rsplit_once(' ') {
        Some((rest, off)) if off.starts_with(['+', '-']) && off.len() == 5 => (rest, Some(off)),
        _ => (s, None),
    };
    let civil: DateTime = stamp.replace('/', "-").replacen(' ', "T", 1).parse().ok()?;
    let utc = jiff::tz::TimeZone::UTC.to_ambiguous_timestamp(civil).compatible().ok()?;
    let Some(offset) = offset else { return Some(utc) };
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i64 = offset[1..3].parse().ok()?;
    let minutes: i64 = offset[3..5].parse().ok()?;
    Timestamp::from_second(utc.as_second() - sign * (hours * 3600 + minutes * 60)).ok()
}

/// A JSON file: a transcript (`messages`), or rooms and people to name things by.
fn json_file(
    bytes: &[u8],
    rooms: &mut BTreeMap<String, String>,
    users: &mut BTreeMap<String, String>,
) -> Result<Option<Vec<Raw>>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let mut remember_room = |room: &Value| {
        if let (Some(id), Some(name)) = (id_of(&room["id"]), room["name"].as_str()) {
            rooms.insert(id, name.to_owned());
        }
        for user in room["users"].as_array().into_iter().flatten() {
            remember(user, users);
        }
    };
    for room in value["rooms"].as_array().into_iter().flatten() {
        remember_room(room);
    }
    if value["room"].is_object() {
        remember_room(&value["room"]);
    }
    if value["user"].is_object() {
        remember(&value["user"], users);
    }
    match value.get("messages") {
        Some(messages) => {
            serde_json::from_value(messages.clone()).map(Some).map_err(|e| format!("messages: {e}"))
        }
        None => Ok(None),
    }
}

fn remember(user: &Value, users: &mut BTreeMap<String, String>) {
    if let (Some(id), Some(name)) = (id_of(&user["id"]), user["name"].as_str()) {
        users.insert(id, name.to_owned());
    }
}

fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// `<messages><message><id>…</id>…<tweet><id>…</id></tweet></message></messages>`: each
/// message's child elements as fields (`nil="true"` is null; dashes become underscores).
fn xml_messages(bytes: &[u8]) -> Result<Option<Vec<Raw>>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut messages = Vec::new();
    let mut fields: serde_json::Map<String, Value> = serde_json::Map::new();
    let mut tweet: Option<serde_json::Map<String, Value>> = None;
    let mut path: Vec<String> = Vec::new();
    let mut value = String::new();
    let mut nil = false;
    loop {
        let event =
            reader.read_event().map_err(|e| format!("XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Xml::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).replace('-', "_");
                nil = e.try_get_attribute("nil").ok().flatten().is_some_and(|a| a.value.as_ref() == b"true");
                if name == "tweet" && path.last().is_some_and(|p| p == "message") {
                    tweet = Some(serde_json::Map::new());
                }
                path.push(name);
                value.clear();
            }
            Xml::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).replace('-', "_");
                let target = if tweet.is_some() { tweet.as_mut() } else { Some(&mut fields) };
                target.expect("one of them").insert(name, Value::Null);
            }
            Xml::Text(t) => value.push_str(&t.decode().map_err(|e| e.to_string())?),
            Xml::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    value.push(c);
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    value.push_str(quick_xml::escape::resolve_predefined_entity(&name).unwrap_or(""));
                }
            }
            Xml::CData(c) => value.push_str(&String::from_utf8_lossy(&c)),
            Xml::End(_) => {
                let name = path.pop().unwrap_or_default();
                let field = if nil { Value::Null } else { Value::String(std::mem::take(&mut value)) };
                nil = false;
                match (name.as_str(), path.last().map(String::as_str)) {
                    ("message", Some("messages")) => {
                        let raw: Raw = serde_json::from_value(Value::Object(std::mem::take(&mut fields)))
                            .map_err(|e| format!("message {}: {e}", messages.len() + 1))?;
                        messages.push(raw);
                    }
                    ("tweet", Some("message")) => {
                        fields.insert("tweet".to_owned(), Value::Object(tweet.take().unwrap_or_default()));
                    }
                    (_, Some("tweet")) => {
                        tweet.get_or_insert_with(serde_json::Map::new).insert(name, field);
                    }
                    (_, Some("message")) => {
                        fields.insert(name, field);
                    }
                    _ => {}
                }
                value.clear();
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    Ok(Some(messages))
}

/// This format's entry in [`super::IMPORTERS`].
pub static IMPORTER: Importer = Importer {
    name: "campfire",
    reads: "Campfire transcripts",
    root_markers: &[],
    detect,
    import: |input, _, out| import(input, out),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_time_forms_are_utc() {
        assert_eq!(parse_time("2012/04/05 10:53:14 +0000").unwrap().to_string(), "2012-04-05T10:53:14Z");
        assert_eq!(parse_time("2012/04/05 10:53:14 -0500").unwrap().to_string(), "2012-04-05T15:53:14Z");
        assert_eq!(parse_time("2009-11-22T19:11:41Z").unwrap().to_string(), "2009-11-22T19:11:41Z");
        assert_eq!(parse_time("2009-12-01 23:44:40").unwrap().to_string(), "2009-12-01T23:44:40Z");
    }

    #[test]
    fn pastes_are_code_blocks_whatever_they_hold() {
        assert_eq!(paste("a\n```\nb").source, "````\na\n```\nb\n````");
        assert_eq!(room_from_path("acme/Ops Room/2012/05/11/transcript.xml").as_deref(), Some("Ops Room"));
        assert_eq!(kebab("AllowGuests"), "allow-guests");
    }
}
