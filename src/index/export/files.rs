//! Writing the files: posting blocks spilled to a temporary file while terms are merged,
//! dictionary shards cut by bytes, gzip, and directories named by their content
//! (`docs/search-format.md`, "Files").

use std::io::{Read, Seek, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::format::{
    BlockRef, DICT_MAGIC, Entry, POSTINGS_MAGIC, Posting, varint, write_block, write_dict_entry,
};

/// The scratch file posting files wait in, in the index directory (removed once written).
pub(super) const POSTINGS_SPILL: &str = "postings.spill";

/// Posting files being filled in term order; each is hashed for the directory name once
/// full, then gzipped on a thread of its own (beside the terms still being read) into a
/// scratch file where it waits until that name is known, so that the export never holds
/// them all.
pub(super) struct PostingFiles {
    pub(super) current: Vec<u8>,
    /// A file is cut once it has this many bytes.
    pub(super) limit: usize,
    /// Files finished so far.
    pub(super) closed: usize,
    pub(super) hasher: blake3::Hasher,
    /// Finished files, to the gzip thread.
    pub(super) queue: std::sync::mpsc::SyncSender<Vec<u8>>,
    pub(super) spilling: std::thread::JoinHandle<std::io::Result<Spilled>>,
}

/// Finished posting files, gzipped, one after another in a scratch file.
pub(super) struct Spilled {
    pub(super) file: std::fs::File,
    /// Where each file starts, and its length.
    pub(super) at: Vec<(u64, usize)>,
}

/// The finished posting files.
pub(super) struct PostingsOut {
    /// 10 hex digits naming their directory (as [`content_hash`]).
    pub(super) hash: String,
    pub(super) files: Spilled,
}

/// Files waiting to be gzipped: enough to keep the gzip thread busy, few enough to hold.
pub(super) const GZIP_QUEUE: usize = 64;

impl PostingFiles {
    /// Posting files that wait in `file` (empty, open for reading and writing).
    pub(super) fn new(file: std::fs::File, limit: usize) -> PostingFiles {
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

    pub(super) fn add(&mut self, postings: &[Posting]) -> BlockRef {
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

    pub(super) fn close(&mut self) {
        let file = std::mem::take(&mut self.current);
        hash_file(&mut self.hasher, &file);
        self.closed += 1;
        // The queue is closed only if the gzip thread stopped on an error: `finish` says it.
        let _ = self.queue.send(file);
    }

    pub(super) fn finish(mut self) -> std::io::Result<PostingsOut> {
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
    pub(super) fn push(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let start = self.at.last().map_or(0, |&(start, len)| start + len as u64);
        self.file.write_all(bytes)?;
        self.at.push((start, bytes.len()));
        Ok(())
    }

    pub(super) fn len(&self) -> usize {
        self.at.len()
    }

    /// File `n`.
    pub(super) fn read(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let (start, len) = self.at[n];
        let mut bytes = vec![0; len];
        self.file.seek(std::io::SeekFrom::Start(start))?;
        self.file.read_exact(&mut bytes)?;
        Ok(bytes)
    }
}

/// Dictionary shards being filled with entries in term order, cut by bytes; each is magic,
/// `varint count`, entries.
#[derive(Default)]
pub(super) struct DictShards {
    /// A shard is cut once it has this many bytes.
    pub(super) limit: usize,
    pub(super) shards: Vec<Vec<u8>>,
    pub(super) first: Vec<String>,
    pub(super) body: Vec<u8>,
    pub(super) count: u64,
    pub(super) previous: String,
}

impl DictShards {
    pub(super) fn new(limit: usize) -> DictShards {
        DictShards { limit, ..DictShards::default() }
    }

    pub(super) fn push(&mut self, entry: &Entry) {
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

    pub(super) fn cut(&mut self) {
        let mut shard = DICT_MAGIC.to_vec();
        varint(&mut shard, self.count);
        shard.append(&mut self.body);
        self.shards.push(shard);
        self.count = 0;
    }

    /// The shards and the first term of each.
    pub(super) fn finish(mut self) -> (Vec<Vec<u8>>, Vec<String>) {
        if self.count > 0 {
            self.cut();
        }
        (self.shards, self.first)
    }
}

/// `<kind>-<10 hex of blake3 over all files>/`.
pub(super) fn hashed_dir(kind: &str, files: &[Vec<u8>]) -> String {
    format!("{kind}-{}/", content_hash(files.iter().map(Vec::as_slice)))
}

/// 10 hex digits of a hash over `files`.
pub(super) fn content_hash<'a>(files: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = blake3::Hasher::new();
    for file in files {
        hash_file(&mut hasher, file);
    }
    hasher.finalize().to_hex()[..10].to_owned()
}

pub(super) fn hash_file(hasher: &mut blake3::Hasher, file: &[u8]) {
    hasher.update(&(file.len() as u64).to_le_bytes());
    hasher.update(file);
}

/// gzip level for dictionary shards and document files: small, fetched by every query.
pub(super) const GZIP_LEVEL: u32 = 6;

/// gzip level for posting files: most of the export's bytes and most of its compressing
/// time. Against level 6 on the 1M bench: 14% less gzip CPU (`perf`), 0.05% more bytes in
/// `search/` (131.13 against 131.07 MB).
pub(super) const POSTINGS_GZIP_LEVEL: u32 = 4;

pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, GZIP_LEVEL)
}

pub(super) fn gzip_at(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::new(level));
    encoder.write_all(bytes).expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}
