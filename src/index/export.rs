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
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;
use tantivy::DocId;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::InvertedIndexReader;
use tantivy::schema::Field;

use super::{DocSource, IndexError, SearchIndex};
use crate::output::{OutputError, Staging};

mod files;
mod format;
mod impact;
mod terms;
pub mod decode;

use files::{DictShards, POSTINGS_SPILL, PostingFiles, content_hash, gzip, hashed_dir};
pub use format::*;
use terms::{Bm25Stats, Segment, doc_norms, export_terms, inverted_indexes, ordered_segments};

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
    /// Its search manifest, as it was published.
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

/// How the export is cut: the channels' slugs (documents name their channel by its place
/// here) and the segment sizes (`[search] segments`).
#[derive(Clone, Copy)]
pub struct Cuts<'a> {
    /// Every channel's slug.
    pub channels: &'a [String],
    /// Sizes, largest first, at whose multiples the terms are cut into segments.
    pub segments: &'a [usize],
}

/// Writes the export into `out` under `search/`, the terms cut into segments at
/// `sizes` (see [`segment_ranges`]); segments and document directories the `previous`
/// export already holds unchanged are kept from it instead of written again. The terms
/// and the document records are written side by side (they share nothing but the norms).
pub fn write<D: DocSource + ?Sized>(
    index: &SearchIndex,
    docs: &D,
    Cuts { channels, segments: sizes }: Cuts,
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

#[cfg(test)]
mod tests {
    use super::impact::{best_first, best_pairs, entry};
    use super::*;
    use crate::index::SearchDoc;
    use tantivy::query::Bm25Weight;

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
