//! The static search export: the tantivy index written as content-hashed shard files under
//! `search/`, for a JavaScript client that needs no server (`themes/default/search.js`).
//!
//! Design goals (the book's `docs/search-format.md`): bytes per query stay bounded as the
//! archive grows, and the client ranks exactly like `scrollback search`.
//!
//! - **Segments**: the terms are cut into segments of consecutive documents at multiples
//!   of fixed sizes ([`segment_ranges`]), each with its own dictionary and posting files,
//!   holding nothing that moves when documents are appended after it: a nightly append
//!   rewrites the last segment only, and a clean build cuts at the same places.
//! - **Term dictionary** (`t-<hash>/<n>.bin`): a segment's terms, sorted by UTF-8 bytes, cut
//!   into shards by *bytes* ([`file_bytes`]). The manifest lists each shard's first term, so
//!   one lookup is one small fetch per segment. Each entry carries the term's doc frequency
//!   in the segment and its first postings block *inline*, so a query usually needs no other
//!   index file.
//! - **Postings** are *impact-ordered*: a term's postings are sorted by their BM25 score
//!   under the segment's statistics (best first) and cut into blocks of [`FIRST_BLOCK`],
//!   then doubling, up to [`MAX_BLOCK`] postings. Each block records its best `(tf, norm)`
//!   pairs, from which the client computes its best score under the whole index's
//!   statistics. The client reads blocks best-first and stops once no unread posting can
//!   enter the top results, so even `the` costs a few KB. Blocks after the first live in
//!   posting files (`p-<hash>/<n>.bin`, cut by [`file_bytes`]).
//! - **Documents** (`d-<hash>/<n>.bin`): per message its permalink, channel, author, time,
//!   flags, fieldnorm and text (for snippets, phrase checks and exact scoring of candidates),
//!   [`DOCS_PER_CHUNK`] messages per file, file `n` holding ords `n*16 ..`. Files are grouped
//!   [`FILES_PER_DIR`] to a directory, each named by its own content, so appending messages
//!   (new ords come last) renames only the last directory's files, not every file.
//! - **Manifest** (`search/manifest.json`): format version, BM25 statistics, the fieldnorm
//!   table, shard boundaries and directory names. The only file not content-addressed.
//!
//! All `.bin` files are gzip streams (the client inflates them with `DecompressionStream`).
//! Directory names carry a hash of everything in them, so changed files get new URLs and
//! caches never mix two builds. Binary layouts are specified on [`write_dict_entry`] and
//! [`write_block`]; [`decode`] reads them back.

// Casts: doc ids and offsets are u32 in tantivy and in this format (an index has fewer than
// 2^32 docs and files are cut far below 4 GiB), and `as f32` on counts is exactly how tantivy
// computes BM25, which this export must reproduce.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::ops::Range;
use std::sync::Arc;

use flate2::Compression;
use flate2::write::GzEncoder;
use rayon::prelude::*;
use serde::Serialize;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::InvertedIndexReader;
use tantivy::postings::Postings;
use tantivy::query::Bm25Weight;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::termdict::TermMerger;
use tantivy::{DocId, DocSet, TERMINATED};

use super::{DocSource, IndexError, SearchIndex};
use crate::output::{OutputError, Staging};

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
    /// Its documents.
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

/// What the export wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExportStats {
    /// Files written under `search/`.
    pub files: usize,
    /// Their total (compressed) bytes.
    pub bytes: usize,
}

/// What the previous build's export can lend this one.
pub struct Previous {
    /// Its manifest.
    pub manifest: Manifest,
    /// How many of the first documents are unchanged since it (same ord, same content),
    /// under the same binary and index settings.
    pub unchanged: usize,
}

impl Previous {
    /// The name of the previous build's document directory `n`, if it holds exactly the
    /// records this build would write there.
    fn documents_dir(&self, n: usize, channels: &[String]) -> Option<&str> {
        let docs = &self.manifest.documents;
        let same_layout = self.same_format()
            && docs.per_dir == FILES_PER_DIR
            && docs.per_file == DOCS_PER_CHUNK
            && self.manifest.channels == channels;
        let full = (n + 1) * FILES_PER_DIR <= docs.count;
        let unchanged = (n + 1) * FILES_PER_DIR * DOCS_PER_CHUNK <= self.unchanged;
        if same_layout && full && unchanged { docs.dirs.get(n).map(String::as_str) } else { None }
    }

    /// The previous build's segment of the same documents, if it has one.
    fn segment(&self, docs: &Range<usize>, key: &str) -> Option<&TermSegment> {
        let same = |s: &&TermSegment| s.first == docs.start && s.docs == docs.len() && s.key == key;
        self.manifest.segments.iter().find(same).filter(|_| self.same_format())
    }

    fn same_format(&self) -> bool {
        self.manifest.format == FORMAT
    }
}

/// The segments `0..docs` is cut into: at the largest multiple of each of `sizes` (largest
/// first) below `docs`, so a segment never changes until documents before its end do, or
/// a multiple of a larger size is passed. Appending documents rewrites the last segment;
/// the others are kept, and merged into a larger one only at the next multiple.
pub fn segment_ranges(docs: usize, sizes: &[usize]) -> Vec<Range<usize>> {
    let mut cuts = vec![0];
    for &size in sizes {
        let cut = docs / size.max(1) * size.max(1);
        if cut > *cuts.last().expect("cuts start with 0") {
            cuts.push(cut);
        }
    }
    if docs > *cuts.last().expect("cuts start with 0") {
        cuts.push(docs);
    }
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// 10 hex digits of a hash of the documents `range`.
fn segment_key<D: DocSource + ?Sized>(docs: &D, range: &Range<usize>) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&(range.start as u64).to_le_bytes());
    for ord in range.clone() {
        hasher.update(&docs.hash(ord));
    }
    hasher.finalize().to_hex()[..10].to_owned()
}

/// Writes the export into `staging` under `search/`, the terms cut into segments at
/// `sizes` (see [`segment_ranges`]); segments and document directories the `previous`
/// export already holds unchanged are kept from it instead of written again. The terms
/// and the document records are written side by side (they share nothing but the norms).
pub fn write<D: DocSource + ?Sized>(
    index: &SearchIndex,
    docs: &D,
    (channels, sizes): (&[String], &[usize]),
    out: &Staging,
    previous: Option<&Previous>,
) -> Result<ExportStats, ExportError> {
    let searcher = index.reader.searcher();
    let segments = ordered_segments(&searcher)?;
    let norms = doc_norms(&segments, index.fields().text)?;
    let ranges = segment_ranges(docs.len(), sizes);
    let (terms, documents) = rayon::join(
        || {
            let mut export = ExportStats::default();
            let mut written = Vec::new();
            for range in ranges {
                let key = segment_key(docs, &range);
                let kept = previous.and_then(|p| p.segment(&range, &key)).and_then(|s| keep_segment(s, out));
                if let Some((segment, bytes)) = kept {
                    export.add_kept(&segment, bytes);
                    written.push(segment);
                } else {
                    let part = Part { segments: &segments, norms: &norms, docs: range };
                    written.push(write_terms(&part, key, index.fields(), &index.dir, out, &mut export)?);
                }
            }
            Ok::<_, ExportError>((written, export))
        },
        || write_documents(docs, &norms, channels, out, previous),
    );
    let (segments_written, mut export) = terms?;
    let (documents, written) = documents?;
    export.files += written.files;
    export.bytes += written.bytes;
    let text = index.fields().text;
    let stats = Bm25Stats {
        docs: segments.iter().map(|s| u64::from(s.reader.max_doc())).sum(),
        tokens: inverted_indexes(&segments, text)?.iter().map(|i| i.total_num_tokens()).sum(),
    };
    let manifest = Manifest {
        format: FORMAT,
        generator: format!("scrollback {}", env!("CARGO_PKG_VERSION")),
        docs: stats.docs,
        tokens: stats.tokens,
        fieldnorms: (0..=255u8).map(FieldNormReader::id_to_fieldnorm).collect(),
        timezone: index.meta.timezone.clone(),
        limits: Limits {
            expansions: super::MAX_EXPANSIONS,
            prefix_scan: super::MAX_PREFIX_SCAN,
            identifier_terms: super::MAX_IDENTIFIER_TERMS,
        },
        segments: segments_written,
        documents,
        channels: channels.to_vec(),
    };
    let mut manifest_json = serde_json::to_vec(&manifest).expect("manifest serialises");
    manifest_json.push(b'\n');
    out.write("search/manifest.json", &manifest_json)?;
    export.files += 1;
    export.bytes += manifest_json.len();
    Ok(export)
}

/// Links the previous build's files of `segment` into the new site, if each is still what
/// it wrote; returns the segment and their bytes.
fn keep_segment(segment: &TermSegment, out: &Staging) -> Option<(TermSegment, u64)> {
    let shards = (0..segment.terms.first.len()).map(|n| format!("search/{}{n}.bin", segment.terms.dir));
    let postings = (0..segment.postings.count).map(|n| format!("search/{}{n}.bin", segment.postings.dir));
    let rels: Vec<String> = shards.chain(postings).collect();
    out.reuse_all(&rels).map(|bytes| (segment.clone(), bytes))
}

/// The documents of one segment, in the index.
struct Part<'a> {
    segments: &'a [Segment<'a>],
    norms: &'a [u8],
    docs: Range<usize>,
}

/// Writes one segment's dictionary shards and posting files.
fn write_terms(
    part: &Part,
    key: String,
    fields: super::Fields,
    scratch: &std::path::Path,
    out: &Staging,
    export: &mut ExportStats,
) -> Result<TermSegment, ExportError> {
    // Entries go into dictionary shards as they are made, term by term, so the postings of
    // only one term are held at a time; posting files wait in a scratch file for their name.
    let (dict_bytes, posting_bytes) = file_bytes(part.docs.len());
    let mut dict = DictShards::new(dict_bytes);
    let spill_path = scratch.join(POSTINGS_SPILL);
    let spill =
        fs_err::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&spill_path)?;
    let mut posting_files = export_terms(
        part,
        fields.text,
        &[("channel", fields.channel), ("from", fields.from), ("has", fields.has), ("is", fields.is)],
        PostingFiles::new(spill.into_parts().0, posting_bytes),
        |entry| dict.push(&entry),
    )?;
    let (shard_files, first) = dict.finish();
    let terms_dir = hashed_dir("t", &shard_files);
    for (n, bytes) in shard_files.iter().enumerate() {
        export.add(out, &format!("search/{terms_dir}{n}.bin"), &gzip(bytes))?;
    }
    let postings_dir = format!("p-{}/", posting_files.hash);
    let count = posting_files.files.len();
    for n in 0..count {
        export.add(out, &format!("search/{postings_dir}{n}.bin"), &posting_files.files.read(n)?)?;
    }
    drop(posting_files);
    fs_err::remove_file(&spill_path)?;
    Ok(TermSegment {
        first: part.docs.start,
        docs: part.docs.len(),
        key,
        terms: Shards { dir: terms_dir, first },
        postings: Files { dir: postings_dir, count },
    })
}

/// Writes the document records, one directory at a time, each directory's files made on
/// every core (the documents of one file at a time on each).
fn write_documents<D: DocSource + ?Sized>(
    docs: &D,
    norms: &[u8],
    channels: &[String],
    out: &Staging,
    previous: Option<&Previous>,
) -> Result<(DocFiles, ExportStats), ExportError> {
    let channel_index: BTreeMap<&str, usize> =
        channels.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    let doc_file = |ords: Range<usize>| {
        let records: Vec<DocRecord> = ords
            .map(|ord| {
                let d = docs.get(ord);
                DocRecord {
                    u: d.url,
                    c: channel_index.get(&*d.channel).copied().unwrap_or(0),
                    a: d.author.to_string(),
                    t: d.time,
                    n: norms.get(ord).copied().unwrap_or(0),
                    x: d.text,
                    f: d.from.to_vec(),
                    h: d.has.iter().map(|h| (*h).to_owned()).collect(),
                    i: d.is,
                }
            })
            .collect();
        let json = serde_json::to_vec(&records).expect("records serialise");
        let gzipped = gzip(&json);
        (json, gzipped)
    };
    let mut export = ExportStats::default();
    let mut documents =
        DocFiles { dirs: Vec::new(), per_dir: FILES_PER_DIR, count: 0, per_file: DOCS_PER_CHUNK };
    let per_dir = DOCS_PER_CHUNK * FILES_PER_DIR;
    for (n, start) in (0..docs.len()).step_by(per_dir).enumerate() {
        if let Some(dir) = previous.and_then(|p| p.documents_dir(n, channels)) {
            let rels: Vec<String> = (n * FILES_PER_DIR..(n + 1) * FILES_PER_DIR)
                .map(|f| format!("search/d-{dir}/{f}.bin"))
                .collect();
            if let Some(bytes) = out.reuse_all(&rels) {
                documents.dirs.push(dir.to_owned());
                documents.count += FILES_PER_DIR;
                export.files += FILES_PER_DIR;
                export.bytes += usize::try_from(bytes).unwrap_or(usize::MAX);
                continue;
            }
        }
        let end = (start + per_dir).min(docs.len());
        let files: Vec<(Vec<u8>, Vec<u8>)> = (start..end)
            .step_by(DOCS_PER_CHUNK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|first| doc_file(first..(first + DOCS_PER_CHUNK).min(end)))
            .collect();
        documents.dirs.push(content_hash(files.iter().map(|(json, _)| json.as_slice())));
        for (_, gzipped) in &files {
            export.add(out, &format!("search/{}", documents.file(documents.count)), gzipped)?;
            documents.count += 1;
        }
    }
    Ok((documents, export))
}

impl ExportStats {
    /// Counts the files of a segment kept from the previous build.
    fn add_kept(&mut self, segment: &TermSegment, bytes: u64) {
        self.files += segment.terms.first.len() + segment.postings.count;
        self.bytes += usize::try_from(bytes).unwrap_or(usize::MAX);
    }

    /// Writes one file and counts it.
    fn add(&mut self, out: &Staging, rel: &str, bytes: &[u8]) -> Result<(), ExportError> {
        out.write(rel, bytes)?;
        self.files += 1;
        self.bytes += bytes.len();
        Ok(())
    }
}

/// Problems exporting.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// tantivy failed.
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    /// Reading postings failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Writing files failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A segment's documents are not one run of `ord`s following the previous segment's.
    #[error("the search index's segments are not runs of consecutive documents; rebuild with --force")]
    Segments,
}

struct Bm25Stats {
    docs: u64,
    tokens: u64,
}

/// A segment and the `ord` of its first document: segments are runs of consecutive `ord`s
/// (one writer thread adds documents in order), so a document's `ord` is `first + doc id`.
struct Segment<'a> {
    reader: &'a tantivy::SegmentReader,
    first: DocId,
}

/// The searcher's segments in `ord` order (the searcher lists them in no particular order),
/// checked to follow one another without gap or overlap.
fn ordered_segments(searcher: &tantivy::Searcher) -> Result<Vec<Segment<'_>>, ExportError> {
    let mut segments = Vec::new();
    for reader in searcher.segment_readers() {
        let ords = reader.fast_fields().u64("ord")?;
        segments.push((ords.min_value(), ords.max_value(), reader));
    }
    segments.sort_by_key(|&(min, _, _)| min);
    let mut next = 0u64;
    let mut ordered = Vec::with_capacity(segments.len());
    for (min, max, reader) in segments {
        if reader.max_doc() == 0 {
            continue;
        }
        if min != next || max != next + u64::from(reader.max_doc()) - 1 {
            return Err(ExportError::Segments);
        }
        ordered.push(Segment { reader, first: DocId::try_from(min).map_err(|_| ExportError::Segments)? });
        next = max + 1;
    }
    Ok(ordered)
}

/// The terms of one field over the index segments that hold documents of a part, in
/// byte order, each with its postings in the part.
struct MergedTerms<'a> {
    merger: TermMerger<'a>,
    inverted: &'a [Arc<InvertedIndexReader>],
    /// The part's index segments ([`Part::segments`]), in the order of `inverted`.
    segments: &'a [Segment<'a>],
    docs: Range<DocId>,
}

impl<'a> MergedTerms<'a> {
    /// `inverted` holds the field's index of each of the part's index segments (see
    /// [`Part::segments`]), in the same order.
    fn new(inverted: &'a [Arc<InvertedIndexReader>], part: &'a Part<'a>) -> std::io::Result<Self> {
        let streams = inverted.iter().map(|i| i.terms().stream()).collect::<std::io::Result<Vec<_>>>()?;
        let docs = part.docs.start as DocId..part.docs.end as DocId;
        Ok(MergedTerms { merger: TermMerger::new(streams), inverted, segments: part.segments(), docs })
    }

    fn advance(&mut self) -> bool {
        self.merger.advance()
    }

    fn key(&self) -> &[u8] {
        self.merger.key()
    }

    /// Calls `each(ord, tf)` for the current term's postings in the part, in `ord` order.
    fn postings(&self, option: IndexRecordOption, mut each: impl FnMut(DocId, u32)) -> std::io::Result<()> {
        let Range { start, end } = self.docs;
        for (segment, info) in self.merger.current_segment_ords_and_term_infos() {
            let first = self.segments[segment].first;
            let mut postings = self.inverted[segment].read_postings_from_terminfo(&info, option)?;
            let mut doc = postings.doc();
            // `seek` wants a target not before the current document.
            if first + doc < start {
                doc = postings.seek(start - first);
            }
            while doc != TERMINATED && first + doc < end {
                each(first + doc, postings.term_freq());
                doc = postings.advance();
            }
        }
        Ok(())
    }
}

impl Part<'_> {
    /// The index segments holding documents of the part.
    fn segments(&self) -> &[Segment<'_>] {
        let (start, end) = (self.docs.start as DocId, self.docs.end as DocId);
        let from = self.segments.partition_point(|s| s.first + s.reader.max_doc() <= start);
        let to = self.segments.partition_point(|s| s.first < end);
        &self.segments[from..to.max(from)]
    }

    /// The field's index in each of [`Part::segments`].
    fn inverted(&self, field: Field) -> tantivy::Result<Vec<Arc<InvertedIndexReader>>> {
        inverted_indexes(self.segments(), field)
    }
}

/// The terms of the filter fields as `name:term`, in byte order: field after field (sorted
/// by name), each field's terms in order.
struct FilterTerms<'a> {
    fields: &'a [(&'a str, Vec<Arc<InvertedIndexReader>>)],
    part: &'a Part<'a>,
    /// The field being read, its terms, and the current one (`None` when all are read).
    at: usize,
    terms: Option<MergedTerms<'a>>,
    term: Option<String>,
}

impl<'a> FilterTerms<'a> {
    fn new(
        fields: &'a [(&'a str, Vec<Arc<InvertedIndexReader>>)],
        part: &'a Part<'a>,
    ) -> std::io::Result<Self> {
        let mut terms = FilterTerms { fields, part, at: 0, terms: None, term: None };
        if let Some((_, inverted)) = fields.first() {
            terms.terms = Some(MergedTerms::new(inverted, part)?);
        }
        terms.advance()?;
        Ok(terms)
    }

    /// The current term.
    fn term(&self) -> Option<&str> {
        self.term.as_deref()
    }

    /// The current term and its postings; moves to the next.
    fn take(&mut self) -> std::io::Result<(String, Vec<(Posting, f32)>)> {
        let term = self.term.take().expect("take is called on a current term");
        let mut list = Vec::new();
        if let Some(terms) = &self.terms {
            terms.postings(IndexRecordOption::Basic, |doc, _| {
                list.push((Posting { doc, tf: 1, norm: 0 }, 0.0));
            })?;
        }
        self.advance()?;
        Ok((term, list))
    }

    fn advance(&mut self) -> std::io::Result<()> {
        while let Some(terms) = &mut self.terms {
            if terms.advance() {
                let (name, _) = &self.fields[self.at];
                self.term = Some(format!("{name}:{}", String::from_utf8_lossy(terms.key())));
                return Ok(());
            }
            self.at += 1;
            self.terms = match self.fields.get(self.at) {
                Some((_, inverted)) => Some(MergedTerms::new(inverted, self.part)?),
                None => None,
            };
        }
        self.term = None;
        Ok(())
    }
}

fn inverted_indexes(segments: &[Segment], field: Field) -> tantivy::Result<Vec<Arc<InvertedIndexReader>>> {
    segments.iter().map(|s| s.reader.inverted_index(field)).collect()
}

/// Every term of the text field and of the filter fields in a part, as dictionary entries
/// given to `sink` in byte order of the term, plus the posting files holding blocks after
/// the first. Postings are ordered by their score under the part's own statistics, which
/// do not change as documents are appended after it (the blocks' `best` pairs bound their
/// scores under any).
fn export_terms(
    part: &Part,
    text: Field,
    filters: &[(&str, Field)],
    mut files: PostingFiles,
    mut sink: impl FnMut(Entry),
) -> Result<PostingsOut, ExportError> {
    let inverted = part.inverted(text)?;
    let docs = part.docs.len();
    // The part's token count, from the norms (the index counts tokens per segment only).
    let tokens: u64 =
        part.docs.clone().map(|ord| u64::from(FieldNormReader::id_to_fieldnorm(part.norms[ord]))).sum();
    let average = tokens as f32 / docs.max(1) as f32;
    // Filter terms (`channel:ops`) stream beside the text terms, merged into their order:
    // their lists (a `from:` key per author of every document) are read one at a time.
    let mut by_name: Vec<(&str, Vec<Arc<InvertedIndexReader>>)> = Vec::new();
    for (name, field) in filters {
        by_name.push((name, part.inverted(*field)?));
    }
    // No `name:` is a prefix of another (names have no colon), so every term of a field
    // sorts the way its `name:` does: the fields' terms are runs, in this order.
    by_name.sort_by_key(|(name, _)| format!("{name}:"));
    let mut filter_terms = FilterTerms::new(&by_name, part)?;
    let mut terms = MergedTerms::new(&inverted, part)?;
    let mut emit = |term: String, list: Vec<(Posting, f32)>, scored: bool| {
        // A term of an index segment that reaches into the part may have no document in it.
        if !list.is_empty() {
            sink(entry(term, list, scored, &mut files));
        }
    };
    let mut list = Vec::new();
    while terms.advance() {
        let term = String::from_utf8_lossy(terms.key()).into_owned();
        while filter_terms.term().is_some_and(|f| f.as_bytes() < term.as_bytes()) {
            let (filter, list) = filter_terms.take()?;
            emit(filter, list, false);
        }
        // Scores need the part's document frequency: the postings are counted first.
        list.clear();
        terms.postings(IndexRecordOption::WithFreqs, |doc, tf| {
            list.push(Posting { doc, tf, norm: part.norms[doc as usize] });
        })?;
        let weight = Bm25Weight::for_one_term(list.len() as u64, docs as u64, average);
        emit(term, list.iter().map(|&p| (p, weight.score(p.norm, p.tf))).collect(), true);
    }
    while filter_terms.term().is_some() {
        let (filter, list) = filter_terms.take()?;
        emit(filter, list, false);
    }
    Ok(files.finish()?)
}

/// Every document's fieldnorm id, in `ord` order.
fn doc_norms(segments: &[Segment], text: Field) -> Result<Vec<u8>, ExportError> {
    let mut ids = Vec::new();
    for segment in segments {
        let norms = segment.reader.get_fieldnorms_reader(text)?;
        ids.extend((0..segment.reader.max_doc()).map(|d| norms.fieldnorm_id(d)));
    }
    Ok(ids)
}

/// Sorts postings best first (ties by doc) and cuts them into blocks; a `scored` term's
/// blocks record their best `(tf, norm)` pairs.
fn entry(term: String, list: Vec<(Posting, f32)>, scored: bool, files: &mut PostingFiles) -> Entry {
    let list = best_first(list);
    let df = list.len() as u32;
    let mut blocks = Vec::new();
    let mut inline = Vec::new();
    let mut size = FIRST_BLOCK;
    let mut rest = list.as_slice();
    while !rest.is_empty() {
        let (block, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        let mut postings: Vec<Posting> = block.iter().map(|(p, _)| *p).collect();
        let best = if scored { best_pairs(&mut postings) } else { Vec::new() };
        // Docs are unique in a list: an unstable sort gives the one order, with no buffer.
        postings.sort_unstable_by_key(|p| p.doc);
        let len = postings.len() as u32;
        if blocks.is_empty() {
            inline = postings;
            blocks.push(BlockInfo { len, best, at: None });
        } else {
            blocks.push(BlockInfo { len, best, at: Some(files.add(&postings)) });
        }
        size = (size * 2).min(MAX_BLOCK);
    }
    Entry { term, df, blocks, inline }
}

/// The `(tf, norm)` pairs no other posting beats in both, tf descending (see
/// [`BlockInfo::best`]); reorders `postings`.
fn best_pairs(postings: &mut [Posting]) -> Vec<(u32, u8)> {
    postings.sort_unstable_by(|a, b| b.tf.cmp(&a.tf).then(a.norm.cmp(&b.norm)));
    let mut best: Vec<(u32, u8)> = Vec::new();
    for p in postings.iter() {
        if best.last().is_none_or(|&(_, norm)| p.norm < norm) {
            best.push((p.tf, p.norm));
        }
    }
    best
}

/// Lists this long are bucketed rather than sorted (see [`best_first`]).
const BUCKETED: usize = 4096;
/// Term frequencies below this are bucket keys, with the fieldnorm id.
const TF_KEYS: u32 = 64;

/// Postings best first, ties by doc. A term in many documents has few distinct scores (a
/// score is a function of tf and fieldnorm) and its postings come in doc order, so its list
/// is put into one bucket per score, each keeping doc order: linear time, where sorting the
/// longest lists was most of the export's work.
fn best_first(mut list: Vec<(Posting, f32)>) -> Vec<(Posting, f32)> {
    let keyed = list.len() >= BUCKETED
        && list.iter().all(|(p, _)| p.tf < TF_KEYS)
        && list.is_sorted_by_key(|(p, _)| p.doc);
    if !keyed {
        // A total order (docs are unique): unstable sorting gives the same list.
        list.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.doc.cmp(&b.0.doc)));
        return list;
    }
    let key = |p: &Posting| ((p.tf as usize) << 8) | usize::from(p.norm);
    let (mut count, mut score) = (vec![0u32; TF_KEYS as usize * 256], vec![0f32; TF_KEYS as usize * 256]);
    for (p, s) in &list {
        count[key(p)] += 1;
        score[key(p)] = *s;
    }
    let mut keys: Vec<usize> = (0..count.len()).filter(|&k| count[k] > 0).collect();
    keys.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    // Keys of equal score share a bucket; `next` is where each bucket fills next.
    let (mut bucket, mut next) = (vec![0u32; count.len()], Vec::new());
    let mut at = 0;
    for (i, &k) in keys.iter().enumerate() {
        if i == 0 || score[keys[i - 1]].to_bits() != score[k].to_bits() {
            next.push(at);
        }
        bucket[k] = (next.len() - 1) as u32;
        at += count[k] as usize;
    }
    let mut out = vec![(Posting { doc: 0, tf: 0, norm: 0 }, 0.0); list.len()];
    for item in list {
        let b = bucket[key(&item.0)] as usize;
        out[next[b]] = item;
        next[b] += 1;
    }
    out
}

/// The scratch file posting files wait in, in the index directory (removed once written).
const POSTINGS_SPILL: &str = "postings.spill";

/// Posting files being filled in term order; each is hashed for the directory name once
/// full, then gzipped on a thread of its own (beside the terms still being read) into a
/// scratch file where it waits until that name is known, so that the export never holds
/// them all.
struct PostingFiles {
    current: Vec<u8>,
    /// A file is cut once it has this many bytes.
    limit: usize,
    /// Files finished so far.
    closed: usize,
    hasher: blake3::Hasher,
    /// Finished files, to the gzip thread.
    queue: std::sync::mpsc::SyncSender<Vec<u8>>,
    spilling: std::thread::JoinHandle<std::io::Result<Spilled>>,
}

/// Finished posting files, gzipped, one after another in a scratch file.
struct Spilled {
    file: std::fs::File,
    /// Where each file starts, and its length.
    at: Vec<(u64, usize)>,
}

/// The finished posting files.
struct PostingsOut {
    /// 10 hex digits naming their directory (as [`content_hash`]).
    hash: String,
    files: Spilled,
}

/// Files waiting to be gzipped: enough to keep the gzip thread busy, few enough to hold.
const GZIP_QUEUE: usize = 64;

impl PostingFiles {
    /// Posting files that wait in `file` (empty, open for reading and writing).
    fn new(file: std::fs::File, limit: usize) -> PostingFiles {
        let (queue, finished) = std::sync::mpsc::sync_channel::<Vec<u8>>(GZIP_QUEUE);
        let spilling = std::thread::Builder::new()
            .name("gzip".into())
            .spawn(move || {
                let mut done = Spilled { file, at: Vec::new() };
                for file in finished {
                    done.push(&gzip_at(&file, POSTINGS_GZIP_LEVEL))?;
                }
                Ok(done)
            })
            .expect("the gzip thread starts");
        PostingFiles { current: Vec::new(), limit, closed: 0, hasher: blake3::Hasher::new(), queue, spilling }
    }

    fn add(&mut self, postings: &[Posting]) -> BlockRef {
        if self.current.is_empty() {
            self.current.extend_from_slice(POSTINGS_MAGIC);
        }
        let offset = self.current.len();
        write_block(&mut self.current, postings);
        let at = BlockRef {
            file: self.closed as u32,
            offset: offset as u32,
            length: (self.current.len() - offset) as u32,
        };
        if self.current.len() >= self.limit {
            self.close();
        }
        at
    }

    fn close(&mut self) {
        let file = std::mem::take(&mut self.current);
        hash_file(&mut self.hasher, &file);
        self.closed += 1;
        // The queue is closed only if the gzip thread stopped on an error: `finish` says it.
        let _ = self.queue.send(file);
    }

    fn finish(mut self) -> std::io::Result<PostingsOut> {
        if !self.current.is_empty() {
            self.close();
        }
        let hash = self.hasher.finalize().to_hex()[..10].to_owned();
        drop(self.queue);
        let files = self.spilling.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Ok(PostingsOut { hash, files })
    }
}

impl Spilled {
    fn push(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let start = self.at.last().map_or(0, |&(start, len)| start + len as u64);
        self.file.write_all(bytes)?;
        self.at.push((start, bytes.len()));
        Ok(())
    }

    fn len(&self) -> usize {
        self.at.len()
    }

    /// File `n`.
    fn read(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let (start, len) = self.at[n];
        let mut bytes = vec![0; len];
        self.file.seek(std::io::SeekFrom::Start(start))?;
        self.file.read_exact(&mut bytes)?;
        Ok(bytes)
    }
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

/// Dictionary shards being filled with entries in term order, cut by bytes; each is magic,
/// `varint count`, entries.
#[derive(Default)]
struct DictShards {
    /// A shard is cut once it has this many bytes.
    limit: usize,
    shards: Vec<Vec<u8>>,
    first: Vec<String>,
    body: Vec<u8>,
    count: u64,
    previous: String,
}

impl DictShards {
    fn new(limit: usize) -> DictShards {
        DictShards { limit, ..DictShards::default() }
    }

    fn push(&mut self, entry: &Entry) {
        if self.count == 0 {
            self.first.push(entry.term.clone());
            self.previous.clear();
        }
        write_dict_entry(&mut self.body, &self.previous, entry);
        self.previous.clone_from(&entry.term);
        self.count += 1;
        if self.body.len() >= self.limit {
            self.cut();
        }
    }

    fn cut(&mut self) {
        let mut shard = DICT_MAGIC.to_vec();
        varint(&mut shard, self.count);
        shard.append(&mut self.body);
        self.shards.push(shard);
        self.count = 0;
    }

    /// The shards and the first term of each.
    fn finish(mut self) -> (Vec<Vec<u8>>, Vec<String>) {
        if self.count > 0 {
            self.cut();
        }
        (self.shards, self.first)
    }
}

/// `<kind>-<10 hex of blake3 over all files>/`.
fn hashed_dir(kind: &str, files: &[Vec<u8>]) -> String {
    format!("{kind}-{}/", content_hash(files.iter().map(Vec::as_slice)))
}

/// 10 hex digits of a hash over `files`.
fn content_hash<'a>(files: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = blake3::Hasher::new();
    for file in files {
        hash_file(&mut hasher, file);
    }
    hasher.finalize().to_hex()[..10].to_owned()
}

fn hash_file(hasher: &mut blake3::Hasher, file: &[u8]) {
    hasher.update(&(file.len() as u64).to_le_bytes());
    hasher.update(file);
}

/// gzip level for dictionary shards and document files: small, fetched by every query.
const GZIP_LEVEL: u32 = 6;
/// gzip level for posting files: most of the export's bytes and most of its compressing
/// time. Against level 6 on the 1M bench: 14% less gzip CPU (`perf`), 0.05% more bytes in
/// `search/` (131.13 against 131.07 MB).
const POSTINGS_GZIP_LEVEL: u32 = 4;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, GZIP_LEVEL)
}

fn gzip_at(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::new(level));
    encoder.write_all(bytes).expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}

/// Unsigned LEB128.
pub fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reading the export back: used by tests and by `examples/dump_search_export.rs`.
pub mod decode {
    use std::io::Read;

    use super::{BlockInfo, BlockRef, DICT_MAGIC, Entry, Posting};

    /// Inflates a `.bin` file.
    pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    /// A cursor over bytes.
    pub struct Reader<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl<'a> Reader<'a> {
        /// Starts at `at`.
        pub fn new(bytes: &'a [u8], at: usize) -> Self {
            Reader { bytes, at }
        }

        /// Whether everything was read.
        pub fn done(&self) -> bool {
            self.at >= self.bytes.len()
        }

        /// Unsigned LEB128.
        pub fn varint(&mut self) -> Option<u64> {
            let mut value = 0u64;
            for shift in (0..64).step_by(7) {
                let byte = *self.bytes.get(self.at)?;
                self.at += 1;
                value |= u64::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    return Some(value);
                }
            }
            None
        }

        fn byte(&mut self) -> Option<u8> {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            Some(b)
        }

        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            let slice = self.bytes.get(self.at..self.at + n)?;
            self.at += n;
            Some(slice)
        }

        /// `n` postings (see `write_block`).
        pub fn postings(&mut self, n: u32) -> Option<Vec<Posting>> {
            let mut doc = 0u32;
            (0..n)
                .map(|_| {
                    doc += u32::try_from(self.varint()?).ok()?;
                    let tf = u32::try_from(self.varint()?).ok()?;
                    Some(Posting { doc, tf, norm: self.byte()? })
                })
                .collect()
        }
    }

    /// All entries of an inflated dictionary shard.
    pub fn dict_shard(bytes: &[u8]) -> Option<Vec<Entry>> {
        if bytes.get(..4)? != DICT_MAGIC {
            return None;
        }
        let mut r = Reader::new(bytes, 4);
        let count = r.varint()?;
        let mut previous = String::new();
        let mut entries = Vec::new();
        for _ in 0..count {
            let shared = usize::try_from(r.varint()?).ok()?;
            let len = usize::try_from(r.varint()?).ok()?;
            let mut term = previous.as_bytes().get(..shared)?.to_vec();
            term.extend_from_slice(r.take(len)?);
            let term = String::from_utf8(term).ok()?;
            let df = u32::try_from(r.varint()?).ok()?;
            let nblocks = r.varint()?;
            let mut blocks = Vec::new();
            let mut inline = Vec::new();
            for i in 0..nblocks {
                let len = u32::try_from(r.varint()?).ok()?;
                let pairs = r.varint()?;
                let best = (0..pairs)
                    .map(|_| Some((u32::try_from(r.varint()?).ok()?, r.byte()?)))
                    .collect::<Option<Vec<_>>>()?;
                let at = if i == 0 {
                    inline = r.postings(len)?;
                    None
                } else {
                    Some(BlockRef {
                        file: u32::try_from(r.varint()?).ok()?,
                        offset: u32::try_from(r.varint()?).ok()?,
                        length: u32::try_from(r.varint()?).ok()?,
                    })
                };
                blocks.push(BlockInfo { len, best, at });
            }
            previous.clone_from(&term);
            entries.push(Entry { term, df, blocks, inline });
        }
        r.done().then_some(entries)
    }

    /// The postings of a non-inline block from its inflated posting file.
    pub fn block(file: &[u8], block: &BlockInfo) -> Option<Vec<Posting>> {
        let at = block.at?;
        let start = at.offset as usize;
        let bytes = file.get(start..start + at.length as usize)?;
        let mut r = Reader::new(bytes, 0);
        let postings = r.postings(block.len)?;
        r.done().then_some(postings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::SearchDoc;

    #[test]
    fn blocks_are_best_first_and_double_in_size() {
        let list: Vec<(Posting, f32)> =
            (0..100u32).map(|d| (Posting { doc: d, tf: 1, norm: 0 }, d as f32)).collect();
        let mut files = PostingFiles::new(tempfile::tempfile().unwrap(), POSTING_FILE_BYTES);
        let e = entry("x".into(), list, true, &mut files);
        let lens: Vec<u32> = e.blocks.iter().map(|b| b.len).collect();
        assert_eq!(lens, [32, 64, 4]);
        assert_eq!(e.blocks[0].best, [(1, 0)], "one pair: every posting has tf 1 and norm 0");
        assert_eq!(e.inline.first().map(|p| p.doc), Some(68), "the inline block holds the 32 best, by doc");
        let file = decode::gunzip(&files.finish().unwrap().files.read(0).unwrap()).unwrap();
        assert_eq!(decode::block(&file, &e.blocks[1]).unwrap().len(), 64);
    }

    #[test]
    fn long_lists_are_bucketed_into_the_order_a_sort_gives() {
        // Scores from (tf, norm) as BM25 gives them, with ties across keys; doc order in.
        let weight = Bm25Weight::for_one_term(30_000, 100_000, 12.0);
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as u32
        };
        for (len, tie) in [(5000, false), (9000, true)] {
            let list: Vec<(Posting, f32)> = (0..len)
                .map(|doc| {
                    let (tf, norm) = (1 + next() % 5, (next() % 40) as u8);
                    // Ties: every posting of tf 1 or 2 with the same norm scores the same.
                    let score = if tie && tf <= 2 { weight.score(norm, 1) } else { weight.score(norm, tf) };
                    (Posting { doc: doc * 3, tf, norm }, score)
                })
                .collect();
            let mut sorted = list.clone();
            sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.doc.cmp(&b.0.doc)));
            let bucketed = best_first(list);
            assert_eq!(bucketed.len(), sorted.len());
            assert!(bucketed.iter().zip(&sorted).all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits()));
        }
    }

    fn docs(count: u64) -> Vec<SearchDoc> {
        let words = ["kafka", "lag", "replica", "502", "metrics-web-prod-513", "the", "deploy"];
        (0..count)
            .map(|ord| {
                let n = ord as usize;
                let text = (0..=n % 5).map(|i| words[(n * 7 + i * 3) % words.len()]).collect::<Vec<_>>();
                SearchDoc {
                    ord,
                    id: format!("m{ord}"),
                    url: format!("c/ops/#m-{ord}"),
                    channel: if ord % 3 == 0 { "ops" } else { "deploys" }.into(),
                    author: "Ann".into(),
                    from: vec!["ann".to_owned()].into(),
                    time: 1_400_000_000 + ord.cast_signed(),
                    text: text.join(" "),
                    thread: None,
                    has: if ord % 4 == 0 { vec!["link"] } else { Vec::new() },
                    is: Vec::new(),
                }
            })
            .collect()
    }

    /// A part's entries and gzipped posting files.
    type Exported = (Vec<Entry>, Vec<Vec<u8>>);

    /// The export of each part of the index in `dir`, and its norms.
    fn exported(dir: &std::path::Path, parts: &[Range<usize>]) -> (Vec<Exported>, Vec<u8>) {
        let index = tantivy::Index::open_in_dir(dir).unwrap();
        let searcher = index.reader().unwrap().searcher();
        let segments = ordered_segments(&searcher).unwrap();
        let (_, f) = super::super::schema();
        let norms = doc_norms(&segments, f.text).unwrap();
        let filters = [("channel", f.channel), ("has", f.has)];
        let exports = parts
            .iter()
            .map(|docs| {
                let mut entries = Vec::new();
                let part = Part { segments: &segments, norms: &norms, docs: docs.clone() };
                let files = PostingFiles::new(tempfile::tempfile().unwrap(), POSTING_FILE_BYTES);
                let mut files = export_terms(&part, f.text, &filters, files, |e| entries.push(e)).unwrap();
                let gzipped = (0..files.files.len()).map(|n| files.files.read(n).unwrap()).collect();
                (entries, gzipped)
            })
            .collect();
        (exports, norms)
    }

    /// Every posting of `term` in `entries`, with the posting files they point into.
    fn postings_of(term: &str, (entries, files): &Exported) -> Vec<Posting> {
        let Some(e) = entries.iter().find(|e| e.term == term) else { return Vec::new() };
        let mut all = e.inline.clone();
        for block in &e.blocks[1..] {
            let file = decode::gunzip(&files[block.at.unwrap().file as usize]).unwrap();
            all.extend(decode::block(&file, block).unwrap());
        }
        all.sort_by_key(|p| p.doc);
        all
    }

    #[test]
    fn segments_export_as_one_index() {
        let docs = docs(3000);
        let tmp = tempfile::tempdir().unwrap();
        let (one, three) = (tmp.path().join("one"), tmp.path().join("three"));
        for dir in [&one, &three] {
            fs_err::create_dir_all(dir).unwrap();
        }
        super::super::create_index(&docs[..], 0..3000, &one, 1).unwrap();
        super::super::create_index(&docs[..], 0..1000, &three, 8).unwrap();
        let index = tantivy::Index::open_in_dir(&three).unwrap();
        super::super::add_documents(&index, &docs[..], 1000..2200, 8).unwrap();
        super::super::add_documents(&index, &docs[..], 2200..3000, 8).unwrap();
        assert_eq!(index.searchable_segment_ids().unwrap().len(), 3);
        let parts = segment_ranges(3000, &[1024, 512]);
        assert_eq!(parts, [0..2048, 2048..2560, 2560..3000]);
        let (a, b) = (exported(&one, &parts), exported(&three, &parts));
        assert_eq!(a, b, "three index segments export exactly as their merge");
        let (whole, _) = exported(&one, &segment_ranges(3000, &[]));
        let whole = &whole[0];
        assert!(whole.0.iter().any(|e| e.term == "kafka" && e.blocks.len() > 2), "long lists are blocked");
        for e in &whole.0 {
            let mut parted: Vec<Posting> = a.0.iter().flat_map(|part| postings_of(&e.term, part)).collect();
            parted.sort_by_key(|p| p.doc);
            assert_eq!(parted, postings_of(&e.term, whole), "{}: the parts hold the whole list", e.term);
        }
        for (part, range) in a.0.iter().zip(&parts) {
            for e in &part.0 {
                let postings = postings_of(&e.term, part);
                assert_eq!(e.df as usize, postings.len(), "{}: df is the part's", e.term);
                assert!(postings.iter().all(|p| range.contains(&(p.doc as usize))), "{}", e.term);
            }
        }
    }

    #[test]
    fn block_pairs_bound_every_posting_of_the_block() {
        let mut postings: Vec<Posting> = [(3, 20), (1, 2), (3, 9), (2, 5), (1, 1), (2, 30)]
            .iter()
            .enumerate()
            .map(|(doc, &(tf, norm))| Posting { doc: doc as u32, tf, norm })
            .collect();
        assert_eq!(best_pairs(&mut postings), [(3, 9), (2, 5), (1, 1)]);
        let block = BlockInfo { len: 6, best: vec![(3, 9), (2, 5), (1, 1)], at: None };
        for (docs, average) in [(10u64, 3.0f32), (1_000_000, 40.0), (50, 0.5)] {
            let weight = Bm25Weight::for_one_term(5, docs, average);
            let best = postings.iter().map(|p| weight.score(p.norm, p.tf)).fold(0.0, f32::max);
            assert_eq!(block.max_score(&weight).to_bits(), best.to_bits());
        }
    }

    #[test]
    fn segments_are_cut_at_multiples_of_each_size() {
        let sizes = [1 << 20, 1 << 16];
        assert!(segment_ranges(0, &sizes).is_empty());
        assert_eq!(segment_ranges(1000, &sizes), vec![0..1000]);
        assert_eq!(segment_ranges(65_536, &sizes), vec![0..65_536]);
        assert_eq!(segment_ranges(1_003_895, &sizes), [0..983_040, 983_040..1_003_895]);
        assert_eq!(
            segment_ranges(2_200_000, &sizes),
            [0..2_097_152, 2_097_152..2_162_688, 2_162_688..2_200_000]
        );
        // An append changes only the last segment until a multiple is passed.
        assert_eq!(segment_ranges(1_010_000, &sizes)[0], 0..983_040);
    }

    #[test]
    fn dictionary_shards_round_trip() {
        let entries: Vec<Entry> = ["kafka", "kafka.consumer.lag", "käse", "lag"]
            .iter()
            .enumerate()
            .map(|(i, t)| Entry {
                term: (*t).to_owned(),
                df: 1,
                blocks: vec![BlockInfo { len: 1, best: vec![(2, 7)], at: None }],
                inline: vec![Posting { doc: i as u32 * 300, tf: 2, norm: 7 }],
            })
            .collect();
        let mut dict = DictShards::new(DICT_SHARD_BYTES);
        for entry in &entries {
            dict.push(entry);
        }
        let (shards, first) = dict.finish();
        assert_eq!(first, ["kafka"]);
        assert_eq!(decode::dict_shard(&shards[0]).unwrap(), entries);
    }
}
