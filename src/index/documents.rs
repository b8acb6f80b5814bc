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
use crate::markup::{self, PlainDigest};
use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::incidents::Places;
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

/// Documents by `ord`, made when they are read: the index and the export each hold only
/// the documents they are working on, never a second copy of the whole archive's text.
pub trait DocSource: Sync {
    /// How many documents there are.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The document at `ord`.
    fn get(&self, ord: usize) -> SearchDoc;
    /// Its time (seconds since the epoch), without making it.
    fn time(&self, ord: usize) -> i64;
    /// A hash of everything the index and the export take from it.
    fn hash(&self, ord: usize) -> [u8; HASH] {
        doc_hash(&self.get(ord))
    }
}

/// Documents made beforehand (tests, tools).
impl DocSource for [SearchDoc] {
    fn len(&self) -> usize {
        <[SearchDoc]>::len(self)
    }

    fn get(&self, ord: usize) -> SearchDoc {
        self[ord].clone()
    }

    fn time(&self, ord: usize) -> i64 {
        self[ord].time
    }
}

/// Bytes of a document's hash.
pub const HASH: usize = 16;

/// Every published, non-system message with text, in `ord` order, made from the archive
/// when read; only each document's place and hash are held.
pub struct Documents<'a> {
    archive: &'a Archive,
    layout: &'a Layout<'a>,
    incidents: &'a [Incident],
    tz: TimeZone,
    /// Channel slugs, shared by their documents.
    slugs: Vec<Arc<str>>,
    /// Authors, shared by their documents.
    authors: Vec<Author>,
    /// By `ord`.
    places: Vec<Place>,
    hashes: Vec<[u8; HASH]>,
}

/// Where a document comes from, as indexes: nothing is looked up when it is made.
#[derive(Debug, Clone, Copy)]
struct Place {
    channel: u32,
    message: u32,
    author: u32,
    /// The place of the incident it is part of, if any ([`Places`]).
    incident: Option<u32>,
}

/// What an author's documents share is keyed by: name and user id.
type AuthorKey<'a> = (&'a str, Option<&'a str>);

/// An author's name and `from:` keys, shared by their documents.
type Author = (Arc<str>, Arc<[String]>);

/// Finds the documents and hashes each, from what incident detection read of their text
/// (`digests`, per channel and message, each channel's freed once read): no text is made
/// here. `shown_at` says which of `incidents` shows each message.
pub fn collect<'a>(
    archive: &'a Archive,
    layout: &'a Layout<'a>,
    incidents: &'a [Incident],
    shown_at: &Places,
    digests: Vec<Vec<PlainDigest>>,
    tz: &TimeZone,
) -> Documents<'a> {
    let mut documents = Documents {
        archive,
        layout,
        incidents,
        tz: tz.clone(),
        slugs: layout.channels.iter().map(|c| c.slug.as_str().into()).collect(),
        authors: Vec::new(),
        places: Vec::new(),
        hashes: Vec::new(),
    };
    // Channels are independent: each is hashed on a core of its own, with its authors.
    let per_channel: Vec<(Vec<Placed>, Vec<Author>)> = (0..layout.channels.len())
        .into_par_iter()
        .zip(digests)
        .map(|(index, digests)| documents.channel(index, &digests, shown_at))
        .collect();
    let mut placed = Vec::with_capacity(per_channel.iter().map(|(p, _)| p.len()).sum());
    for (channel, authors) in per_channel {
        // Each channel numbers its authors from 0.
        let first = u32::try_from(documents.authors.len()).expect("fewer than 2^32 authors");
        placed.extend(
            channel
                .into_iter()
                .map(|p| Placed { place: Place { author: first + p.place.author, ..p.place }, ..p }),
        );
        documents.authors.extend(authors);
    }
    // (time, slug, id) order. Slugs are unique, so a channel's rank among them stands for
    // its slug; a channel's messages are in (time, id) order, so within one channel and
    // second a message's position stands for its id. Unstable: no merge buffer, and the keys
    // are unique.
    let channels = &layout.channels;
    let mut by_slug: Vec<usize> = (0..channels.len()).collect();
    by_slug.sort_by_key(|&c| channels[c].slug.as_str());
    let mut rank = vec![0; channels.len()];
    for (r, c) in by_slug.into_iter().enumerate() {
        rank[c] = r;
    }
    placed.par_sort_unstable_by_key(|p| (p.time, rank[p.place.channel as usize], p.place.message));
    documents.places = placed.iter().map(|p| p.place).collect();
    documents.hashes = placed.iter().map(|p| p.hash).collect();
    documents
}

/// A document before sorting.
struct Placed {
    time: i64,
    place: Place,
    hash: [u8; HASH],
}

impl<'a> Documents<'a> {
    /// The documents of channel `index`, placed and hashed, and the authors they share
    /// (numbered from 0 in their places).
    fn channel(
        &self,
        index: usize,
        digests: &[PlainDigest],
        shown_at: &Places,
    ) -> (Vec<Placed>, Vec<Author>) {
        let plan = &self.layout.channels[index];
        let messages = &plan.channel.messages;
        let mut numbers: foldhash::HashMap<AuthorKey<'a>, u32> = foldhash::HashMap::default();
        let mut authors: Vec<Author> = Vec::new();
        let mut placed = Vec::with_capacity(messages.len());
        let mut scratch = Gathered(Vec::with_capacity(256));
        for (position, message) in messages.iter().enumerate() {
            // Joins, topic changes and the like are not what anyone searches for.
            if message.kind.is_system() {
                continue;
            }
            let digest = digests[position];
            if digest.empty {
                continue;
            }
            let author =
                *numbers.entry((&message.author.name, message.author.user.as_deref())).or_insert_with(|| {
                    // A copy of the archive's shared name: the search thread counts references to
                    // its documents' names, and leaves the line the pages read on other cores.
                    authors.push((Arc::from(&*message.author.name), from_keys(message, self.archive).into()));
                    u32::try_from(authors.len() - 1).expect("fewer than 2^32 authors")
                });
            let place = Place {
                channel: u32::try_from(index).expect("fewer than 2^32 channels"),
                message: u32::try_from(position).expect("fewer than 2^32 messages a channel"),
                author,
                incident: shown_at.of(index, position),
            };
            // Hashed as `make` would build it, without building it: no text, no copies.
            let incident = self.incident(place).map(|i| ["incident", i.id.as_str()]);
            let (name, from) = &authors[author as usize];
            let time = message.time.as_second();
            let hash = hash_fields(
                &mut scratch,
                &Hashed {
                    time,
                    id: &message.id,
                    url: |out: &mut Gathered| plan.write_permalink(out, message, &self.tz),
                    channel: &self.slugs[index],
                    author: name,
                    text: &digest.hash,
                    thread: thread_root(message),
                    from,
                    is: incident.as_ref().map_or(&[], |is| is.as_slice()),
                    has: &has_flags(message, digest.link),
                },
            );
            placed.push(Placed { time, place, hash });
        }
        (placed, authors)
    }

    /// The incident the message at `place` is part of.
    fn incident(&self, place: Place) -> Option<&'a Incident> {
        self.incidents.get(place.incident? as usize)
    }

    /// The document of `message` at `place` from its plain text.
    fn make(
        &self,
        ord: u64,
        place: Place,
        message: &Message,
        plain: markup::Plain,
        author: &Author,
    ) -> SearchDoc {
        let channel = &self.layout.channels[place.channel as usize];
        let incident = self.incident(place);
        SearchDoc {
            ord,
            id: message.id.clone(),
            url: channel.permalink(message, &self.tz),
            channel: Arc::clone(&self.slugs[place.channel as usize]),
            author: Arc::clone(&author.0),
            from: Arc::clone(&author.1),
            time: message.time.as_second(),
            has: has_flags(message, plain.link),
            text: plain.text,
            thread: thread_root(message).map(str::to_owned),
            is: incident.map(|i| vec!["incident".to_owned(), i.id.clone()]).unwrap_or_default(),
        }
    }

    fn message(&self, place: Place) -> &'a Message {
        &self.layout.channels[place.channel as usize].channel.messages[place.message as usize]
    }
}

impl DocSource for Documents<'_> {
    fn len(&self) -> usize {
        self.places.len()
    }

    fn get(&self, ord: usize) -> SearchDoc {
        let place = self.places[ord];
        let message = self.message(place);
        let source = self.layout.channels[place.channel as usize].channel.source;
        let plain = markup::plain(message, source, &self.archive.users, &self.layout.links);
        self.make(ord as u64, place, message, plain, &self.authors[place.author as usize])
    }

    fn time(&self, ord: usize) -> i64 {
        self.message(self.places[ord]).time.as_second()
    }

    fn hash(&self, ord: usize) -> [u8; HASH] {
        self.hashes[ord]
    }
}

/// A hash of everything the index and the export take from a document but its `ord`
/// (documents are compared in `ord` order).
pub fn doc_hash(doc: &SearchDoc) -> [u8; HASH] {
    let is: Vec<&str> = doc.is.iter().map(String::as_str).collect();
    hash_fields(
        &mut Gathered(Vec::with_capacity(256)),
        &Hashed {
            time: doc.time,
            id: &doc.id,
            url: |out: &mut Gathered| out.write_str(&doc.url),
            channel: &doc.channel,
            author: &doc.author,
            text: &markup::text_digest(&doc.text),
            thread: doc.thread.as_deref(),
            from: &doc.from,
            is: &is,
            has: &doc.has,
        },
    )
}

/// What [`doc_hash`] covers, borrowed from wherever it is: a document's text stands in by
/// its [`markup::text_digest`], its permalink is written by `url`.
struct Hashed<'x, U> {
    time: i64,
    id: &'x str,
    url: U,
    channel: &'x str,
    author: &'x str,
    text: &'x [u8; 16],
    thread: Option<&'x str>,
    from: &'x [String],
    is: &'x [&'x str],
    has: &'x [&'static str],
}

/// The hash of a document's fields, each length-prefixed, gathered in `bytes` (cleared
/// first: one buffer serves a channel's documents).
fn hash_fields<U: Fn(&mut Gathered) -> fmt::Result>(bytes: &mut Gathered, doc: &Hashed<U>) -> [u8; HASH] {
    // Gathered first and hashed in one call: blake3 is slow fed a few bytes at a time.
    bytes.0.clear();
    bytes.field(&doc.time.to_le_bytes());
    bytes.field(doc.id.as_bytes());
    bytes.written(&doc.url);
    for text in [doc.channel, doc.author] {
        bytes.field(text.as_bytes());
    }
    bytes.field(doc.text);
    bytes.field(doc.thread.unwrap_or("\0none").as_bytes());
    bytes.list(doc.from.iter().map(String::as_str));
    bytes.list(doc.is.iter().copied());
    bytes.list(doc.has.iter().copied());
    let mut hash = [0; HASH];
    hash.copy_from_slice(&blake3::hash(&bytes.0).as_bytes()[..HASH]);
    hash
}

/// The bytes a document's hash is taken of.
struct Gathered(Vec<u8>);

impl Gathered {
    fn field(&mut self, field: &[u8]) {
        self.0.extend_from_slice(&(field.len() as u64).to_le_bytes());
        self.0.extend_from_slice(field);
    }

    /// A field written in place by `write`, its length filled in after.
    fn written(&mut self, write: impl Fn(&mut Gathered) -> fmt::Result) {
        let at = self.0.len();
        self.0.extend_from_slice(&[0; 8]);
        write(self).expect("writing to memory");
        let len = (self.0.len() - at - 8) as u64;
        self.0[at..at + 8].copy_from_slice(&len.to_le_bytes());
    }

    fn list<'x>(&mut self, items: impl ExactSizeIterator<Item = &'x str>) {
        self.field(&(items.len() as u64).to_le_bytes());
        for item in items {
            self.field(item.as_bytes());
        }
    }
}

impl fmt::Write for Gathered {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn from_keys(message: &Message, archive: &Archive) -> Vec<String> {
    let mut keys = vec![normalize(&message.author.name)];
    keys.extend(tokenize(&message.author.name).into_iter().map(|t| t.text));
    let user = message.author.user.as_deref().and_then(|u| archive.users.get(u));
    if let Some(handle) = user.and_then(|u| u.handle.as_ref()) {
        keys.push(normalize(handle));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The thread a reply belongs to.
fn thread_root(message: &Message) -> Option<&str> {
    match &message.thread {
        Thread::Reply { parent, .. } => Some(parent),
        Thread::None => None,
    }
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
