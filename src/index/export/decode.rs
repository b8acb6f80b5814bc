//! Reading the export back: used by tests and by `examples/dump_search_export.rs`.

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
