//! What detection read of each message, kept beside the site (`<out>.index/readings.bin`) so
//! that the next build reads only the text of messages it has not seen.
//!
//! Reading a message means making its plain text ([`crate::markup::plain`]), matching the alert and
//! command patterns against it and hashing it for search: at a million messages, the largest
//! cost of a build before anything is written. A [`Reading`] keeps what detection and search
//! take from it: the text's [`PlainDigest`], the signals it gives, and whether it says the
//! all-clear. It is filed under a [`Key`]: a hash of everything the reading is made from, that
//! is the whole message ([`crate::model::Message::digest`]), its source, and a *context* (every user's
//! name, every channel link, the all-clear rules, and the binary). So an
//! entry can only be found by a message that would be read the same way; any other change
//! makes new keys, and the old entries are simply not found.
//!
//! Messages come in the same order every build, and a nightly build mostly adds to the end
//! of each channel, so a channel's readings are found by walking the previous file's section
//! for it alongside the messages ([`Recall`]): no table of a million keys is built or held.
//! A message edited, inserted or removed costs a short search ahead; a reading not found is
//! only read again.
//!
//! The file: [`MAGIC`], the context (32 bytes), then per channel `key length (u32 LE) |
//! channel key | entries length (u64 LE) | entries`, each entry `key (16) | value length
//! (u32 LE) | value`, the value `flags (u8) | digest (16) | signal count (u8) | signals`;
//! last, the BLAKE3 hash of everything before it. A file whose hash or framing is wrong is
//! ignored with a warning, never half trusted.

use std::io::Write as _;
use std::ops::Range;
use std::path::Path;

use crate::markup::PlainDigest;

use super::Signal;

/// The file's name in the sidecar directory.
pub const FILE: &str = "readings.bin";

/// The first bytes of the file, with the format's version.
const MAGIC: &[u8] = b"scrollback readings 1\n";

/// How far past where it expects it a channel's walk looks for a message's reading (when
/// messages before it were edited, inserted or removed).
const LOOK_AHEAD: usize = 64;

/// What a reading is filed under: see the module docs.
pub type Key = [u8; 16];

/// A hash of everything outside the message that its reading depends on.
pub type Context = [u8; 32];

/// What detection and search take from one message's plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The text's digest, for the search documents.
    pub digest: PlainDigest,
    /// What the message says about incidents: a bot's alerts, a person's commands.
    pub signals: Vec<Signal>,
    /// A person gave the all-clear (heard only while an incident is open).
    pub all_clear: bool,
}

impl Reading {
    /// The signals the message gives, with an incident `open` in its channel or not.
    pub fn signals(self, open: bool) -> Vec<Signal> {
        if self.signals.is_empty() && open && self.all_clear {
            return vec![Signal::Resolve { key: None }];
        }
        self.signals
    }
}

/// The readings of the previous build, per channel.
pub struct Readings {
    context: Context,
    bytes: Vec<u8>,
    /// Each channel's entries in `bytes`, by channel key.
    sections: Vec<(String, Range<usize>)>,
}

impl Readings {
    /// Reads `dir`'s readings. `Ok(None)` when there are none; `Err` is a warning.
    pub fn load(dir: &Path) -> Result<Option<Readings>, String> {
        let path = dir.join(FILE);
        let bytes = match fs_err::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{e}; reading every message again")),
        };
        Readings::parse(bytes).map(Some).ok_or_else(|| {
            format!("{}: damaged or not from this version; reading every message again", path.display())
        })
    }

    /// Checks the hash and the sections' framing; `None` if either is wrong.
    fn parse(bytes: Vec<u8>) -> Option<Readings> {
        let body = bytes.len().checked_sub(32)?;
        if blake3::hash(&bytes[..body]).as_bytes() != &bytes[body..] {
            return None;
        }
        let context: Context = bytes.strip_prefix(MAGIC)?.get(..32)?.try_into().ok()?;
        let mut input = Input(bytes.get(MAGIC.len() + 32..body)?);
        let mut sections = Vec::new();
        while !input.0.is_empty() {
            let channel = input.string()?;
            let len = usize::try_from(u64::from_le_bytes(input.take(8)?.try_into().ok()?)).ok()?;
            let start = body - input.0.len();
            input.take(len)?;
            sections.push((channel, start..start + len));
        }
        Some(Readings { context, bytes, sections })
    }

    /// Whether these readings were made in `context`: if not, none of them can be used.
    pub fn made_in(&self, context: &Context) -> bool {
        self.context == *context
    }

    /// The walk through the readings of the channel keyed `channel`
    /// ([`channel_key`](crate::layout::channel_key)).
    pub fn recall(&self, channel: &str) -> Recall<'_> {
        let section = self.sections.iter().find(|(c, _)| c == channel);
        Recall::new(section.map_or(&[][..], |(_, range)| &self.bytes[range.clone()]))
    }
}

/// One channel's readings, taken in message order: each message's reading comes from the
/// previous build's section where it is found there, else it is made; either way it is
/// filed for the next build.
pub struct Recall<'p> {
    /// The previous build's entries for the channel.
    section: &'p [u8],
    /// Where the next message's entry is expected in `section`.
    at: usize,
    /// Entries of `section` found one after another, not yet copied to `filed`.
    run: Range<usize>,
    /// This build's entries.
    filed: Vec<u8>,
    /// Readings found.
    pub remembered: usize,
}

impl<'p> Recall<'p> {
    /// A walk through `section` (empty: every reading is made).
    pub fn new(section: &'p [u8]) -> Recall<'p> {
        Recall { section, at: 0, run: 0..0, filed: Vec::with_capacity(section.len()), remembered: 0 }
    }

    /// The reading filed under `key`, or else `make`'s.
    pub fn read(&mut self, key: &Key, make: impl FnOnce() -> Reading) -> Reading {
        if let Some((entry, reading)) = self.find(key) {
            if self.run.end != entry.start {
                self.flush();
                self.run = entry.start..entry.start;
            }
            self.run.end = entry.end;
            self.at = entry.end;
            self.remembered += 1;
            return reading;
        }
        self.flush();
        let reading = make();
        if let Some(value) = encode(&reading) {
            self.filed.extend_from_slice(key);
            let len = u32::try_from(value.len()).expect("a reading under 4 GiB");
            self.filed.extend_from_slice(&len.to_le_bytes());
            self.filed.extend_from_slice(&value);
        }
        reading
    }

    /// The entry for `key` where it is expected or a little after, and its reading.
    fn find(&self, key: &Key) -> Option<(Range<usize>, Reading)> {
        let mut at = self.at;
        for _ in 0..LOOK_AHEAD {
            let entry = self.section.get(at..)?;
            let len = u32::from_le_bytes(entry.get(16..20)?.try_into().ok()?) as usize;
            let end = at + 20 + len;
            if entry[..16] == *key {
                return Some((at..end, decode(self.section.get(at + 20..end)?)?));
            }
            at = end;
        }
        None
    }

    fn flush(&mut self) {
        self.filed.extend_from_slice(&self.section[self.run.clone()]);
        self.run = 0..0;
    }

    /// This build's entries for the channel.
    pub fn into_filed(mut self) -> Vec<u8> {
        self.flush();
        self.filed
    }
}

/// What a build read, for the next: each channel's key and its [`Recall`]'s entries.
pub struct Filed {
    /// What the readings were made in.
    pub context: Context,
    /// Channel keys and their entries.
    pub channels: Vec<(String, Vec<u8>)>,
}

impl Filed {
    /// Writes the readings file into the sidecar directory `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        write(&dir.join(FILE), &self.context, &self.channels)
    }
}

fn write(path: &Path, context: &Context, channels: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let mut file = fs_err::File::create(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut put = |bytes: &[u8]| {
        hasher.update(bytes);
        file.write_all(bytes)
    };
    put(MAGIC)?;
    put(context)?;
    for (channel, entries) in channels {
        put(&u32::try_from(channel.len()).expect("a channel key under 4 GiB").to_le_bytes())?;
        put(channel.as_bytes())?;
        put(&(entries.len() as u64).to_le_bytes())?;
        put(entries)?;
    }
    let hash = hasher.finalize();
    file.write_all(hash.as_bytes())
}

/// The context of a build: the names mentions resolve to, the channel links, the all-clear
/// rules and the binary that reads (`parts`, hashed in order).
pub fn context(parts: &[&[u8]]) -> Context {
    let mut hasher = blake3::Hasher::new();
    hasher.update(MAGIC);
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
}

/// The key of a message from `source` whose [`crate::model::Message::digest`] is `digest`, in
/// `context`.
pub fn key(context: &Context, source: &str, digest: &[u8; 16]) -> Key {
    let mut hasher = blake3::Hasher::new_keyed(context);
    hasher.update(source.as_bytes()).update(&[0]).update(digest);
    let mut key = [0; 16];
    key.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    key
}

/// Signal sources and fields as the file numbers them: a reading naming any other is not
/// filed (it is read again next time).
const SOURCES: [&str; 9] = [
    "alertmanager",
    "datadog",
    "exceptions",
    "logs",
    "nagios",
    "opsgenie",
    "pagerduty",
    "sentry",
    "threshold",
];
const FIELDS: [&str; 4] = ["severity", "lead", "summary", "title"];

/// The value bytes of `reading`, or `None` if it names a source or field [`SOURCES`] and
/// [`FIELDS`] do not.
pub fn encode(reading: &Reading) -> Option<Vec<u8>> {
    let digest = &reading.digest;
    let flags = u8::from(digest.empty) | u8::from(digest.link) << 1 | u8::from(reading.all_clear) << 2;
    let mut out = vec![flags];
    out.extend_from_slice(&digest.hash);
    out.push(u8::try_from(reading.signals.len()).ok()?);
    let index =
        |names: &[&str], name: &str| names.iter().position(|n| *n == name).and_then(|i| u8::try_from(i).ok());
    for signal in &reading.signals {
        match signal {
            Signal::Open { source, key, label, paging } => {
                out.extend([0, index(&SOURCES, source)?]);
                put_str(&mut out, key);
                put_str(&mut out, label);
                out.push(u8::from(*paging));
            }
            Signal::Ack { key } => {
                out.push(1);
                put_option(&mut out, key.as_deref());
            }
            Signal::Mitigate => out.push(2),
            Signal::Resolve { key } => {
                out.push(3);
                put_option(&mut out, key.as_deref());
            }
            Signal::Info { source, label } => {
                out.extend([4, index(&SOURCES, source)?]);
                put_str(&mut out, label);
            }
            Signal::Declare { title } => {
                out.push(5);
                put_option(&mut out, title.as_deref());
            }
            Signal::Set { field, value } => {
                out.extend([6, index(&FIELDS, field)?]);
                put_str(&mut out, value);
            }
        }
    }
    Some(out)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&u32::try_from(s.len()).expect("a signal under 4 GiB").to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_option(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
        None => out.push(0),
    }
}

/// The reading in `value`, if it is exactly one.
fn decode(value: &[u8]) -> Option<Reading> {
    let mut input = Input(value);
    let flags = input.byte()?;
    let hash: [u8; 16] = input.take(16)?.try_into().ok()?;
    let digest = PlainDigest { hash, empty: flags & 1 != 0, link: flags & 2 != 0 };
    let count = input.byte()?;
    let mut signals = Vec::with_capacity(count.into());
    for _ in 0..count {
        signals.push(match input.byte()? {
            0 => Signal::Open {
                source: input.name(&SOURCES)?,
                key: input.string()?,
                label: input.string()?,
                paging: input.byte()? != 0,
            },
            1 => Signal::Ack { key: input.option()? },
            2 => Signal::Mitigate,
            3 => Signal::Resolve { key: input.option()? },
            4 => Signal::Info { source: input.name(&SOURCES)?, label: input.string()? },
            5 => Signal::Declare { title: input.option()? },
            6 => Signal::Set { field: input.name(&FIELDS)?, value: input.string()? },
            _ => return None,
        });
    }
    (input.0.is_empty() && flags < 8).then_some(Reading { digest, signals, all_clear: flags & 4 != 0 })
}

/// The rest of a value being decoded.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (taken, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(taken)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn string(&mut self) -> Option<String> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }

    #[expect(
        clippy::option_option,
        reason = "the outer `None` is a malformed value, the inner an absent string"
    )]
    fn option(&mut self) -> Option<Option<String>> {
        match self.byte()? {
            0 => Some(None),
            1 => Some(Some(self.string()?)),
            _ => None,
        }
    }

    fn name(&mut self, names: &[&'static str]) -> Option<&'static str> {
        names.get(usize::from(self.byte()?)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(n: u8, signals: Vec<Signal>) -> Reading {
        let digest = PlainDigest { hash: [n; 16], empty: n.is_multiple_of(3), link: n.is_multiple_of(2) };
        Reading { digest, signals, all_clear: n.is_multiple_of(5) }
    }

    /// A reading per key, as made for it.
    fn made(key: &Key) -> Reading {
        reading(key[0], vec![Signal::Info { source: "logs", label: format!("label {}", key[0]) }])
    }

    /// What a walk of `keys` through `section` files, and how many readings it found.
    fn walk(section: &[u8], keys: &[u8]) -> (Vec<u8>, usize) {
        let mut recall = Recall::new(section);
        for &k in keys {
            let key = [k; 16];
            assert_eq!(recall.read(&key, || made(&key)), made(&key), "the reading filed under {k}");
        }
        let remembered = recall.remembered;
        (recall.into_filed(), remembered)
    }

    #[test]
    fn every_signal_reads_back_as_it_was_filed() {
        let signals = vec![
            Signal::Open {
                source: "pagerduty",
                key: "pagerduty:7".into(),
                label: "Disk full".into(),
                paging: true,
            },
            Signal::Ack { key: Some("k".into()) },
            Signal::Ack { key: None },
            Signal::Mitigate,
            Signal::Resolve { key: None },
            Signal::Resolve { key: Some(String::new()) },
            Signal::Info { source: "exceptions", label: "NoMethodError ✓".into() },
            Signal::Declare { title: Some("db down".into()) },
            Signal::Declare { title: None },
            Signal::Set { field: "summary", value: "fixed".into() },
        ];
        for n in 0..6 {
            let reading = reading(n, signals.clone());
            assert_eq!(decode(&encode(&reading).unwrap()), Some(reading));
        }
        let unknown = reading(1, vec![Signal::Info { source: "carrier pigeon", label: String::new() }]);
        assert_eq!(encode(&unknown), None, "a source the file does not number is not filed");
    }

    #[test]
    fn an_append_or_an_edit_finds_every_other_reading_and_files_what_a_fresh_walk_would() {
        let (section, remembered) = walk(&[], &[1, 2, 3, 4, 5]);
        assert_eq!(remembered, 0);
        for (keys, found) in [
            (&[1, 2, 3, 4, 5, 6][..], 5), // a message appended
            (&[1, 9, 3, 4, 5], 4),        // one edited
            (&[1, 3, 4, 5], 4),           // one removed
            (&[1, 2, 8, 3, 4, 5], 5),     // one inserted
            (&[5, 4, 3, 2, 1], 1),        // reordered: found only ahead of the walk
            (&[], 0),
        ] {
            let (filed, remembered) = walk(&section, keys);
            assert_eq!(remembered, found, "{keys:?}");
            assert_eq!(filed, walk(&[], keys).0, "{keys:?} files what a walk from nothing files");
        }
    }

    #[test]
    fn a_file_is_used_only_whole_and_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let context = [7; 32];
        let (eng, _) = walk(&[], &[1, 2, 3]);
        let filed =
            Filed { context, channels: vec![("slack:C1".into(), eng), ("slack:C2".into(), Vec::new())] };
        filed.write(dir.path()).unwrap();
        let readings = Readings::load(dir.path()).unwrap().unwrap();
        assert!(readings.made_in(&context) && !readings.made_in(&[8; 32]));
        assert_eq!(walk(readings.recall("slack:C1").section, &[1, 2, 3]).1, 3);
        assert_eq!(walk(readings.recall("slack:C9").section, &[1, 2, 3]).1, 0, "an unknown channel has none");

        let bytes = fs_err::read(dir.path().join(FILE)).unwrap();
        for at in [0, MAGIC.len() + 3, bytes.len() / 2, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1;
            assert!(Readings::parse(damaged).is_none(), "a flipped bit at {at}");
        }
        assert!(Readings::parse(bytes[..bytes.len() - 1].to_vec()).is_none(), "truncated");
        fs_err::write(dir.path().join(FILE), b"scrollback readings 0\n").unwrap();
        let warning = Readings::load(dir.path()).err().unwrap();
        assert!(
            warning.ends_with("readings.bin: damaged or not from this version; reading every message again")
        );
        assert!(Readings::load(&dir.path().join("none")).unwrap().is_none(), "no file is no warning");
    }
}
