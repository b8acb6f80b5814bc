#![no_main]

use libfuzzer_sys::fuzz_target;
use scrollback::ingest;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::import(&ingest::matrix::Matrix, vec![("export.json", data)]));
