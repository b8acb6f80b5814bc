//! Keys of day, incident and incident month pages from what they are made of, so that an
//! unchanged page is known without building its view: turning every message's markup into
//! HTML is most of rendering, and a month page's rows are made from every incident of the
//! month.
//!
//! A day page shows its messages with their threads, files (as stored on the site),
//! incident badges and the messages they reply to; the channel's name, slug and topic; the
//! days before and after. Mentions and reactions name users and channels, and every page
//! carries the site's settings. An incident page shows the incident, its messages the same
//! way, and links each moment to its message; a month page a row per incident, its start
//! linked to its message. The key hashes all of it through the model's
//! `Hash`, each message by its [`crate::model::Message::digest`] (made once a build), and
//! [`super::Theme::input_key`] adds the binary and the template. Whatever such a
//! page reads must be hashed here, or a page would be kept after it changed: the continuity
//! tests rebuild after each kind of change and compare with a clean build.

use std::hash::Hash;

use jiff::Timestamp;
use jiff::civil::Date;

use super::Renderer;
use crate::config::Config;
use crate::layout::{ChannelLayout, Entry, Layout, Page};
use crate::model::{Archive, Incident, Message, Thread};

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

/// What an incident's moment or timeline line links to, as its page's key takes it.
#[derive(Hash)]
enum Linked {
    /// The incident's own message at this place among them (its page is hashed with it).
    Own(usize),
    /// Another message: its page, if it is in the channel.
    Elsewhere(Option<Page>),
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

impl Renderer<'_> {
    /// The key of the day page of `plan` at `date`, between the days `around`.
    pub(super) fn day_key(
        &self,
        index: usize,
        plan: &ChannelLayout,
        (page, pages): (Page, usize),
        around: (Option<Date>, Option<Date>),
        entries: &[Entry],
    ) -> Option<String> {
        let mut inputs = Inputs::default();
        self.shared.hash(&mut inputs);
        let channel = plan.channel;
        (channel.source, &channel.name, &channel.topic, &plan.slug, page, pages, around).hash(&mut inputs);
        for entry in entries {
            match entry {
                Entry::Message(m) => {
                    0u8.hash(&mut inputs);
                    self.message_inputs(index, plan, m, &mut inputs);
                    match &m.thread {
                        // A broadcast reply links to the page its thread is on.
                        Thread::Reply { parent, .. } => {
                            plan.thread_page(parent, &self.tz).hash(&mut inputs);
                        }
                        Thread::None => self.replies_inputs(index, plan, &m.id, &mut inputs),
                    }
                }
                Entry::MissingRoot { id, first_reply } => {
                    // A root not in the archive is in no incident: no badge.
                    (1u8, id).hash(&mut inputs);
                    self.message_inputs(index, plan, first_reply, &mut inputs);
                    self.replies_inputs(index, plan, id, &mut inputs);
                }
            }
        }
        self.theme.input_key("day.html", inputs.digest().as_bytes())
    }

    /// The key of an incident's page: the incident, when it ends, its channel, the messages
    /// it shows and the permalinks its moments link to.
    pub(super) fn incident_key(&self, incident: &Incident, layout: &Layout) -> Option<String> {
        let plan = &layout.channels[incident.channel];
        let mut inputs = Inputs::default();
        self.shared.hash(&mut inputs);
        (incident, self.end_of(incident)).hash(&mut inputs);
        (plan.channel.source, &plan.channel.name, &plan.slug).hash(&mut inputs);
        // A permalink is the slug, the message's page day and its id, the last already
        // hashed with the incident: the day stands for it, without formatting it. A message
        // of the incident's own (most are) stands in by its place among them, whose page day
        // is hashed below; it is found by its time, not through the channel's map of ids.
        let run = plan.channel.messages.get(incident.messages.0.clone()).unwrap_or_default();
        let permalink = |time: Timestamp, id: &str| {
            let from = run.partition_point(|m| m.time < time);
            let own = run[from..].iter().take_while(|m| m.time == time).position(|m| m.id == id);
            match own {
                Some(at) => Linked::Own(from + at),
                None => Linked::Elsewhere(plan.by_id.get(id).map(|m| plan.page(m, &self.tz))),
            }
        };
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
            .chain([&incident.start]);
        for moment in moments {
            moment.message.as_deref().map(|id| permalink(moment.time, id)).hash(&mut inputs);
        }
        for entry in &incident.timeline {
            permalink(entry.time, &entry.message).hash(&mut inputs);
        }
        for m in run {
            plan.page(m, &self.tz).hash(&mut inputs);
            self.message_inputs(incident.channel, plan, m, &mut inputs);
        }
        self.theme.input_key("incident.html", inputs.digest().as_bytes())
    }

    /// The key of the incident month page at `path`: its incidents as their rows show them
    /// (each incident, when it ends, its channel, and the day of the message its start links
    /// to), and the months before and after it.
    pub(super) fn month_key(
        &self,
        path: &str,
        incidents: &[&Incident],
        around: (Option<Month>, Option<Month>),
        layout: &Layout,
    ) -> Option<String> {
        let mut inputs = Inputs::default();
        self.shared.hash(&mut inputs);
        (path, around).hash(&mut inputs);
        for incident in incidents {
            let plan = &layout.channels[incident.channel];
            (incident, self.end_of(incident), &plan.channel.name, &plan.slug).hash(&mut inputs);
            let start = incident.start.message.as_deref().and_then(|id| plan.by_id.get(id));
            start.map(|m| plan.page(m, &self.tz)).hash(&mut inputs);
        }
        self.theme.input_key("incidents_month.html", inputs.digest().as_bytes())
    }

    fn replies_inputs(&self, index: usize, plan: &ChannelLayout, root: &str, inputs: &mut Inputs) {
        let replies = plan.replies.get(root).map_or(&[][..], Vec::as_slice);
        replies.len().hash(inputs);
        for reply in replies {
            self.message_inputs(index, plan, reply, inputs);
        }
    }

    /// A message, its files as stored, its incident badge and what it replies to.
    fn message_inputs(&self, index: usize, plan: &ChannelLayout, m: &Message, inputs: &mut Inputs) {
        // The message stands in by its digest where there is one: the same bytes are not
        // hashed again for every page and incident that shows them.
        match self.content(index, plan, m) {
            Some(digest) => digest.hash(inputs),
            None => m.hash(inputs),
        }
        for file in &m.files {
            self.media.get(file).hash(inputs);
        }
        // Messages one after another mostly carry the same badge (an incident's do): one
        // like the last is hashed as that.
        let badge = self.badge_index(index, plan, m);
        if badge.is_some() && badge == inputs.badge {
            1u8.hash(inputs);
        } else {
            0u8.hash(inputs);
            badge.map(|at| self.badge_of(at)).hash(inputs);
        }
        inputs.badge = badge;
        if let Some(id) = &m.reply_to {
            let target = plan.by_id.get(id.as_str());
            // Its permalink is its page day with the id `reply_to` already gave.
            target.map(|t| (&t.text, &t.author.name, plan.page(t, &self.tz))).hash(inputs);
        }
    }

    /// The digest of `m`, one of channel `index`'s messages, if the renderer has the
    /// channel's digests.
    fn content(&self, index: usize, plan: &ChannelLayout, m: &Message) -> Option<&[u8; 16]> {
        self.shown.contents.get(index)?.get(Self::position(plan, m)?)
    }

    /// The incident `m`, one of channel `index`'s messages, is marked with on day pages: its
    /// id and title.
    pub(super) fn badge(&self, index: usize, plan: &ChannelLayout, m: &Message) -> Option<(&str, &str)> {
        self.badge_index(index, plan, m).map(|at| self.badge_of(at))
    }

    /// The place among the incidents of the one `m`, one of channel `index`'s messages, is
    /// marked with.
    fn badge_index(&self, index: usize, plan: &ChannelLayout, m: &Message) -> Option<u32> {
        let at = self.shown.places.of(index, Self::position(plan, m)?)?;
        ((at as usize) < self.shown.incidents.len()).then_some(at)
    }

    /// The badge of the incident at `at`: its id and title.
    fn badge_of(&self, at: u32) -> (&str, &str) {
        let incident = &self.shown.incidents[at as usize];
        (incident.id.as_str(), incident.title.as_str())
    }

    /// The place of `m` among the channel's messages, if it is one of them.
    fn position(plan: &ChannelLayout, m: &Message) -> Option<usize> {
        let messages = &plan.channel.messages;
        // `m` is borrowed from the channel's messages: its address gives its place.
        let at = std::ptr::from_ref(m).addr().wrapping_sub(messages.as_ptr().addr()) / size_of::<Message>();
        std::ptr::eq(messages.get(at)?, m).then_some(at)
    }
}
