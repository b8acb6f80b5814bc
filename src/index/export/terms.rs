//! The terms of a run of tantivy segments, merged in byte order and filtered to what the
//! client can ask for, with the BM25 statistics they are scored under (`docs/search-format.md`,
//! "Terms").

use std::ops::Range;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::InvertedIndexReader;
use tantivy::postings::Postings;
use tantivy::query::Bm25Weight;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::termdict::TermMerger;
use tantivy::{DocId, DocSet, TERMINATED};

use super::files::{PostingFiles, PostingsOut};
use super::format::{Entry, Posting};
use super::impact::entry;
use super::{ExportError, Part};

pub(super) struct Bm25Stats {
    pub(super) docs: u64,
    pub(super) tokens: u64,
}

/// A segment and the `ord` of its first document: segments are runs of consecutive `ord`s
/// (one writer thread adds documents in order), so a document's `ord` is `first + doc id`.
pub(super) struct Segment<'a> {
    pub(super) reader: &'a tantivy::SegmentReader,
    pub(super) first: DocId,
}

/// The searcher's segments in `ord` order (the searcher lists them in no particular order),
/// checked to follow one another without gap or overlap.
pub(super) fn ordered_segments(searcher: &tantivy::Searcher) -> Result<Vec<Segment<'_>>, ExportError> {
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
pub(super) struct MergedTerms<'a> {
    pub(super) merger: TermMerger<'a>,
    pub(super) inverted: &'a [Arc<InvertedIndexReader>],
    /// The part's index segments ([`Part::segments`]), in the order of `inverted`.
    pub(super) segments: &'a [Segment<'a>],
    pub(super) docs: Range<DocId>,
}

impl<'a> MergedTerms<'a> {
    /// `inverted` holds the field's index of each of the part's index segments (see
    /// [`Part::segments`]), in the same order.
    pub(super) fn new(inverted: &'a [Arc<InvertedIndexReader>], part: &'a Part<'a>) -> std::io::Result<Self> {
        let streams = inverted.iter().map(|i| i.terms().stream()).collect::<std::io::Result<Vec<_>>>()?;
        let docs = part.docs.start as DocId..part.docs.end as DocId;
        Ok(MergedTerms { merger: TermMerger::new(streams), inverted, segments: part.segments(), docs })
    }

    pub(super) fn advance(&mut self) -> bool {
        self.merger.advance()
    }

    pub(super) fn key(&self) -> &[u8] {
        self.merger.key()
    }

    /// Calls `each(ord, tf)` for the current term's postings in the part, in `ord` order.
    pub(super) fn postings(
        &self,
        option: IndexRecordOption,
        mut each: impl FnMut(DocId, u32),
    ) -> std::io::Result<()> {
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

/// The terms of the filter fields as `name:term`, in byte order: field after field (sorted
/// by name), each field's terms in order.
pub(super) struct FilterTerms<'a> {
    pub(super) fields: &'a [(&'a str, Vec<Arc<InvertedIndexReader>>)],
    pub(super) part: &'a Part<'a>,
    /// The field being read, its terms, and the current one (`None` when all are read).
    pub(super) at: usize,
    pub(super) terms: Option<MergedTerms<'a>>,
    pub(super) term: Option<String>,
}

impl<'a> FilterTerms<'a> {
    pub(super) fn new(
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
    pub(super) fn term(&self) -> Option<&str> {
        self.term.as_deref()
    }

    /// The current term and its postings; moves to the next.
    pub(super) fn take(&mut self) -> std::io::Result<(String, Vec<(Posting, f32)>)> {
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

    pub(super) fn advance(&mut self) -> std::io::Result<()> {
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

pub(super) fn inverted_indexes(
    segments: &[Segment],
    field: Field,
) -> tantivy::Result<Vec<Arc<InvertedIndexReader>>> {
    segments.iter().map(|s| s.reader.inverted_index(field)).collect()
}

/// Every term of the text field and of the filter fields in a part, as dictionary entries
/// given to `sink` in byte order of the term, plus the posting files holding blocks after
/// the first. Postings are ordered by their score under the part's own statistics, which
/// do not change as documents are appended after it (the blocks' `best` pairs bound their
/// scores under any).
pub(super) fn export_terms(
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
pub(super) fn doc_norms(segments: &[Segment], text: Field) -> Result<Vec<u8>, ExportError> {
    let mut ids = Vec::new();
    for segment in segments {
        let norms = segment.reader.get_fieldnorms_reader(text)?;
        ids.extend((0..segment.reader.max_doc()).map(|d| norms.fieldnorm_id(d)));
    }
    Ok(ids)
}
