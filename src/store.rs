//! Per-message records kept beside the site (`<out>.index/`) from one build to the next, so
//! that work done on a message is not done again while the message stays the same: what
//! incident detection read of it (`readings.bin`), whether redaction found anything in it
//! (`clean.bin`).
//!
//! Each record is filed under a [`Key`], the message's digest, in a file made in a *context*:
//! a hash of everything outside the message the work depends on (settings, the binary). A
//! file made in another context is not read, and a channel's records are its own section
//! (the channel key names the source): so a record can only be found by a message that would
//! give the same result, and no key need hash the context again.
//!
//! Messages come in the same order every build, and a nightly build mostly adds to the end
//! of each channel, so a channel's records are found by walking the previous file's section
//! for it alongside the messages ([`Walk`]): no table of a million keys is built or held. A
//! message edited, inserted or removed costs a short search ahead; a record not found only
//! means the work is done again.
//!
//! A file is in the one envelope of records ([`seal`]: a header naming its kind and version,
//! the body, then the BLAKE3 hash of everything before it); its body is the context (32
//! bytes), then per channel `key length (u32 LE) | channel
//! key | records length (u64 LE) | records`, each record `key (16) | value length (u32 LE) |
//! value`. A file whose hash or framing is wrong is ignored with a warning, never half trusted.

use std::collections::HashMap;
use std::io::Write as _;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::layout::channel_key;
use crate::model::Channel;

/// Every file kept beside the site (`<out>.index/`), by what it holds.
pub mod names {
    /// The fingerprint of what the site was built from, and its manifest's hash.
    pub const BUILD: &str = "build.json";
    /// Every file of the site: content hash, size, modification time, page key.
    pub const FILES: &str = "files.bin";
    /// What the importer made of each day file.
    pub const DAYS: &str = "days.bin";
    /// What incident detection read of each message.
    pub const READINGS: &str = "readings.bin";
    /// The messages redaction found nothing in.
    pub const CLEAN: &str = "clean.bin";
    /// The documents of the search index's base (inside `base/`).
    pub const DOCUMENTS: &str = "documents.bin";
    /// The redaction report.
    pub const REDACTIONS: &str = "redactions.json";
}

/// The version of the envelope and of the records in it: raised when a stored type changes,
/// so that no build reads what another version wrote.
const VERSION: u32 = 2;

/// The first line of a record file of `kind` (`records`, `files`, `documents`).
fn header(kind: &str) -> Vec<u8> {
    format!("scrollback {kind} {VERSION}\n").into_bytes()
}

/// A record file of `kind` holding `body`: the one envelope of every record kept beside the
/// site (a first line `scrollback <kind> <version>`, the body, then the BLAKE3 hash of
/// everything before it).
pub fn seal(kind: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = header(kind);
    bytes.extend_from_slice(body);
    let hash = blake3::hash(&bytes);
    bytes.extend_from_slice(hash.as_bytes());
    bytes
}

/// Where the body of a record file of `kind` is in `bytes`, if its header and hash are right.
pub fn open(kind: &str, bytes: &[u8]) -> Option<Range<usize>> {
    let end = bytes.len().checked_sub(32)?;
    let header = header(kind);
    let start = header.len();
    (bytes.starts_with(&header) && start <= end && blake3::hash(&bytes[..end]).as_bytes() == &bytes[end..])
        .then_some(start..end)
}

/// How far past where it expects it a channel's walk looks for a message's record (when
/// messages before it were edited, inserted or removed).
const LOOK_AHEAD: usize = 64;

/// What a record is filed under: see the module docs.
pub type Key = [u8; 16];

/// A hash of everything outside the message that a record depends on.
pub type Context = [u8; 32];

/// What this build's records are made in, and the previous build's records that can be used
/// in it. Without the binary's hash there is no context: nothing is found or filed, since
/// records from another binary could not be told apart.
pub struct Known<'p> {
    context: Option<Context>,
    previous: Option<&'p Records>,
}

impl<'p> Known<'p> {
    /// Records of the kind `kind` (`readings`, `clean`) whose work depends on `parts` besides
    /// the message and the binary; `previous` is used only if it was made in the same context.
    pub fn new(kind: &str, parts: &[&[u8]], previous: Option<&'p Records>) -> Known<'p> {
        let context = context(kind, parts);
        let previous = previous.filter(|p| context.is_some_and(|c| p.made_in(&c)));
        Known { context, previous }
    }

    /// Nothing known, and nothing filed (tools and tests).
    pub fn nothing() -> Known<'static> {
        Known { context: None, previous: None }
    }

    /// The key of a message whose [`crate::model::Message::digest`] is `digest`, if records
    /// are kept.
    pub fn key(&self, digest: &[u8; 16]) -> Option<Key> {
        self.context.map(|_| *digest)
    }

    /// The walk through the previous records of `channel`.
    pub fn walk(&self, channel: &Channel) -> Walk<'p> {
        self.previous.map_or_else(|| Walk::new(&[], 0), |p| p.walk(&channel_key(channel)))
    }

    /// This build's records, from each channel's walk in archive order. The records found
    /// are not copied: the file is written from the previous one's bytes, held until then.
    pub fn filed<'w>(&self, walks: impl IntoIterator<Item = (&'w Channel, Walk<'w>)>) -> Option<Filed> {
        let context = self.context?;
        let channels = walks.into_iter().map(|(c, walk)| (channel_key(c), walk.into_filed())).collect();
        let previous = self.previous.map(|p| Arc::clone(&p.bytes));
        Some(Filed { context, previous, channels })
    }
}

/// The context of records of the kind `kind` whose work depends on `parts` besides what they
/// are filed for and the binary; `None` without the binary's hash.
pub fn context(kind: &str, parts: &[&[u8]]) -> Option<Context> {
    let binary = binary_hash()?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(&header("records"));
    for part in [kind.as_bytes(), binary.as_bytes()].iter().chain(parts) {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    Some(*hasher.finalize().as_bytes())
}

/// Appends a record (`key | value length | value`) to a section being filed.
pub fn push_record(section: &mut Vec<u8>, key: &Key, value: &[u8]) {
    section.extend_from_slice(key);
    let len = u32::try_from(value.len()).expect("a record under 4 GiB");
    section.extend_from_slice(&len.to_le_bytes());
    section.extend_from_slice(value);
}

/// A previous build's records, per channel.
pub struct Records {
    context: Context,
    /// Shared with this build's [`Filed`] records, which are written from it.
    bytes: Arc<Vec<u8>>,
    /// Each channel's records in `bytes`, by channel key (a workspace may have thousands).
    sections: HashMap<String, Range<usize>>,
}

impl Records {
    /// Reads the file at `path`. `Ok(None)` when there is none; `Err` is a warning.
    pub fn load(path: &Path) -> Result<Option<Records>, String> {
        let bytes = match fs_err::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{e}; doing its work again for every message")),
        };
        Records::parse(bytes).map(Some).ok_or_else(|| {
            format!(
                "{}: damaged or not from this version; doing its work again for every message",
                path.display()
            )
        })
    }

    /// Checks the hash and the sections' framing; `None` if either is wrong.
    fn parse(bytes: Vec<u8>) -> Option<Records> {
        let Range { start, end: body } = open("records", &bytes)?;
        let context: Context = bytes.get(start..start + 32)?.try_into().ok()?;
        let mut input = Input(bytes.get(start + 32..body)?);
        let mut sections = HashMap::new();
        while !input.0.is_empty() {
            let channel = input.string()?;
            let len = usize::try_from(input.u64()?).ok()?;
            let start = body - input.0.len();
            input.take(len)?;
            sections.insert(channel, start..start + len);
        }
        Some(Records { context, bytes: Arc::new(bytes), sections })
    }

    /// Whether these records were made in `context`: if not, none of them can be used.
    pub fn made_in(&self, context: &Context) -> bool {
        self.context == *context
    }

    /// The walk through the records of the channel keyed `channel` ([`channel_key`]).
    fn walk(&self, channel: &str) -> Walk<'_> {
        let range = self.sections.get(channel).cloned().unwrap_or_default();
        Walk::new(&self.bytes[range.clone()], range.start)
    }

    /// Every record of every section, with where its value is ([`Records::value`]); a record
    /// cut short ends its section's.
    pub fn records(&self) -> Vec<(Key, Range<usize>)> {
        let mut records = Vec::new();
        for section in self.sections.values() {
            let mut input = Input(&self.bytes[section.clone()]);
            while let (Some(key), Some(len)) = (input.array::<16>(), input.u32()) {
                let start = section.end - input.0.len();
                if input.take(len as usize).is_none() {
                    break;
                }
                records.push((key, start..start + len as usize));
            }
        }
        records
    }

    /// The value at `range`, one that [`Records::records`] gave.
    pub fn value(&self, range: Range<usize>) -> &[u8] {
        &self.bytes[range]
    }
}

/// One channel's records, taken in message order: each message's record comes from the
/// previous build's section where it is found there, else it is made and filed; either way
/// it is carried into the next build's file.
pub struct Walk<'p> {
    /// The previous build's records for the channel.
    section: &'p [u8],
    /// Where `section` starts in the previous build's file.
    start: usize,
    /// Where the next message's record is expected in `section`.
    at: usize,
    /// Records of `section` found one after another, not yet added to `filed`.
    run: Range<usize>,
    /// This build's records.
    filed: Section,
    /// Records found.
    pub found: usize,
}

impl<'p> Walk<'p> {
    /// A walk through `section`, which starts at `start` in the previous build's file (empty:
    /// nothing is found).
    pub fn new(section: &'p [u8], start: usize) -> Walk<'p> {
        Walk { section, start, at: 0, run: 0..0, filed: Section::default(), found: 0 }
    }

    /// The record filed under `key`, where it is expected or a little after, as `decode`
    /// reads its value; it is carried into the next build's file.
    pub fn find<T>(&mut self, key: &Key, decode: impl Fn(&[u8]) -> Option<T>) -> Option<T> {
        let mut at = self.at;
        for _ in 0..LOOK_AHEAD {
            let record = self.section.get(at..)?;
            let len = u32::from_le_bytes(record.get(16..20)?.try_into().ok()?) as usize;
            let end = at + 20 + len;
            if record[..16] == *key {
                let value = decode(self.section.get(at + 20..end)?)?;
                if self.run.end != at {
                    self.flush();
                    self.run = at..at;
                }
                self.run.end = end;
                self.at = end;
                self.found += 1;
                return Some(value);
            }
            at = end;
        }
        None
    }

    /// Files a new record.
    pub fn file(&mut self, key: &Key, value: &[u8]) {
        self.flush();
        let start = self.filed.made.len();
        push_record(&mut self.filed.made, key, value);
        self.filed.add(Piece::Made(start..self.filed.made.len()));
    }

    fn flush(&mut self) {
        let run = std::mem::take(&mut self.run);
        if !run.is_empty() {
            self.filed.add(Piece::Kept(self.start + run.start..self.start + run.end));
        }
    }

    /// This build's records for the channel.
    pub fn into_filed(mut self) -> Section {
        self.flush();
        self.filed
    }
}

/// A channel's records as a walk filed them: runs of the previous build's records, by where
/// they are in its file, and the records made in this build.
#[derive(Default)]
pub struct Section {
    pieces: Vec<Piece>,
    made: Vec<u8>,
}

/// Where a run of records is.
enum Piece {
    /// In the previous build's file.
    Kept(Range<usize>),
    /// In [`Section::made`].
    Made(Range<usize>),
}

impl Section {
    /// Adds `piece`, joined to the last if it follows on from it.
    fn add(&mut self, piece: Piece) {
        match (self.pieces.last_mut(), piece) {
            (Some(Piece::Kept(last)), Piece::Kept(next)) | (Some(Piece::Made(last)), Piece::Made(next))
                if last.end == next.start =>
            {
                last.end = next.end;
            }
            (_, piece) => self.pieces.push(piece),
        }
    }

    /// The records' bytes, runs kept from `previous` (the previous build's file).
    fn parts<'s>(&'s self, previous: &'s [u8]) -> impl Iterator<Item = &'s [u8]> + Clone {
        self.pieces.iter().map(move |piece| match piece {
            Piece::Kept(range) => &previous[range.clone()],
            Piece::Made(range) => &self.made[range.clone()],
        })
    }
}

/// What a build filed, for the next: each channel's key and its [`Walk`]'s records.
pub struct Filed {
    /// What the records were made in.
    pub context: Context,
    /// The previous build's file, which records found in it are written from.
    previous: Option<Arc<Vec<u8>>>,
    /// Channel keys and their records.
    channels: Vec<(String, Section)>,
}

impl Filed {
    /// Writes the file at `path`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut writer = Writer::create(path, &self.context)?;
        let previous = self.previous.as_deref().map_or(&[][..], Vec::as_slice);
        for (channel, records) in &self.channels {
            writer.section_of(channel, records.parts(previous))?;
        }
        writer.finish()
    }
}

/// A file of records written a section at a time, so that a build need not hold them all.
pub struct Writer {
    file: std::io::BufWriter<fs_err::File>,
    hasher: blake3::Hasher,
}

impl Writer {
    /// Starts the file at `path` for records made in `context`.
    pub fn create(path: &Path, context: &Context) -> std::io::Result<Writer> {
        let file = std::io::BufWriter::with_capacity(1 << 16, fs_err::File::create(path)?);
        let mut writer = Writer { file, hasher: blake3::Hasher::new() };
        writer.put(&header("records"))?;
        writer.put(context)?;
        Ok(writer)
    }

    /// Appends the section `name` (unique in the file) with `records`.
    pub fn section(&mut self, name: &str, records: &[u8]) -> std::io::Result<()> {
        self.section_of(name, [records].into_iter())
    }

    /// Appends the section `name` (unique in the file) with the records `parts`, in order.
    fn section_of<'r>(
        &mut self,
        name: &str,
        parts: impl Iterator<Item = &'r [u8]> + Clone,
    ) -> std::io::Result<()> {
        self.put(&u32::try_from(name.len()).expect("a section name under 4 GiB").to_le_bytes())?;
        self.put(name.as_bytes())?;
        let len: usize = parts.clone().map(<[u8]>::len).sum();
        self.put(&(len as u64).to_le_bytes())?;
        parts.into_iter().try_for_each(|part| self.put(part))
    }

    /// Ends the file with the hash of everything before.
    pub fn finish(mut self) -> std::io::Result<()> {
        let hash = self.hasher.finalize();
        self.file.write_all(hash.as_bytes())?;
        self.file.flush()
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.file.write_all(bytes)
    }
}

/// The rest of a file's framing being read.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (taken, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(taken)
    }

    /// The next `N` bytes.
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// A u32, little-endian.
    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    /// A u64, little-endian.
    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// A string: length (u32 LE), then UTF-8.
    fn string(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

/// `value` as records store it: postcard, serde's compact binary format, derived from the
/// type (so a field added to a type is stored without a codec to edit).
pub fn encode<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("records are plain data")
}

/// The value [`encode`] wrote in `bytes`, if they are exactly one.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

/// A hash of the running binary, whose code shapes every page; `None` if it cannot be read
/// (then nothing is reused).
pub fn binary_hash() -> Option<&'static blake3::Hash> {
    static HASH: std::sync::OnceLock<Option<blake3::Hash>> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_binary().ok()).as_ref()
}

/// Streamed: the binary is tens of megabytes, not worth holding.
fn hash_binary() -> std::io::Result<blake3::Hash> {
    let file = fs_err::File::open(std::env::current_exe()?)?;
    Ok(blake3::Hasher::new().update_reader(file)?.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a walk of `keys` through `section` files, and how many records it found: each
    /// key's value is the key's first byte, twice.
    fn walk(section: &[u8], keys: &[u8]) -> (Vec<u8>, usize) {
        let (filed, found) = walk_through(Walk::new(section, 0), keys);
        (filed.parts(section).flatten().copied().collect(), found)
    }

    /// What `walk` files for `keys`, and how many records it found.
    fn walk_through(mut walk: Walk, keys: &[u8]) -> (Section, usize) {
        for &k in keys {
            let key = [k; 16];
            match walk.find(&key, |v| Some(v.to_vec())) {
                Some(value) => assert_eq!(value, [k, k], "the value filed under {k}"),
                None => walk.file(&key, &[k, k]),
            }
        }
        let found = walk.found;
        (walk.into_filed(), found)
    }

    #[test]
    fn an_append_or_an_edit_finds_every_other_record_and_files_what_a_fresh_walk_would() {
        let (section, found) = walk(&[], &[1, 2, 3, 4, 5]);
        assert_eq!(found, 0);
        for (keys, expected) in [
            (&[1, 2, 3, 4, 5, 6][..], 5), // a message appended
            (&[1, 9, 3, 4, 5], 4),        // one edited
            (&[1, 3, 4, 5], 4),           // one removed
            (&[1, 2, 8, 3, 4, 5], 5),     // one inserted
            (&[5, 4, 3, 2, 1], 1),        // reordered: found only ahead of the walk
            (&[], 0),
        ] {
            let (filed, found) = walk(&section, keys);
            assert_eq!(found, expected, "{keys:?}");
            assert_eq!(filed, walk(&[], keys).0, "{keys:?} files what a walk from nothing files");
        }
        let mut undecodable = Walk::new(&section, 0);
        assert_eq!(
            undecodable.find(&[1; 16], |_| None::<()>),
            None,
            "a value that does not decode is not found"
        );
        assert_eq!(undecodable.found, 0);
    }

    #[test]
    fn a_file_is_used_only_whole_and_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.bin");
        let context = [7; 32];
        let (one, _) = walk_through(Walk::new(&[], 0), &[1, 2, 3]);
        let channels = vec![("slack:C1".into(), one), ("slack:C2".into(), Section::default())];
        Filed { context, previous: None, channels }.write(&path).unwrap();
        let records = Records::load(&path).unwrap().unwrap();
        assert!(records.made_in(&context) && !records.made_in(&[8; 32]));
        assert_eq!(walk(records.walk("slack:C1").section, &[1, 2, 3]).1, 3);
        assert_eq!(walk(records.walk("slack:C9").section, &[1, 2, 3]).1, 0, "an unknown channel has none");

        // The next build's file, its found records written from this one's bytes.
        let (two, found) = walk_through(records.walk("slack:C1"), &[0, 1, 2, 3, 4]);
        assert_eq!(found, 3);
        let next = dir.path().join("next.bin");
        let previous = Some(Arc::clone(&records.bytes));
        Filed { context, previous, channels: vec![("slack:C1".into(), two)] }.write(&next).unwrap();
        let records = Records::load(&next).unwrap().unwrap();
        assert_eq!(
            walk(records.walk("slack:C1").section, &[0, 1, 2, 3, 4]),
            (walk(&[], &[0, 1, 2, 3, 4]).0, 5)
        );

        let bytes = fs_err::read(&path).unwrap();
        for at in [0, header("records").len() + 3, bytes.len() / 2, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1;
            assert!(Records::parse(damaged).is_none(), "a flipped bit at {at}");
        }
        assert!(Records::parse(bytes[..bytes.len() - 1].to_vec()).is_none(), "truncated");
        fs_err::write(&path, b"scrollback records 0\n").unwrap();
        let warning = Records::load(&path).err().unwrap();
        assert!(
            warning.ends_with(
                "test.bin: damaged or not from this version; doing its work again for every message"
            ),
            "{warning}"
        );
        assert!(Records::load(&dir.path().join("none")).unwrap().is_none(), "no file is no warning");
    }
}
