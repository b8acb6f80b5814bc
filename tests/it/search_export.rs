//! The static search export, decoded and checked against the tantivy index it came from.

use std::collections::BTreeMap;

use scrollback::index::export::{self, DocRecord, Manifest, Posting, decode};
use scrollback::index::{SearchIndex, index_dir_for};
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
    let site = Site::build(&[repo().join("sample-logs")], &[]);
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

    // Decode the whole dictionary.
    let mut entries = Vec::new();
    for (n, first) in manifest.terms.first.iter().enumerate() {
        let shard = read(&site, &format!("{}{n}.bin", manifest.terms.dir));
        let decoded = decode::dict_shard(&shard).expect("shard decodes");
        assert_eq!(&decoded[0].term, first, "manifest names each shard's first term");
        if n + 1 < manifest.terms.first.len() {
            assert!(shard.len() >= export::DICT_SHARD_BYTES, "shards are cut by bytes");
        }
        entries.extend(decoded);
    }
    assert!(entries.windows(2).all(|w| w[0].term.as_bytes() < w[1].term.as_bytes()), "sorted by bytes");
    let posting_files: Vec<Vec<u8>> = (0..manifest.postings.count)
        .map(|n| read(&site, &format!("{}{n}.bin", manifest.postings.dir)))
        .collect();

    let mut text_terms = 0;
    for entry in &entries {
        let mut all: Vec<Posting> = entry.inline.clone();
        for block in &entry.blocks[1..] {
            let at = block.at.expect("later blocks live in posting files");
            all.extend(decode::block(&posting_files[at.file as usize], block).expect("block decodes"));
        }
        assert_eq!(all.len() as u32, entry.df, "{}", entry.term);
        if entry.term.contains(':') {
            continue; // filter fields (channel:, from:, has:) are checked below
        }
        text_terms += 1;
        // Same postings as tantivy's...
        let mut expected = BTreeMap::new();
        for (inverted, ords) in &segments {
            let Some(info) = inverted.terms().get(entry.term.as_bytes()).unwrap() else { continue };
            let mut postings =
                inverted.read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs).unwrap();
            let mut doc = postings.doc();
            while doc != TERMINATED {
                expected.insert(u32::try_from(ords.get_val(doc)).unwrap(), postings.term_freq());
                doc = postings.advance();
            }
        }
        assert!(!expected.is_empty(), "{} exists in tantivy", entry.term);
        let got: BTreeMap<u32, u32> = all.iter().map(|p| (p.doc, p.tf)).collect();
        assert_eq!(got, expected, "{}", entry.term);
        // ...in blocks whose maxima are tantivy's scores, best block first.
        let weight = Bm25Weight::for_one_term(u64::from(entry.df), manifest.docs, average);
        let mut offset = 0;
        let mut previous_max = f32::INFINITY;
        for block in &entry.blocks {
            let postings = &all[offset..offset + block.len as usize];
            offset += block.len as usize;
            let best = postings.iter().map(|p| weight.score(p.norm, p.tf)).fold(f32::MIN, f32::max);
            assert!((best - block.max_score).abs() < 1e-6, "{}: {best} vs {}", entry.term, block.max_score);
            assert!(block.max_score <= previous_max, "{}: blocks best first", entry.term);
            previous_max = block.max_score;
            assert!(postings.windows(2).all(|w| w[0].doc < w[1].doc), "docs ascending inside a block");
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
    let records: Vec<DocRecord> = (0..manifest.documents.count)
        .flat_map(|n| {
            serde_json::from_slice::<Vec<DocRecord>>(&read(&site, &manifest.documents.file(n))).unwrap()
        })
        .collect();
    assert_eq!(records.len() as u64, manifest.docs);
    let ops = entries.iter().find(|e| e.term == "channel:ops").unwrap();
    let in_ops = records.iter().filter(|r| manifest.channels[r.c] == "ops").count();
    assert_eq!(ops.df as usize, in_ops);
    // Records are in time order, so date filters and sort:newest follow the ord.
    assert!(records.windows(2).all(|w| w[0].t <= w[1].t));
    // And each record's link is a real permalink.
    for record in records.iter().step_by(17) {
        let (page, anchor) = record.u.split_once('#').unwrap();
        assert!(site.page(page).contains(&format!("id=\"{anchor}\"")), "{}", record.u);
    }
}

#[test]
fn the_manifest_is_small_and_every_file_is_content_addressed() {
    let site = Site::build(&[repo().join("sample-logs")], &[]);
    let manifest_bytes = fs_err::read(site.out.join("search/manifest.json")).unwrap();
    assert!(manifest_bytes.len() < 4096, "{} bytes", manifest_bytes.len());
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).unwrap();
    let re = regex::Regex::new(r"^[tpd]-[0-9a-f]{10}/$").unwrap();
    for dir in [&manifest.terms.dir, &manifest.postings.dir] {
        assert!(re.is_match(dir), "{dir}");
    }
    let doc_file = regex::Regex::new(r"^d-[0-9a-f]{10}/\d+\.bin$").unwrap();
    assert!(doc_file.is_match(&manifest.documents.file(0)), "{}", manifest.documents.file(0));
    // A different archive gives different directory names, never the same URL for new bytes.
    let other = Site::build(&[repo().join("tests/cases/slack/everything")], &[]);
    let other_manifest: Manifest =
        serde_json::from_slice(&fs_err::read(other.out.join("search/manifest.json")).unwrap()).unwrap();
    assert_ne!(manifest.documents.dirs, other_manifest.documents.dirs);
}
