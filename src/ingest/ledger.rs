//! The input ledger: for every input and every channel in it, how many messages were read
//! and how many were dropped (each drop with its reason and first place); once the privacy
//! filter has run, which channels were published and which withheld, and why. The build
//! summary prints it and `<out>.index/inputs.json` keeps it, so that nothing is lost
//! without being counted.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::layout::channel_key;
use crate::model::Archive;

/// Every input's account, in the order the inputs were read.
#[derive(Debug, Default, Serialize)]
pub struct Ledger {
    /// One entry per export read (a folder of exports side by side gives one per export).
    pub inputs: Vec<InputAccount>,
    /// What became of each channel: published, or withheld and why. Filled by [`settle`].
    pub channels: Vec<ChannelOutcome>,
    /// Drops reported while an input is read, waiting for its entry.
    #[serde(skip)]
    pending: Vec<Drop>,
}

/// What one input gave.
#[derive(Debug, Serialize)]
pub struct InputAccount {
    /// The input, as the user can find it.
    pub input: String,
    /// The format it was read as.
    pub format: &'static str,
    /// Messages read from it, per channel (`<source>:<id>`).
    pub channels: BTreeMap<String, ChannelRead>,
    /// What could not be read, with why and where first.
    pub dropped: Vec<Drop>,
}

/// One channel's messages from one input.
#[derive(Debug, Serialize)]
pub struct ChannelRead {
    /// The channel's name; none for a channel not published (its name is not ours to keep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Messages read.
    pub read: usize,
}

/// Messages or lines that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct Drop {
    /// Why.
    pub reason: String,
    /// How many (lines or records); `None` when a whole file was lost and its size in
    /// messages is unknown.
    pub count: Option<usize>,
    /// The first place it happened (`file:line`).
    pub first: String,
}

/// What became of a channel.
#[derive(Debug, Serialize)]
pub struct ChannelOutcome {
    /// `<source>:<id>`.
    pub channel: String,
    /// Its name, for a published channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Messages published (after duplicates given by several inputs are kept once).
    pub published: usize,
    /// Messages withheld, with the reason, for a channel not published.
    pub withheld: usize,
    /// Why it is not published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `<source>:<id>` of each channel, with its name and message count.
pub type Census = BTreeMap<String, (String, usize)>;

/// How many messages each channel of `archive` holds.
pub fn census(archive: &Archive) -> Census {
    archive.channels.iter().map(|c| (channel_key(c), (c.name.clone(), c.messages.len()))).collect()
}

impl Ledger {
    /// Records that `count` lines or records could not be read (`None`: a whole file), for
    /// the input being read.
    /// Drops of one reason add up, keeping the first place.
    pub fn drop(&mut self, reason: impl Into<String>, count: Option<usize>, first: impl Into<String>) {
        let reason = reason.into();
        match self.pending.iter_mut().find(|d| d.reason == reason && d.count.is_some() && count.is_some()) {
            Some(known) => known.count = known.count.zip(count).map(|(a, b)| a + b),
            None => self.pending.push(Drop { reason, count, first: first.into() }),
        }
    }

    /// Closes the account of `input`, read as `format`: its channels are what the archive
    /// gained since `before`, its drops those reported since the last account.
    pub fn close(&mut self, input: String, format: &'static str, before: &Census, after: &Census) {
        let channels = after
            .iter()
            .filter_map(|(key, (name, n))| {
                let read = n - before.get(key).map_or(0, |(_, m)| *m);
                (read > 0).then(|| (key.clone(), ChannelRead { name: Some(name.clone()), read }))
            })
            .collect();
        let dropped = std::mem::take(&mut self.pending);
        self.inputs.push(InputAccount { input, format, channels, dropped });
    }

    /// Accounts for an input that could not be read at all, and why.
    pub fn unread(&mut self, input: String, why: String) {
        let mut dropped = std::mem::take(&mut self.pending);
        dropped.push(Drop { reason: why, count: None, first: input.clone() });
        self.inputs.push(InputAccount { input, format: "unknown", channels: BTreeMap::new(), dropped });
    }

    /// Fills in what became of each channel: `published` are the channels left in the
    /// archive after the privacy filter, `withheld` those it took out, with their message
    /// count and kind (`private channel`, `DM`).
    pub fn settle(&mut self, published: &Census, withheld: &BTreeMap<String, (usize, String)>) {
        let mut outcomes: Vec<ChannelOutcome> = published
            .iter()
            .map(|(key, (name, n))| ChannelOutcome {
                channel: key.clone(),
                name: Some(name.clone()),
                published: *n,
                withheld: 0,
                reason: None,
            })
            .collect();
        // A withheld channel is known by its id and kind only: the ledger may be kept where
        // the site's other build files are, and a private channel's name is not ours to keep.
        outcomes.extend(withheld.iter().map(|(key, (n, kind))| ChannelOutcome {
            channel: key.clone(),
            name: None,
            published: 0,
            withheld: *n,
            reason: Some(kind.clone()),
        }));
        outcomes.sort_by(|a, b| a.channel.cmp(&b.channel));
        self.channels = outcomes;
        for account in &mut self.inputs {
            for (key, read) in &mut account.channels {
                if withheld.contains_key(key) {
                    read.name = None;
                }
            }
        }
    }

    /// Writes the ledger as `inputs.json` in `dir` (the site's index directory).
    pub fn write(&self, dir: &std::path::Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        fs_err::write(dir.join(FILE), json)
    }
}

/// The ledger's file in the index directory.
pub const FILE: &str = "inputs.json";

impl InputAccount {
    /// Messages read from the input.
    pub fn read(&self) -> usize {
        self.channels.values().map(|c| c.read).sum()
    }

    /// Lines or records dropped (whole files lost count as none: their size is unknown).
    pub fn dropped_count(&self) -> usize {
        self.dropped.iter().filter_map(|d| d.count).sum()
    }

    /// Whether the lines or records it dropped are more than `share` of what it held (read
    /// and dropped). A whole file lost is not counted here: it is a problem of its own.
    pub fn lost_more_than(&self, share: f64) -> bool {
        let dropped = self.dropped_count();
        #[expect(clippy::cast_precision_loss, reason = "a share of messages")]
        let lost = dropped as f64 > share * (self.read() + dropped) as f64;
        lost
    }

    /// One line for the summary: what was read, and what was dropped.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} ({}): {} message{} in {} channel{}",
            self.input,
            self.format,
            self.read(),
            if self.read() == 1 { "" } else { "s" },
            self.channels.len(),
            if self.channels.len() == 1 { "" } else { "s" },
        );
        if !self.dropped.is_empty() {
            let _ = write!(line, "; {} dropped", self.dropped_count());
            for drop in &self.dropped {
                let count = drop.count.map_or_else(|| "a file".to_owned(), |n| n.to_string());
                let _ = write!(line, "\n    {count}: {} (first at {})", drop.reason, drop.first);
            }
        }
        line
    }
}
