//! Impact ordering: a term's postings, best-scoring first, cut into blocks that record the
//! best `(tf, norm)` pairs that bound their scores (`docs/search-format.md`, "Scoring").

use super::files::PostingFiles;
use super::format::{BlockInfo, Entry, FIRST_BLOCK, MAX_BLOCK, Posting};

/// Sorts postings best first (ties by doc) and cuts them into blocks; a `scored` term's
/// blocks record their best `(tf, norm)` pairs.
pub(super) fn entry(
    term: String,
    list: Vec<(Posting, f32)>,
    scored: bool,
    files: &mut PostingFiles,
) -> Entry {
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
pub(super) fn best_pairs(postings: &mut [Posting]) -> Vec<(u32, u8)> {
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
pub(super) const BUCKETED: usize = 4096;

/// Term frequencies below this are bucket keys, with the fieldnorm id.
pub(super) const TF_KEYS: u32 = 64;

/// Postings best first, ties by doc. A term in many documents has few distinct scores (a
/// score is a function of tf and fieldnorm) and its postings come in doc order, so its list
/// is put into one bucket per score, each keeping doc order: linear time, where sorting the
/// longest lists was most of the export's work.
pub(super) fn best_first(mut list: Vec<(Posting, f32)>) -> Vec<(Posting, f32)> {
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
