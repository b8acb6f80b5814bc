//! Slack workspace exports (official zip or directory; slackdump's export layout too).
//!
//! The rules that matter most: day files are bucketed by US/Pacific date, so a message's day always comes from its
//! `ts`, never the file name; `ts` is an exact string key (floats lose digits), so it is parsed
//! as seconds plus microseconds and kept as the message id; thread replies are scattered over
//! day files and re-attached by `thread_ts`; file URLs carry tokens and are never kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use thin_vec::ThinVec;

use jiff::Timestamp;
use rayon::prelude::*;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use super::days::{self, DayKeys, Previous};
use super::{Bodies, IngestError, Ingested, Input, parse_json};
use crate::model::{
    Attachment, AttachmentField, Author, Body, Channel, File, Message, MessageKind, Names, Reaction, Text,
    Thread, User, Visibility,
};
use crate::store::{self, Key};

/// Day files parsed at once (on every core) before they become messages.
const PARSE_BATCH: usize = 64;

/// The most bytes of day files a batch holds read into memory (a zip's entries, inflated one
/// at a time): two batches are held at once, one parsed while the next is read. A file
/// bigger than this (up to [`super::input::MAX_FILE_BYTES`]) is a batch of its own.
const READ_BUDGET: u64 = 256 << 20;

/// How many of the next day files, by the bytes each holds in memory once read (`0` for one
/// read from disk on a parsing core), make one batch: at most [`PARSE_BATCH`], and no more
/// than `budget` bytes unless the first alone is more.
fn batch_len(sizes: impl Iterator<Item = u64>, budget: u64) -> usize {
    let mut held = 0u64;
    let mut n = 0;
    for size in sizes.take(PARSE_BATCH) {
        if n > 0 && held.saturating_add(size) > budget {
            break;
        }
        held = held.saturating_add(size);
        n += 1;
    }
    n
}

/// Once the first batch of a conversation's day files is `parsed`, room for the messages of
/// all its `days` at that rate and a quarter more: a growing list would copy a million
/// messages about twice over, each time into memory not touched before. Room never used is
/// never touched either, so it costs no memory.
fn reserve_for_all(
    messages: &mut Vec<Message>,
    parsed: &[(bool, Result<Day<'_>, IngestError>)],
    days: usize,
) {
    if !messages.is_empty() || parsed.is_empty() {
        return;
    }
    let in_batch: usize =
        parsed.iter().filter_map(|(_, day)| day.as_ref().ok()).map(|d| d.messages.len()).sum();
    messages.reserve(in_batch * days / parsed.len() * 5 / 4);
}

/// The importer's name in the model (`Channel::source`, user id prefix).
pub const SOURCE: &str = "slack";

/// Files that mark the root of a Slack export.
pub const ROOT_MARKERS: &[&str] = &["channels.json", "users.json", "org_users.json"];

/// Whether the input looks like a Slack export.
pub fn detect(input: &Input) -> bool {
    ROOT_MARKERS.iter().any(|m| input.has(m))
}

/// The conversation manifests, with the visibility of what each lists.
const MANIFESTS: &[(&str, Visibility)] = &[
    ("channels.json", Visibility::Public),
    ("groups.json", Visibility::Private),
    ("mpims.json", Visibility::GroupDirect),
    ("dms.json", Visibility::Direct),
];

/// Imports a Slack export into `out`, recording problems instead of stopping.
pub fn import(input: &mut Input, out: &mut Ingested) {
    let mut importer = Importer {
        input,
        out,
        users: BTreeMap::new(),
        bots: BTreeMap::new(),
        bodies: Bodies::default(),
        names: Names::default(),
        known_authors: HashMap::new(),
    };
    importer.read_users();
    let conversations = importer.read_manifests();
    importer.warn_unlisted_folders(&conversations);
    for conversation in conversations {
        let channel = importer.read_conversation(conversation);
        importer.out.archive.add_channel(channel);
    }
    super::snapshots::read_folder(importer.input, "snapshots/", importer.out);
    let Importer { users, out, .. } = importer;
    for (id, user) in users {
        out.archive.users.entry(id).or_insert(user);
    }
}

struct Importer<'a> {
    input: &'a mut Input,
    out: &'a mut Ingested,
    users: BTreeMap<String, User>,
    /// `bot_id` → the bot's user id, from `profile.bot_id` in users.json.
    bots: BTreeMap<String, String>,
    /// Bundled file bodies already read.
    bodies: Bodies,
    /// Authors' ids and names, one copy each.
    names: Names,
    /// The authors of messages that name nothing but a user users.json (or an earlier
    /// message) knows, by Slack user id: such an author never changes, since users are only
    /// ever added, and most messages have one.
    known_authors: HashMap<String, Author>,
}

/// A conversation from a manifest, and the folder its day files are in.
struct Conversation {
    raw: RawChannel,
    visibility: Visibility,
    folder: String,
}

impl Importer<'_> {
    fn read_json<T: serde::de::DeserializeOwned>(&mut self, rel: &str, expected: &str) -> Option<T> {
        let bytes = self.out.read(self.input, rel)?;
        self.out.files_read += 1;
        match parse_json(&self.input.display(rel), &bytes, expected) {
            Ok(value) => Some(value),
            Err(e) => {
                self.out.problems.push(e);
                None
            }
        }
    }

    fn read_users(&mut self) {
        let Some(file) = ["users.json", "org_users.json"].into_iter().find(|f| self.input.has(f)) else {
            let shown = self.input.display("users.json");
            self.out.problems.push(IngestError::invalid(
                shown,
                "missing: a Slack export has users.json (or org_users.json) at its root; \
                 without it, names fall back to those embedded in messages",
            ));
            return;
        };
        let raw: Vec<RawUser> =
            self.read_json(file, "users.json must be a JSON array of user objects").unwrap_or_default();
        for user in raw {
            let id = user_id(&user.id);
            if let Some(bot_id) = user.profile.bot_id.as_deref().filter(|b| !b.is_empty()) {
                self.bots.insert(bot_id.to_owned(), id.clone());
            }
            let name = first_nonempty(&[
                &user.profile.display_name,
                &user.profile.real_name,
                &user.real_name,
                &user.name,
            ])
            .unwrap_or(&user.id)
            .to_owned();
            let handle = Some(user.name).filter(|h| !h.is_empty());
            let is_bot = user.is_bot || user.id == "USLACKBOT";
            self.users.insert(id.clone(), User { id, name, handle, is_bot, deleted: user.deleted });
        }
    }

    fn read_manifests(&mut self) -> Vec<Conversation> {
        let mut conversations = Vec::new();
        if !self.input.has("channels.json") {
            let shown = self.input.display("channels.json");
            self.out.problems.push(IngestError::invalid(
                shown,
                "missing: a Slack export lists its public channels in channels.json",
            ));
        }
        for &(file, visibility) in MANIFESTS {
            if !self.input.has(file) {
                continue;
            }
            let expected = format!("{file} must be a JSON array of conversation objects");
            let raw: Vec<RawChannel> = self.read_json(file, &expected).unwrap_or_default();
            for raw in raw {
                let folder = if visibility == Visibility::Direct || raw.name.is_empty() {
                    raw.id.clone()
                } else {
                    raw.name.clone()
                };
                conversations.push(Conversation { raw, visibility, folder });
            }
        }
        conversations
    }

    /// Folders with day files that no manifest lists are never published; say so.
    fn warn_unlisted_folders(&mut self, conversations: &[Conversation]) {
        let listed: BTreeSet<&str> = conversations.iter().map(|c| c.folder.as_str()).collect();
        let mut unlisted = BTreeSet::new();
        for file in self.input.files() {
            if let Some((folder, name)) = file.split_once('/')
                && is_day_file(name)
                && !listed.contains(folder)
            {
                unlisted.insert(folder.to_owned());
            }
        }
        for folder in unlisted {
            self.out.warnings.push(format!(
                "{}: folder has day files but no entry in channels.json, groups.json, mpims.json \
                 or dms.json; it is not published",
                self.input.display(&folder)
            ));
        }
    }

    fn read_conversation(&mut self, conversation: Conversation) -> Channel {
        let Conversation { raw, visibility, folder } = conversation;
        let prefix = format!("{folder}/");
        let day_files: Vec<String> = self
            .input
            .files()
            .filter_map(|f| f.strip_prefix(&prefix).filter(|n| is_day_file(n)).map(|_| f.to_owned()))
            .collect();
        let pins: BTreeSet<String> = raw.pins.iter().map(|p| p.id.replace('.', "")).collect();
        // Day files are parsed on every core a batch at a time, while the batch before is
        // turned into messages in order and the batch after is read: only two batches are
        // ever held parsed.
        let mut messages = Vec::new();
        let mut parsed = Vec::new();
        let previous = std::mem::take(&mut self.out.days.previous);
        let mut rest = day_files.as_slice();
        let mut next = self.read_days(&mut rest);
        while let Some(read) = next.take() {
            let done = std::mem::take(&mut parsed);
            (parsed, next) = rayon::join(
                || parse_days(&read, &previous),
                || {
                    self.add_days(done, &folder, &pins, &mut messages);
                    self.read_days(&mut rest)
                },
            );
            reserve_for_all(&mut messages, &parsed, day_files.len());
        }
        self.add_days(parsed, &folder, &pins, &mut messages);
        self.out.days.previous = previous;
        self.out.days.end_section();
        let name = if raw.name.is_empty() { raw.id.clone() } else { raw.name.clone() };
        let name = match visibility {
            Visibility::Direct => self.dm_name(&raw),
            _ => name,
        };
        Channel {
            source: SOURCE,
            id: raw.id,
            name,
            visibility,
            shared: raw.is_shared || raw.is_ext_shared || raw.is_org_shared,
            topic: raw.topic.map(|t| Text::mrkdwn(t.value)).filter(|t| !t.is_empty()),
            purpose: raw.purpose.map(|t| Text::mrkdwn(t.value)).filter(|t| !t.is_empty()),
            created: raw.created.and_then(|c| Timestamp::from_second(c.0).ok()),
            archived: raw.is_archived,
            messages,
        }
    }

    /// The next batch of the day files in `rest` ([`batch_len`]), taken off it, with their
    /// display paths: their bytes, or where on disk they are, to be read on the parsing cores.
    /// `None` once `rest` is empty.
    fn read_days(&mut self, rest: &mut &[String]) -> Option<Vec<(String, DayFile)>> {
        if rest.is_empty() {
            return None;
        }
        let n = batch_len(rest.iter().map(|f| self.input.size_in_memory(f)), READ_BUDGET);
        let (batch, after) = rest.split_at(n);
        *rest = after;
        let read = batch
            .iter()
            .filter_map(|f| {
                let shown = self.input.display(f);
                if let Some(path) = self.input.disk_path(f) {
                    return Some((shown, DayFile::Disk(path.to_owned())));
                }
                Some((shown, DayFile::Read(self.out.read(self.input, f)?)))
            })
            .collect();
        Some(read)
    }

    /// Turns parsed day files into messages, in order, and files their records.
    fn add_days(
        &mut self,
        days: Vec<(bool, Result<Day<'_>, IngestError>)>,
        folder: &str,
        pins: &BTreeSet<String>,
        messages: &mut Vec<Message>,
    ) {
        for (read, day) in days {
            self.out.files_read += usize::from(read);
            let day = match day {
                Ok(day) => day,
                Err(e) => {
                    self.out.problems.push(e);
                    continue;
                }
            };
            if let Some((key, record)) = &day.record {
                self.out.days.file(key, record.bytes(), matches!(record, Record::Found(_)));
            }
            for parsed in day.messages {
                messages.push(self.resolve(parsed, folder, pins));
            }
        }
    }

    /// DMs have no name; call them after their members.
    fn dm_name(&self, raw: &RawChannel) -> String {
        let names: Vec<String> = raw
            .members
            .iter()
            .map(|m| self.users.get(&user_id(m)).map_or_else(|| m.clone(), |u| u.name.clone()))
            .collect();
        if names.is_empty() { raw.id.clone() } else { format!("dm-{}", names.join("-")) }
    }

    /// The file's bytes, when the export bundles them: slackdump writes them to
    /// `__uploads/<id>/<name>` or `<channel>/attachments/<id>-<name>`; official exports have
    /// none. Read once per path.
    fn file_body(&mut self, file: &File, folder: &str) -> Option<Body> {
        let id = file.id.as_deref()?;
        let candidates =
            [format!("__uploads/{id}/{}", file.name), format!("{folder}/attachments/{id}-{}", file.name)];
        let path = candidates.into_iter().find(|p| self.input.has(p))?;
        self.bodies.read(self.input, &path, &mut self.out.warnings)
    }

    /// A parsed message with its author, kind, bundled file bodies and pin.
    fn resolve(&mut self, parsed: Parsed, folder: &str, pins: &BTreeSet<String>) -> Message {
        let Parsed { mut message, who } = parsed;
        message.author = self.author(&who);
        message.kind = kind_of(who.subtype.as_deref(), message.author.is_bot);
        for f in &mut message.files {
            f.body = self.file_body(f, folder);
        }
        message.pinned = pins.contains(&message.id);
        message
    }

    /// Resolves who posted a message: users.json, else the bot, else the embedded profile.
    fn author(&mut self, raw: &Who) -> Author {
        let empty = |s: &Option<String>| s.as_deref().is_none_or(str::is_empty);
        let plain = empty(&raw.username)
            && raw.bot_id.is_none()
            && empty(&raw.bot_name)
            && raw.subtype.as_deref() != Some("bot_message");
        let Some(user) = raw.user.as_deref().filter(|_| plain) else { return self.find_author(raw) };
        if let Some(author) = self.known_authors.get(user) {
            return author.clone();
        }
        let author = self.find_author(raw);
        if self.users.contains_key(&user_id(user)) {
            self.known_authors.insert(user.to_owned(), author.clone());
        }
        author
    }

    fn find_author(&mut self, raw: &Who) -> Author {
        // Old file_share rows carry `"username": "<@U061A3E0G|javier>"` instead of a name.
        let username = raw.username.as_deref().filter(|u| !u.is_empty());
        let mention = username.and_then(|u| u.strip_prefix("<@")).and_then(|u| u.split(['|', '>']).next());
        let user = raw.user.as_deref().or(mention).map(user_id);
        let bot_user = raw.bot_id.as_deref().and_then(|b| self.bots.get(b)).cloned();
        let is_bot = raw.subtype.as_deref() == Some("bot_message")
            || raw.bot_id.is_some()
            || user
                .as_ref()
                .or(bot_user.as_ref())
                .is_some_and(|u| self.users.get(u).is_some_and(|u| u.is_bot));
        // A bot may name itself per message; that name wins for bots.
        let bot_name = username
            .filter(|_| mention.is_none() && is_bot)
            .map(str::to_owned)
            .or_else(|| raw.bot_name.clone().filter(|n| !n.is_empty()));
        let account = user.clone().or(bot_user);
        if let (Some(id), Some(profile)) = (&account, &raw.user_profile) {
            self.learn_user(id, profile, is_bot);
        }
        let name = bot_name
            .or_else(|| account.as_ref().and_then(|id| self.users.get(id)).map(|u| u.name.clone()))
            .or_else(|| username.filter(|_| mention.is_none()).map(str::to_owned))
            .or_else(|| (raw.user.as_deref() == Some("USLACKBOT")).then(|| "Slackbot".to_owned()))
            .or_else(|| account.as_ref().map(|id| id.trim_start_matches("slack:").to_owned()))
            .unwrap_or_else(|| if is_bot { "bot".to_owned() } else { "unknown".to_owned() });
        Author { user: account.map(|a| self.names.get(&a)), name: self.names.get(&name), is_bot }
    }

    /// Users missing from users.json (shared channels, deleted accounts) are known by the
    /// profile copy newer exports embed in each message.
    fn learn_user(&mut self, id: &str, profile: &RawProfile, is_bot: bool) {
        if self.users.contains_key(id) {
            return;
        }
        let handle = Some(profile.name.clone()).filter(|n| !n.is_empty());
        let Some(name) =
            first_nonempty(&[&profile.display_name, &profile.real_name, &profile.name]).map(str::to_owned)
        else {
            return;
        };
        self.users.insert(id.to_owned(), User { id: id.to_owned(), name, handle, is_bot, deleted: false });
    }
}

/// A day file's messages as the file alone makes them, and the key and record they are
/// filed under (when records are kept).
struct Day<'p> {
    messages: Vec<Parsed>,
    record: Option<(Key, Record<'p>)>,
}

/// A day's record.
enum Record<'p> {
    /// The previous build's.
    Found(&'p [u8]),
    /// Made from the file.
    New(Vec<u8>),
}

impl Record<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Record::Found(bytes) => bytes,
            Record::New(bytes) => bytes,
        }
    }
}

/// A message as its day file alone makes it: who posted it, and so its kind, depend on the
/// users learned from earlier days ([`Importer::resolve`]).
#[derive(Debug, Serialize, Deserialize)]
struct Parsed {
    message: Message,
    who: Who,
}

/// What a message says about who posted it.
#[derive(Debug, Serialize, Deserialize)]
struct Who {
    user: Option<String>,
    username: Option<String>,
    bot_id: Option<String>,
    bot_name: Option<String>,
    #[serde(with = "stored_profile")]
    user_profile: Option<RawProfile>,
    subtype: Option<String>,
}

/// A day file's bytes, or where they are on disk.
enum DayFile {
    Read(Vec<u8>),
    Disk(std::path::PathBuf),
}

/// Reads and parses day files on every core, or decodes the records `previous` has of them;
/// each says whether the file could be read (or its record found: a file on disk whose
/// record the fingerprint's hash of it finds is not read again).
fn parse_days<'p>(
    days: &[(String, DayFile)],
    previous: &'p Previous,
) -> Vec<(bool, Result<Day<'p>, IngestError>)> {
    days.par_iter()
        .map(|(shown, file)| match file {
            DayFile::Read(bytes) => (true, parse_day(shown, bytes, previous.keys(SOURCE, bytes), previous)),
            DayFile::Disk(path) => {
                let keys = previous.keys_at(SOURCE, path);
                if let Some(day) = keys.as_ref().and_then(|keys| remembered(keys, previous)) {
                    return (true, Ok(day));
                }
                // Keyed by what is read, not by the fingerprint's hash: the file may have
                // changed since, and a record is only ever filed under its own bytes.
                match super::input::read_path(path, shown) {
                    Ok(bytes) => (true, parse_day(shown, &bytes, previous.keys(SOURCE, &bytes), previous)),
                    Err(e) => (false, Err(e)),
                }
            }
        })
        .collect()
}

/// The day the record `previous` has under `keys`, if it has one.
fn remembered<'p>(keys: &DayKeys, previous: &'p Previous) -> Option<Day<'p>> {
    let record = previous.find(&keys.file)?;
    let messages = decode_day(record, keys, &Arc::from(""))?;
    Some(Day { messages, record: Some((keys.file, Record::Found(record))) })
}

/// The messages of the day file `shown` with these `bytes` and `keys`, from the record
/// `previous` has or else parsed.
fn parse_day<'p>(
    shown: &str,
    bytes: &[u8],
    keys: Option<DayKeys>,
    previous: &'p Previous,
) -> Result<Day<'p>, IngestError> {
    let Some(keys) = keys else { return Ok(Day { messages: parse_messages(shown, bytes)?, record: None }) };
    if let Some(day) = remembered(&keys, previous) {
        return Ok(day);
    }
    let messages = parse_messages(shown, bytes)?;
    let record = encode_day(&messages, &keys);
    Ok(Day { messages, record: Some((keys.file, Record::New(record))) })
}

/// The messages of the day file `shown`, parsed from its `bytes`.
fn parse_messages(shown: &str, bytes: &[u8]) -> Result<Vec<Parsed>, IngestError> {
    let nobody: Arc<str> = Arc::from("");
    let raw: Vec<RawMessage> =
        parse_json(shown, bytes, "a day file must be a JSON array of message objects")?;
    Ok(raw.into_iter().map(|raw| parse(raw, &nobody)).collect())
}

/// A message as its day file alone makes it.
fn parse(raw: RawMessage, nobody: &Arc<str>) -> Parsed {
    let id = raw.ts.id();
    let thread = match &raw.thread_ts {
        Some(parent) if parent.raw != raw.ts.raw => Thread::Reply {
            parent: parent.id(),
            broadcast: raw.subtype.as_deref() == Some("thread_broadcast"),
        },
        _ => Thread::None,
    };
    let mut files: ThinVec<File> = raw.files.unwrap_or_default().into_iter().map(file).collect();
    files.extend(raw.file.map(file));
    // Slack shows an app's layout blocks when it has them; its `text` is then only the
    // notification's fallback. A person's `rich_text` blocks repeat the text.
    let layout = raw.blocks.as_ref().filter(|b| has_layout(b)).map(blocks_text).filter(|t| !t.trim().is_empty());
    let mut text = match (layout, raw.text.filter(|t| !t.trim().is_empty())) {
        (Some(blocks), _) => blocks,
        (None, Some(text)) => text,
        (None, None) => raw.blocks.as_ref().map(blocks_text).unwrap_or_default(),
    };
    // Whether a kind is a system event does not depend on who posted it.
    if kind_of(raw.subtype.as_deref(), false).is_system() {
        // "<@U1|alice> has joined the channel": the author is already shown beside it.
        if let Some(user) = &raw.user {
            text = strip_self_mention(&text, user);
        }
    }
    let message = Message {
        id,
        time: raw.ts.time,
        author: days::nobody(nobody),
        kind: MessageKind::Normal,
        text: Text::mrkdwn(text),
        edited: raw.edited.map(|e| e.ts.map(|ts| ts.time)),
        reactions: raw
            .reactions
            .unwrap_or_default()
            .into_iter()
            .map(|r| Reaction {
                count: r.count.unwrap_or(u32::try_from(r.users.len()).unwrap_or(u32::MAX)),
                name: r.name,
                users: r.users.iter().map(|u| user_id(u)).collect(),
            })
            .collect(),
        attachments: raw.attachments.unwrap_or_default().iter().map(attachment).collect(),
        files,
        thread,
        pinned: false,
        reply_to: None,
    };
    let who = Who {
        user: raw.user.or_else(|| raw.comment.and_then(|c| c.user)),
        username: raw.username,
        bot_id: raw.bot_id,
        bot_name: raw.bot_profile.map(|b| b.name),
        user_profile: raw.user_profile,
        subtype: raw.subtype,
    };
    Parsed { message, who }
}

/// A day's record: its messages, each with who posted it, sealed with `keys`.
fn encode_day(messages: &[Parsed], keys: &DayKeys) -> Vec<u8> {
    keys.seal(&store::encode(messages))
}

/// The messages of a day's record, if it is exactly one.
fn decode_day(record: &[u8], keys: &DayKeys, nobody: &Arc<str>) -> Option<Vec<Parsed>> {
    let mut messages: Vec<Parsed> = store::decode(&keys.open(record)?)?;
    for parsed in &mut messages {
        parsed.message.author = days::nobody(nobody);
    }
    Some(messages)
}

/// A profile as a day's record keeps it: the three names.
#[allow(clippy::ref_option, reason = "serde's `with` passes the field as it is")]
mod stored_profile {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::RawProfile;

    pub fn serialize<S: Serializer>(profile: &Option<RawProfile>, s: S) -> Result<S::Ok, S::Error> {
        profile.as_ref().map(|p| (&p.display_name, &p.real_name, &p.name)).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RawProfile>, D::Error> {
        let names: Option<(String, String, String)> = Deserialize::deserialize(d)?;
        Ok(names.map(|(display_name, real_name, name)| RawProfile {
            display_name,
            real_name,
            name,
            bot_id: None,
        }))
    }
}

/// Drops a leading `<@USER>` or `<@USER|name>` and the space after it.
fn strip_self_mention(text: &str, user: &str) -> String {
    let Some(rest) = text.strip_prefix("<@").and_then(|r| r.strip_prefix(user)) else {
        return text.to_owned();
    };
    match rest.find('>') {
        Some(end) if rest.starts_with(['>', '|']) => rest[end + 1..].trim_start().to_owned(),
        _ => text.to_owned(),
    }
}

/// The model id for a Slack user id.
pub fn user_id(id: &str) -> String {
    format!("{SOURCE}:{id}")
}

fn first_nonempty<'a>(candidates: &[&'a String]) -> Option<&'a str> {
    candidates.iter().map(|s| s.trim()).find(|s| !s.is_empty())
}

/// `YYYY-MM-DD.json`.
fn is_day_file(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json") else {
        return false;
    };
    let b = stem.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

fn kind_of(subtype: Option<&str>, is_bot: bool) -> MessageKind {
    let Some(subtype) = subtype else {
        return if is_bot { MessageKind::Bot } else { MessageKind::Normal };
    };
    // Private channels used `group_*` for the same events in older exports.
    let event = subtype.strip_prefix("channel_").or_else(|| subtype.strip_prefix("group_"));
    match (subtype, event) {
        (_, Some("join")) => MessageKind::Join,
        (_, Some("leave")) => MessageKind::Leave,
        (_, Some("topic")) => MessageKind::Topic,
        (_, Some("purpose")) => MessageKind::Purpose,
        (_, Some("name")) => MessageKind::Rename,
        (_, Some("archive")) => MessageKind::Archive,
        (_, Some("unarchive")) => MessageKind::Unarchive,
        ("me_message", _) => MessageKind::Action,
        ("bot_message", _) => MessageKind::Bot,
        ("pinned_item", _) => MessageKind::Pin,
        ("unpinned_item", _) => MessageKind::Unpin,
        ("file_comment", _) => MessageKind::FileComment,
        ("tombstone", _) => MessageKind::Deleted,
        ("thread_broadcast" | "file_share" | "file_mention" | "reply_broadcast", _) => {
            if is_bot {
                MessageKind::Bot
            } else {
                MessageKind::Normal
            }
        }
        (other, _) => MessageKind::Event(other.to_owned()),
    }
}

fn file(raw: RawFile) -> File {
    let deleted = raw.mode.as_deref() == Some("tombstone");
    let name = first_nonempty(&[&raw.name, &raw.title])
        .unwrap_or(if deleted { "deleted file" } else { "file" })
        .to_owned();
    File {
        id: raw.id,
        title: Some(raw.title).filter(|t| !t.is_empty() && *t != name),
        name,
        mimetype: raw.mimetype.filter(|m| !m.is_empty()),
        size: raw.size,
        deleted,
        body: None,
        link: None,
    }
}

fn attachment(raw: &RawAttachment) -> Attachment {
    let formatted = |field: &str| raw.mrkdwn_in.iter().any(|f| f == field);
    let text = |value: Option<String>, field: &str| {
        value.filter(|v| !v.trim().is_empty()).map(|v| {
            if formatted(field) {
                Text::mrkdwn(v)
            } else {
                Text { markup: crate::model::Markup::MrkdwnTokens, source: v }
            }
        })
    };
    let fields = raw
        .fields
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|f| AttachmentField {
            value: text(Some(f.value.clone()), "fields").unwrap_or_else(|| Text::plain("")),
            title: crate::markup::slack_unescape(&f.title),
            short: f.short,
        })
        .collect();
    // Slack escapes `&`, `<` and `>` in every string it stores; the fields shown as plain text
    // and the links are read back to what was written (`Tips &amp; Advice`, `?a=1&amp;b=2`).
    let plain = |value: &Option<String>| value.as_deref().filter(|s| !s.is_empty()).map(crate::markup::slack_unescape);
    Attachment {
        color: raw.color.as_deref().and_then(color),
        pretext: text(raw.pretext.clone(), "pretext"),
        author_name: plain(&raw.author_name),
        author_link: plain(&raw.author_link),
        title: plain(&raw.title),
        title_link: plain(&raw.title_link),
        // An attachment of an app may carry its content in blocks: the coloured bar's text.
        text: text(raw.text.clone(), "text").or_else(|| {
            raw.blocks.as_ref().map(blocks_text).filter(|t| !t.trim().is_empty()).map(Text::mrkdwn)
        }),
        fields,
        footer: plain(&raw.footer),
        fallback: plain(&raw.fallback),
        from_url: plain(&raw.from_url),
        service_name: plain(&raw.service_name),
    }
}

/// Slack's named colours and bare hex (`"36a64f"`) as CSS `#rrggbb`.
fn color(value: &str) -> Option<String> {
    let hex = match value {
        "good" => "2eb886",
        "warning" => "daa038",
        "danger" => "a30200",
        other => other.trim_start_matches('#'),
    };
    let valid = matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| format!("#{}", hex.to_ascii_lowercase()))
}

/// Block Kit blocks flattened to mrkdwn, a block per line (a section's fields a line each).
fn blocks_text(blocks: &serde_json::Value) -> String {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            serde_json::Value::Object(map) => {
                let kind = map.get("type").and_then(|t| t.as_str()).unwrap_or("");
                match (kind, map.get("text")) {
                    ("mrkdwn", Some(serde_json::Value::String(s))) => out.push(s.clone()),
                    // Plain block text is not entity-escaped; escape it like Slack's `text`.
                    ("plain_text" | "text", Some(serde_json::Value::String(s))) => {
                        out.push(s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"));
                    }
                    ("link", _) => {
                        let url = map.get("url").and_then(|u| u.as_str()).unwrap_or("");
                        match map.get("text").and_then(|t| t.as_str()) {
                            Some(label) => out.push(format!("<{url}|{label}>")),
                            None => out.push(format!("<{url}>")),
                        }
                    }
                    ("user", _) => {
                        let id = map.get("user_id").and_then(|u| u.as_str()).unwrap_or("");
                        out.push(format!("<@{id}>"));
                    }
                    ("channel", _) => {
                        let id = map.get("channel_id").and_then(|u| u.as_str()).unwrap_or("");
                        out.push(format!("<#{id}>"));
                    }
                    ("emoji", _) => {
                        let name = map.get("name").and_then(|u| u.as_str()).unwrap_or("");
                        out.push(format!(":{name}:"));
                    }
                    _ => {
                        for key in ["text", "elements", "fields"] {
                            if let Some(child) = map.get(key) {
                                walk(child, out);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let one = |block: &serde_json::Value| {
        let mut parts = Vec::new();
        match block.get("fields") {
            Some(serde_json::Value::Array(fields)) => {
                walk(block.get("text").unwrap_or(&serde_json::Value::Null), &mut parts);
                for field in fields {
                    parts.push("\n".to_owned());
                    walk(field, &mut parts);
                }
            }
            _ => walk(block, &mut parts),
        }
        parts.concat().trim().to_owned()
    };
    match blocks {
        serde_json::Value::Array(items) => {
            items.iter().map(one).filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n")
        }
        block => one(block),
    }
}

/// Whether `blocks` lay out an app's message (sections, headers, context) rather than only
/// repeat a person's text (`rich_text`).
fn has_layout(blocks: &serde_json::Value) -> bool {
    blocks.as_array().is_some_and(|items| {
        items.iter().any(|b| b.get("type").and_then(|t| t.as_str()).is_some_and(|t| t != "rich_text"))
    })
}

/// A Slack `ts`: exact seconds and microseconds, with the original string for identity.
#[derive(Debug, Clone)]
struct SlackTs {
    raw: String,
    time: Timestamp,
}

impl SlackTs {
    /// The anchor id: the ts without its dot (`1389978699.000123` → `1389978699000123`).
    fn id(&self) -> String {
        self.raw.replace('.', "")
    }

    #[cfg(test)]
    fn parse(raw: &str) -> Option<SlackTs> {
        Some(SlackTs { time: SlackTs::time(raw)?, raw: raw.to_owned() })
    }

    /// The instant a ts stands for, if it is one.
    fn time(raw: &str) -> Option<Timestamp> {
        let (secs, frac) = raw.split_once('.').unwrap_or((raw, ""));
        if secs.is_empty()
            || !secs.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 9
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let seconds: i64 = secs.parse().ok()?;
        // The fraction's digits, right-padded to nanoseconds (9 digits fit an i32).
        let nanos =
            frac.bytes().chain(std::iter::repeat(b'0')).take(9).fold(0, |n, b| n * 10 + i32::from(b - b'0'));
        Timestamp::new(seconds, nanos).ok()
    }
}

impl<'de> Deserialize<'de> for SlackTs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = StrOrNum::deserialize(d)?.0;
        match SlackTs::time(&raw) {
            Some(time) => Ok(SlackTs { raw, time }),
            None => Err(de::Error::custom(format!(
                "invalid timestamp {raw:?}, expected Slack's \"<seconds>.<microseconds>\" like \"1389978699.000123\""
            ))),
        }
    }
}

/// Slack writes some numbers as strings in old exports and as numbers in new ones.
struct StrOrNum(String);

impl<'de> Deserialize<'de> for StrOrNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = StrOrNum;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrOrNum, E> {
                Ok(StrOrNum(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StrOrNum, E> {
                Ok(StrOrNum(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StrOrNum, E> {
                Ok(StrOrNum(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrOrNum, E> {
                Ok(StrOrNum(format!("{v:.6}")))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `created`, `last_set`: seconds as a string (2016) or a number (2025).
#[derive(Debug)]
struct Seconds(i64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = StrOrNum::deserialize(d)?.0;
        let whole = raw.split('.').next().unwrap_or("");
        whole
            .parse()
            .map(Seconds)
            .map_err(|_| de::Error::custom(format!("expected seconds since 1970, got {raw:?}")))
    }
}

#[derive(Deserialize)]
struct RawUser {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    is_bot: bool,
    #[serde(default)]
    profile: RawProfile,
}

/// The subset of a profile that may be published: names only. E-mail, phone and the rest are
/// deliberately not even parsed.
#[derive(Deserialize, Default, Debug)]
struct RawProfile {
    #[serde(default, deserialize_with = "null_default")]
    display_name: String,
    #[serde(default, deserialize_with = "null_default")]
    real_name: String,
    #[serde(default, deserialize_with = "null_default")]
    name: String,
    #[serde(default)]
    bot_id: Option<String>,
}

#[derive(Deserialize)]
struct RawChannel {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    created: Option<Seconds>,
    #[serde(default)]
    is_archived: bool,
    #[serde(default)]
    is_shared: bool,
    #[serde(default)]
    is_ext_shared: bool,
    #[serde(default)]
    is_org_shared: bool,
    #[serde(default, deserialize_with = "null_default")]
    members: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pins: Vec<RawPin>,
    #[serde(default)]
    topic: Option<RawTopic>,
    #[serde(default)]
    purpose: Option<RawTopic>,
}

#[derive(Deserialize)]
struct RawPin {
    id: String,
}

#[derive(Deserialize)]
struct RawTopic {
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct RawMessage {
    ts: SlackTs,
    #[serde(default)]
    subtype: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    bot_id: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    bot_profile: Option<RawBotProfile>,
    #[serde(default)]
    user_profile: Option<RawProfile>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    blocks: Option<serde_json::Value>,
    #[serde(default)]
    attachments: Option<Vec<RawAttachment>>,
    #[serde(default)]
    files: Option<Vec<RawFile>>,
    #[serde(default)]
    file: Option<RawFile>,
    #[serde(default)]
    reactions: Option<Vec<RawReaction>>,
    #[serde(default)]
    edited: Option<RawEdited>,
    #[serde(default)]
    thread_ts: Option<SlackTs>,
    /// A `file_comment`'s comment: its author is the commenter.
    #[serde(default)]
    comment: Option<RawComment>,
}

#[derive(Deserialize)]
struct RawComment {
    #[serde(default)]
    user: Option<String>,
}

#[derive(Deserialize)]
struct RawBotProfile {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RawEdited {
    #[serde(default)]
    ts: Option<SlackTs>,
}

#[derive(Deserialize)]
struct RawReaction {
    name: String,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default, deserialize_with = "null_default")]
    users: Vec<String>,
}

#[derive(Deserialize, Clone)]
struct RawAttachment {
    #[serde(default)]
    color: Option<String>,
    #[serde(default)]
    pretext: Option<String>,
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    author_link: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    title_link: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    fields: Option<Vec<RawField>>,
    #[serde(default)]
    footer: Option<String>,
    #[serde(default)]
    fallback: Option<String>,
    #[serde(default)]
    from_url: Option<String>,
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    mrkdwn_in: Vec<String>,
    #[serde(default)]
    blocks: Option<serde_json::Value>,
}

#[derive(Deserialize, Clone)]
struct RawField {
    #[serde(default)]
    title: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    short: bool,
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    name: String,
    #[serde(default, deserialize_with = "null_default")]
    title: String,
    #[serde(default)]
    mimetype: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    mode: Option<String>,
}

/// Exports write empty values as `null`, `[]` or nothing, sometimes in the same file.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// This format's entry in [`super::IMPORTERS`].
pub static IMPORTER: super::Importer = super::Importer {
    name: "slack",
    reads: "a Slack export (a directory or .zip with channels.json and users.json at its root)",
    root_markers: ROOT_MARKERS,
    detect: |input| detect(input),
    import: |input, _, out| import(input, out),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_holds_at_most_its_budget_of_read_bytes() {
        const MB: u64 = 1 << 20;
        // Six zip entries of 900 MiB (each under the 1 GiB limit): one at a time, never all.
        assert_eq!(batch_len([900 * MB; 6].into_iter(), READ_BUDGET), 1);
        assert_eq!(batch_len([100 * MB, 100 * MB, 100 * MB].into_iter(), READ_BUDGET), 2);
        assert_eq!(batch_len([300 * MB, 1].into_iter(), READ_BUDGET), 1, "a big file alone");
        // Files read from disk on the parsing cores hold nothing here: a whole batch.
        assert_eq!(batch_len(std::iter::repeat_n(0, 500), READ_BUDGET), PARSE_BATCH);
        assert_eq!(batch_len(std::iter::empty(), READ_BUDGET), 0);
    }

    #[test]
    fn a_day_record_reads_back_as_the_day_parsed_and_shows_none_of_its_text() {
        let day = serde_json::json!([
            {"type": "message", "user": "U1", "text": "zqplain <@U2> &amp; more", "ts": "1583060000.000100",
             "edited": {"user": "U1", "ts": "1583060100.000000"},
             "reactions": [{"name": "tada", "users": ["U2", "U3"], "count": 3}],
             "files": [{"id": "F1", "name": "zqgraph.png", "title": "zqtitle", "mimetype": "image/png",
                        "size": 1234}, {"id": "F2", "mode": "tombstone"}],
             "user_profile": {"display_name": "zqalice", "real_name": "Alice", "name": "alice"}},
            {"type": "message", "subtype": "bot_message", "bot_id": "B1", "username": "zqgrafana",
             "bot_profile": {"name": "Grafana"}, "ts": "1583060001.000200", "text": "",
             "attachments": [{"color": "danger", "title": "zqalert", "title_link": "https://g.example/d/1",
                              "text": "*zqbody*", "mrkdwn_in": ["text"], "footer": "zqfooter",
                              "fields": [{"title": "zqfield", "value": "zqvalue", "short": true}]}]},
            {"type": "message", "user": "U2", "text": "zqreply", "ts": "1583060002.000300",
             "thread_ts": "1583060000.000100", "subtype": "thread_broadcast"},
            {"type": "message", "subtype": "channel_join", "user": "U3",
             "text": "<@U3|carol> has joined the channel", "ts": "1583060003.000400"},
            {"type": "message", "subtype": "zqcustom_event", "user": "U3", "ts": "1583060004.000500",
             "blocks": [{"type": "rich_text", "elements": [{"type": "text", "text": "zqblock"}]}]}
        ]);
        let bytes = day.to_string().into_bytes();
        let previous = Previous::new(None, crate::cache::FileHashes::new());
        let keys = previous.keys(SOURCE, &bytes).expect("a test binary has a hash");
        let nobody: Arc<str> = Arc::from("");
        let raw: Vec<RawMessage> = serde_json::from_slice(&bytes).unwrap();
        let parsed: Vec<Parsed> = raw.into_iter().map(|raw| parse(raw, &nobody)).collect();
        let record = encode_day(&parsed, &keys);
        // Every planted word starts with "zq"; sealed bytes may hold those two by chance, not
        // a whole word.
        let text = String::from_utf8_lossy(&bytes);
        let planted: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| w.starts_with("zq"))
            .collect();
        assert!(planted.len() > 10, "{planted:?}");
        for word in planted {
            assert!(!record.windows(word.len()).any(|w| w == word.as_bytes()), "the record shows {word}");
        }
        let read = decode_day(&record, &keys, &nobody).expect("the record decodes");
        assert_eq!(format!("{read:#?}"), format!("{parsed:#?}"));
        let other = previous.keys(SOURCE, b"[]").unwrap();
        assert!(decode_day(&record, &other, &nobody).is_none(), "another day's keys read nothing");
        let mut damaged = record.clone();
        damaged.truncate(record.len() - 1);
        assert!(decode_day(&damaged, &keys, &nobody).is_none(), "a record cut short is not one");
    }

    #[test]
    fn ts_keeps_every_digit_and_drops_the_dot_for_the_id() {
        let ts = SlackTs::parse("1458980525.000012").unwrap();
        assert_eq!(ts.id(), "1458980525000012");
        assert_eq!(ts.time.as_second(), 1_458_980_525);
        assert_eq!(ts.time.subsec_microsecond(), 12);
        assert_eq!(SlackTs::parse("1.5").unwrap().time.subsec_nanosecond(), 500_000_000);
        assert_eq!(SlackTs::parse("1.123456789").unwrap().time.subsec_nanosecond(), 123_456_789);
        assert_eq!(SlackTs::parse("7.").unwrap().time.as_second(), 7);
        assert!(SlackTs::parse("1.1234567890").is_none());
        assert!(SlackTs::parse("14589x0525.1").is_none());
        assert!(SlackTs::parse("").is_none());
    }

    #[test]
    fn system_texts_lose_the_leading_mention_of_their_author() {
        assert_eq!(strip_self_mention("<@U1|alice> has joined the channel", "U1"), "has joined the channel");
        assert_eq!(strip_self_mention("<@U1> set the topic", "U1"), "set the topic");
        assert_eq!(strip_self_mention("<@U12> joined", "U1"), "<@U12> joined");
    }

    #[test]
    fn named_and_bare_colors_become_css() {
        assert_eq!(color("danger").as_deref(), Some("#a30200"));
        assert_eq!(color("36A64F").as_deref(), Some("#36a64f"));
        assert_eq!(color("#fff").as_deref(), Some("#fff"));
        assert_eq!(color("red;background:url(x)"), None);
    }

    #[test]
    fn day_files_are_recognised_by_name() {
        assert!(is_day_file("2014-01-12.json"));
        assert!(!is_day_file("channels.json"));
        assert!(!is_day_file("2014-1-12.json"));
    }
}
