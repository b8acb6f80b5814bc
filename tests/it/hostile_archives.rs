//! Hostile archives: each gets a clear error or warning, within bounded time
//! and memory, and nothing is written outside the output directory.

use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;

use crate::harness::{Site, scrollback};

const CHANNELS: &str = r#"[{"id": "C1", "name": "general"}]"#;
const USERS: &str = r#"[{"id": "U1", "name": "alice"}]"#;

fn day(text: &str) -> String {
    format!(r#"[{{"type": "message", "user": "U1", "text": "{text}", "ts": "1583056800.000100"}}]"#)
}

/// A Slack export folder with `general/2020-03-01.json` holding `day_file`.
fn export_with_day(dir: &Path, day_file: &[u8]) -> std::path::PathBuf {
    let export = dir.join("export");
    fs_err::create_dir_all(export.join("general")).unwrap();
    fs_err::write(export.join("channels.json"), CHANNELS).unwrap();
    fs_err::write(export.join("users.json"), USERS).unwrap();
    fs_err::write(export.join("general/2020-03-01.json"), day_file).unwrap();
    fs_err::write(
        export.join("general/2020-03-02.json"),
        day("the good day").replace("1583056800", "1583143200"),
    )
    .unwrap();
    export
}

/// Builds with `--keep-going`; returns the site and the error lines.
fn build_keep_going(input: &Path) -> (Site, Vec<String>) {
    let site = Site::build(&[input.to_path_buf()], &["--keep-going"]);
    let problems = site.stderr.lines().filter(|l| l.starts_with("skipped: ")).map(str::to_owned).collect();
    (site, problems)
}

#[test]
fn duplicate_zip_entries_keep_the_first_and_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("export.zip");
    let mut zip = zip::ZipWriter::new(fs_err::File::create(&path).unwrap());
    let options = SimpleFileOptions::default();
    for (name, body) in [
        ("channels.json", CHANNELS.to_owned()),
        ("users.json", USERS.to_owned()),
        ("general/2020-03-01.json", day("first copy")),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    // The zip crate refuses to write a duplicate name: write another, then rename it in place.
    zip.start_file("general/2020-03-01.jsoX", options).unwrap();
    zip.write_all(day("second copy").as_bytes()).unwrap();
    zip.finish().unwrap();
    patch(&path, b"general/2020-03-01.jsoX", b"general/2020-03-01.json");
    let site = Site::build(std::slice::from_ref(&path), &[]);
    let page = site.page("c/general/2020/03/01/");
    assert!(page.contains("copy</p>"), "one of them is read");
    let warning = format!(
        "warning: {}: general/2020-03-01.json: duplicate entry; only one of them is read",
        path.display()
    );
    assert!(site.stderr.contains(&warning), "{}", site.stderr);
}

/// Replaces every occurrence of `from` in the file by `to`, of the same length.
fn patch(path: &Path, from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut bytes = fs_err::read(path).unwrap();
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(from.len()).position(|w| w == from) {
        bytes[at + i..at + i + from.len()].copy_from_slice(to);
        at += i + from.len();
    }
    fs_err::write(path, bytes).unwrap();
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it() {
    let tmp = tempfile::tempdir().unwrap();
    let export = export_with_day(tmp.path(), b"");
    // Sparse: 2 GiB on paper, nothing on disk.
    let big = fs_err::File::create(export.join("general/2020-03-01.json")).unwrap();
    big.set_len(2 << 30).unwrap();
    let (site, problems) = build_keep_going(&export);
    assert_eq!(
        problems,
        [format!(
            "skipped: {}/general/2020-03-01.json: larger than the 1024 MiB limit for one file",
            export.display()
        )]
    );
    assert!(site.page("c/general/2020/03/02/").contains("the good day"), "the rest still builds");
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bomb.zip");
    let mut zip = zip::ZipWriter::new(fs_err::File::create(&path).unwrap());
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    for (name, body) in [
        ("channels.json", CHANNELS.to_owned()),
        ("users.json", USERS.to_owned()),
        ("general/2020-03-02.json", day("the good day").replace("1583056800", "1583143200")),
    ] {
        zip.start_file(name, deflated).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    // 1 GiB and a bit of zeros deflate to about a megabyte.
    zip.start_file("general/2020-03-01.json", deflated).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1025 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    assert!(fs_err::metadata(&path).unwrap().len() < 8 << 20);
    let (site, problems) = build_keep_going(&path);
    assert_eq!(
        problems,
        [format!(
            "skipped: {}/general/2020-03-01.json: larger than the 1024 MiB limit for one file",
            path.display()
        )]
    );
    assert!(site.page("c/general/2020/03/02/").contains("the good day"));
}

#[test]
fn deep_nesting_invalid_utf8_and_files_that_are_not_what_they_say_are_named_with_their_place() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>); 3] = [
        ("nested", format!(r#"[{{"type": "message", "text": {}{}}}]"#, "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ("utf8", b"[{\"type\": \"message\", \"user\": \"U1\", \"text\": \"caf\xe9 \xff\", \"ts\": \"1583056800.000100\"}]".to_vec()),
        ("png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
    ];
    for (name, bytes) in cases {
        let dir = tmp.path().join(name);
        let export = export_with_day(&dir, &bytes);
        let (site, problems) = build_keep_going(&export);
        assert_eq!(problems.len(), 1, "{name}: {}", site.stderr);
        let file = format!("skipped: {}/general/2020-03-01.json:1:", export.display());
        assert!(problems[0].starts_with(&file), "{name}: {}", problems[0]);
        assert!(site.page("c/general/2020/03/02/").contains("the good day"), "{name}");
    }
}

#[test]
fn deeply_nested_json_read_as_values_stops_at_the_recursion_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("export.json");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    fs_err::write(&path, format!(r#"{{"room_name": "Ops", "messages": [{{"type": "m.room.message", "sender": "@a:x", "content": {deep}}}]}}"#)).unwrap();
    let out = scrollback(tmp.path()).args(["build", "export.json", "--out", "public"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("export.json:1:") && stderr.contains("recursion limit exceeded"), "{stderr}");
    assert!(!tmp.path().join("public").exists());
}

#[test]
fn a_million_tiny_files_are_listed_and_the_export_still_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("many.zip");
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(fs_err::File::create(&path).unwrap()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in [
        ("channels.json", CHANNELS.to_owned()),
        ("users.json", USERS.to_owned()),
        ("general/2020-03-02.json", day("the good day").replace("1583056800", "1583143200")),
    ] {
        zip.start_file(name, stored).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    for i in 0..1_000_000 {
        zip.start_file(format!("junk/{:03}/{i}.txt", i % 1000), stored).unwrap();
    }
    zip.finish().unwrap();
    let site = Site::build(std::slice::from_ref(&path), &[]);
    assert!(site.page("c/general/2020/03/02/").contains("the good day"));
}
