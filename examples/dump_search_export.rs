//! Dumps a site's static search export: the manifest, then each term with its document
//! frequency in each segment, blocks (best pairs, size, where they live) and first postings.
//!
//! ```sh
//! cargo run -- build sample-logs --out public
//! cargo run --example dump_search_export -- public rr16 replica
//! ```
//! With no terms it prints the first 20 of the dictionary.

use std::path::Path;

use scrollback::index::export::{Entry, Manifest, decode};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let site = args.next().unwrap_or_else(|| "public".to_owned());
    let wanted: Vec<String> = args.collect();
    let search = Path::new(&site).join("search");
    let manifest: Manifest = serde_json::from_slice(&fs_err::read(search.join("manifest.json"))?)?;
    println!(
        "format {} · {} docs · {} tokens · {} term segments · {} document files",
        manifest.format,
        manifest.docs,
        manifest.tokens,
        manifest.segments.len(),
        manifest.documents.count
    );
    let mut shown = 0;
    for segment in &manifest.segments {
        println!(
            "segment of docs {}..{}: {} dictionary shards, {} posting files",
            segment.first,
            segment.first + segment.docs,
            segment.terms.first.len(),
            segment.postings.count
        );
        for n in 0..segment.terms.first.len() {
            let path = search.join(format!("{}{n}.bin", segment.terms.dir));
            let entries = decode::dict_shard(&decode::gunzip(&fs_err::read(path)?)?)
                .ok_or_else(|| anyhow::anyhow!("shard {n} does not decode"))?;
            for entry in entries {
                let show = if wanted.is_empty() { shown < 20 } else { wanted.contains(&entry.term) };
                if show {
                    shown += 1;
                    print_entry(&entry);
                }
            }
        }
    }
    Ok(())
}

fn print_entry(entry: &Entry) {
    println!("{:?} df={} blocks={}", entry.term, entry.df, entry.blocks.len());
    for (i, block) in entry.blocks.iter().enumerate() {
        let at = block
            .at
            .map_or_else(|| "inline".to_owned(), |a| format!("file {} @{}+{}", a.file, a.offset, a.length));
        let best: Vec<String> = block.best.iter().map(|(tf, norm)| format!("tf {tf} norm {norm}")).collect();
        println!("  block {i}: {} postings, best ({}), {at}", block.len, best.join(", "));
    }
    let first: Vec<String> = entry
        .inline
        .iter()
        .take(8)
        .map(|p| format!("(doc {}, tf {}, norm {})", p.doc, p.tf, p.norm))
        .collect();
    println!("  first postings: {}", first.join(" "));
}
