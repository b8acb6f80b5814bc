//! Dumps a site's static search export: the manifest, then each term with its document
//! frequency, blocks (best score, size, where they live) and first postings.
//!
//! ```sh
//! cargo run -- build sample-logs --out public
//! cargo run --example dump_search_export -- public rr16 replica
//! ```
//! With no terms it prints the first 20 of the dictionary.

use std::path::Path;

use scrollback::index::export::{Manifest, decode};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let site = args.next().unwrap_or_else(|| "public".to_owned());
    let wanted: Vec<String> = args.collect();
    let search = Path::new(&site).join("search");
    let manifest: Manifest = serde_json::from_slice(&fs_err::read(search.join("manifest.json"))?)?;
    println!(
        "format {} · {} docs · {} tokens · {} dictionary shards · {} posting files · {} document files",
        manifest.format,
        manifest.docs,
        manifest.tokens,
        manifest.terms.first.len(),
        manifest.postings.count,
        manifest.documents.count
    );
    let mut shown = 0;
    for n in 0..manifest.terms.first.len() {
        let shard = decode::gunzip(&fs_err::read(search.join(format!("{}{n}.bin", manifest.terms.dir)))?)?;
        for entry in decode::dict_shard(&shard).ok_or_else(|| anyhow::anyhow!("shard {n} does not decode"))? {
            let show = if wanted.is_empty() { shown < 20 } else { wanted.contains(&entry.term) };
            if !show {
                continue;
            }
            shown += 1;
            println!("{:?} df={} blocks={}", entry.term, entry.df, entry.blocks.len());
            for (i, block) in entry.blocks.iter().enumerate() {
                let at = block.at.map_or_else(
                    || "inline".to_owned(),
                    |a| format!("file {} @{}+{}", a.file, a.offset, a.length),
                );
                println!("  block {i}: {} postings, best score {:.4}, {at}", block.len, block.max_score);
            }
            let first: Vec<String> = entry
                .inline
                .iter()
                .take(8)
                .map(|p| format!("(doc {}, tf {}, norm {})", p.doc, p.tf, p.norm))
                .collect();
            println!("  first postings: {}", first.join(" "));
        }
    }
    Ok(())
}
