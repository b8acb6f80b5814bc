//! What day, incident and incident month pages are made of. A page's view is built from
//! these values and its key hashes the same values, so one description says what a page
//! reads, and an unchanged page is known without building its view: turning every
//! message's markup into HTML is most of rendering, and a month page's rows are made from
//! every incident of the month.
//!
//! Every page also reads the site's settings and assets and the users and channels that
//! mentions and reactions name ([`site_inputs`]); [`super::Theme::input_key`] adds the
//! binary and the template. A message stands in a key by its
//! [`crate::model::Message::digest`], made once a build. The continuity tests rebuild after
//! each kind of change and compare with a clean build.

use std::hash::Hash;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::Renderer;
use crate::config::Config;
use crate::layout::{ChannelLayout, Entry, Layout, Page};
use crate::model::{Archive, File, Incident, Message, Thread};
use crate::snapshots::Stored;

/// Values fed through `Hash`, one after another, hashed [`BLOCK`] bytes at a time: blake3 is
/// slow fed a few bytes at a time, and fastest fed many kilobytes (a month page's inputs are
/// hundreds); and the incident the last message fed was marked with
/// ([`Renderer::message_inputs`]).
pub(super) struct Inputs {
    buffer: Vec<u8>,
    hasher: blake3::Hasher,
    badge: Option<u32>,
}

impl Default for Inputs {
    fn default() -> Self {
        // Full size from the start: not grown by copying, key after key.
        Inputs { buffer: Vec::with_capacity(BLOCK), hasher: blake3::Hasher::new(), badge: None }
    }
}

/// How many bytes [`Inputs`] gathers before it hashes them.
const BLOCK: usize = 16 * 1024;

impl Inputs {
    /// The hash of everything fed.
    fn digest(mut self) -> blake3::Hash {
        self.hasher.update(&self.buffer);
        self.hasher.finalize()
    }
}

impl std::hash::Hasher for Inputs {
    fn write(&mut self, bytes: &[u8]) {
        if self.buffer.len() + bytes.len() > BLOCK {
            self.hasher.update(&self.buffer);
            self.buffer.clear();
        }
        if bytes.len() >= BLOCK {
            self.hasher.update(bytes);
        } else {
            self.buffer.extend_from_slice(bytes);
        }
    }

    fn finish(&self) -> u64 {
        let mut hasher = self.hasher.clone();
        hasher.update(&self.buffer);
        u64::from_le_bytes(hasher.finalize().as_bytes()[..8].try_into().expect("8 of 32 bytes"))
    }
}

/// A month: its year, and its number from 1.
pub(super) type Month = (i16, u8);

/// What every page shares: the site's settings and assets, and the users and channels that
/// mentions and reactions name.
pub(super) fn site_inputs(
    config: &Config,
    assets: (&str, &str),
    archive: &Archive,
    layout: &Layout,
) -> [u8; 32] {
    let mut inputs = Inputs::default();
    (&config.title, &config.display_timezone, &config.base_url, assets).hash(&mut inputs);
    archive.users.hash(&mut inputs);
    layout.links.hash(&mut inputs);
    *inputs.digest().as_bytes()
}

/// The incident a message is marked with on day pages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Badge<'a> {
    /// Its place among the incidents.
    at: u32,
    /// Its id.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
}

/// What a message's view reads.
pub(super) struct MessageInputs<'a> {
    /// The message.
    pub message: &'a Message,
    /// Its digest, standing for it in keys, when the renderer has one.
    digest: Option<&'a [u8; 16]>,
    /// Its files, each with how the site stores it.
    pub files: Vec<(&'a File, Option<&'a Stored>)>,
    /// The incident it is marked with.
    pub badge: Option<Badge<'a>>,
    /// What it replies to.
    pub reply: Reply<'a>,
}

/// What a message replies to.
#[derive(Clone, Copy)]
pub(super) enum Reply<'a> {
    /// Nothing: it is no reply.
    Nothing,
    /// A message in the archive, on this page.
    To(&'a Message, Page),
    /// A message not in the archive.
    Missing,
}

impl MessageInputs<'_> {
    fn feed(&self, inputs: &mut Inputs) {
        match self.digest {
            Some(digest) => digest.hash(inputs),
            None => self.message.hash(inputs),
        }
        for (_, stored) in &self.files {
            stored.hash(inputs);
        }
        // Messages one after another mostly carry the same badge (an incident's do): one
        // like the last is hashed as that.
        let badge = self.badge.map(|b| b.at);
        if badge.is_some() && badge == inputs.badge {
            1u8.hash(inputs);
        } else {
            0u8.hash(inputs);
            self.badge.map(|b| (b.id, b.title)).hash(inputs);
        }
        inputs.badge = badge;
        match self.reply {
            Reply::Nothing => {}
            // Its permalink is its page with the id `reply_to` already gave.
            Reply::To(to, page) => Some((&to.text, &to.author.name, page)).hash(inputs),
            Reply::Missing => None::<()>.hash(inputs),
        }
    }
}

/// What a day page's entry reads.
pub(super) enum EntryInputs<'a> {
    /// A thread reply also sent to the channel, shown here and linking to its thread.
    Broadcast {
        /// The reply.
        message: MessageInputs<'a>,
        /// Its thread's root.
        parent: &'a str,
        /// The page its thread is on.
        thread_page: Option<Page>,
    },
    /// A message, with its thread's replies.
    Root {
        /// The message.
        message: MessageInputs<'a>,
        /// Its replies.
        replies: Vec<MessageInputs<'a>>,
    },
    /// A thread whose root is not in the archive.
    MissingRoot {
        /// The root's id.
        id: &'a str,
        /// The first reply, standing in for the root.
        first_reply: MessageInputs<'a>,
        /// The replies.
        replies: Vec<MessageInputs<'a>>,
    },
}

impl EntryInputs<'_> {
    fn feed(&self, inputs: &mut Inputs) {
        let feed_all = |replies: &[MessageInputs], inputs: &mut Inputs| {
            replies.len().hash(inputs);
            for reply in replies {
                reply.feed(inputs);
            }
        };
        match self {
            EntryInputs::Broadcast { message, parent: _, thread_page } => {
                0u8.hash(inputs);
                message.feed(inputs);
                thread_page.hash(inputs);
            }
            EntryInputs::Root { message, replies } => {
                0u8.hash(inputs);
                message.feed(inputs);
                feed_all(replies, inputs);
            }
            EntryInputs::MissingRoot { id, first_reply, replies } => {
                (1u8, id).hash(inputs);
                first_reply.feed(inputs);
                feed_all(replies, inputs);
            }
        }
    }
}

/// What a day page reads: one page of a day of a channel.
#[derive(Clone, Copy)]
pub(super) struct DayInputs<'a> {
    /// The channel's place among the channels.
    pub index: usize,
    /// The channel, as laid out.
    pub plan: &'a ChannelLayout<'a>,
    /// Which page.
    pub page: Page,
    /// How many pages the day has.
    pub pages: usize,
    /// The days before and after.
    pub around: (Option<Date>, Option<Date>),
    /// The page's entries.
    pub entries: &'a [Entry<'a>],
}

/// What an incident's row in a table reads: the incident, when it ends, its channel, and the
/// page of the message its start links to.
pub(super) struct Row<'a> {
    /// The incident.
    pub incident: &'a Incident,
    /// When it ends, or the channel's last message if it has not.
    pub end: Timestamp,
    /// Its channel, as laid out.
    pub plan: &'a ChannelLayout<'a>,
    /// The page of the message its start links to, if it links.
    pub start: Option<Page>,
}

impl Hash for Row<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let channel = self.plan.channel;
        (self.incident, self.end, channel.source, &channel.name, &self.plan.slug, self.start).hash(state);
    }
}

/// What an incident's page reads: its row, and its messages.
pub(super) struct IncidentInputs<'a> {
    /// The incident as a row shows it.
    pub row: Row<'a>,
    /// Its messages, each with its page.
    pub messages: Vec<(MessageInputs<'a>, Page)>,
    /// The incident's messages in the channel.
    run: &'a [Message],
    /// The site's time zone, for the pages of messages elsewhere.
    tz: &'a TimeZone,
}

/// What an incident's moment or timeline line links to.
pub(super) enum Target<'a> {
    /// The incident's own message at this place among them.
    Own(usize),
    /// Another message of the channel, on this page.
    Elsewhere(&'a Message, Page),
    /// A message not in the channel.
    Missing,
}

impl<'a> IncidentInputs<'a> {
    /// What the moment at `time` set by message `id` links to. Most are the incident's own,
    /// found by their time rather than through the channel's map of ids.
    pub fn target(&self, time: Timestamp, id: &str) -> Target<'a> {
        let from = self.run.partition_point(|m| m.time < time);
        let own = self.run[from..].iter().take_while(|m| m.time == time).position(|m| m.id == id);
        let plan = self.row.plan;
        match (own, plan.by_id.get(id)) {
            (Some(at), _) => Target::Own(from + at),
            (None, Some(m)) => Target::Elsewhere(m, plan.page(m, self.tz)),
            (None, None) => Target::Missing,
        }
    }

    /// The message a target names, with its page.
    pub fn message(&self, target: &Target<'a>) -> Option<(&'a Message, Page)> {
        match *target {
            Target::Own(at) => Some((self.messages[at].0.message, self.messages[at].1)),
            Target::Elsewhere(m, page) => Some((m, page)),
            Target::Missing => None,
        }
    }

    /// Every moment the page links: acknowledged, mitigated, resolved, each alert's first,
    /// last and resolution, the start, and the timeline.
    fn links(&self) -> impl Iterator<Item = (Timestamp, &'a str)> + use<'a, '_> {
        let incident = self.row.incident;
        let moments = [&incident.acknowledged, &incident.mitigated, &incident.resolved]
            .into_iter()
            .flatten()
            .chain(
                incident
                    .alerts
                    .iter()
                    .flat_map(|a| [Some(&a.first), Some(&a.last), a.resolved.as_ref()])
                    .flatten(),
            )
            .chain([&incident.start])
            .filter_map(|e| Some((e.time, e.message.as_deref()?)));
        moments.chain(incident.timeline.iter().map(|t| (t.time, t.message.as_str())))
    }
}

impl Hash for Target<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Target::Own(at) => (0u8, at).hash(state),
            // A timeline line quotes the message it links to.
            Target::Elsewhere(m, page) => (1u8, page, &m.text).hash(state),
            Target::Missing => 2u8.hash(state),
        }
    }
}

impl<'a> Renderer<'a> {
    /// What `m`, one of channel `index`'s messages, shows on a page.
    pub(super) fn message_inputs(
        &self,
        index: usize,
        plan: &'a ChannelLayout<'a>,
        m: &'a Message,
    ) -> MessageInputs<'a> {
        let position = Self::position(plan, m);
        let badge = position.and_then(|at| self.shown.places.of(index, at)).and_then(|at| {
            let incident = self.shown.incidents.get(at as usize)?;
            Some(Badge { at, id: &incident.id, title: &incident.title })
        });
        MessageInputs {
            message: m,
            digest: position.and_then(|at| self.shown.contents.get(index)?.get(at)),
            files: m.files.iter().map(|f| (f, self.media.get(f))).collect(),
            badge,
            reply: match m.reply_to.as_deref().map(|id| plan.by_id.get(id)) {
                None => Reply::Nothing,
                Some(Some(to)) => Reply::To(to, plan.page(to, &self.tz)),
                Some(None) => Reply::Missing,
            },
        }
    }

    /// What `entry`, on a day page of channel `index`, shows.
    pub(super) fn entry_inputs(
        &self,
        index: usize,
        plan: &'a ChannelLayout<'a>,
        entry: &'a Entry<'a>,
    ) -> EntryInputs<'a> {
        let replies = |root: &str| {
            let replies = plan.replies.get(root).map_or(&[][..], Vec::as_slice);
            replies.iter().map(|r| self.message_inputs(index, plan, r)).collect()
        };
        match entry {
            Entry::Message(m) => match &m.thread {
                Thread::Reply { parent, .. } => EntryInputs::Broadcast {
                    message: self.message_inputs(index, plan, m),
                    parent,
                    thread_page: plan.thread_page(parent, &self.tz),
                },
                Thread::None => EntryInputs::Root {
                    message: self.message_inputs(index, plan, m),
                    replies: replies(&m.id),
                },
            },
            Entry::MissingRoot { id, first_reply } => EntryInputs::MissingRoot {
                id,
                first_reply: self.message_inputs(index, plan, first_reply),
                replies: replies(id),
            },
        }
    }

    /// An incident's row: `linked` when its start links to its message.
    pub(super) fn row(&self, incident: &'a Incident, layout: &'a Layout<'a>, linked: bool) -> Row<'a> {
        let plan = &layout.channels[incident.channel];
        let start = incident.start.message.as_deref().filter(|_| linked).and_then(|id| plan.by_id.get(id));
        Row { incident, end: self.end_of(incident), plan, start: start.map(|m| plan.page(m, &self.tz)) }
    }

    /// What an incident's page shows.
    pub(super) fn incident_inputs(
        &'a self,
        incident: &'a Incident,
        layout: &'a Layout<'a>,
    ) -> IncidentInputs<'a> {
        let row = self.row(incident, layout, true);
        let plan = row.plan;
        let run = plan.channel.messages.get(incident.messages.0.clone()).unwrap_or_default();
        let messages = run
            .iter()
            .map(|m| {
                let shown = MessageInputs { badge: None, ..self.message_inputs(incident.channel, plan, m) };
                (shown, plan.page(m, &self.tz))
            })
            .collect();
        IncidentInputs { row, messages, run, tz: &self.tz }
    }

    /// The key of a day page.
    pub(super) fn day_key(&self, day: &DayInputs<'a>) -> Option<String> {
        let mut inputs = Inputs::default();
        self.shared.hash(&mut inputs);
        let channel = day.plan.channel;
        (channel.source, &channel.name, &channel.topic, &day.plan.slug, day.page, day.pages, day.around)
            .hash(&mut inputs);
        for entry in day.entries {
            self.entry_inputs(day.index, day.plan, entry).feed(&mut inputs);
        }
        self.theme.input_key("day.html", inputs.digest().as_bytes())
    }

    /// The key of an incident's page.
    pub(super) fn incident_key(&self, incident: &IncidentInputs<'a>) -> Option<String> {
        let mut inputs = Inputs::default();
        self.shared.hash(&mut inputs);
        incident.row.hash(&mut inputs);
        for (time, id) in incident.links() {
            incident.target(time, id).hash(&mut inputs);
        }
        for (message, page) in &incident.messages {
            page.hash(&mut inputs);
            message.feed(&mut inputs);
        }
        self.theme.input_key("incident.html", inputs.digest().as_bytes())
    }

    /// The key of the incident month page at `path`: its rows, and the months before and
    /// after it.
    pub(super) fn month_key(
        &self,
        path: &str,
        rows: &[Row<'a>],
        around: (Option<Month>, Option<Month>),
    ) -> Option<String> {
        let mut inputs = Inputs::default();
        self.shared.hash(&mut inputs);
        (path, around, rows).hash(&mut inputs);
        self.theme.input_key("incidents_month.html", inputs.digest().as_bytes())
    }

    /// The place of `m` among the channel's messages, if it is one of them.
    fn position(plan: &ChannelLayout, m: &Message) -> Option<usize> {
        let messages = &plan.channel.messages;
        // `m` is borrowed from the channel's messages: its address gives its place.
        let at = std::ptr::from_ref(m).addr().wrapping_sub(messages.as_ptr().addr()) / size_of::<Message>();
        std::ptr::eq(messages.get(at)?, m).then_some(at)
    }
}
