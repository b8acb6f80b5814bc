//! The format-agnostic archive: channels, messages, users.
//!
//! Every importer in `ingest` produces these types and every later stage reads only them, so
//! nothing past ingestion knows which chat tool a message came from. Text stays in its source
//! markup ([`Markup`]) until `markup` turns it into safe HTML, because mention resolution needs
//! the whole archive. Collections that reach output are sorted or `BTreeMap`s (determinism).

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thin_vec::ThinVec;

/// Everything ingested from all inputs.
#[derive(Debug, Default)]
pub struct Archive {
    /// Channels sorted by `(source, id)` after [`Archive::finish`].
    pub channels: Vec<Channel>,
    /// People and bots, keyed by their source-qualified id ([`UserId`]).
    pub users: BTreeMap<UserId, User>,
    /// Standalone snapshots (image folders), not yet placed in a channel.
    pub snapshots: Vec<Snapshot>,
}

/// An image from a snapshot folder, with what its sidecar or text chunks say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The image, with its bytes when the folder had them.
    pub file: File,
    /// Channel name it belongs to.
    pub channel: Option<String>,
    /// When it was taken.
    pub time: Option<Timestamp>,
    /// Who took it.
    pub author: Option<String>,
}

/// A file's bytes and their BLAKE3 hash (the content address on the site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The content, shared by every message that has the same file.
    pub bytes: std::sync::Arc<[u8]>,
    /// Hex BLAKE3 of the bytes.
    pub hash: String,
    /// Where they were read from, for warnings.
    pub origin: String,
}

/// A body is its content: the hash stands for the bytes, and where they were read from
/// shows on no page.
impl std::hash::Hash for Body {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.hash.hash(state);
    }
}

impl Body {
    /// Wraps bytes read from `origin`.
    pub fn new(bytes: Vec<u8>, origin: String) -> Body {
        let hash = blake3::hash(&bytes).to_hex().to_string();
        Body { bytes: bytes.into(), hash, origin }
    }
}

/// A source-qualified user id, e.g. `slack:U061A5N1G`.
pub type UserId = String;

/// A message id as it appears in anchors (`id="m-<id>"`): the source's own id, made URL-safe.
pub type MessageId = String;

/// A person or bot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct User {
    /// Source-qualified id.
    pub id: UserId,
    /// The name shown on pages: display name, else real name, else handle.
    pub name: String,
    /// The handle (`@name`), when the source has one.
    pub handle: Option<String>,
    /// Whether this account is a bot or integration.
    pub is_bot: bool,
    /// Whether the account was deactivated.
    pub deleted: bool,
}

/// Who may see a conversation in the source system; decides what is published by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Visibility {
    /// A public channel: published unless the config excludes it.
    Public,
    /// A private channel: published only when the config names it.
    Private,
    /// A group direct message: published only when the config names it.
    GroupDirect,
    /// A direct message between two people: published only when the config names it.
    Direct,
}

impl Visibility {
    /// A short label for diagnostics and the config reference.
    pub fn label(self) -> &'static str {
        match self {
            Visibility::Public => "public channel",
            Visibility::Private => "private channel",
            Visibility::GroupDirect => "group DM",
            Visibility::Direct => "DM",
        }
    }
}

/// A conversation: public or private channel, group DM or DM.
#[derive(Debug, Clone)]
pub struct Channel {
    /// Which importer produced it (`"slack"`), so ids from different sources never collide.
    pub source: &'static str,
    /// The source's channel id (`C061A0WJG`).
    pub id: String,
    /// The current name, without `#`.
    pub name: String,
    /// Who could see it in the source.
    pub visibility: Visibility,
    /// Shared with another organisation (Slack Connect); never published by default.
    pub shared: bool,
    /// Topic, in the source's markup.
    pub topic: Option<Text>,
    /// Purpose or description, in the source's markup.
    pub purpose: Option<Text>,
    /// When the channel was created, if known.
    pub created: Option<Timestamp>,
    /// Whether the channel was archived in the source.
    pub archived: bool,
    /// Messages sorted by `(time, id)`, thread replies included (see [`Message::thread`]).
    pub messages: Vec<Message>,
}

/// Text in the markup language it was written in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    /// Which parser `markup` must use.
    pub markup: Markup,
    /// The text exactly as the source stored it.
    pub source: String,
}

impl Text {
    /// Slack `mrkdwn`, entity-escaped as Slack stores it.
    pub fn mrkdwn(source: impl Into<String>) -> Self {
        Text { markup: Markup::Mrkdwn, source: source.into() }
    }

    /// Chat Markdown.
    pub fn markdown(source: impl Into<String>) -> Self {
        Text { markup: Markup::Markdown, source: source.into() }
    }

    /// Plain text: no markup at all.
    pub fn plain(source: impl Into<String>) -> Self {
        Text { markup: Markup::Plain, source: source.into() }
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.source.trim().is_empty()
    }
}

/// Markup languages that `markup` can render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Markup {
    /// Slack's `mrkdwn` with `<@U…>`-style control sequences and `&amp;`-escaping.
    Mrkdwn,
    /// Slack mrkdwn control sequences only, no `*bold*`-style formatting (legacy attachment
    /// fields not listed in `mrkdwn_in`).
    MrkdwnTokens,
    /// Chat Markdown (CommonMark as Discord and Mattermost write it, with Discord's `<@id>`
    /// tokens).
    Markdown,
    /// HTML as the source wrote it (Matrix's `formatted_body`), sanitised before use.
    Html,
    /// No markup.
    Plain,
}

/// One message or system event.
#[derive(Debug, Clone, Hash, Serialize, Deserialize)]
pub struct Message {
    /// Stable id, unique within its channel; the anchor is `m-<id>`.
    pub id: MessageId,
    /// When it was posted.
    #[serde(with = "stored_time")]
    pub time: Timestamp,
    /// Who posted it (worked out again from the users each build: not stored).
    #[serde(skip)]
    pub author: Author,
    /// What kind of message it is.
    pub kind: MessageKind,
    /// What the message says, in its source's markup.
    pub text: Text,
    /// When it was last edited, if it was (`Some(None)`: edited at an unknown time).
    #[serde(with = "stored_time::edited")]
    pub edited: Option<Option<Timestamp>>,
    /// Reactions, in source order. (The three lists are thin, one pointer each while empty,
    /// as most are: a message is held for the whole build.)
    pub reactions: ThinVec<Reaction>,
    /// Rich attachments (bot cards, link unfurls, shared messages).
    pub attachments: ThinVec<Attachment>,
    /// Files shared with the message.
    pub files: ThinVec<File>,
    /// Thread membership.
    pub thread: Thread,
    /// The message this one answers (Discord-style replies, outside threads).
    pub reply_to: Option<MessageId>,
    /// Pinned in the channel.
    pub pinned: bool,
}

impl Message {
    /// A digest of everything the message is (its `Hash`), standing for it in the keys of
    /// what is made from it: hashing a million messages' text once a build, not once per
    /// key. `scratch` is reused between calls.
    pub fn digest(&self, scratch: &mut Vec<u8>) -> [u8; 16] {
        let mut gathered = Gathered(std::mem::take(scratch));
        gathered.0.clear();
        std::hash::Hash::hash(self, &mut gathered);
        let mut digest = [0; 16];
        digest.copy_from_slice(&blake3::hash(&gathered.0).as_bytes()[..16]);
        *scratch = gathered.0;
        digest
    }
}

/// Values fed through `Hash`, one after another, to be hashed once: blake3 is slow fed a few
/// bytes at a time. `finish` gives the first 8 bytes of the BLAKE3 hash of all of them.
#[derive(Default)]
pub struct Gathered(pub Vec<u8>);

impl std::hash::Hasher for Gathered {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn finish(&self) -> u64 {
        let hash = blake3::hash(&self.0);
        u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 of 32 bytes"))
    }
}

/// Where a message sits in a thread.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub enum Thread {
    /// Not part of a thread, or the root of one.
    #[default]
    None,
    /// A reply to the message with this id in the same channel.
    Reply {
        /// The root message's id.
        parent: MessageId,
        /// Also sent to the channel (Slack `thread_broadcast`).
        broadcast: bool,
    },
}

/// The author as the message names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Author {
    /// The account, when the source links one (shared by the author's messages).
    pub user: Option<Arc<str>>,
    /// The name to show (bots may override their account's name per message; shared).
    pub name: Arc<str>,
    /// Whether a bot or integration posted it.
    pub is_bot: bool,
}

/// Kinds of message; system events render quietly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    /// An ordinary message.
    Normal,
    /// `/me` action.
    Action,
    /// A message posted by a bot or integration.
    Bot,
    /// Someone joined the channel.
    Join,
    /// Someone left the channel.
    Leave,
    /// The topic changed.
    Topic,
    /// The purpose changed.
    Purpose,
    /// The channel was renamed.
    Rename,
    /// The channel was archived.
    Archive,
    /// The channel was unarchived.
    Unarchive,
    /// A message was pinned.
    Pin,
    /// A message was unpinned.
    Unpin,
    /// A comment on a shared file.
    FileComment,
    /// A deleted message that still has replies (Slack `tombstone`).
    Deleted,
    /// Stands in for a thread root that is not in the export.
    MissingParent,
    /// Another system event, named by the source (e.g. Slack `bot_add`).
    Event(String),
    /// A snapshot from a snapshot folder, placed on the channel at its time.
    Snapshot,
}

impl MessageKind {
    /// Whether the message is a system event rather than something a person wrote.
    pub fn is_system(&self) -> bool {
        !matches!(
            self,
            MessageKind::Normal
                | MessageKind::Action
                | MessageKind::Bot
                | MessageKind::FileComment
                | MessageKind::Snapshot
        )
    }

    /// A stable CSS-friendly name.
    pub fn css_name(&self) -> &str {
        match self {
            MessageKind::Normal => "normal",
            MessageKind::Action => "action",
            MessageKind::Bot => "bot",
            MessageKind::Join => "join",
            MessageKind::Leave => "leave",
            MessageKind::Topic => "topic",
            MessageKind::Purpose => "purpose",
            MessageKind::Rename => "rename",
            MessageKind::Archive => "archive",
            MessageKind::Unarchive => "unarchive",
            MessageKind::Pin => "pin",
            MessageKind::Unpin => "unpin",
            MessageKind::FileComment => "file-comment",
            MessageKind::Deleted => "deleted",
            MessageKind::MissingParent => "missing-parent",
            MessageKind::Event(_) => "event",
            MessageKind::Snapshot => "snapshot",
        }
    }
}

/// An emoji reaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji's short name without colons (`thumbsup`, `clap::skin-tone-3`), or the glyph.
    pub name: String,
    /// How many people reacted (may exceed `users.len()`).
    pub count: u32,
    /// Who reacted, as far as the source says.
    pub users: Vec<UserId>,
}

/// A legacy rich attachment: bot alert cards, link unfurls, shared messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attachment {
    /// Accent colour, normalised to `#rrggbb` when it is a hex colour.
    pub color: Option<String>,
    /// Text shown above the card.
    pub pretext: Option<Text>,
    /// Author line.
    pub author_name: Option<String>,
    /// Link on the author line.
    pub author_link: Option<String>,
    /// Card title.
    pub title: Option<String>,
    /// Link on the title.
    pub title_link: Option<String>,
    /// Card body.
    pub text: Option<Text>,
    /// Label/value fields.
    pub fields: Vec<AttachmentField>,
    /// Footer line.
    pub footer: Option<String>,
    /// Plain-text fallback, used when nothing else is present.
    pub fallback: Option<String>,
    /// The page this card unfurls.
    pub from_url: Option<String>,
    /// The service that produced the card.
    pub service_name: Option<String>,
}

/// One field of an [`Attachment`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AttachmentField {
    /// Label.
    pub title: String,
    /// Value.
    pub value: Text,
    /// Whether it may sit beside another short field.
    pub short: bool,
}

/// A file shared in a message. Official exports carry only metadata; remote URLs are kept for
/// matching but are never published.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct File {
    /// The source's file id.
    pub id: Option<String>,
    /// File name.
    pub name: String,
    /// Human title, if different from the name.
    pub title: Option<String>,
    /// MIME type, if known.
    pub mimetype: Option<String>,
    /// Size in bytes, if known.
    pub size: Option<u64>,
    /// The file was deleted in the source.
    pub deleted: bool,
    /// The bytes, when the input bundles them (read again from the input: not stored).
    #[serde(skip)]
    pub body: Option<Body>,
    /// A link to the live graph or source page (snapshots).
    pub link: Option<String>,
}

impl Archive {
    /// Puts channels and their messages into their canonical order and removes duplicate
    /// messages (the same export given twice, or overlapping exports), keeping each one's
    /// newest copy: the one edited last, else the one given last. Returns how many
    /// duplicates were dropped.
    pub fn finish(&mut self) -> usize {
        self.channels.sort_by(|a, b| (a.source, &a.id).cmp(&(b.source, &b.id)));
        // Channels on every core: a million messages' sort is the last step of ingest.
        let dropped = self.channels.par_iter_mut().map(|channel| {
            // Stable: copies of one message stay in the order they were given.
            channel.messages.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
            let before = channel.messages.len();
            let edited = |m: &Message| (m.edited.is_some(), m.edited.flatten());
            channel.messages.dedup_by(|later, kept| {
                let same = later.id == kept.id;
                if same && edited(later) >= edited(kept) {
                    std::mem::swap(later, kept);
                }
                same
            });
            before - channel.messages.len()
        });
        dropped.sum()
    }

    /// Adds a channel, or its messages to the channel of the same source and id (an export
    /// split over several files or given twice).
    pub fn add_channel(&mut self, channel: Channel) {
        match self.channels.iter_mut().find(|c| c.source == channel.source && c.id == channel.id) {
            Some(existing) => existing.messages.extend(channel.messages),
            None => self.channels.push(channel),
        }
    }

    /// Gives every message of an author the one shared copy of their account id and name: a
    /// million messages name a few thousand authors. The Slack importer and normalising make
    /// theirs through [`Names`] already; the other importers still make a copy per message,
    /// which this pass shares (their copies' memory is freed, but stays fragmented).
    pub fn share_names(&mut self) {
        let mut names = Names::default();
        for author in self.channels.iter_mut().flat_map(|c| &mut c.messages).map(|m| &mut m.author) {
            if let Some(user) = &mut author.user {
                *user = names.share(user);
            }
            author.name = names.share(&author.name);
        }
    }

    /// Total number of messages in all channels.
    pub fn message_count(&self) -> usize {
        self.channels.iter().map(|c| c.messages.len()).sum()
    }
}

/// One shared copy of each author id and name. An importer that makes its authors' names
/// through this never holds a copy per message.
#[derive(Debug, Default)]
pub struct Names(foldhash::HashSet<Arc<str>>);

impl Names {
    /// The shared copy of `name`.
    pub fn get(&mut self, name: &str) -> Arc<str> {
        self.shared(name, || name.into())
    }

    /// The shared copy of `name`: `name` itself if it is the first.
    pub fn share(&mut self, name: &Arc<str>) -> Arc<str> {
        self.shared(name, || Arc::clone(name))
    }

    /// The shared copy of `name`, `make` made the first time.
    fn shared(&mut self, name: &str, make: impl FnOnce() -> Arc<str>) -> Arc<str> {
        if let Some(shared) = self.0.get(name) {
            return Arc::clone(shared);
        }
        let shared = make();
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

/// An incident: detected from the chat or declared in the config.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Incident {
    /// Stable id and URL slug: `<YYYY-MM-DD>-<channel>-<HHMM>` of the start in the display zone.
    pub id: String,
    /// Index of its channel in `Archive::channels`.
    pub channel: usize,
    /// What happened, in a line.
    pub title: String,
    /// Severity as the source or a person named it; `None` is "unset".
    pub severity: Option<String>,
    /// When it started, and the message that says so.
    pub start: Evidence,
    /// When someone acknowledged it.
    pub acknowledged: Option<Evidence>,
    /// When someone said the impact was mitigated.
    pub mitigated: Option<Evidence>,
    /// When it was resolved (`None`: ongoing).
    pub resolved: Option<Evidence>,
    /// The end was inferred from a quiet period, not stated.
    pub inferred_end: bool,
    /// The alerts that fired, grouped by what they are about.
    pub alerts: Vec<AlertGroup>,
    /// Key moments, in time order.
    pub timeline: Vec<TimelineEntry>,
    /// People who took part, in order of first appearance.
    pub participants: Vec<String>,
    /// Incident lead, if someone was named.
    pub lead: Option<String>,
    /// Summary, if someone wrote one with `@incident summary`.
    pub summary: Option<String>,
    /// Postmortem link (from the config).
    pub postmortem: Option<String>,
    /// Declared in the config rather than (only) detected.
    pub declared: bool,
    /// The channel's messages during the incident.
    pub messages: Run,
}

/// A moment and the message it comes from (none for config declarations).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Evidence {
    /// When.
    pub time: Timestamp,
    /// The message in the incident's channel that shows it.
    pub message: Option<MessageId>,
}

/// Alerts of one kind about one thing (one `PagerDuty` incident, one Alertmanager group…).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertGroup {
    /// `pagerduty`, `alertmanager`, `threshold`, `logs`…
    pub source: String,
    /// What the alerts are about, as the source names it.
    pub label: String,
    /// Messages about it (firing, repeats and recovery).
    pub count: usize,
    /// The first one.
    pub first: Evidence,
    /// The latest one.
    pub last: Evidence,
    /// When the source said it recovered.
    pub resolved: Option<Evidence>,
}

/// A run of a channel's messages: their positions in [`Channel::messages`].
///
/// Hashed by its length only: where a run starts moves with every message before it, and
/// what it holds is hashed by what shows it (the page keys hash each message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run(pub std::ops::Range<usize>);

impl std::hash::Hash for Run {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.len().hash(state);
    }
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimelineEntry {
    /// When.
    pub time: Timestamp,
    /// The id of the message that set it, in the incident's channel.
    pub message: MessageId,
    /// `alert`, `page`, `acknowledged`, `recovered`, `resolved`, `info`, `declared`, `note`,
    /// `pinned`, `response` (a person's first message).
    pub kind: &'static str,
    /// Who posted it.
    pub author: String,
}

/// Timestamps as records kept between builds store them: seconds and nanoseconds, not text.
mod stored_time {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    fn parts(time: Timestamp) -> (i64, i32) {
        (time.as_second(), time.subsec_nanosecond())
    }

    fn time<E: serde::de::Error>((seconds, nanos): (i64, i32)) -> Result<Timestamp, E> {
        Timestamp::new(seconds, nanos).map_err(E::custom)
    }

    pub fn serialize<S: Serializer>(time: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        parts(*time).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        time(Deserialize::deserialize(d)?)
    }

    /// `Message::edited`, whose type serde's `with` passes as it is.
    #[allow(clippy::option_option, clippy::ref_option, reason = "the field's own type")]
    pub mod edited {
        use super::{Deserialize, Deserializer, Serialize, Serializer, Timestamp, parts, time};

        pub fn serialize<S: Serializer>(edited: &Option<Option<Timestamp>>, s: S) -> Result<S::Ok, S::Error> {
            edited.map(|at| at.map(parts)).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Timestamp>>, D::Error> {
            let edited: Option<Option<(i64, i32)>> = Deserialize::deserialize(d)?;
            edited.map(|at| at.map(time).transpose()).transpose()
        }
    }
}
