//! Same inputs, same bytes (Pagefind's stable-output test).

use crate::harness::{Site, repo, tree};

#[test]
fn two_builds_of_the_same_input_are_byte_identical() {
    let inputs = [repo().join("sample-logs"), repo().join("tests/cases/slack/everything")];
    let first = Site::build(&inputs, &[]);
    let second = Site::build(&inputs, &[]);
    let (a, b) = (tree(&first.out), tree(&second.out));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs between builds");
    }
    // The manifest lists every file with its hash.
    let manifest: serde_json::Value = serde_json::from_slice(&a["manifest.json"]).unwrap();
    let urls = manifest["urls"].as_object().unwrap();
    assert_eq!(urls.len(), a.len() - 1);
    let hash = blake3::hash(&a["c/ops/2014/01/17/index.html"]).to_hex().to_string();
    assert_eq!(urls["/c/ops/2014/01/17/"], hash.as_str());
}
