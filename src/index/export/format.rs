//! The export's format: its constants, the manifest's types and the binary layouts of
//! dictionary entries and posting blocks (see `docs/search-format.md`, "Manifest" and
//! "Encodings").

use serde::Serialize;
use tantivy::query::Bm25Weight;

/// Format version written to the manifest; the client refuses others.
pub const FORMAT: u32 = 3;

/// Postings in a term's first (inline) block.
pub const FIRST_BLOCK: usize = 32;

/// The largest block.
pub const MAX_BLOCK: usize = 4096;

/// Dictionary shards are cut once they reach this many (uncompressed) bytes.
pub const DICT_SHARD_BYTES: usize = 12 * 1024;

/// Posting files are cut once they reach this many (uncompressed) bytes: a query fetches a
/// long list by the file, so smaller files fetch less of what it does not need (at 1M
/// messages, `kafka latency` fetched 74 KB of posting files at 16 KiB, 50 KB at 8 KiB, in
/// as many round trips).
pub const POSTING_FILE_BYTES: usize = 8 * 1024;

/// Where a segment of `docs` documents cuts its dictionary shards and posting files. A small
/// segment (the newest messages) has few terms and short lists, and every query looks each
/// word up in it too: its files are cut smaller, down to 4 KiB, so that costs little.
pub fn file_bytes(docs: usize) -> (usize, usize) {
    ((docs / 8).clamp(4096, DICT_SHARD_BYTES), (docs / 4).clamp(4096, POSTING_FILE_BYTES))
}

/// Messages per document file.
pub const DOCS_PER_CHUNK: usize = 16;

/// Document files per directory (4096 messages).
pub const FILES_PER_DIR: usize = 256;

/// Magic bytes at the start of a dictionary shard.
pub const DICT_MAGIC: &[u8; 4] = b"SBT1";

/// Magic bytes at the start of a posting file.
pub const POSTINGS_MAGIC: &[u8; 4] = b"SBP1";

/// The manifest the client loads first (`search/manifest.json`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// What wrote it.
    pub generator: String,
    /// Documents (BM25 `N`, tantivy's `max_doc`).
    pub docs: u64,
    /// Sum of all documents' token counts (BM25 average length = tokens / docs).
    pub tokens: u64,
    /// tantivy's 256-entry fieldnorm table: `fieldnorms[id]` is the length a code stands for.
    pub fieldnorms: Vec<u32>,
    /// Zone for `after:`/`before:`/`on:`.
    pub timezone: String,
    /// Query limits shared with the Rust side.
    pub limits: Limits,
    /// The terms, in segments of consecutive documents, oldest first.
    pub segments: Vec<TermSegment>,
    /// Document files: directory, count and messages per file.
    pub documents: DocFiles,
    /// Channel slugs, indexed by the `c` field of document records.
    pub channels: Vec<String>,
}

/// Query limits (see `index::MAX_*`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Limits {
    /// Completions per prefix.
    pub expansions: usize,
    /// Terms scanned per prefix.
    pub prefix_scan: usize,
    /// Identifier terms per identifier query.
    pub identifier_terms: usize,
}

/// The terms of the documents `first .. first + docs`: their own dictionary and posting
/// files, named by their content. A document's term frequency and fieldnorm, and so its
/// score under the whole index's statistics, are the same in any segment; a term's document
/// frequency is the sum over the segments.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct TermSegment {
    /// The `ord` of its first document.
    pub first: usize,
    /// How many documents the index holds.
    pub docs: usize,
    /// 10 hex digits of a hash of its documents: a build that finds the same key in the
    /// previous build's manifest keeps the segment's files.
    pub key: String,
    /// Dictionary shards.
    pub terms: Shards,
    /// Posting files: directory and count.
    pub postings: Files,
}

/// Dictionary shards: file `i` holds the terms from `first[i]` up to `first[i + 1]`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Shards {
    /// Directory, relative to `search/`, ending in `/`.
    pub dir: String,
    /// The first term of each shard.
    pub first: Vec<String>,
}

/// A directory of numbered files.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Files {
    /// Directory, relative to `search/`, ending in `/`.
    pub dir: String,
    /// Files `0.bin` … `count-1.bin`.
    pub count: usize,
}

/// Document files.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DocFiles {
    /// The hash naming each directory: file `n` is `d-<dirs[n / per_dir]>/<n>.bin`.
    pub dirs: Vec<String>,
    /// Files per directory.
    pub per_dir: usize,
    /// Number of files.
    pub count: usize,
    /// Documents per file: ord `o` is in file `o / per_file`.
    pub per_file: usize,
}

impl DocFiles {
    /// The path of file `n`, relative to `search/`.
    pub fn file(&self, n: usize) -> String {
        format!("d-{}/{n}.bin", self.dirs[n / self.per_dir])
    }
}

/// One document record, as JSON in a document file.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DocRecord {
    /// Permalink from the site root.
    pub u: String,
    /// Channel index into the manifest's `channels`.
    pub c: usize,
    /// Author's display name.
    pub a: String,
    /// Seconds since the epoch.
    pub t: i64,
    /// tantivy fieldnorm id of the text (for BM25 without re-counting).
    pub n: u8,
    /// The indexed text.
    pub x: String,
    /// `from:` keys.
    pub f: Vec<String>,
    /// `has:` flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub h: Vec<String>,
    /// `is:` flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub i: Vec<String>,
}

/// One posting as stored: document ord, term frequency, fieldnorm id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// Document ord.
    pub doc: u32,
    /// Occurrences in the document.
    pub tf: u32,
    /// The document's fieldnorm id.
    pub norm: u8,
}

/// Where a non-inline block lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    /// Posting file number.
    pub file: u32,
    /// Byte offset in the (inflated) file.
    pub offset: u32,
    /// Byte length.
    pub length: u32,
}

/// A block's header in the dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// Postings in the block.
    pub len: u32,
    /// The block's best `(tf, fieldnorm id)` pairs, tf descending: every posting of the
    /// block has a lower tf or a higher norm than one of them. BM25 rises with tf and falls
    /// with the norm, so the block's best score under any statistics is one of theirs.
    /// Empty for filter terms, which are not scored.
    pub best: Vec<(u32, u8)>,
    /// `None` for the inline first block.
    pub at: Option<BlockRef>,
}

impl BlockInfo {
    /// The best score in the block for a term of `weight` (0 for filter terms).
    pub fn max_score(&self, weight: &Bm25Weight) -> f32 {
        self.best.iter().map(|&(tf, norm)| weight.score(norm, tf)).fold(0.0, f32::max)
    }
}

/// A dictionary entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The term (`channel:ops`, `from:peter`, `has:image` for filter fields).
    pub term: String,
    /// Documents containing it.
    pub df: u32,
    /// Blocks, best first.
    pub blocks: Vec<BlockInfo>,
    /// The first block's postings, by doc.
    pub inline: Vec<Posting>,
}

/// A block of postings, sorted by doc: for each, `varint(doc - previous doc)` (the first
/// against 0), `varint(tf)`, then the fieldnorm id as one byte.
pub fn write_block(out: &mut Vec<u8>, postings: &[Posting]) {
    let mut previous = 0;
    for p in postings {
        varint(out, u64::from(p.doc - previous));
        varint(out, u64::from(p.tf));
        out.push(p.norm);
        previous = p.doc;
    }
}

/// A dictionary entry, front-coded against the previous term:
///
/// ```text
/// varint shared      bytes of the previous term this one starts with
/// varint n, n bytes  the rest of the term (UTF-8)
/// varint df
/// varint blocks
/// per block:  varint len, varint pairs, per pair varint tf and u8 norm (BlockInfo::best),
///             then
///             block 0: its postings inline (see write_block)
///             others:  varint file, varint offset, varint length
/// ```
pub fn write_dict_entry(out: &mut Vec<u8>, previous: &str, entry: &Entry) {
    let shared = previous.bytes().zip(entry.term.bytes()).take_while(|(a, b)| a == b).count();
    // Never split a UTF-8 sequence.
    let shared = (0..=shared).rev().find(|&i| entry.term.is_char_boundary(i)).unwrap_or(0);
    varint(out, shared as u64);
    let suffix = &entry.term.as_bytes()[shared..];
    varint(out, suffix.len() as u64);
    out.extend_from_slice(suffix);
    varint(out, u64::from(entry.df));
    varint(out, entry.blocks.len() as u64);
    for block in &entry.blocks {
        varint(out, u64::from(block.len));
        varint(out, block.best.len() as u64);
        for &(tf, norm) in &block.best {
            varint(out, u64::from(tf));
            out.push(norm);
        }
        match block.at {
            None => write_block(out, &entry.inline),
            Some(at) => {
                varint(out, u64::from(at.file));
                varint(out, u64::from(at.offset));
                varint(out, u64::from(at.length));
            }
        }
    }
}

/// Unsigned LEB128.
pub fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}
