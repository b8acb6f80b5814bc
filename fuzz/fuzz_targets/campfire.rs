#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

// The first byte picks the transcript's form: the API's JSON or its XML.
fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let name = if which % 2 == 0 { "transcript-2012-04-05.json" } else { "transcript.xml" };
    common::import("campfire", vec![(name, rest)]);
});
