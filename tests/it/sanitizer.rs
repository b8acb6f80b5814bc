//! The sanitiser's fast path against ammonia on every text of every real input: the sample
//! logs, the hand-made cases (hostile ones included) and the shared fixtures. Where the fast
//! path takes a text, its HTML must be ammonia's byte for byte; and it must take most of
//! them, or it is not the fast path.

use std::collections::BTreeMap;
use std::path::PathBuf;

use scrollback::ingest::{Options, ingest_all};
use scrollback::markup::{self, Context};
use scrollback::model::Text;

use crate::harness::{case, repo, shared_fixtures};

/// Every export directory: two levels down (format, export) in each root.
fn exports() -> Vec<PathBuf> {
    let mut roots = vec![repo().join("sample-logs"), case("")];
    roots.extend(shared_fixtures());
    let mut found = Vec::new();
    for root in roots {
        for format in fs_err::read_dir(&root).unwrap().flatten().filter(|e| e.path().is_dir()) {
            found.push(format.path());
            found.extend(
                fs_err::read_dir(format.path()).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()),
            );
        }
    }
    found
}

#[test]
fn the_fast_path_gives_ammonias_html_for_every_real_text() {
    let (mut taken, mut refused) = (0, 0);
    let channels = BTreeMap::new();
    for export in exports() {
        let archive = ingest_all(&[&export], &Options::default()).archive;
        for channel in &archive.channels {
            let ctx =
                Context { users: &archive.users, channels: &channels, source: channel.source, root: "../" };
            let mut texts: Vec<&Text> = channel.topic.iter().chain(&channel.purpose).collect();
            for message in &channel.messages {
                texts.push(&message.text);
                for a in &message.attachments {
                    texts.extend(a.pretext.iter().chain(&a.text).chain(a.fields.iter().map(|f| &f.value)));
                }
            }
            for text in texts {
                let html = markup::writer_html(text, &ctx);
                match markup::sanitize_fast(&html) {
                    Some(fast) => {
                        assert_eq!(fast, markup::sanitize_full(&html), "{}: {html:?}", export.display());
                        taken += 1;
                    }
                    None => refused += 1,
                }
            }
        }
    }
    eprintln!("fast path: {taken} texts taken, {refused} refused");
    assert!(taken > 9 * refused, "the fast path took only {taken} of {} texts", taken + refused);
}
