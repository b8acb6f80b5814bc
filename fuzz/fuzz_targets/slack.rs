#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const CHANNELS: &[u8] = br#"[{"id": "C1", "name": "general"}]"#;
const USERS: &[u8] = br#"[{"id": "U1", "name": "alice", "profile": {"display_name": "Alice"}}]"#;

// The first byte picks the file the rest becomes: a day file, channels.json or users.json.
fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let files = match which % 3 {
        0 => vec![
            ("channels.json", rest),
            ("users.json", USERS),
            ("general/2020-03-01.json", b"[]".as_slice()),
        ],
        1 => vec![("channels.json", CHANNELS), ("users.json", rest)],
        _ => vec![("channels.json", CHANNELS), ("users.json", USERS), ("general/2020-03-01.json", rest)],
    };
    common::import("slack", files);
});
