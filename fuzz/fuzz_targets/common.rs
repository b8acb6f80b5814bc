//! Shared by the importer targets: import the files in memory, then take every message
//! through redaction and markup, as a build would.

use std::collections::BTreeMap;

use scrollback::config::Redaction;
use scrollback::ingest::{Format, Ingested, Input, Options};
use scrollback::markup::{self, Context};
use scrollback::redact::{self, Redactor};

pub fn import(format: &str, files: Vec<(&str, &[u8])>) {
    let files = files.into_iter().map(|(name, bytes)| (name.to_owned(), bytes.to_vec())).collect();
    let mut input = Input::in_memory("fuzz", files);
    let mut out = Ingested::default();
    Format::named(format).expect("an importer's name").import(&mut input, &Options::default(), &mut out);
    out.archive.finish();
    // Every problem names the file it came from.
    for problem in &out.problems {
        assert!(problem.to_string().starts_with("fuzz/"), "{problem}");
    }
    thread_local! {
        static REDACTOR: Redactor = Redactor::new(&Redaction::default()).unwrap();
    }
    let known = scrollback::store::Known::nothing();
    REDACTOR.with(|r| redact::redact_archive(&mut out.archive, r, &known));
    let links = BTreeMap::new();
    for channel in &out.archive.channels {
        let ctx =
            Context { users: &out.archive.users, channels: &links, source: channel.source, root: "../" };
        for message in &channel.messages {
            let html = markup::to_html(&message.text, &ctx);
            assert!(!html.contains("<script"), "{html}");
            // The plain text incident rules and search read, as the build works it out.
            markup::plain(message, channel.source, &out.archive.users, &links);
        }
    }
}
