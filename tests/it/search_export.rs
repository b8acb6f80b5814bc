//! The static search export, decoded and checked against the tantivy index it came from.

use std::collections::BTreeMap;

use scrollback::index::export::{self, BlockInfo, DocRecord, Manifest, Posting, TermSegment, decode};
use scrollback::index::{SearchIndex, index_dir_for};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::Postings;
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, TERMINATED};

use crate::harness::{Site, repo};

fn read(site: &Site, rel: &str) -> Vec<u8> {
    let bytes = fs_err::read(site.out.join("search").join(rel)).unwrap();
    decode::gunzip(&bytes).unwrap()
}

#[test]
fn every_posting_of_every_term_is_exported_best_first() {
    let whole = Site::build(&[repo().join("sample-logs")], &[]);
    let one = check_export(&whole);
    assert_eq!(one, 1, "the sample is far below the smallest default segment");
    let cut = Site::with_config(&[repo().join("sample-logs")], "[search]\nsegments = [128, 32]\n");
    assert!(check_export(&cut) >= 3, "small sizes cut the sample into segments");
}

/// Decodes `site`'s export and checks it against its tantivy index; returns its segments.
fn check_export(site: &Site) -> usize {
    let manifest: Manifest =
        serde_json::from_slice(&fs_err::read(site.out.join("search/manifest.json")).unwrap()).unwrap();
    let index = SearchIndex::open(&index_dir_for(&site.out)).unwrap();
    // The posting files waited in a scratch file there until written: it is gone.
    assert!(!index_dir_for(&site.out).join("postings.spill").exists());
    let searcher = index.tantivy().reader().unwrap().searcher();
    // The index may be several segments (the base and the last days); a document's number in
    // the export is its `ord` field.
    let segments: Vec<_> = searcher
        .segment_readers()
        .iter()
        .map(|segment| {
            let ords = segment.fast_fields().u64("ord").unwrap().first_or_default_col(0);
            (segment.inverted_index(index.fields().text).unwrap(), ords)
        })
        .collect();
    assert!(segments.len() > 1, "the sample's last two days are a segment of their own");
    assert_eq!(manifest.docs, searcher.num_docs());
    assert_eq!(
        manifest.tokens,
        segments.iter().map(|(inverted, _)| inverted.total_num_tokens()).sum::<u64>()
    );
    let average = manifest.tokens as f32 / manifest.docs as f32;
    let records: Vec<DocRecord> = (0..manifest.documents.count)
        .flat_map(|n| {
            serde_json::from_slice::<Vec<DocRecord>>(&read(site, &manifest.documents.file(n))).unwrap()
        })
        .collect();
    assert_eq!(records.len() as u64, manifest.docs);

    // Every segment's blocks, by term, each segment checked on its own.
    let mut by_term: BTreeMap<String, Vec<Block>> = BTreeMap::new();
    let mut next = 0;
    for segment in &manifest.segments {
        assert_eq!(segment.first, next, "segments follow one another");
        next += segment.docs;
        for (term, blocks) in check_segment(site, segment, &records) {
            by_term.entry(term).or_default().extend(blocks);
        }
    }
    assert_eq!(next as u64, manifest.docs, "segments cover every document");

    let mut text_terms = 0;
    for (term, blocks) in &by_term {
        let all: Vec<Posting> = blocks.iter().flat_map(|(_, postings)| postings.iter().copied()).collect();
        let df = all.len() as u64;
        if term.contains(':') {
            continue; // filter fields (channel:, from:, has:) are checked below
        }
        text_terms += 1;
        // Same postings as tantivy's...
        let mut expected = BTreeMap::new();
        for (inverted, ords) in &segments {
            let Some(info) = inverted.terms().get(term.as_bytes()).unwrap() else { continue };
            let mut postings =
                inverted.read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs).unwrap();
            let mut doc = postings.doc();
            while doc != TERMINATED {
                expected.insert(u32::try_from(ords.get_val(doc)).unwrap(), postings.term_freq());
                doc = postings.advance();
            }
        }
        let got: BTreeMap<u32, u32> = all.iter().map(|p| (p.doc, p.tf)).collect();
        assert_eq!(got, expected, "{term}");
        // ...whose best score in each block, under the whole index's statistics (the client's
        // bound), is exactly what the block's pairs give.
        let weight = Bm25Weight::for_one_term(df, manifest.docs, average);
        for (block, postings) in blocks {
            let best = postings.iter().map(|p| weight.score(p.norm, p.tf)).fold(f32::MIN, f32::max);
            assert_eq!(block.max_score(&weight).to_bits(), best.to_bits(), "{term}: exact bound");
        }
        for p in &all {
            assert_eq!(p.norm, records[p.doc as usize].n, "{term}: the norm is the document's");
        }
    }
    let mut tantivy_terms = std::collections::BTreeSet::new();
    for (inverted, _) in &segments {
        let mut stream = inverted.terms().stream().unwrap();
        while stream.advance() {
            tantivy_terms.insert(stream.key().to_vec());
        }
    }
    assert_eq!(text_terms, tantivy_terms.len());

    // Filter terms list the documents of their channel.
    let in_ops = records.iter().filter(|r| manifest.channels[r.c] == "ops").count();
    assert_eq!(by_term["channel:ops"].iter().map(|(_, postings)| postings.len()).sum::<usize>(), in_ops);
    // Records are in time order, so date filters and sort:newest follow the ord.
    assert!(records.windows(2).all(|w| w[0].t <= w[1].t));
    // And each record's link is a real permalink.
    for record in records.iter().step_by(17) {
        let (page, anchor) = record.u.split_once('#').unwrap();
        assert!(site.page(page).contains(&format!("id=\"{anchor}\"")), "{}", record.u);
    }
    manifest.segments.len()
}

/// A block and its postings.
type Block = (BlockInfo, Vec<Posting>);

/// One segment's dictionary and posting files: every term's blocks, checked to be in the
/// segment, best first under the segment's own statistics, with exact pairs.
fn check_segment(site: &Site, segment: &TermSegment, records: &[DocRecord]) -> Vec<(String, Vec<Block>)> {
    let mut entries = Vec::new();
    for (n, first) in segment.terms.first.iter().enumerate() {
        let shard = read(site, &format!("{}{n}.bin", segment.terms.dir));
        let decoded = decode::dict_shard(&shard).expect("shard decodes");
        assert_eq!(&decoded[0].term, first, "manifest names each shard's first term");
        if n + 1 < segment.terms.first.len() {
            assert!(shard.len() >= export::file_bytes(segment.docs).0, "shards are cut by bytes");
        }
        entries.extend(decoded);
    }
    assert!(entries.windows(2).all(|w| w[0].term.as_bytes() < w[1].term.as_bytes()), "sorted by bytes");
    let posting_files: Vec<Vec<u8>> = (0..segment.postings.count)
        .map(|n| read(site, &format!("{}{n}.bin", segment.postings.dir)))
        .collect();
    let docs = segment.first..segment.first + segment.docs;
    let lengths: u64 =
        records[docs.clone()].iter().map(|r| u64::from(FieldNormReader::id_to_fieldnorm(r.n))).sum();
    let average = lengths as f32 / segment.docs as f32;
    let mut lists = Vec::new();
    for entry in entries {
        let mut all: Vec<Posting> = entry.inline.clone();
        for block in &entry.blocks[1..] {
            let at = block.at.expect("later blocks live in posting files");
            all.extend(decode::block(&posting_files[at.file as usize], block).expect("block decodes"));
        }
        assert_eq!(all.len() as u32, entry.df, "{}", entry.term);
        assert!(all.iter().all(|p| docs.contains(&(p.doc as usize))), "{}: in the segment", entry.term);
        let weight = Bm25Weight::for_one_term(u64::from(entry.df), segment.docs as u64, average);
        let mut offset = 0;
        let mut previous_max = f32::INFINITY;
        let mut blocks = Vec::new();
        for block in &entry.blocks {
            let postings = &all[offset..offset + block.len as usize];
            offset += block.len as usize;
            blocks.push((block.clone(), postings.to_vec()));
            assert!(postings.windows(2).all(|w| w[0].doc < w[1].doc), "docs ascending inside a block");
            if entry.term.contains(':') {
                assert!(block.best.is_empty(), "{}: filter terms are not scored", entry.term);
                continue;
            }
            let best = postings.iter().map(|p| weight.score(p.norm, p.tf)).fold(f32::MIN, f32::max);
            assert_eq!(block.max_score(&weight).to_bits(), best.to_bits(), "{}: exact pairs", entry.term);
            assert!(best <= previous_max, "{}: blocks best first", entry.term);
            previous_max = best;
        }
        lists.push((entry.term, blocks));
    }
    lists
}

#[test]
fn the_manifest_is_small_and_every_file_is_content_addressed() {
    let site = Site::build(&[repo().join("sample-logs")], &[]);
    let manifest_bytes = fs_err::read(site.out.join("search/manifest.json")).unwrap();
    assert!(manifest_bytes.len() < 4096, "{} bytes", manifest_bytes.len());
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).unwrap();
    let re = regex::Regex::new(r"^[tpd]-[0-9a-f]{10}/$").unwrap();
    for segment in &manifest.segments {
        for dir in [&segment.terms.dir, &segment.postings.dir] {
            assert!(re.is_match(dir), "{dir}");
        }
    }
    let doc_file = regex::Regex::new(r"^d-[0-9a-f]{10}/\d+\.bin$").unwrap();
    assert!(doc_file.is_match(&manifest.documents.file(0)), "{}", manifest.documents.file(0));
    // A different archive gives different directory names, never the same URL for new bytes.
    let other = Site::build(&[repo().join("tests/cases/slack/everything")], &[]);
    let other_manifest: Manifest =
        serde_json::from_slice(&fs_err::read(other.out.join("search/manifest.json")).unwrap()).unwrap();
    assert_ne!(manifest.documents.dirs, other_manifest.documents.dirs);
}
