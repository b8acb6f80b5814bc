//! Updating the previous build's index instead of writing it again.
//!
//! A nightly export only grows, and new messages come last in time order, so their `ord`s
//! follow every earlier document's. Only the newest documents may still change from one
//! export to the next (an incident still gathering alerts, a thread still growing), so the
//! index directory keeps, in `base/`, an index of every document older than the last
//! [`TAIL_SECONDS`], with a hash of each (see [`RECORD`]).
//!
//! The next build links that base in when its documents are still the first documents, in
//! the same order and with the same content, under the same binary and settings; it adds
//! the rest as another segment beside the base's (segments are runs of consecutive `ord`s,
//! read in that order by the export). No document is ever deleted (tantivy would then only
//! estimate the token count), so the result has exactly the documents, ords and statistics
//! of a fresh index, and the export is byte-identical.
//! The base moves forward once the documents between it and the last [`TAIL_SECONDS`] pass a
//! sixteenth of the archive.
//! Anything else (an edited, deleted or inserted older message, another binary, a damaged
//! record or index) writes the base from scratch, with a warning when something found
//! could not be trusted.
//!
//! The record (`base/documents.bin`, in the records' envelope, [`crate::store::seal`]): a
//! 32-byte hash of the binary and the index settings, then a 16-byte hash per document in
//! `ord` order.

use std::path::Path;

use tantivy::Index;

use super::documents::HASH;
use super::{DocSource, IndexError, IndexMeta, META_FILE};

/// The base index's directory inside the index directory.
pub const BASE: &str = "base";
/// The base's record of its documents.
pub const RECORD: &str = crate::store::names::DOCUMENTS;
/// Documents this recent stay out of the base: they may still change.
pub const TAIL_SECONDS: i64 = 2 * 86_400;
/// The record's kind in the records' envelope.
const KIND: &str = "documents";
/// The base may be several segments (each a run of consecutive `ord`s), merged only beyond
/// this many. The index is the base's segments and the tail's, never merged: the export and
/// `scrollback search` read segments as they are, so merging would only rewrite them.
/// With the writer's 50 MB budget, 1M messages make about ten.
const BASE_SEGMENTS: usize = 16;
/// Beyond this many segments in the index (the base's and the tail's), they are merged.
const INDEX_SEGMENTS: usize = BASE_SEGMENTS + 4;

/// How the index was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// From scratch.
    Fresh,
    /// From the previous build's base, with the documents after it indexed.
    Appended {
        /// Documents kept from the previous base.
        kept: usize,
        /// Documents indexed after them.
        added: usize,
    },
}

/// Writes the index of `docs` (in `ord` order) into the empty directory `dir`, from the
/// index directory of the previous build, `previous`, where it can. Returns how, and a
/// warning if the previous base was there but could not be used.
pub fn write<D: DocSource + ?Sized>(
    docs: &D,
    dir: &Path,
    meta: &IndexMeta,
    previous: Option<&Path>,
) -> Result<(Outcome, Option<String>), IndexError> {
    let settings = settings(meta);
    let hashes: Vec<[u8; HASH]> = (0..docs.len()).map(|ord| docs.hash(ord)).collect();
    let base = dir.join(BASE);
    fs_err::create_dir_all(&base)?;
    let mut warning = None;
    let kept = match previous.map(|p| p.join(BASE)).filter(|p| p.join(RECORD).is_file()) {
        None => None,
        Some(previous) => reuse_base(&hashes, &previous, &base, &settings).unwrap_or_else(|e| {
            warning = Some(format!("{}: {e}; writing the search index from scratch", previous.display()));
            None
        }),
    };
    let cut = cutoff(docs);
    let base_len = match kept {
        Some(kept) if cut.saturating_sub(kept) <= docs.len() / 16 => kept,
        Some(kept) => {
            super::add_documents(&Index::open_in_dir(&base)?, docs, kept..cut, BASE_SEGMENTS)?;
            cut
        }
        None => {
            clear(&base)?;
            super::create_index(docs, 0..cut, &base, BASE_SEGMENTS)?;
            cut
        }
    };
    write_record(&base, &settings, &hashes[..base_len])?;
    link_index_files(&base, dir)?;
    super::add_documents(&Index::open_in_dir(dir)?, docs, base_len..docs.len(), INDEX_SEGMENTS)?;
    fs_err::write(dir.join(META_FILE), serde_json::to_vec_pretty(meta).expect("meta serialises"))?;
    let outcome = match kept {
        Some(kept) => Outcome::Appended { kept, added: docs.len() - kept },
        None => Outcome::Fresh,
    };
    Ok((outcome, warning))
}

/// The first document of the tail: the first whose time is within [`TAIL_SECONDS`] of the
/// newest.
fn cutoff<D: DocSource + ?Sized>(docs: &D) -> usize {
    if docs.is_empty() {
        return 0;
    }
    // In `ord` order, so in time order: the newest is the last.
    let newest = docs.time(docs.len() - 1);
    (0..docs.len()).position(|ord| docs.time(ord) > newest - TAIL_SECONDS).unwrap_or(docs.len())
}

/// Links the previous base into `base` if its documents are the first of `hashes`: returns
/// how many; `Ok(None)` if they are not (then a new base is simply written).
fn reuse_base(
    hashes: &[[u8; HASH]],
    previous: &Path,
    base: &Path,
    settings: &blake3::Hash,
) -> Result<Option<usize>, String> {
    let record = fs_err::read(previous.join(RECORD)).map_err(|e| e.to_string())?;
    let Some((recorded_settings, recorded)) = parse(&record) else {
        return Err(format!("{RECORD} is damaged"));
    };
    if recorded_settings != *settings.as_bytes() || recorded.len() > hashes.len() {
        return Ok(None);
    }
    if recorded.iter().zip(hashes).any(|(a, b)| a != b) {
        return Ok(None);
    }
    link_index_files(previous, base).map_err(|e| e.to_string())?;
    let index = Index::open_in_dir(base).map_err(|e| e.to_string())?;
    let found = index.reader().map_err(|e| e.to_string())?.searcher().num_docs();
    if found != recorded.len() as u64 {
        return Err(format!("the index holds {found} documents, its record {}", recorded.len()));
    }
    Ok(Some(recorded.len()))
}

/// Hard-links (or copies) tantivy's files: they are never changed once written (tantivy
/// replaces its metadata files by renaming new ones over them).
fn link_index_files(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_index_file(&name) && !name.ends_with(".lock") {
            let target = to.join(&*name);
            if std::fs::hard_link(entry.path(), &target).is_err() {
                fs_err::copy(entry.path(), &target)?;
            }
        }
    }
    Ok(())
}

/// tantivy's files: segment files (named by a 32-hex-digit id), its metadata and locks.
fn is_index_file(name: &str) -> bool {
    let segment = name
        .split_once('.')
        .is_some_and(|(id, _)| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    segment || matches!(name, "meta.json" | ".managed.json" | ".tantivy-meta.lock" | ".tantivy-writer.lock")
}

/// Removes tantivy's files from `dir`.
fn clear(dir: &Path) -> std::io::Result<()> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        if is_index_file(&entry.file_name().to_string_lossy()) {
            fs_err::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn write_record(dir: &Path, settings: &blake3::Hash, hashes: &[[u8; HASH]]) -> std::io::Result<()> {
    let body = crate::store::encode(&(settings.as_bytes(), hashes));
    fs_err::write(dir.join(RECORD), crate::store::seal(KIND, &body))
}

/// The settings hash and the documents' hashes in `record`, if it is whole.
fn parse(record: &[u8]) -> Option<([u8; 32], Vec<[u8; HASH]>)> {
    crate::store::decode(&record[crate::store::open(KIND, record)?])
}

/// What else shapes the index: the binary (tokenizer, schema) and the settings in `meta`.
fn settings(meta: &IndexMeta) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(crate::store::binary_hash().map_or(&[0; 32], |h| h.as_bytes()));
    let meta = IndexMeta { docs: 0, ..meta.clone() };
    hasher.update(&serde_json::to_vec(&meta).expect("meta serialises"));
    hasher.finalize()
}
