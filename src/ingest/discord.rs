//! DiscordChatExporter JSON (formats.md §2): one file per channel or thread, possibly split
//! into `[part N]` files, with downloaded media beside it when exported with `--media`.
//!
//! Parts of a channel merge by channel id. Threads are separate files whose `categoryId` is
//! the parent channel: their messages become replies in the parent, under the message the
//! thread was started from (a thread's id is its starter message's id) or else the parent's
//! `ThreadCreated` notice. Timestamps carry the exporting machine's offset and are normalised to
//! UTC. Attachment URLs are local paths when media was downloaded (backslashes on Windows);
//! remote `cdn.discordapp.com` URLs are signed and expire, so they are never published.

use std::collections::BTreeMap;
use thin_vec::ThinVec;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};

use super::importer::Importer;
use super::input::percent_decode;
use super::{Bodies, Ingested, Input, mimetype_of, parse_json};
use crate::model::{
    Attachment, AttachmentField, Author, Channel, File, Message, MessageKind, Reaction, Text, Thread, User,
    Visibility,
};

/// The importer's name in the model.
pub const SOURCE: &str = "discord";

/// How much of a JSON file detection reads.
const PEEK_BYTES: u64 = 4096;

/// Whether the input holds DiscordChatExporter JSON: a `.json` file whose start has the
/// exporter's `guild` and `channel` header.
pub fn detect(input: &mut Input) -> bool {
    let candidates: Vec<String> = json_files(input).into_iter().take(5).collect();
    candidates.iter().any(|rel| {
        input.peek(rel, PEEK_BYTES).is_ok_and(|head| {
            let head = String::from_utf8_lossy(&head);
            head.trim_start().starts_with('{') && head.contains("\"guild\"") && head.contains("\"channel\"")
        })
    })
}

/// The files to import: the one named, or every `.json` in the input.
fn json_files(input: &Input) -> Vec<String> {
    match &input.selected {
        Some(file) => vec![file.clone()],
        None => input.files().filter(|f| super::has_extension(f, &["json"])).map(str::to_owned).collect(),
    }
}

/// Imports every channel and thread file of the input.
pub fn import(input: &mut Input, out: &mut Ingested) {
    let mut bodies = Bodies::default();
    let mut channels: BTreeMap<String, Channel> = BTreeMap::new();
    let mut threads: Vec<(RawChannel, Vec<Message>)> = Vec::new();
    let mut files = Vec::new();
    for rel in json_files(input) {
        let Some(bytes) = out.read(input, &rel) else {
            continue;
        };
        let export: Export = match parse_json(
            &input.display(&rel),
            &bytes,
            "a DiscordChatExporter JSON export: {guild, channel, messages: [...]}",
        ) {
            Ok(export) => export,
            Err(e) => {
                // The exporter writes without validation, so a crash leaves a file cut short:
                // what came before the cut is kept for --keep-going.
                let salvaged = salvage(&bytes);
                let kept = salvaged.as_ref().map_or(0, |s| s.messages.len());
                out.problems.push(match (e, kept) {
                    (super::IngestError::Json { path, line, column, message }, 1..) => {
                        super::IngestError::Json {
                            path,
                            line,
                            column,
                            message: format!(
                                "{message}; --keep-going keeps the {kept} message{} before the cut",
                                if kept == 1 { "" } else { "s" }
                            ),
                        }
                    }
                    (e, _) => e,
                });
                match salvaged {
                    Some(export) if kept > 0 => export,
                    _ => continue,
                }
            }
        };
        out.files_read += 1;
        let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
        let mut messages = Vec::with_capacity(export.messages.len());
        for raw in export.messages {
            add_users(&raw, &mut out.archive.users);
            let media = Media { input, bodies: &mut bodies, folder: &folder, warnings: &mut out.warnings };
            messages.push(message(raw, media));
        }
        let exported = export.exported_at.as_deref().and_then(parse_time).or_else(|| messages.iter().map(|m| m.time).max());
        files.push(ExportFile { channel: export.channel, exported, messages });
    }
    // Given in the order they were exported: where exports overlap, the archive keeps each
    // message's copy edited last, else the one given last ([`crate::model::Archive::finish`]).
    files.sort_by_key(|f| f.exported);
    for ExportFile { channel: raw, messages, .. } in files {
        if raw.is_thread() && raw.kind != "GuildPrivateThread" {
            // A thread in several exports is joined once, with every copy of its messages.
            match threads.iter_mut().find(|(known, _)| known.id == raw.id) {
                Some((_, known)) => known.extend(messages),
                None => threads.push((raw, messages)),
            }
        } else {
            channels.entry(raw.id.clone()).or_insert_with(|| new_channel(&raw)).messages.extend(messages);
        }
    }
    for (thread, messages) in threads {
        join_thread(&mut channels, &thread, messages);
    }
    // A thread notice's reference named its thread, not a message to show as replied to.
    for m in channels.values_mut().flat_map(|c| c.messages.iter_mut()) {
        if m.kind == thread_created() {
            m.reply_to = None;
        }
    }
    for channel in channels.into_values() {
        out.archive.add_channel(channel);
    }
}

/// One export file's channel and messages, and when it was exported.
struct ExportFile {
    channel: RawChannel,
    /// Its `exportedAt`, else its newest message's time.
    exported: Option<Timestamp>,
    messages: Vec<Message>,
}

/// The channel header and every whole message of a file that ends early.
fn salvage(bytes: &[u8]) -> Option<Export> {
    let value_after = |key: &str| -> Option<usize> {
        let at = find(bytes, format!("\"{key}\"").as_bytes())?;
        let colon = at + bytes[at..].iter().position(|&b| b == b':')?;
        Some(colon + 1)
    };
    let channel =
        RawChannel::deserialize(&mut serde_json::Deserializer::from_slice(&bytes[value_after("channel")?..]))
            .ok()?;
    let mut at = value_after("messages")?;
    at += bytes[at..].iter().position(|&b| b == b'[')? + 1;
    let mut messages = Vec::new();
    loop {
        let rest = &bytes[at..];
        let skip = rest.iter().position(|b| !b.is_ascii_whitespace() && *b != b',').unwrap_or(rest.len());
        let mut values = serde_json::Deserializer::from_slice(&rest[skip..]).into_iter::<RawMessage>();
        match values.next() {
            Some(Ok(message)) => {
                messages.push(message);
                at += skip + values.byte_offset();
            }
            _ => break,
        }
    }
    Some(Export { channel, messages, exported_at: None })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn new_channel(raw: &RawChannel) -> Channel {
    let visibility = match raw.kind.as_str() {
        "DirectTextChat" => Visibility::Direct,
        "DirectGroupTextChat" => Visibility::GroupDirect,
        // A private thread is seen only by those invited: never published with its channel.
        "GuildPrivateThread" => Visibility::Private,
        _ => Visibility::Public,
    };
    let name = match (visibility, raw.kind.as_str()) {
        (Visibility::Direct | Visibility::GroupDirect, _) => format!("dm-{}", raw.name),
        (_, "GuildPrivateThread") => format!("{}-{}", raw.category.as_deref().unwrap_or("thread"), raw.name),
        _ => raw.name.clone(),
    };
    Channel {
        source: SOURCE,
        id: raw.id.clone(),
        name,
        visibility,
        shared: false,
        topic: raw.topic.clone().filter(|t| !t.trim().is_empty()).map(Text::markdown),
        purpose: None,
        created: snowflake_time(&raw.id),
        archived: false,
        messages: Vec::new(),
    }
}

/// Puts a thread's messages under their root in the parent channel; a thread whose parent is
/// not in the input becomes a channel of its own.
fn join_thread(channels: &mut BTreeMap<String, Channel>, thread: &RawChannel, mut messages: Vec<Message>) {
    let Some(parent) = thread.category_id.as_ref().and_then(|id| channels.get_mut(id)) else {
        let channel = channels.entry(thread.id.clone()).or_insert_with(|| new_channel(thread));
        channel.messages.extend(messages);
        return;
    };
    // Started from a message: the thread has that message's id. Otherwise the parent shows a
    // "started a thread" notice that refers to the thread.
    let root = if let Some(starter) = parent.messages.iter_mut().find(|m| m.id == thread.id) {
        // The thread's name shows on the message it was started from.
        starter.attachments.push(named_card("thread", thread.name.clone(), None));
        thread.id.clone()
    } else {
        match parent
            .messages
            .iter_mut()
            .find(|m| m.kind == thread_created() && m.reply_to.as_deref() == Some(&thread.id))
        {
            Some(notice) => {
                notice.text = Text::plain(format!("Started the thread “{}”.", thread.name));
                notice.id.clone()
            }
            None => thread.id.clone(),
        }
    };
    for m in &mut messages {
        if m.id != root {
            m.thread = Thread::Reply { parent: root.clone(), broadcast: false };
        }
    }
    parent.messages.extend(messages);
}

/// A card that is only a title (a thread's name, an image's address), linking to `link`,
/// under what it is (`kind`).
fn named_card(kind: &str, title: String, link: Option<String>) -> Attachment {
    Attachment {
        title: Some(title),
        title_link: link.clone(),
        from_url: link,
        service_name: Some(kind.to_owned()),
        ..Attachment::default()
    }
}

/// Where media files are read from: paths in the export are relative to its JSON file.
struct Media<'a> {
    input: &'a mut Input,
    bodies: &'a mut Bodies,
    folder: &'a str,
    warnings: &'a mut Vec<String>,
}

impl Media<'_> {
    /// The bytes of a downloaded asset; `None` for remote URLs and missing files.
    fn body(&mut self, url: &str) -> Option<crate::model::Body> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || url.starts_with('/')
            || url.contains(':')
        {
            return None;
        }
        let path = url.replace('\\', "/");
        let candidates = [path.clone(), percent_decode(&path)];
        let found = candidates.into_iter().map(|p| join(self.folder, &p)).find(|p| self.input.has(p))?;
        self.bodies.read(self.input, &found, self.warnings)
    }
}

fn join(folder: &str, rel: &str) -> String {
    if folder.is_empty() { rel.to_owned() } else { format!("{folder}/{rel}") }
}

fn add_users(raw: &RawMessage, users: &mut BTreeMap<String, User>) {
    let people =
        std::iter::once(&raw.author).chain(&raw.mentions).chain(raw.reactions.iter().flat_map(|r| &r.users));
    for person in people {
        users.entry(user_id(&person.id)).or_insert_with(|| User {
            id: user_id(&person.id),
            name: person.shown_name().to_owned(),
            handle: Some(person.name.clone()),
            is_bot: person.is_bot,
            deleted: person.name == "Deleted User",
        });
    }
}

fn user_id(id: &str) -> String {
    format!("{SOURCE}:{id}")
}

fn message(raw: RawMessage, mut media: Media) -> Message {
    let time =
        parse_time(&raw.timestamp).or_else(|| snowflake_time(&raw.id)).unwrap_or(Timestamp::UNIX_EPOCH);
    let kind = kind_of(&raw.kind.0, raw.author.is_bot);
    let system = kind.is_system();
    let reference = raw.reference.as_ref().filter(|r| r.kind.as_deref() != Some("Forward"));
    // Replies and pin notices point at a message; a thread notice at its thread.
    let reply_to = match &kind {
        k if *k == thread_created() => reference.and_then(|r| r.channel_id.clone()),
        _ => reference.and_then(|r| r.message_id.clone()),
    };
    // Link previews with nothing but a thumbnail add nothing to the link in the text.
    let mut attachments: ThinVec<Attachment> = raw.embeds.iter().map(embed).filter(shows_something).collect();
    if let Some(forwarded) = raw.forwarded_message.as_ref().filter(|f| !f.content.trim().is_empty()) {
        attachments.push(Attachment {
            pretext: Some(Text::plain("Forwarded")),
            text: Some(Text::markdown(forwarded.content.clone())),
            ..Attachment::default()
        });
    }
    let mut files: ThinVec<File> = raw
        .attachments
        .iter()
        .map(|a| File {
            id: a.id.clone(),
            name: a.file_name.clone(),
            title: None,
            mimetype: mimetype_of(&a.file_name).map(str::to_owned),
            size: a.file_size_bytes,
            deleted: false,
            body: media.body(&a.url),
            link: None,
        })
        .collect();
    files.extend(raw.stickers.iter().map(|s| sticker(s, &mut media)));
    Message {
        id: raw.id,
        time,
        author: Author {
            user: Some(user_id(&raw.author.id).into()),
            name: raw.author.shown_name().into(),
            is_bot: raw.author.is_bot,
        },
        text: if system { Text::plain(raw.content) } else { Text::markdown(raw.content) },
        kind,
        edited: raw.timestamp_edited.as_deref().and_then(parse_time).map(Some),
        reactions: raw
            .reactions
            .iter()
            .map(|r| Reaction {
                // The shortcode finds the emoji; a custom emoji shows as :name:.
                name: if r.emoji.code.is_empty() { r.emoji.name.clone() } else { r.emoji.code.clone() },
                count: r.count,
                users: r.users.iter().map(|u| user_id(&u.id)).collect(),
            })
            .collect(),
        attachments,
        files,
        thread: Thread::None,
        pinned: raw.is_pinned,
        reply_to,
    }
}

fn sticker(raw: &RawSticker, media: &mut Media) -> File {
    let ext = match raw.format.as_str() {
        "Png" | "Apng" => ".png",
        "Gif" => ".gif",
        "Lottie" => ".json",
        _ => "",
    };
    let name = format!("{}{ext}", raw.name);
    File {
        id: raw.id.clone(),
        title: Some(format!("Sticker: {}", raw.name)),
        mimetype: mimetype_of(&name).map(str::to_owned),
        size: None,
        deleted: false,
        body: raw.source_url.as_deref().and_then(|u| media.body(u)),
        link: None,
        name,
    }
}

fn shows_something(card: &Attachment) -> bool {
    card.title.is_some()
        || card.text.is_some()
        || !card.fields.is_empty()
        || card.author_name.is_some()
        || card.footer.is_some()
}

/// An embed as a card: link previews, bot alerts (title, description, fields, colour). An
/// embed that is only an image (a GIF, a posted picture link) is a card linking to it: the
/// site never loads images from elsewhere.
fn embed(raw: &RawEmbed) -> Attachment {
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let image = || {
        let mut images = raw.image.iter().chain(&raw.images).chain(&raw.thumbnail);
        nonempty(&raw.url).or_else(|| images.find_map(|i| nonempty(&i.url)))
    };
    let bare = raw.title.is_none() && raw.description.is_none() && raw.fields.is_empty() && raw.author.is_none();
    if bare && let Some(url) = image() {
        let shown = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest).to_owned();
        return named_card("image", shown, Some(url));
    }
    Attachment {
        color: raw.color.clone().filter(|c| c.starts_with('#')).map(|c| c.to_ascii_lowercase()),
        pretext: None,
        author_name: raw.author.as_ref().and_then(|a| nonempty(&a.name)),
        author_link: raw.author.as_ref().and_then(|a| nonempty(&a.url)),
        title: nonempty(&raw.title),
        title_link: nonempty(&raw.url),
        text: nonempty(&raw.description).map(Text::markdown),
        fields: raw
            .fields
            .iter()
            .map(|f| AttachmentField {
                title: f.name.clone(),
                value: Text::markdown(f.value.clone()),
                short: f.is_inline,
            })
            .collect(),
        footer: raw.footer.as_ref().and_then(|f| nonempty(&f.text)),
        fallback: None,
        from_url: nonempty(&raw.url),
        service_name: None,
    }
}

fn kind_of(kind: &str, bot: bool) -> MessageKind {
    match kind {
        "Default" | "Reply" | "" => {
            if bot {
                MessageKind::Bot
            } else {
                MessageKind::Normal
            }
        }
        "GuildMemberJoin" | "RecipientAdd" => MessageKind::Join,
        "RecipientRemove" => MessageKind::Leave,
        "ChannelNameChange" => MessageKind::Rename,
        "ChannelPinnedMessage" => MessageKind::Pin,
        "ThreadCreated" => thread_created(),
        "Call" => MessageKind::Event("call".into()),
        "ChannelIconChange" => MessageKind::Event("icon-change".into()),
        // Types the exporter does not name (written as numbers): their content is the message.
        _ if bot => MessageKind::Bot,
        _ => MessageKind::Normal,
    }
}

fn thread_created() -> MessageKind {
    MessageKind::Event("thread-created".into())
}

/// ISO 8601 with the exporter's offset and 0–7 fraction digits, as UTC.
fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok()
}

/// A snowflake's creation time: `(id >> 22) + 1420070400000` ms.
fn snowflake_time(id: &str) -> Option<Timestamp> {
    let id: u64 = id.parse().ok()?;
    Timestamp::from_millisecond(i64::try_from(id >> 22).ok()? + 1_420_070_400_000).ok()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    channel: RawChannel,
    #[serde(default)]
    messages: Vec<RawMessage>,
    /// When the exporter wrote the file (newer versions).
    #[serde(default, rename = "exportedAt")]
    exported_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawChannel {
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    category_id: Option<String>,
    #[serde(default)]
    category: Option<String>,
    name: String,
    #[serde(default)]
    topic: Option<String>,
}

impl RawChannel {
    fn is_thread(&self) -> bool {
        self.kind.ends_with("Thread")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessage {
    id: String,
    #[serde(rename = "type", default)]
    kind: KindName,
    timestamp: String,
    #[serde(default)]
    timestamp_edited: Option<String>,
    #[serde(default)]
    is_pinned: bool,
    #[serde(default)]
    content: String,
    author: RawAuthor,
    #[serde(default)]
    attachments: Vec<RawAttachment>,
    #[serde(default)]
    embeds: Vec<RawEmbed>,
    #[serde(default)]
    stickers: Vec<RawSticker>,
    #[serde(default)]
    reactions: Vec<RawReaction>,
    #[serde(default)]
    mentions: Vec<RawAuthor>,
    #[serde(default)]
    reference: Option<RawReference>,
    #[serde(default)]
    forwarded_message: Option<RawForwarded>,
}

/// A message type: the exporter writes names, and numbers for types it does not know.
#[derive(Default)]
struct KindName(String);

impl<'de> Deserialize<'de> for KindName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(KindName(s)),
            serde_json::Value::Number(n) => Ok(KindName(n.to_string())),
            _ => Ok(KindName::default()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthor {
    id: String,
    name: String,
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default)]
    is_bot: bool,
}

impl RawAuthor {
    /// The server nickname, else the account name.
    fn shown_name(&self) -> &str {
        self.nickname.as_deref().filter(|n| !n.is_empty()).unwrap_or(&self.name)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAttachment {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    url: String,
    file_name: String,
    #[serde(default)]
    file_size_bytes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEmbed {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    color: Option<String>,
    #[serde(default)]
    author: Option<RawEmbedAuthor>,
    #[serde(default)]
    footer: Option<RawEmbedFooter>,
    #[serde(default)]
    thumbnail: Option<RawEmbedImage>,
    #[serde(default)]
    image: Option<RawEmbedImage>,
    /// Newer exporters: every image of a gallery embed.
    #[serde(default)]
    images: Vec<RawEmbedImage>,
    #[serde(default)]
    fields: Vec<RawEmbedField>,
}

#[derive(Deserialize)]
struct RawEmbedAuthor {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawEmbedImage {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawEmbedFooter {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEmbedField {
    name: String,
    value: String,
    #[serde(default)]
    is_inline: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSticker {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    source_url: Option<String>,
}

#[derive(Deserialize)]
struct RawReaction {
    emoji: RawEmoji,
    #[serde(default)]
    count: u32,
    #[serde(default)]
    users: Vec<RawAuthor>,
}

#[derive(Deserialize)]
struct RawEmoji {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReference {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    channel_id: Option<String>,
}

#[derive(Deserialize)]
struct RawForwarded {
    #[serde(default)]
    content: String,
}

/// This format's entry in [`super::IMPORTERS`].
pub static IMPORTER: Importer = Importer {
    name: "discord",
    reads: "DiscordChatExporter JSON",
    root_markers: &[],
    detect,
    import: |input, _, out| import(input, out),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_normalised_to_utc_from_the_exporters_offset() {
        assert_eq!(
            parse_time("2026-06-24T19:04:23.18+07:00").unwrap().to_string(),
            "2026-06-24T12:04:23.18Z"
        );
        assert_eq!(
            parse_time("2020-01-01T00:00:00.1234567-05:00").unwrap().to_string(),
            "2020-01-01T05:00:00.1234567Z"
        );
        // The zulip fixture's first message: its id says 12:04:23.180.
        assert_eq!(snowflake_time("1519312230385057824").unwrap().to_string(), "2026-06-24T12:04:23.18Z");
    }

    #[test]
    fn media_paths_are_relative_to_the_export_and_never_remote() {
        assert_eq!(percent_decode("media/a%20b-1.png"), "media/a b-1.png");
        assert_eq!(join("exports", "media/x.png"), "exports/media/x.png");
    }
}
