//! Day files as an earlier build parsed them, kept beside the site (`days.bin`) so that a
//! nightly build parses only the days that are new or changed: parsing a million messages'
//! JSON again is most of an append's ingest.
//!
//! A day's record is filed under a key made from the BLAKE3 hash of the file's bytes (the
//! fingerprint's, so an unchanged file is not even read) and a context of the format and the
//! binary ([`crate::store`]): a day file gives the same messages whatever else the export
//! holds, so an unchanged file finds its record wherever it is. What does depend on the rest
//! of the export (who an author is, bundled file bodies, pins) is worked out again from the
//! record each build. A record is compressed and encrypted (ChaCha20-Poly1305) with a second key from the same
//! hash ([`DayKeys`]). Records are few (one per channel-day), so they are found through a
//! table, not a walk. The file is [`crate::store`]'s, a section per conversation, written as
//! each is read: no build holds all of it.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chacha20poly1305::aead::Aead;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};

use crate::cache::FileHashes;
use crate::model::Author;
use crate::store::{self, Context, Key, Records};

/// What earlier builds made of day files, and what this build makes of them for the next.
#[derive(Default)]
pub struct Days {
    /// The previous records: an importer takes them out while it reads and files.
    pub previous: Previous,
    /// Where this build's records go, a conversation's section at a time (`None`: nowhere).
    writer: Option<(store::Writer, PathBuf)>,
    /// The section being filed.
    section: Vec<u8>,
    sections: usize,
    keys: HashSet<Key>,
    /// Day files whose record was found.
    pub found: usize,
    /// Day files parsed, their records new.
    pub parsed: usize,
    /// Why this build's records could not be kept.
    pub warning: Option<String>,
}

/// The previous build's records, and how this build keys day files.
#[derive(Default)]
pub struct Previous {
    context: Option<Context>,
    records: Option<Records>,
    /// The records, by key.
    known: HashMap<Key, Range<usize>>,
    /// The input files' hashes, as this build's fingerprint took them: a day file whose
    /// record is found through its hash is not even read.
    hashes: FileHashes,
}

impl std::fmt::Debug for Days {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Days")
            .field("known", &self.previous.known.len())
            .field("found", &self.found)
            .finish_non_exhaustive()
    }
}

impl Days {
    /// Days with the records of `previous` if it was made by the same binary; this build's
    /// records are written at `path`.
    pub fn new(previous: Option<Records>, path: &Path, hashes: FileHashes) -> Days {
        let previous = Previous::new(previous, hashes);
        let context = previous.context;
        let mut days = Days { previous, ..Days::default() };
        if let Some(context) = &context {
            match store::Writer::create(path, context) {
                Ok(writer) => days.writer = Some((writer, path.to_owned())),
                Err(e) => days.lost(&e),
            }
        }
        days
    }

    /// Files `record`, a day's, under `key` for the next build; `found`: it is the previous
    /// build's.
    pub fn file(&mut self, key: &Key, record: &[u8], found: bool) {
        *if found { &mut self.found } else { &mut self.parsed } += 1;
        // Identical day files share a record.
        if self.writer.is_some() && self.keys.insert(*key) {
            store::push_record(&mut self.section, key, record);
        }
    }

    /// Writes the records filed since the last call, a conversation's, as a section.
    pub fn end_section(&mut self) {
        let Some((writer, _)) = &mut self.writer else { return };
        let written = writer.section(&self.sections.to_string(), &self.section);
        self.sections += 1;
        self.section.clear();
        if let Err(e) = written {
            self.lost(&e);
        }
    }

    /// Ends the file; the previous records' memory goes.
    pub fn finish(&mut self) {
        self.end_section();
        self.previous = Previous::default();
        if let Some((writer, _)) = self.writer.take()
            && let Err(e) = writer.finish()
        {
            self.lost(&e);
        }
    }

    /// Gives up keeping records, after `error`.
    fn lost(&mut self, error: &std::io::Error) {
        let path = self.writer.take().map(|(_, path)| path);
        if let Some(path) = &path {
            let _ = fs_err::remove_file(path);
        }
        self.warning = Some(format!("{error}; the next build parses every day file again"));
    }
}

impl Previous {
    /// Keys day files, and finds the records of `records` if it was made by the same binary; a
    /// file on disk is keyed by its hash in `hashes` (the fingerprint's) without being read.
    pub fn new(records: Option<Records>, hashes: FileHashes) -> Previous {
        let context = store::context("days", &[]);
        let records = records.filter(|p| context.is_some_and(|c| p.made_in(&c)));
        let known = records.as_ref().map(|p| p.records().into_iter().collect()).unwrap_or_default();
        Previous { context, records, known, hashes }
    }

    /// The keys of a day file with these bytes, read by the importer named `importer`, if
    /// records are kept.
    pub fn keys(&self, importer: &str, bytes: &[u8]) -> Option<DayKeys> {
        self.keys_of(importer, &blake3::hash(bytes))
    }

    /// The keys of the day file at `path` on disk, read by the importer named `importer`, if
    /// the fingerprint hashed it.
    pub fn keys_at(&self, importer: &str, path: &Path) -> Option<DayKeys> {
        self.keys_of(importer, self.hashes.get(&std::path::absolute(path).ok()?)?)
    }

    /// The keys of a day file whose BLAKE3 hash is `hash`: both derived with BLAKE3's key
    /// derivation from that hash, the importer's name and this build's context.
    fn keys_of(&self, importer: &str, hash: &blake3::Hash) -> Option<DayKeys> {
        let mut material = self.context.as_ref()?.to_vec();
        material.extend_from_slice(hash.as_bytes());
        material.extend_from_slice(importer.as_bytes());
        let mut file = [0; 16];
        file.copy_from_slice(&blake3::derive_key(KEY_CONTEXT, &material)[..16]);
        let cipher = blake3::derive_key(CIPHER_CONTEXT, &material);
        Some(DayKeys { file, cipher })
    }

    /// The record filed under `key`.
    pub fn find(&self, key: &Key) -> Option<&[u8]> {
        Some(self.records.as_ref()?.value(self.known.get(key)?.clone()))
    }
}

/// BLAKE3 key-derivation contexts of a record's key and of its cipher key.
const KEY_CONTEXT: &str = "scrollback day record key v1";
const CIPHER_CONTEXT: &str = "scrollback day record cipher v1";

/// What a day file's record is filed under, and the key it is encrypted with. Both come from
/// a hash of the file's bytes that is never stored: a record holds the day's messages as the
/// export has them (private channels, text redaction has not seen yet), and `<out>.index/`
/// is cached and shared like the site, so only a build that holds the very same day file can
/// read it. The cipher is ChaCha20-Poly1305 (the `chacha20poly1305` crate).
pub struct DayKeys {
    /// The record's key.
    pub file: Key,
    cipher: [u8; 32],
}

impl DayKeys {
    /// The record of a day whose encoded messages are `plain`: compressed (LZ4: the records
    /// are as much text as the export, and read back whole every build), then encrypted.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let compressed = lz4_flex::compress_prepend_size(plain);
        // Each key seals one content only (the same day file's messages), so one nonce serves.
        self.aead().encrypt(&Nonce::default(), compressed.as_slice()).expect("a record fits the cipher")
    }

    /// The encoded messages in `record`, if these keys sealed it and it is unaltered.
    pub fn open(&self, record: &[u8]) -> Option<Vec<u8>> {
        let record = self.aead().decrypt(&Nonce::default(), record).ok()?;
        // LZ4 expands at most 255 times: a larger size is not a record (no huge allocation).
        let size = u32::from_le_bytes(*record.first_chunk()?) as usize;
        if size > record.len() * 255 {
            return None;
        }
        lz4_flex::decompress_size_prepended(&record).ok()
    }

    fn aead(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.cipher.into())
    }
}

/// An author to stand in until the real one is known, sharing one name.
pub fn nobody(name: &Arc<str>) -> Author {
    Author { user: None, name: Arc::clone(name), is_bot: false }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attachment, File, Markup, Message, MessageKind, Reaction, Text, Thread};
    use jiff::Timestamp;

    #[test]
    fn a_record_opens_only_with_its_own_day_files_keys_and_only_unaltered() {
        let previous = Previous::new(None, FileHashes::default());
        let keys = previous.keys("slack", b"[{\"ts\": \"1\"}]").unwrap();
        let other = previous.keys("slack", b"[{\"ts\": \"2\"}]").unwrap();
        assert_ne!(keys.file, other.file);
        assert_ne!(previous.keys("discord", b"[{\"ts\": \"1\"}]").unwrap().file, keys.file);
        let plain = b"a private channel's secret words, the same words again".repeat(3);
        let record = keys.seal(&plain);
        assert!(!record.windows(7).any(|w| w == b"private"), "the record shows its text");
        assert_eq!(keys.open(&record).as_deref(), Some(plain.as_slice()));
        assert_eq!(other.open(&record), None);
        for at in [0, record.len() / 2, record.len() - 1] {
            let mut altered = record.clone();
            altered[at] ^= 1;
            assert_eq!(keys.open(&altered), None, "a record altered at byte {at} opened");
        }
    }

    #[test]
    fn every_kind_markup_and_edit_of_a_message_reads_back_as_written_but_its_author_and_file_bodies() {
        use MessageKind::*;
        let time = Timestamp::new(1_583_060_000, 123_456_789).unwrap();
        let kinds = [
            Normal,
            Action,
            Bot,
            Join,
            Leave,
            Topic,
            Purpose,
            Rename,
            Archive,
            Unarchive,
            Pin,
            Unpin,
            FileComment,
            Deleted,
            MissingParent,
            Event("bot_add".into()),
            Snapshot,
        ];
        let markups = [Markup::Mrkdwn, Markup::MrkdwnTokens, Markup::Markdown, Markup::Html, Markup::Plain];
        for (n, kind) in kinds.into_iter().enumerate() {
            let file = File {
                id: None,
                name: "f".into(),
                title: None,
                mimetype: None,
                size: Some(u64::MAX),
                deleted: true,
                body: None,
                link: Some("https://l.example".into()),
            };
            let message = Message {
                id: format!("m{n}"),
                time,
                author: Author::default(),
                kind,
                text: Text { markup: markups[n % markups.len()], source: format!("text {n} ✓") },
                edited: [None, Some(None), Some(Some(time))][n % 3],
                reactions: [Reaction { name: "eyes".into(), count: 3, users: vec!["slack:U1".into()] }]
                    .into(),
                attachments: [Attachment { pretext: Some(Text::plain("p")), ..Attachment::default() }].into(),
                files: [file].into(),
                thread: if n % 2 == 0 {
                    Thread::None
                } else {
                    Thread::Reply { parent: "p".into(), broadcast: n % 4 == 1 }
                },
                reply_to: Some("r".into()).filter(|_| n % 5 == 0),
                pinned: n % 3 == 0,
            };
            let bytes = store::encode(&message);
            let read: Message = store::decode(&bytes).unwrap();
            assert_eq!(format!("{read:?}"), format!("{message:?}"));
            for cut in [1, bytes.len() / 2] {
                assert!(store::decode::<Message>(&bytes[..bytes.len() - cut]).is_none());
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(store::decode::<Message>(&longer).is_none(), "a value with bytes after it is not one");
            let mut shared = message.clone();
            shared.author = nobody(&Arc::from("alice"));
            shared.files[0].body = Some(crate::model::Body::new(b"x".to_vec(), "o".into()));
            assert_eq!(store::encode(&shared), bytes, "the author and file bodies are not stored");
        }
    }
}
