//! The URL contract (the book's "URLs" chapter): channel slugs, which day page each message is on,
//! threads, and every message's permalink.
//!
//! Both `render` (pages) and `index` (search results) need the same answers, so they live
//! here, computed once. Days are calendar days in the configured display zone, computed from
//! each message's instant. A thread lives on the page of its root message; a reply also sent
//! to the channel (broadcast) appears at its own time too. A day with more top-level entries
//! than `day_page_messages` is split into numbered pages (`…/<DD>/`, `…/<DD>/2/`, …) of that
//! many, in time order, so that neither a day's later messages nor a thread's new replies
//! move an earlier message to another page.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::HashMap;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rayon::prelude::*;

use crate::markup::ChannelLink;
use crate::model::{Archive, Channel, Message, Thread};

/// Where everything in the archive goes.
pub struct Layout<'a> {
    /// Published channels, in archive order.
    pub channels: Vec<ChannelLayout<'a>>,
    /// How mentions of each known channel render (`"<source>:<id>"` → link or hidden).
    pub links: BTreeMap<String, ChannelLink>,
}

impl<'a> Layout<'a> {
    /// Lays out every channel of an archive; `hidden_channels` are the ids of channels that
    /// exist but are not published.
    pub fn new(
        archive: &'a Archive,
        hidden_channels: &[String],
        tz: &TimeZone,
        page_messages: usize,
    ) -> Layout<'a> {
        let slugs = channel_slugs(&archive.channels);
        let mut links: BTreeMap<String, ChannelLink> =
            hidden_channels.iter().map(|id| (id.clone(), ChannelLink::Hidden)).collect();
        for (channel, slug) in archive.channels.iter().zip(&slugs) {
            links.insert(
                channel_key(channel),
                ChannelLink::Published { name: channel.name.clone(), path: channel_path(slug) },
            );
        }
        let channels = archive
            .channels
            .par_iter()
            .zip(slugs)
            .map(|(c, slug)| ChannelLayout::new(c, slug, tz, page_messages))
            .collect();
        Layout { channels, links }
    }
}

/// `"<source>:<id>"`, the key of a channel in link tables.
pub fn channel_key(channel: &Channel) -> String {
    format!("{}:{}", channel.source, channel.id)
}

/// URL slugs for channels, in `archive.channels` order: the lowercased name with anything
/// but letters, digits, `-` and `_` turned into `-`. Two channels that would share a slug
/// (Slack allows `meetup` and `meetup-`, other sources allow case variants) are told apart
/// by appending the channel id to every one after the first, in id order.
pub fn channel_slugs(channels: &[Channel]) -> Vec<String> {
    let mut taken = BTreeSet::new();
    channels
        .iter()
        .map(|c| {
            let base =
                slugify(&c.name).unwrap_or_else(|| slugify(&c.id).unwrap_or_else(|| "channel".to_owned()));
            // Ids may hold `/` (Mattermost's `team/channel`): the suffix is slugified too.
            let suffix = || slugify(&c.id).unwrap_or_else(|| format!("{}", taken.len()));
            let slug = if taken.contains(&base) { format!("{base}-{}", suffix()) } else { base };
            taken.insert(slug.clone());
            slug
        })
        .collect()
}

fn slugify(name: &str) -> Option<String> {
    let slug: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    // `.` and `..` cannot appear (dots become `-`), so a slug is always one safe path part.
    (!slug.is_empty() && slug.chars().any(|c| c != '-')).then(|| capped(slug))
}

/// The most bytes a slug takes: file systems allow 255 in a path part, and a 100-character
/// CJK name is 300.
/// The site's list of every published URL and its content hash, at its root.
pub const MANIFEST: &str = "manifest.json";

const MAX_SLUG_BYTES: usize = 200;

/// A slug over [`MAX_SLUG_BYTES`] cut at a character boundary, with a hash of the whole slug
/// after it: stable from build to build, and still unique.
fn capped(slug: String) -> String {
    if slug.len() <= MAX_SLUG_BYTES {
        return slug;
    }
    let hash = blake3::hash(slug.as_bytes()).to_hex();
    let mut cut = MAX_SLUG_BYTES - 9;
    while !slug.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{}", &slug[..cut], &hash[..8])
}

/// A channel's messages arranged into days and threads.
pub struct ChannelLayout<'a> {
    /// The channel in the archive.
    pub channel: &'a Channel,
    /// Its URL slug.
    pub slug: String,
    /// Day → top-level entries in time order.
    pub days: BTreeMap<Date, Vec<Entry<'a>>>,
    /// Root id → replies in time order.
    pub replies: HashMap<&'a str, Vec<&'a Message>>,
    /// Root id → the day its thread is shown on, for roots not in the export (the day of
    /// their first reply); [`Self::thread_day`] for any root.
    missing_roots: HashMap<&'a str, Date>,
    /// Every message by id.
    pub by_id: ById<'a>,
    /// Messages the pages show: those on a day or in a thread shown on one.
    shown: usize,
    /// Most top-level entries on one page of a day (0: days are not split).
    page_size: usize,
    /// The page of each entry (a top-level message's id, or a missing root's) on page 2 or
    /// later of its day.
    paged: HashMap<&'a str, u32>,
}

/// A channel's messages by id.
pub type ById<'a> = HashMap<&'a str, &'a Message>;

/// One top-level item of a day page.
pub enum Entry<'a> {
    /// A message at the top level (including broadcast replies).
    Message(&'a Message),
    /// A thread whose root is not in the export, shown at its first reply.
    MissingRoot {
        /// The root's id (its future anchor).
        id: &'a str,
        /// The earliest reply, which fixes where the thread is shown.
        first_reply: &'a Message,
    },
}

impl<'a> ChannelLayout<'a> {
    fn new(channel: &'a Channel, slug: String, tz: &TimeZone, page_messages: usize) -> ChannelLayout<'a> {
        let mut by_id: ById =
            HashMap::with_capacity_and_hasher(channel.messages.len(), foldhash::fast::RandomState::default());
        by_id.extend(channel.messages.iter().map(|m| (m.id.as_str(), m)));
        let root_of = |mut id: &'a str| {
            // Sources may thread a reply under another reply; show it under the thread's root.
            for _ in 0..16 {
                match by_id.get(id).map(|m| &m.thread) {
                    Some(Thread::Reply { parent, .. }) => id = parent.as_str(),
                    _ => break,
                }
            }
            id
        };
        let mut days: BTreeMap<Date, Vec<Entry>> = BTreeMap::new();
        let mut replies: HashMap<&str, Vec<&Message>> = HashMap::default();
        let mut missing_roots = HashMap::default();
        let mut shown = 0;
        for message in &channel.messages {
            let day = local_date(message.time, tz);
            match &message.thread {
                Thread::None => {
                    days.entry(day).or_default().push(Entry::Message(message));
                    shown += 1;
                }
                Thread::Reply { parent, broadcast } => {
                    let root = root_of(parent);
                    replies.entry(root).or_default().push(message);
                    // Under a root that is a reply itself (a chain too long to follow) it is
                    // on no page.
                    shown += usize::from(by_id.get(root).is_none_or(|r| matches!(r.thread, Thread::None)));
                    if *broadcast {
                        days.entry(day).or_default().push(Entry::Message(message));
                    }
                    if !by_id.contains_key(root) && !missing_roots.contains_key(root) {
                        missing_roots.insert(root, day);
                        days.entry(day)
                            .or_default()
                            .push(Entry::MissingRoot { id: root, first_reply: message });
                    }
                }
            }
        }
        let mut layout = ChannelLayout {
            channel,
            slug,
            days,
            replies,
            missing_roots,
            by_id,
            shown,
            page_size: page_messages,
            paged: HashMap::default(),
        };
        layout.split_days();
        layout
    }

    /// Pages each day with more than [`Self::page_size`] top-level entries: entries, not
    /// messages, are counted (a thread stays whole with its root), so that a thread gaining
    /// replies moves no later message to another page.
    fn split_days(&mut self) {
        let size = self.page_size;
        if size == 0 || self.shown <= size {
            return;
        }
        for entries in self.days.values().filter(|entries| entries.len() > size) {
            for (at, entry) in entries.iter().enumerate().skip(size) {
                if let Some(id) = entry_anchor(entry) {
                    self.paged.insert(id, u32::try_from(at / size + 1).unwrap_or(u32::MAX));
                }
            }
        }
    }
}

/// The id an entry's thread is found by: a top-level message's own, or a missing root's; none
/// for a broadcast reply (its anchor is in its thread).
fn entry_anchor<'a>(entry: &Entry<'a>) -> Option<&'a str> {
    match entry {
        Entry::Message(m) => matches!(m.thread, Thread::None).then_some(m.id.as_str()),
        Entry::MissingRoot { id, .. } => Some(id),
    }
}

/// The calendar date of an instant in a zone.
pub fn local_date(time: Timestamp, tz: &TimeZone) -> Date {
    // Not through a `Zoned`: that clones the zone (shared by every thread) for each message.
    tz.to_datetime(time).date()
}

impl ChannelLayout<'_> {
    /// Messages shown on a day page, thread replies included.
    pub fn day_message_count(&self, entries: &[Entry]) -> usize {
        entries
            .iter()
            .map(|e| match e {
                Entry::Message(m) if matches!(m.thread, Thread::Reply { .. }) => 0,
                Entry::Message(m) => 1 + self.replies.get(m.id.as_str()).map_or(0, Vec::len),
                Entry::MissingRoot { id, .. } => self.replies.get(id).map_or(0, Vec::len),
            })
            .sum()
    }

    /// Messages in the channel as the pages show them: the sum of [`Self::day_message_count`]
    /// over its days.
    pub fn message_count(&self) -> usize {
        debug_assert_eq!(self.shown, self.days.values().map(|e| self.day_message_count(e)).sum::<usize>());
        self.shown
    }
}

/// `c/<slug>/<YYYY>/<MM>/<DD>/`.
pub fn day_path(slug: &str, d: Date) -> String {
    DayPath(slug, d).to_string()
}

/// [`day_path`], written where it is displayed.
struct DayPath<'a>(&'a str, Date);

impl fmt::Display for DayPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_day_path(f, self.0, self.1)
    }
}

/// `c/<slug>/<yyyy>/<mm>/<dd>/` into `out`, the digits put by hand: a build writes a
/// million permalinks to hash them, and `{:02}` goes through the formatter's padding.
fn write_day_path(out: &mut impl fmt::Write, slug: &str, d: Date) -> fmt::Result {
    let Ok(year) = u16::try_from(d.year()) else {
        return write!(out, "c/{slug}/{:04}/{:02}/{:02}/", d.year(), d.month(), d.day());
    };
    let digit = |n: u16| b'0' + u8::try_from(n % 10).expect("a digit");
    let (month, day) = (d.month().unsigned_abs().into(), d.day().unsigned_abs().into());
    let path = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'/',
        digit(month / 10),
        digit(month),
        b'/',
        digit(day / 10),
        digit(day),
        b'/',
    ];
    out.write_str("c/")?;
    out.write_str(slug)?;
    out.write_char('/')?;
    out.write_str(std::str::from_utf8(&path).expect("ASCII digits"))
}

/// [`day_path`], and `<page>/` after it from the second page on.
pub fn page_path(slug: &str, page: Page) -> String {
    let mut path = String::with_capacity(24 + slug.len());
    write_page_path(&mut path, slug, page).expect("a String takes any text");
    path
}

fn write_page_path(out: &mut impl fmt::Write, slug: &str, page: Page) -> fmt::Result {
    write_day_path(out, slug, page.date)?;
    if page.number > 1 {
        write!(out, "{}/", page.number)?;
    }
    Ok(())
}

/// One page of a day: the day, and its number (1 for the day's own URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Page {
    /// The day, in `display_timezone`.
    pub date: Date,
    /// 1, 2, …
    pub number: u32,
}

/// `c/<slug>/`.
pub fn channel_path(slug: &str) -> String {
    format!("c/{slug}/")
}

impl ChannelLayout<'_> {
    /// The day page a message is shown on: a reply lives with its thread's root.
    pub fn page_day(&self, message: &Message, tz: &TimeZone) -> Date {
        match &message.thread {
            Thread::Reply { parent, .. } => {
                self.thread_day(parent, tz).unwrap_or_else(|| local_date(message.time, tz))
            }
            Thread::None => local_date(message.time, tz),
        }
    }

    /// The day the thread of root `id` is shown on: the root's own day, or for a root not in
    /// the export its first reply's; `None` if `id` is no root.
    pub fn thread_day(&self, id: &str, tz: &TimeZone) -> Option<Date> {
        match self.by_id.get(id) {
            Some(root) => matches!(root.thread, Thread::None).then(|| local_date(root.time, tz)),
            None => self.missing_roots.get(id).copied(),
        }
    }

    /// The page a message is shown on: its [`Self::page_day`], and there the page of its
    /// thread's root (or its own, at the top level).
    pub fn page(&self, message: &Message, tz: &TimeZone) -> Page {
        let date = self.page_day(message, tz);
        if self.paged.is_empty() {
            return Page { date, number: 1 };
        }
        let anchor = match &message.thread {
            Thread::Reply { parent, .. } => parent.as_str(),
            Thread::None => message.id.as_str(),
        };
        Page { date, number: self.paged.get(anchor).copied().unwrap_or(1) }
    }

    /// The page the thread of root `id` is shown on; `None` if `id` is no root.
    pub fn thread_page(&self, id: &str, tz: &TimeZone) -> Option<Page> {
        let date = self.thread_day(id, tz)?;
        Some(Page { date, number: self.paged.get(id).copied().unwrap_or(1) })
    }

    /// A day's entries as its pages hold them: one slice, or one per page of a split day.
    pub fn day_pages<'e>(&self, entries: &'e [Entry<'e>]) -> Vec<&'e [Entry<'e>]> {
        if self.page_size == 0 || entries.len() <= self.page_size {
            return vec![entries];
        }
        entries.chunks(self.page_size).collect()
    }

    /// `c/<slug>/<YYYY>/<MM>/<DD>/[<page>/]#m-<id>`: the message's permalink from the site root.
    pub fn permalink(&self, message: &Message, tz: &TimeZone) -> String {
        let mut link = String::with_capacity(32 + self.slug.len() + message.id.len());
        self.write_permalink(&mut link, message, tz).expect("a String takes any text");
        link
    }

    /// [`ChannelLayout::permalink`] written into `out`, for callers that hash it rather than
    /// keep it.
    pub fn write_permalink(
        &self,
        out: &mut impl fmt::Write,
        message: &Message,
        tz: &TimeZone,
    ) -> fmt::Result {
        write_page_path(out, &self.slug, self.page(message, tz))?;
        out.write_str("#m-")?;
        out.write_str(&message.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_paths_pad_their_dates() {
        for (date, path) in [
            (jiff::civil::date(2014, 1, 7), "c/ops/2014/01/07/"),
            (jiff::civil::date(987, 12, 31), "c/ops/0987/12/31/"),
            (jiff::civil::date(-5, 3, 4), "c/ops/-005/03/04/"),
        ] {
            assert_eq!(day_path("ops", date), path);
        }
    }

    #[test]
    fn slugs_are_safe_and_unique() {
        assert_eq!(slugify("Ops Team/../x").as_deref(), Some("ops-team----x"));
        assert_eq!(slugify("meetup-").as_deref(), Some("meetup-"));
        assert_eq!(slugify("..."), None);
        assert_eq!(slugify("Über-Chat").as_deref(), Some("über-chat"));
        assert_eq!(slugify("labs/ops").as_deref(), Some("labs-ops"), "one path segment");
    }

    #[test]
    fn long_slugs_are_capped_in_bytes_with_a_stable_hash() {
        let name = "運用チーム".repeat(20);
        let slug = slugify(&name).unwrap();
        assert!(slug.len() <= MAX_SLUG_BYTES, "{} bytes", slug.len());
        assert!(slug.starts_with("運用チーム運用"), "{slug}");
        assert_eq!(slugify(&name), Some(slug.clone()), "the same every build");
        let other = slugify(&format!("{name}x")).unwrap();
        assert_ne!(other, slug, "names that share a long prefix stay apart");
        assert_eq!(
            slugify(&"a".repeat(MAX_SLUG_BYTES)).unwrap().len(),
            MAX_SLUG_BYTES,
            "not cut at the limit"
        );
    }
}
