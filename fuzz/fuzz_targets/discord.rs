#![no_main]

use libfuzzer_sys::fuzz_target;
use scrollback::ingest;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::import(&ingest::discord::Discord, vec![("guild - ops [1].json", data)]));
