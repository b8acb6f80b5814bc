//! Matrix (formats.md §4): Element's "Export chat" JSON, raw room events as the client-server
//! API returns them (`/messages` pages, `/context`, arrays), or single event files (the spec's
//! examples, whose `"$ref"` envelopes are resolved).
//!
//! Events are folded into messages the way clients show them: `m.replace` edits apply the
//! latest valid one (same sender, same kind, the original not itself an edit); reactions are
//! counted per emoji and sender; redactions turn a message into "deleted" and remove a
//! reaction; `m.thread` relations make replies in a thread; `m.in_reply_to` marks what a
//! message answers, with the quoted fallback stripped. Rooms are published only when their
//! join rules say public; otherwise they must be named in `[publish] private`.

use std::collections::{BTreeMap, BTreeSet};
use thin_vec::ThinVec;

use jiff::Timestamp;
use serde_json::Value;

use super::importer::Importer;
use super::{Bodies, Ingested, Input, has_extension, mimetype_of, parse_json};
use crate::model::{Author, Channel, File, Message, MessageKind, Reaction, Text, Thread, User, Visibility};

/// The importer's name in the model.
pub const SOURCE: &str = "matrix";

/// Whether the input holds Matrix events: JSON with `origin_server_ts` and an `m.` type.
pub fn detect(input: &mut Input) -> bool {
    let candidates: Vec<String> = json_files(input).into_iter().take(8).collect();
    candidates.iter().any(|rel| {
        input.peek(rel, 8192).is_ok_and(|head| {
            let head = String::from_utf8_lossy(&head);
            head.contains("\"type\"")
                && head.contains("\"m.")
                && (head.contains("\"sender\"") || head.contains("\"$ref\""))
        })
    })
}

fn json_files(input: &Input) -> Vec<String> {
    match &input.selected {
        Some(file) => vec![file.clone()],
        None => input.files().filter(|f| has_extension(f, &["json", "yaml"])).map(str::to_owned).collect(),
    }
}

/// An event with where it came from.
struct Found {
    event: Value,
    /// The room to use when the event names none: the export's room, or the file's.
    room: String,
    /// The room's name from an Element export.
    room_name: Option<String>,
    /// The folder of the file, for media.
    folder: String,
}

/// Imports every event file of the input.
pub fn import(input: &mut Input, out: &mut Ingested) {
    let mut found: Vec<Found> = Vec::new();
    for rel in json_files(input) {
        let Some(bytes) = out.read(input, &rel) else {
            continue;
        };
        let shown = input.display(&rel);
        let value: Value =
            match parse_json(&shown, &bytes, "Matrix events, an Element export, or a /messages page") {
                Ok(v) => v,
                Err(e) => {
                    out.problems.push(e);
                    continue;
                }
            };
        out.files_read += 1;
        let stem = rel.rsplit('/').next().unwrap_or(&rel);
        let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
        // Events without a room (single-event files) belong to their folder's room.
        let room = if folder.is_empty() {
            stem.rsplit_once('.').map_or(stem, |(s, _)| s).to_owned()
        } else {
            folder.clone()
        };
        let room_name = value["room_name"].as_str().map(str::to_owned);
        for mut event in events_of(value) {
            resolve_refs(&mut event, input, &folder);
            if event["type"].is_string() {
                found.push(Found {
                    event,
                    room: room.clone(),
                    room_name: room_name.clone(),
                    folder: folder.clone(),
                });
            }
        }
    }
    let mut bodies = Bodies::default();
    for channel in fold(found, input, &mut bodies, out) {
        out.archive.add_channel(channel);
    }
}

/// The events in any of the shapes: an Element export, a `/messages` page, `/context`, an
/// array, or one event.
fn events_of(value: Value) -> Vec<Value> {
    let take = |v: &Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    if value.is_array() {
        return value.as_array().cloned().unwrap_or_default();
    }
    if value.get("messages").is_some() {
        return take(&value, "messages");
    }
    if value.get("chunk").is_some() {
        return take(&value, "chunk");
    }
    if value.get("event").is_some() {
        let mut all = take(&value, "events_before");
        all.reverse();
        all.push(value["event"].clone());
        all.extend(take(&value, "events_after"));
        return all;
    }
    vec![value]
}

/// `{"$ref": "core/room_event.json", …}`: the referenced file's fields under the event's own.
fn resolve_refs(event: &mut Value, input: &mut Input, folder: &str) {
    for _ in 0..8 {
        let Some(reference) = event.get("$ref").and_then(Value::as_str).map(str::to_owned) else { return };
        let rel = if folder.is_empty() { reference.clone() } else { format!("{folder}/{reference}") };
        let base: Value =
            input.read(&rel).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
        let own = event.as_object_mut().expect("an event is an object");
        own.remove("$ref");
        if let Value::Object(base) = base {
            for (key, value) in base {
                own.entry(key).or_insert(value);
            }
        }
    }
}

/// A URL- and anchor-safe message id from an event id (`$abc:server` → `abc-server`).
fn message_id(event_id: &str) -> String {
    event_id
        .trim_start_matches('$')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' })
        .collect()
}

fn user_id(mxid: &str) -> String {
    format!("{SOURCE}:{mxid}")
}

fn time_of(event: &Value) -> Timestamp {
    event["origin_server_ts"]
        .as_i64()
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A room being assembled.
struct Room {
    channel: Channel,
    /// The last `m.room.name`, and when.
    name: Option<(Timestamp, String)>,
    public: Option<bool>,
}

/// Folds every event into rooms of messages.
fn fold(found: Vec<Found>, input: &mut Input, bodies: &mut Bodies, out: &mut Ingested) -> Vec<Channel> {
    let mut rooms: BTreeMap<String, Room> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut edits: Vec<(String, Value)> = Vec::new();
    let mut annotations: Vec<(String, Value)> = Vec::new();
    let mut redactions: Vec<(String, Value)> = Vec::new();
    let mut index: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut senders: BTreeSet<String> = BTreeSet::new();
    for Found { event, room, room_name, folder } in found {
        let room_id = event["room_id"].as_str().map_or(room, str::to_owned);
        let entry = rooms.entry(room_id.clone()).or_insert_with(|| Room {
            channel: Channel {
                source: SOURCE,
                id: room_id.clone(),
                name: room_name.clone().unwrap_or_else(|| {
                    room_id.trim_start_matches('!').split(':').next().unwrap_or(&room_id).to_owned()
                }),
                visibility: Visibility::Private,
                shared: false,
                topic: None,
                purpose: None,
                created: None,
                archived: false,
                messages: Vec::new(),
            },
            name: None,
            public: None,
        });
        let kind = event["type"].as_str().unwrap_or("").to_owned();
        let sender = event["sender"].as_str().unwrap_or("").to_owned();
        let time = time_of(&event);
        let content = &event["content"];
        let relation = &content["m.relates_to"];
        match kind.as_str() {
            "m.room.member" => {
                if let Some(name) = content["displayname"].as_str().filter(|n| !n.is_empty()) {
                    let who = event["state_key"].as_str().unwrap_or(&sender);
                    names.insert(who.to_owned(), name.to_owned());
                }
            }
            "m.room.name" => {
                if let Some(name) = content["name"].as_str().filter(|n| !n.is_empty())
                    && entry.name.as_ref().is_none_or(|(t, _)| *t <= time)
                {
                    entry.name = Some((time, name.to_owned()));
                }
            }
            "m.room.join_rules" => entry.public = Some(content["join_rule"] == "public"),
            "m.room.topic" => {
                entry.channel.topic = content["topic"].as_str().filter(|t| !t.is_empty()).map(Text::plain);
            }
            "m.reaction" => {
                annotations.push((room_id.clone(), event.clone()));
                continue;
            }
            "m.room.redaction" => {
                redactions.push((room_id.clone(), event.clone()));
                continue;
            }
            _ if relation["rel_type"] == "m.replace" => {
                edits.push((room_id.clone(), event.clone()));
                continue;
            }
            _ => {}
        }
        let Some(message) = message(&event, &kind, &sender, time, input, &folder, bodies, &mut out.warnings)
        else {
            continue;
        };
        senders.insert(sender.clone());
        index.insert(message.id.clone(), (room_id.clone(), entry.channel.messages.len()));
        entry.channel.messages.push(message);
    }
    apply_edits(&mut rooms, &index, edits);
    apply_reactions(&mut rooms, &index, annotations, &redactions);
    apply_redactions(&mut rooms, &index, &redactions);
    for mxid in &senders {
        let localpart = mxid.trim_start_matches('@').split(':').next().unwrap_or(mxid);
        let name = names.get(mxid).cloned().unwrap_or_else(|| localpart.to_owned());
        out.archive.users.entry(user_id(mxid)).or_insert_with(|| User {
            id: user_id(mxid),
            name,
            handle: Some(localpart.to_owned()),
            is_bot: false,
            deleted: false,
        });
    }
    rooms
        .into_values()
        // State alone (a `$ref` target, a room's settings) makes no channel.
        .filter(|room| !room.channel.messages.is_empty())
        .map(|mut room| {
            if let Some((_, name)) = room.name {
                room.channel.name = name;
            }
            if room.public == Some(true) {
                room.channel.visibility = Visibility::Public;
            }
            for m in &mut room.channel.messages {
                if let Some(name) =
                    m.author.user.as_ref().and_then(|u| names.get(u.trim_start_matches("matrix:")))
                {
                    m.author.name = name.as_str().into();
                }
            }
            room.channel
        })
        .collect()
}

/// A timeline event as a message; `None` for state and events nobody reads.
#[allow(clippy::too_many_arguments)]
fn message(
    event: &Value,
    kind: &str,
    sender: &str,
    time: Timestamp,
    input: &mut Input,
    folder: &str,
    bodies: &mut Bodies,
    warnings: &mut Vec<String>,
) -> Option<Message> {
    let content = &event["content"];
    let localpart = sender.trim_start_matches('@').split(':').next().unwrap_or(sender).to_owned();
    let redacted = event["unsigned"]["redacted_because"].is_object()
        || (content.as_object().is_some_and(serde_json::Map::is_empty) && kind == "m.room.message");
    let (message_kind, text) = if redacted {
        (MessageKind::Deleted, Text::plain("This message was deleted."))
    } else {
        match kind {
            "m.room.message" => {
                let msgtype = content["msgtype"].as_str().unwrap_or("m.text");
                let text = message_text(content);
                match msgtype {
                    "m.emote" => (MessageKind::Action, text),
                    "m.notice" => (MessageKind::Bot, text),
                    _ => (MessageKind::Normal, text),
                }
            }
            "m.sticker" => (MessageKind::Normal, Text::plain(String::new())),
            "m.room.encrypted" => (
                MessageKind::Event("encrypted".into()),
                Text::plain("An encrypted message that could not be decrypted."),
            ),
            "m.room.member" => member(content, event, &localpart)?,
            "m.room.topic" => (
                MessageKind::Topic,
                Text::plain(format!(
                    "{localpart} changed the topic to: {}",
                    content["topic"].as_str().unwrap_or("")
                )),
            ),
            "m.room.name" => (
                MessageKind::Rename,
                Text::plain(format!(
                    "{localpart} renamed the room to {}",
                    content["name"].as_str().unwrap_or("")
                )),
            ),
            "m.room.create" => {
                (MessageKind::Event("created".into()), Text::plain(format!("{localpart} created the room")))
            }
            _ => return None,
        }
    };
    let relation = &content["m.relates_to"];
    let thread = match (relation["rel_type"].as_str(), relation["event_id"].as_str()) {
        (Some("m.thread"), Some(root)) => Thread::Reply { parent: message_id(root), broadcast: false },
        _ => Thread::None,
    };
    let falling_back = relation["is_falling_back"] == true;
    let reply_to = relation["m.in_reply_to"]["event_id"].as_str().filter(|_| !falling_back).map(message_id);
    let files = if redacted { Vec::new() } else { media(content, kind, input, folder, bodies, warnings) };
    Some(Message {
        id: message_id(event["event_id"].as_str().unwrap_or("")),
        time,
        author: Author {
            user: Some(user_id(sender).into()),
            name: localpart.into(),
            is_bot: message_kind == MessageKind::Bot,
        },
        kind: message_kind,
        text,
        edited: None,
        reactions: ThinVec::new(),
        attachments: ThinVec::new(),
        files: files.into(),
        thread,
        pinned: false,
        reply_to,
    })
}

/// The body: sanitised HTML when there is some, else the plain body; quoted reply
/// fallbacks are stripped from both.
fn message_text(content: &Value) -> Text {
    let media = matches!(content["msgtype"].as_str(), Some("m.image" | "m.file" | "m.audio" | "m.video"));
    if media {
        // The body of a media message is its file name (or a caption, when `filename` is set).
        let caption = content["filename"].as_str().is_some().then(|| content["body"].as_str()).flatten();
        return Text::plain(caption.unwrap_or("").to_owned());
    }
    if content["format"] == "org.matrix.custom.html"
        && let Some(html) = content["formatted_body"].as_str()
    {
        return Text { markup: crate::model::Markup::Html, source: html.to_owned() };
    }
    let body = content["body"].as_str().unwrap_or("");
    // `> <@alice:example.org> quoted text` lines, then a blank line, precede a reply's text.
    let stripped = if content["m.relates_to"]["m.in_reply_to"].is_object() {
        let mut lines = body.lines().peekable();
        while lines.peek().is_some_and(|l| l.starts_with('>')) {
            lines.next();
        }
        lines.skip_while(|l| l.is_empty()).collect::<Vec<_>>().join("\n")
    } else {
        body.to_owned()
    };
    Text::plain(stripped)
}

fn member(content: &Value, event: &Value, localpart: &str) -> Option<(MessageKind, Text)> {
    let target = event["state_key"].as_str().unwrap_or("");
    let target = content["displayname"]
        .as_str()
        .unwrap_or_else(|| target.trim_start_matches('@').split(':').next().unwrap_or(target));
    let previous = event["unsigned"]["prev_content"]["membership"]
        .as_str()
        .or_else(|| event["prev_content"]["membership"].as_str());
    let membership = content["membership"].as_str()?;
    Some(match (membership, previous) {
        // A display name or avatar change, not a join.
        ("join", Some("join")) => return None,
        ("join", _) => (MessageKind::Join, Text::plain(format!("{target} joined"))),
        ("leave", _) => (MessageKind::Leave, Text::plain(format!("{target} left"))),
        ("invite", _) => {
            (MessageKind::Event("invite".into()), Text::plain(format!("{localpart} invited {target}")))
        }
        ("ban", _) => (MessageKind::Event("ban".into()), Text::plain(format!("{localpart} banned {target}"))),
        _ => return None,
    })
}

/// Images, files, audio, video and stickers: the bytes when the export bundles a file of that
/// name, else "not archived" (`mxc://` URLs need a homeserver, and encrypted media a key).
fn media(
    content: &Value,
    kind: &str,
    input: &mut Input,
    folder: &str,
    bodies: &mut Bodies,
    warnings: &mut Vec<String>,
) -> Vec<File> {
    let is_media = kind == "m.sticker"
        || matches!(content["msgtype"].as_str(), Some("m.image" | "m.file" | "m.audio" | "m.video"));
    if !is_media {
        return Vec::new();
    }
    let name = content["filename"].as_str().or_else(|| content["body"].as_str()).unwrap_or("file").to_owned();
    let bundled = input
        .files()
        .find(|f| {
            f.starts_with(folder)
                && f.rsplit('/').next() == Some(name.as_str())
                && !has_extension(f, &["json"])
        })
        .map(str::to_owned);
    let body = bundled.and_then(|p| bodies.read(input, &p, warnings));
    let info = &content["info"];
    vec![File {
        id: None,
        mimetype: info["mimetype"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| mimetype_of(&name).map(str::to_owned)),
        size: info["size"].as_u64().or_else(|| body.as_ref().map(|b| b.bytes.len() as u64)),
        title: (kind == "m.sticker").then(|| format!("Sticker: {name}")),
        deleted: false,
        body,
        link: None,
        name,
    }]
}

/// The latest valid `m.replace` for each message: same sender, the original not an edit.
fn apply_edits(
    rooms: &mut BTreeMap<String, Room>,
    index: &BTreeMap<String, (String, usize)>,
    mut edits: Vec<(String, Value)>,
) {
    edits.sort_by_key(|(_, e)| time_of(e));
    for (_, edit) in edits {
        let Some(target) = edit["content"]["m.relates_to"]["event_id"].as_str().map(message_id) else {
            continue;
        };
        let Some((room, at)) = index.get(&target) else { continue };
        let message = &mut rooms.get_mut(room).expect("indexed").channel.messages[*at];
        let same_sender = message.author.user.as_deref() == edit["sender"].as_str().map(user_id).as_deref();
        if !same_sender || message.kind == MessageKind::Deleted {
            continue;
        }
        let new = &edit["content"]["m.new_content"];
        if new.is_object() {
            message.text = message_text(new);
            message.edited = Some(Some(time_of(&edit)));
        }
    }
}

/// Reactions counted per emoji, once per sender; redacted ones left out.
fn apply_reactions(
    rooms: &mut BTreeMap<String, Room>,
    index: &BTreeMap<String, (String, usize)>,
    annotations: Vec<(String, Value)>,
    redactions: &[(String, Value)],
) {
    let redacted: BTreeSet<String> = redactions.iter().filter_map(|(_, r)| redacts(r)).collect();
    let mut seen = BTreeSet::new();
    for (_, reaction) in annotations {
        let id = reaction["event_id"].as_str().unwrap_or("").to_owned();
        let relation = &reaction["content"]["m.relates_to"];
        let (Some(target), Some(key), Some(sender)) =
            (relation["event_id"].as_str(), relation["key"].as_str(), reaction["sender"].as_str())
        else {
            continue;
        };
        if redacted.contains(&id) || !seen.insert((target.to_owned(), key.to_owned(), sender.to_owned())) {
            continue;
        }
        let Some((room, at)) = index.get(&message_id(target)) else { continue };
        let message = &mut rooms.get_mut(room).expect("indexed").channel.messages[*at];
        match message.reactions.iter_mut().find(|r| r.name == key) {
            Some(r) => {
                r.count += 1;
                r.users.push(user_id(sender));
            }
            None => message.reactions.push(Reaction {
                name: key.to_owned(),
                count: 1,
                users: vec![user_id(sender)],
            }),
        }
    }
}

/// What a redaction removes: `content.redacts` (newer rooms) or the top-level `redacts`.
fn redacts(redaction: &Value) -> Option<String> {
    redaction["content"]["redacts"].as_str().or_else(|| redaction["redacts"].as_str()).map(str::to_owned)
}

fn apply_redactions(
    rooms: &mut BTreeMap<String, Room>,
    index: &BTreeMap<String, (String, usize)>,
    redactions: &[(String, Value)],
) {
    for (_, redaction) in redactions {
        let Some(target) = redacts(redaction) else { continue };
        let Some((room, at)) = index.get(&message_id(&target)) else { continue };
        let message = &mut rooms.get_mut(room).expect("indexed").channel.messages[*at];
        message.kind = MessageKind::Deleted;
        message.text = Text::plain("This message was deleted.");
        message.files.clear();
        message.reactions.clear();
        message.attachments.clear();
    }
}

/// This format's entry in [`super::IMPORTERS`].
pub static IMPORTER: Importer = Importer {
    name: "matrix",
    reads: "Matrix events or an Element export",
    root_markers: &[],
    detect,
    import: |input, _, out| import(input, out),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_become_anchor_safe_ids() {
        assert_eq!(message_id("$1444812213350496Caaaa:example.com"), "1444812213350496Caaaa-example-com");
        assert_eq!(
            message_id("$B4UkDqYQ7JRC3GEMl7pTyu0x2vLFKgm_wgCR1mEw2CM"),
            "B4UkDqYQ7JRC3GEMl7pTyu0x2vLFKgm_wgCR1mEw2CM"
        );
    }

    #[test]
    fn reply_fallbacks_are_stripped_from_plain_bodies() {
        let content = serde_json::json!({
            "body": "> <@alice:example.org> the original\n> second line\n\nthe answer",
            "m.relates_to": {"m.in_reply_to": {"event_id": "$x"}}
        });
        assert_eq!(message_text(&content).source, "the answer");
    }
}
