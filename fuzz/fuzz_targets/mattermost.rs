#![no_main]

use libfuzzer_sys::fuzz_target;
use scrollback::ingest::Format;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::import(Format::Mattermost, vec![("import.jsonl", data)]));
