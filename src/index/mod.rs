//! Search: the tantivy index of record, `scrollback search`, and (in [`export`]) the static
//! shards the search page reads.
//!
//! The index holds one document per published message ([`documents`]), with the ops-chat
//! [`tokenize`]r. It is written by one thread in `ord` (time) order, so each segment is a run
//! of consecutive `ord`s and a document's `ord` is its segment's first plus its doc id: the
//! static export and the JavaScript client number documents the same way. It lives beside
//! the site (`<out>.index/`), not in it: tantivy names its files with random UUIDs, and the
//! published site must be byte-identical from build to build.
//!
//! Query semantics ([`query`], mirrored by the client): every required clause must match and
//! is scored with tantivy's BM25; phrases and filters only filter (they add nothing to the
//! score); a prefix matches its [`MAX_EXPANSIONS`] most frequent completions.

pub mod documents;
pub mod export;
pub mod query;
pub mod snippet;
pub mod tokenize;
pub mod update;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Bound, Range};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::merge_policy::NoMergePolicy;
use tantivy::query::{
    BooleanQuery, BoostQuery, Occur, PhraseQuery, Query as TantivyQuery, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, Order, Score, SegmentReader, TantivyDocument, Term,
    doc,
};

pub use documents::{DocSource, SearchDoc};
use query::{Clause, Query, Sort};
use tokenize::{OpsTokenizer, TOKENIZER};

/// How many completions a prefix stands for (the most frequent ones).
pub const MAX_EXPANSIONS: usize = 8;
/// How many terms with a prefix are considered when choosing its completions, in term order.
pub const MAX_PREFIX_SCAN: usize = 256;
/// The most indexed identifiers an identifier query stands for (`10.0` could start many).
pub const MAX_IDENTIFIER_TERMS: usize = 1024;
/// The tantivy writer's memory budget: it flushes a segment when its buffers reach this.
/// 50 MB is part of keeping the build at 1M messages under 1 GB of RSS; it makes about ten
/// segments there (see `update::BASE_SEGMENTS`).
const WRITER_BUDGET: usize = 50_000_000;
/// The file in the index directory describing the site it belongs to.
pub const META_FILE: &str = crate::output::SIDECAR_MARKER;

/// Problems with the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The index directory is missing or from another version.
    #[error("{path}: {message}")]
    Unusable {
        /// The index directory.
        path: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// What the index knows about its site.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IndexMeta {
    /// Layout version of this file and the index.
    pub format: u32,
    /// The zone `after:`/`before:`/`on:` dates are in.
    pub timezone: String,
    /// The site's public URL, to print absolute links.
    pub base_url: Option<String>,
    /// Documents indexed.
    pub docs: u64,
}

/// The current index format.
pub const FORMAT: u32 = 1;

/// The schema's fields.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Message text (BM25, positions).
    pub text: Field,
    /// Global order (time, channel, id); equals the doc id.
    pub ord: Field,
    /// Message id.
    pub id: Field,
    /// Permalink from the site root.
    pub url: Field,
    /// Channel slug.
    pub channel: Field,
    /// Author display name.
    pub author: Field,
    /// Author keys for `from:`.
    pub from: Field,
    /// Seconds since the epoch.
    pub time: Field,
    /// `has:` flags.
    pub has: Field,
    /// `is:` flags.
    pub is: Field,
    /// Thread root id.
    pub thread: Field,
}

/// The schema and its fields.
pub fn schema() -> (Schema, Fields) {
    let mut sb = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let fields = Fields {
        text: sb.add_text_field("text", TextOptions::default().set_indexing_options(indexing).set_stored()),
        ord: sb.add_u64_field("ord", FAST | STORED | INDEXED),
        id: sb.add_text_field("id", STRING | STORED),
        url: sb.add_text_field("url", STORED),
        channel: sb.add_text_field("channel", STRING | STORED),
        author: sb.add_text_field("author", STORED),
        from: sb.add_text_field("from", STRING),
        time: sb.add_i64_field("time", INDEXED | FAST | STORED),
        has: sb.add_text_field("has", STRING),
        is: sb.add_text_field("is", STRING),
        thread: sb.add_text_field("thread", STRING | STORED),
    };
    (sb.build(), fields)
}

/// The index directory that belongs to a site directory: `<site>.index` beside it.
pub fn index_dir_for(site: &Path) -> PathBuf {
    crate::output::sidecar_path(site)
}

/// Writes the documents `ords` as a tantivy index in the empty directory `dir`, as segments
/// that are runs of consecutive `ord`s (merged into one if the writer flushed more than `most`).
fn create_index<D: DocSource + ?Sized>(
    docs: &D,
    ords: Range<usize>,
    dir: &Path,
    most: usize,
) -> Result<(), IndexError> {
    let (schema, _) = schema();
    let index = Index::create_in_dir(dir, schema)?;
    add_documents(&index, docs, ords, most)
}

/// Adds the documents `ords` (after any already in `index`), then merges every segment into
/// one if there are more than `most`.
fn add_documents<D: DocSource + ?Sized>(
    index: &Index,
    docs: &D,
    ords: Range<usize>,
    most: usize,
) -> Result<(), IndexError> {
    let (_, f) = schema();
    index.tokenizers().register(TOKENIZER, OpsTokenizer::default());
    // One thread writes segments in document order; the budget bounds its memory.
    let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_BUDGET)?;
    writer.set_merge_policy(Box::new(NoMergePolicy));
    for ord in ords {
        let d = docs.get(ord);
        let mut document = doc!(
            f.text => d.text,
            f.ord => d.ord,
            f.id => d.id,
            f.url => d.url,
            f.channel => &*d.channel,
            f.author => &*d.author,
            f.time => d.time,
        );
        for key in d.from.iter() {
            document.add_text(f.from, key);
        }
        for flag in d.has {
            document.add_text(f.has, flag);
        }
        for flag in d.is {
            document.add_text(f.is, flag);
        }
        if let Some(thread) = d.thread {
            document.add_text(f.thread, thread);
        }
        writer.add_document(document)?;
    }
    writer.commit()?;
    if index.searchable_segment_ids()?.len() > most {
        merge_in_ord_order(index, &mut writer)?;
    }
    writer.wait_merging_threads()?;
    Ok(())
}

/// Merges the segments in `ord` order so that the merged segment is one run of `ord`s too
/// (`searchable_segment_ids` comes back in random order; tantivy-export.md §3).
fn merge_in_ord_order(index: &Index, writer: &mut IndexWriter) -> Result<(), IndexError> {
    let searcher = index.reader()?.searcher();
    let mut segments = searcher
        .segment_readers()
        .iter()
        .map(|s| Ok((s.fast_fields().u64("ord")?.min_value(), s.segment_id())))
        .collect::<tantivy::Result<Vec<_>>>()?;
    if segments.len() > 1 {
        segments.sort();
        let ids: Vec<_> = segments.into_iter().map(|(_, id)| id).collect();
        writer.merge(&ids).wait()?;
    }
    Ok(())
}

/// Search options.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// How many hits to return.
    pub limit: usize,
    /// Override the query's `sort:`.
    pub sort: Option<Sort>,
    /// Treat the last word as a prefix (search as you type).
    pub prefix_last: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { limit: 10, sort: None, prefix_last: false }
    }
}

/// Results, in the shape `--json` prints and the search page's `search()` resolves to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchResults {
    /// How many messages match.
    pub total: usize,
    /// The best `limit` of them.
    pub hits: Vec<Hit>,
}

/// One hit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// Message id (the anchor is `m-<id>`).
    pub id: String,
    /// Permalink: from the site root, or absolute when the site has a `base_url`.
    pub url: String,
    /// Channel slug.
    pub channel: String,
    /// Author's display name.
    pub author: String,
    /// `2014-01-17T17:11:39Z`.
    pub time: String,
    /// HTML: the text around the matches, escaped, matches in `<mark>`.
    pub snippet: String,
    /// BM25 score (0 when only filters matched).
    pub score: f32,
    /// The snippet as plain text, for terminals.
    #[serde(skip)]
    pub snippet_plain: Vec<snippet::Piece>,
}

/// A query with identifiers and prefixes resolved against the index's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// One term.
    Term(String),
    /// Consecutive terms (filter) whose terms are scored individually.
    Phrase(Vec<String>),
    /// At least one of these terms, each present one scored: a prefix's completions, or an
    /// identifier's indexed forms (itself, or longer identifiers continuing it after a joiner).
    AnyOf(Vec<String>),
}

/// An opened index.
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// What the index says about its site.
    pub meta: IndexMeta,
}

impl SearchIndex {
    /// Opens the index in `dir`.
    pub fn open(dir: &Path) -> Result<SearchIndex, IndexError> {
        let unusable =
            |message: &str| IndexError::Unusable { path: dir.display().to_string(), message: message.into() };
        let meta_path = dir.join(META_FILE);
        if !meta_path.is_file() {
            return Err(unusable(
                "no search index here; build the site first (`scrollback build … --out SITE`)",
            ));
        }
        let meta: IndexMeta = serde_json::from_slice(&fs_err::read(&meta_path)?)
            .map_err(|e| unusable(&format!("{META_FILE} is unreadable: {e}")))?;
        if meta.format != FORMAT {
            return Err(unusable("the index is from another scrollback version; rebuild the site"));
        }
        let index = Index::open_in_dir(dir)?;
        index.tokenizers().register(TOKENIZER, OpsTokenizer::default());
        let reader = index.reader()?;
        let (_, fields) = schema();
        Ok(SearchIndex { dir: dir.to_owned(), index, reader, fields, meta })
    }

    /// The tantivy index (for the static export).
    pub fn tantivy(&self) -> &Index {
        &self.index
    }

    /// The schema's fields, by name.
    pub fn fields(&self) -> Fields {
        self.fields
    }

    /// Runs a query.
    pub fn search(&self, input: &str, options: &SearchOptions) -> Result<SearchResults, IndexError> {
        let parsed = query::parse(input, options.prefix_last);
        let sort = options.sort.unwrap_or(parsed.sort);
        let Some(tantivy_query) = self.to_tantivy(&parsed)? else {
            return Ok(SearchResults { total: 0, hits: Vec::new() });
        };
        let searcher = self.reader.searcher();
        let limit = options.limit.max(1);
        let (addresses, total): (Vec<(f32, DocAddress)>, usize) = match sort {
            Sort::Relevance => {
                // Ties go to the lower `ord`, as in the static export: tantivy breaks them by
                // segment, and the index's segments are listed in no particular order.
                let by_score_then_ord = TopDocs::with_limit(limit).tweak_score(|segment: &SegmentReader| {
                    let ords = segment.fast_fields().u64("ord").ok().map(|c| c.first_or_default_col(0));
                    move |doc: DocId, score: Score| {
                        (score, Reverse(ords.as_ref().map_or(0, |o| o.get_val(doc))))
                    }
                });
                let (docs, total) = searcher.search(&*tantivy_query, &(by_score_then_ord, Count))?;
                (docs.into_iter().map(|((score, _), address)| (score, address)).collect(), total)
            }
            Sort::Newest | Sort::Oldest => {
                let order = if sort == Sort::Newest { Order::Desc } else { Order::Asc };
                let (docs, total) = searcher.search(
                    &*tantivy_query,
                    &(TopDocs::with_limit(limit).order_by_fast_field::<u64>("ord", order), Count),
                )?;
                let weight =
                    tantivy_query.weight(tantivy::query::EnableScoring::enabled_from_searcher(&searcher))?;
                let scored = docs
                    .into_iter()
                    .map(|(_, address)| {
                        let reader = searcher.segment_reader(address.segment_ord);
                        Ok((weight.explain(reader, address.doc_id)?.value(), address))
                    })
                    .collect::<tantivy::Result<Vec<_>>>()?;
                (scored, total)
            }
        };
        let terms = self.highlight_terms(&parsed)?;
        let hits = addresses
            .into_iter()
            .map(|(score, address)| Ok(self.hit(&searcher.doc(address)?, score, &terms)))
            .collect::<Result<_, IndexError>>()?;
        Ok(SearchResults { total, hits })
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, terms: &BTreeSet<String>) -> Hit {
        let f = self.fields;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let time = doc.get_first(f.time).and_then(|v| v.as_i64()).unwrap_or(0);
        let pieces = snippet::snippet(&text(f.text), terms);
        let url = text(f.url);
        Hit {
            id: text(f.id),
            url: match &self.meta.base_url {
                Some(base) => format!("{}/{url}", base.trim_end_matches('/')),
                None => url,
            },
            channel: text(f.channel),
            author: text(f.author),
            time: jiff::Timestamp::from_second(time)
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default(),
            snippet: snippet::to_html(&pieces),
            score,
            snippet_plain: pieces,
        }
    }

    /// Resolves identifiers and prefixes to the index's terms; `None` when nothing can match.
    pub fn resolve(&self, clause: &Clause) -> Result<Option<Unit>, IndexError> {
        Ok(Some(match clause {
            Clause::Term(t) => Unit::Term(t.clone()),
            Clause::Phrase(parts) => Unit::Phrase(parts.clone()),
            // Scored as the identifier itself: rare, so much more telling than its parts.
            Clause::Identifier { whole, .. } => {
                let terms = self.identifier_terms(whole)?;
                if terms.is_empty() {
                    return Ok(None);
                }
                Unit::AnyOf(terms)
            }
            Clause::Prefix(prefix) => {
                let expansions = self.expansions(prefix)?;
                if expansions.is_empty() {
                    return Ok(None);
                }
                Unit::AnyOf(expansions)
            }
        }))
    }

    /// Terms starting with `prefix`, in term order, with their doc frequencies; at most
    /// `limit` of those that `keep` accepts.
    fn terms_with_prefix(
        &self,
        prefix: &str,
        limit: usize,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Vec<(u64, String)>, IndexError> {
        let searcher = self.reader.searcher();
        // Each segment's first `limit` hold the union's first `limit`; a term's frequency is
        // the sum over the segments that have it.
        let mut found: BTreeMap<String, u64> = BTreeMap::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.text)?;
            let mut stream = inverted.terms().range().ge(prefix.as_bytes()).into_stream()?;
            let mut taken = 0;
            while taken < limit && stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else { continue };
                if !term.starts_with(prefix) {
                    break;
                }
                if keep(term) {
                    *found.entry(term.to_owned()).or_default() += u64::from(stream.value().doc_freq);
                    taken += 1;
                }
            }
        }
        Ok(found.into_iter().take(limit).map(|(term, df)| (df, term)).collect())
    }

    /// The [`MAX_EXPANSIONS`] most frequent terms starting with `prefix` among the first
    /// [`MAX_PREFIX_SCAN`] in term order (ties: term order).
    pub fn expansions(&self, prefix: &str) -> Result<Vec<String>, IndexError> {
        let mut found = self.terms_with_prefix(prefix, MAX_PREFIX_SCAN, |_| true)?;
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(found.into_iter().take(MAX_EXPANSIONS).map(|(_, t)| t).collect())
    }

    /// Indexed identifiers equal to `whole` or continuing it after a joiner.
    pub fn identifier_terms(&self, whole: &str) -> Result<Vec<String>, IndexError> {
        let at_boundary =
            |term: &str| term[whole.len()..].chars().next().is_none_or(|c| tokenize::JOINERS.contains(&c));
        Ok(self
            .terms_with_prefix(whole, MAX_IDENTIFIER_TERMS, at_boundary)?
            .into_iter()
            .map(|(_, t)| t)
            .collect())
    }

    /// The normalised terms to mark in snippets.
    fn highlight_terms(&self, parsed: &Query) -> Result<BTreeSet<String>, IndexError> {
        let mut terms = BTreeSet::new();
        for clause in &parsed.required {
            match self.resolve(clause)? {
                Some(Unit::Term(t)) => {
                    terms.insert(t);
                }
                Some(Unit::Phrase(ts) | Unit::AnyOf(ts)) => terms.extend(ts),
                None => {}
            }
        }
        Ok(terms)
    }

    /// The tantivy query, or `None` when nothing can match.
    fn to_tantivy(&self, q: &Query) -> Result<Option<Box<dyn TantivyQuery>>, IndexError> {
        if q.is_empty() {
            return Ok(None);
        }
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        for clause in &q.required {
            let Some(unit) = self.resolve(clause)? else { return Ok(None) };
            clauses.push((Occur::Must, self.unit_query(&unit)));
        }
        for clause in &q.excluded {
            if let Some(unit) = self.resolve(clause)? {
                clauses.push((Occur::MustNot, self.unit_query(&unit)));
            }
        }
        let filter = |q: Box<dyn TantivyQuery>| {
            (Occur::Must, Box::new(BoostQuery::new(q, 0.0)) as Box<dyn TantivyQuery>)
        };
        let any_of = |field: Field, values: &[String]| -> Box<dyn TantivyQuery> {
            let terms = values.iter().map(|v| Term::from_field_text(field, v)).collect();
            Box::new(BooleanQuery::new_multiterms_query(terms))
        };
        if !q.channels.is_empty() {
            clauses.push(filter(any_of(f.channel, &q.channels)));
        }
        if !q.from.is_empty() {
            clauses.push(filter(any_of(f.from, &q.from)));
        }
        for flag in &q.has {
            clauses.push(filter(any_of(f.has, std::slice::from_ref(flag))));
        }
        for flag in &q.is {
            clauses.push(filter(any_of(f.is, std::slice::from_ref(flag))));
        }
        if let Some((lo, hi)) = self.time_range(q) {
            let term = |t: i64| Term::from_field_i64(f.time, t);
            let lo = lo.map_or(Bound::Unbounded, |t| Bound::Included(term(t)));
            let hi = hi.map_or(Bound::Unbounded, |t| Bound::Excluded(term(t)));
            clauses.push(filter(Box::new(RangeQuery::new(lo, hi))));
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    fn unit_query(&self, unit: &Unit) -> Box<dyn TantivyQuery> {
        let term = |t: &String| Term::from_field_text(self.fields.text, t);
        let scored = |t: &String| {
            Box::new(TermQuery::new(term(t), IndexRecordOption::WithFreqs)) as Box<dyn TantivyQuery>
        };
        match unit {
            Unit::Term(t) => scored(t),
            Unit::AnyOf(ts) => {
                Box::new(BooleanQuery::new(ts.iter().map(|t| (Occur::Should, scored(t))).collect()))
            }
            Unit::Phrase(ts) => {
                let mut parts: Vec<(Occur, Box<dyn TantivyQuery>)> =
                    ts.iter().map(|t| (Occur::Must, scored(t))).collect();
                let phrase = PhraseQuery::new(ts.iter().map(term).collect());
                parts.push((Occur::Must, Box::new(BoostQuery::new(Box::new(phrase), 0.0))));
                Box::new(BooleanQuery::new(parts))
            }
        }
    }

    /// `[from, to)` in seconds for the date filters, in the site's zone.
    fn time_range(&self, q: &Query) -> Option<(Option<i64>, Option<i64>)> {
        let tz = TimeZone::get(&self.meta.timezone).unwrap_or(TimeZone::UTC);
        let start = |d: Date| d.to_zoned_datetime(tz.clone()).ok().map(|z| z.timestamp().as_second());
        let next = |d: Date| d.tomorrow().ok().and_then(start);
        let mut lo = q.after.and_then(next);
        let mut hi = q.before.and_then(start);
        if let Some(on) = q.on {
            lo = lo.max(start(on));
            hi = match (hi, next(on)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        (lo.is_some() || hi.is_some()).then_some((lo, hi))
    }
}
