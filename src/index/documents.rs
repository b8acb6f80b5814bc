//! What gets indexed: one [`SearchDoc`] per published message, thread replies included.
//!
//! Built from the [`Layout`] (so a hit links to exactly the permalink the pages use) after
//! the privacy filter and redaction, so private or redacted text can never reach the index
//! or the static shards. The document text is what a reader sees: the message as plain
//! text, the text of its cards (bot alerts, unfurls), and its file names.

use jiff::tz::TimeZone;
use rayon::prelude::*;

use super::tokenize::{normalize, tokenize};
use crate::layout::Layout;
use crate::markup;
use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{Archive, Incident, Message, Thread};

/// One message as the index sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDoc {
    /// Position in the global (time, channel, id) order; the doc id in the tantivy segment
    /// and in the static export.
    pub ord: u64,
    /// The message id (anchor without `m-`).
    pub id: String,
    /// Permalink from the site root (`c/ops/2014/01/17/#m-…`).
    pub url: String,
    /// Channel slug (shared by the channel's documents).
    pub channel: Arc<str>,
    /// Author's display name (shared by the author's documents).
    pub author: Arc<str>,
    /// Normalised names the author can be found by with `from:` (handle, name, name words),
    /// shared by the author's documents.
    pub from: Arc<[String]>,
    /// Seconds since the epoch.
    pub time: i64,
    /// The indexed text.
    pub text: String,
    /// The thread root's id, for replies.
    pub thread: Option<String>,
    /// `image`, `file`, `link`: what `has:` matches.
    pub has: Vec<&'static str>,
    /// `incident` and the incident's id when the message is part of one: what `is:` and
    /// `incident:` match.
    pub is: Vec<String>,
}

/// Builds the documents for every published, non-system message, in `ord` order.
/// `texts` are the messages' plain texts ([`markup::plain_texts`]), taken into the documents.
pub fn collect(
    archive: &Archive,
    layout: &Layout,
    texts: Vec<Vec<markup::Plain>>,
    incidents: &[Incident],
    tz: &TimeZone,
) -> Vec<SearchDoc> {
    let mut in_incident: HashMap<(usize, &str), &str> = HashMap::new();
    for incident in incidents {
        for message in &incident.messages {
            in_incident.entry((incident.channel, message.as_str())).or_insert(&incident.id);
        }
    }
    // Channels are independent: collect them on every core.
    let per_channel = layout.channels.par_iter().zip(texts).enumerate().map(|(index, (channel, texts))| {
        let mut docs = Vec::with_capacity(channel.channel.messages.len());
        let slug: Arc<str> = channel.slug.as_str().into();
        let mut authors: HashMap<(&str, Option<&str>), Author> = HashMap::new();
        for (message, plain) in channel.channel.messages.iter().zip(texts) {
            // Joins, topic changes and the like are not what anyone searches for.
            if message.kind.is_system() {
                continue;
            }
            let markup::Plain { text, link } = plain;
            if text.is_empty() {
                continue;
            }
            let (author, from) = authors
                .entry((message.author.name.as_str(), message.author.user.as_deref()))
                .or_insert_with(|| (message.author.name.as_str().into(), from_keys(message, archive).into()))
                .clone();
            docs.push(SearchDoc {
                ord: 0,
                id: message.id.clone(),
                url: channel.permalink(message, tz),
                channel: Arc::clone(&slug),
                author,
                from,
                time: message.time.as_second(),
                text,
                thread: match &message.thread {
                    Thread::Reply { parent, .. } => Some(parent.clone()),
                    Thread::None => None,
                },
                has: has_flags(message, link),
                is: in_incident
                    .get(&(index, message.id.as_str()))
                    .map(|id| vec!["incident".to_owned(), (*id).to_owned()])
                    .unwrap_or_default(),
            });
        }
        docs
    });
    // Moved into one vector a channel at a time: a parallel flatten would hold every
    // document twice (about 400 bytes each) until it was done.
    let per_channel: Vec<Vec<SearchDoc>> = per_channel.collect();
    let mut docs = Vec::with_capacity(per_channel.iter().map(Vec::len).sum());
    for channel in per_channel {
        docs.extend(channel);
    }
    // Unstable: no merge buffer of half the documents, and std's sort is deterministic.
    docs.sort_unstable_by(|a, b| (a.time, &a.channel, &a.id).cmp(&(b.time, &b.channel, &b.id)));
    for (ord, doc) in docs.iter_mut().enumerate() {
        doc.ord = ord as u64;
    }
    docs
}

/// An author's name and `from:` keys, shared by their documents.
type Author = (Arc<str>, Arc<[String]>);

fn from_keys(message: &Message, archive: &Archive) -> Vec<String> {
    let mut keys = vec![normalize(&message.author.name)];
    keys.extend(tokenize(&message.author.name).into_iter().map(|t| t.text));
    let user = message.author.user.as_ref().and_then(|u| archive.users.get(u));
    if let Some(handle) = user.and_then(|u| u.handle.as_ref()) {
        keys.push(normalize(handle));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// What `has:` matches; `link` is whether the message's own text links anywhere.
fn has_flags(message: &Message, link: bool) -> Vec<&'static str> {
    let mut has = Vec::new();
    let image = |mime: &Option<String>| mime.as_deref().is_some_and(|m| m.starts_with("image/"));
    if message.files.iter().any(|f| image(&f.mimetype)) {
        has.push("image");
    }
    if !message.files.is_empty() {
        has.push("file");
    }
    if link || message.attachments.iter().any(|a| a.title_link.is_some()) {
        has.push("link");
    }
    has
}
