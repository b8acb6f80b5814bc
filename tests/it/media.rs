//! Snapshots and attachments: every way a graph finds its message, storage by content, the
//! bad files, and no token-bearing URL anywhere in the site.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::json;

use crate::harness::{Site, article};

const TOKEN_URL: &str = "https://files.slack.com/files-pri/T1-F1/p99.png?t=xoxe-3141592653-abcdef";

/// A real PNG: a diagonal gradient, `width`×`height`, with optional `tEXt` chunks.
pub fn png(width: u32, height: u32, seed: u8, text: &[(&str, &str)]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    for (key, value) in text {
        encoder.add_text_chunk((*key).to_owned(), (*value).to_owned()).unwrap();
    }
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            [seed, u8::try_from((x + y) % 256).unwrap(), u8::try_from(y % 256).unwrap()]
        })
        .collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    bytes
}

/// A PNG header claiming `width`×`height` followed by almost no data: a decompression bomb's
/// promise without its cost.
fn bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut crc = flate2::Crc::new();
    crc.update(&ihdr);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(13u32.to_be_bytes());
    bytes.extend(&ihdr);
    bytes.extend(crc.sum().to_be_bytes());
    bytes.extend(b"\0\0\0\0IEND\xaeB`\x82");
    bytes
}

fn message(ts: &str, text: &str, files: serde_json::Value) -> serde_json::Value {
    json!({"type": "message", "user": "U1", "text": text, "ts": ts, "files": files})
}

fn file(id: &str, name: &str, title: &str, mimetype: &str) -> serde_json::Value {
    json!({"id": id, "name": name, "title": title, "mimetype": mimetype, "size": 1234,
           "url_private": TOKEN_URL, "url_private_download": TOKEN_URL,
           "permalink": "https://example.slack.com/files/U1/F1/p99.png"})
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, bytes).unwrap();
}

/// The images, by name, so tests can compare what the site stored.
static P99: LazyLock<Vec<u8>> = LazyLock::new(|| png(1600, 400, 10, &[]));

/// A slackdump-style export with bundled files and a `snapshots/` folder, and a standalone
/// snapshot folder beside it.
fn inputs(root: &Path) -> Vec<PathBuf> {
    let export = root.join("export");
    let text = |v: serde_json::Value| serde_json::to_vec_pretty(&v).unwrap();
    write(&export, "channels.json", &text(json!([{"id": "C1", "name": "ops", "created": 1_588_000_000}])));
    write(&export, "users.json", &text(json!([{"id": "U1", "name": "alice"}])));
    let lag_link = "https://grafana.example.com/d/lag?from=now-1h";
    let day = json!([
        message(
            "1588320000.000100",
            "p99 after the deploy",
            json!([file("F1", "p99.png", "api p99", "image/png")])
        ),
        message(
            "1588320100.000100",
            "same graph again",
            json!([file("F2", "p99-again.png", "api p99 again", "image/png")])
        ),
        message("1588320200.000100", &format!("lag is back: <{lag_link}|lag dashboard>"), json!([])),
        message(
            "1588320300.000100",
            "cpu export",
            json!([file("F3", "cpu.png", "CPU by host", "image/png")])
        ),
        message("1588320400.000100", "broken", json!([file("F4", "broken.png", "", "image/png")])),
        message("1588320500.000100", "not a png", json!([file("F5", "notes.png", "", "image/png")])),
        message("1588320600.000100", "huge", json!([file("F6", "bomb.png", "", "image/png")])),
        message("1588320700.000100", "runbook", json!([file("F7", "runbook.txt", "", "text/plain")])),
        message("1588320800.000100", "gone", json!([file("F8", "gone.png", "", "image/png")])),
    ]);
    write(&export, "ops/2020-05-01.json", &text(day));
    write(&export, "__uploads/F1/p99.png", &P99);
    write(&export, "__uploads/F2/p99-again.png", &P99);
    let whole = png(400, 300, 20, &[]);
    write(&export, "__uploads/F4/broken.png", &whole[..whole.len() / 2]);
    write(&export, "__uploads/F5/notes.png", b"<html><script>alert(1)</script></html>");
    write(&export, "__uploads/F6/bomb.png", &bomb(50_000, 50_000));
    write(&export, "ops/attachments/F7-runbook.txt", b"1. check the replicas\n");
    write(&export, "snapshots/lag.png", &png(600, 300, 30, &[]));
    write(
        &export,
        "snapshots/lag.json",
        &text(json!({"channel": "ops", "title": "Replication lag", "link": lag_link})),
    );
    write(&export, "snapshots/cpu.png", &png(500, 250, 40, &[]));
    write(&export, "snapshots/cpu.json", &text(json!({"channel": "ops"})));
    let disk = png(640, 320, 50, &[("Channel", "ops"), ("Title", "Disk usage on db-1")]);
    write(&export, "snapshots/2020-05-01T1200-disk.png", &disk);
    let graphs = root.join("graphs");
    write(&graphs, "2020-05-01T1300-memory.png", &png(700, 200, 60, &[]));
    write(
        &graphs,
        "2020-05-01T1300-memory.json",
        &text(json!({"channel": "ops", "title": "Memory on cache-2", "author": "grafana"})),
    );
    write(&graphs, "2020-05-01T1400-again.png", &P99);
    write(&graphs, "2020-05-01T1400-again.json", &text(json!({"channel": "ops", "title": "p99 copy"})));
    vec![export, graphs]
}

static SITE: LazyLock<Site> = LazyLock::new(|| {
    let tmp = tempfile::tempdir().unwrap();
    let site = Site::build(&inputs(tmp.path()), &[]);
    drop(tmp);
    site
});

fn day() -> String {
    SITE.page("c/ops/2020/05/01/")
}

fn img(html: &str) -> Option<String> {
    Regex::new(r"<img [^>]*>").unwrap().find(html).map(|m| m.as_str().to_owned())
}

fn sha(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..16].to_owned()
}

#[test]
fn a_bundled_file_joins_its_message_by_id_with_a_thumbnail_and_a_full_size_link() {
    let page = day();
    let first = article(&page, "1588320000000100");
    let hash = sha(&P99);
    assert_eq!(
        img(first).unwrap(),
        format!(
            "<img src=\"../../../../../assets/snapshots/{hash}.w800.png\" width=\"800\" height=\"200\" loading=\"lazy\" alt=\"api p99\">"
        )
    );
    assert!(first.contains(&format!("<a href=\"../../../../../assets/snapshots/{hash}.png\">")));
    assert_eq!(SITE.files()[&format!("assets/snapshots/{hash}.png")], *P99);
}

#[test]
fn the_same_graph_shared_three_times_is_stored_once() {
    let page = day();
    let hash = sha(&P99);
    assert!(img(article(&page, "1588320100000100")).unwrap().contains(&hash));
    let events = Regex::new(r#"id="m-(snap-[^"]+)""#).unwrap();
    let copy = events
        .captures_iter(&page)
        .map(|c| c[1].to_owned())
        .find(|id| article(&page, id).contains("p99 copy"))
        .expect("the standalone copy is a snapshot event");
    assert!(img(article(&page, &copy)).unwrap().contains(&hash));
    let stored: Vec<String> =
        SITE.files().into_keys().filter(|p| p.starts_with("assets/snapshots/")).collect();
    assert_eq!(
        stored.iter().filter(|p| p.contains(&hash)).count(),
        2,
        "one image and one thumbnail: {stored:?}"
    );
    // p99 (and its thumbnail), lag, cpu, disk, memory.
    assert_eq!(stored.len(), 6, "{stored:?}");
}

#[test]
fn a_snapshot_joins_the_message_that_links_to_it_with_the_live_graph_link() {
    let page = day();
    let lag = article(&page, "1588320200000100");
    assert!(img(lag).unwrap().contains("alt=\"Replication lag\""), "{lag}");
    assert!(lag.contains("<a href=\"https://grafana.example.com/d/lag?from=now-1h\" rel=\"nofollow noopener noreferrer\">live graph</a>"));
}

#[test]
fn a_snapshot_fills_in_a_shared_file_of_the_same_name() {
    let page = day();
    let cpu = article(&page, "1588320300000100");
    assert!(img(cpu).unwrap().contains("alt=\"CPU by host\""), "{cpu}");
    assert!(!cpu.contains("not archived"));
}

#[test]
fn snapshots_no_message_shares_appear_on_the_timeline_at_their_time() {
    let page = day();
    let events = Regex::new(r#"id="m-(snap-[^"]+)""#).unwrap();
    let texts: Vec<String> = events.captures_iter(&page).map(|c| article(&page, &c[1]).to_owned()).collect();
    // From PNG text chunks and the file name.
    let disk = texts.iter().find(|a| a.contains("Disk usage on db-1")).expect("disk snapshot");
    assert!(disk.contains("datetime=\"2020-05-01T12:00:00Z\""), "{disk}");
    // From a standalone folder given as an input, with a sidecar.
    let memory = texts.iter().find(|a| a.contains("Memory on cache-2")).expect("memory snapshot");
    assert!(memory.contains("datetime=\"2020-05-01T13:00:00Z\"") && memory.contains("grafana"), "{memory}");
}

#[test]
fn bad_images_become_files_with_a_warning_and_the_build_goes_on() {
    let page = day();
    for (id, name, stored, warning) in [
        ("1588320400000100", "broken.png", "broken.png", "PNG does not decode"),
        // Not a PNG at all: stored as a download, never under an image type.
        ("1588320500000100", "notes.png", "notes_png.bin", "not a readable PNG, JPEG or GIF image"),
        (
            "1588320600000100",
            "bomb.png",
            "bomb.png",
            "image is 50000×50000 pixels, over the 40000000 pixel limit",
        ),
    ] {
        let a = article(&page, id);
        assert_eq!(img(a), None, "{name} shown as an image: {a}");
        assert!(a.contains(&format!("/{stored}\" download=\"{name}\">download</a>")), "{a}");
        assert!(
            SITE.stderr
                .lines()
                .any(|l| l.starts_with("warning: ") && l.contains(name) && l.contains(warning)),
            "no warning for {name}: {}",
            SITE.stderr
        );
    }
    // The page shows the broken file as a download; the HTML one is served as a file, never inline.
    assert!(!page.contains("<script>alert(1)"));
}

#[test]
fn other_files_are_listed_with_type_and_size_and_copied_and_missing_ones_say_so() {
    let page = day();
    let runbook = article(&page, "1588320700000100");
    assert!(runbook.contains("runbook.txt"), "{runbook}");
    let href =
        Regex::new(r#"href="\.\./\.\./\.\./\.\./\.\./(assets/files/[^"]+)" download="runbook.txt""#).unwrap();
    let path = &href.captures(runbook).expect("a download link")[1];
    assert_eq!(SITE.files()[path], b"1. check the replicas\n");
    let gone = article(&page, "1588320800000100");
    assert!(gone.contains("<span class=\"not-archived\">not archived</span>"), "{gone}");
    assert_eq!(img(gone), None);
}

fn site_text() -> BTreeMap<String, String> {
    SITE.texts()
}

#[test]
fn no_token_bearing_or_private_file_url_reaches_the_site() {
    let text = site_text();
    assert!(text.len() > 20);
    for (path, content) in &text {
        for leak in ["xoxe-", "files.slack.com", "files-pri", "url_private"] {
            assert!(!content.contains(leak), "{path} contains {leak}");
        }
    }
}

#[test]
fn every_image_has_its_size_lazy_loading_and_alt_text() {
    let img = Regex::new(r"<img [^>]*>").unwrap();
    let attributes: Vec<Regex> =
        [r#" width="\d+""#, r#" height="\d+""#, r#" loading="lazy""#, r#" alt="[^"]+""#]
            .into_iter()
            .map(|a| Regex::new(a).unwrap())
            .collect();
    let mut seen = 0;
    for (path, content) in site_text().iter().filter(|(p, _)| p.ends_with(".html")) {
        for tag in img.find_iter(content) {
            let tag = tag.as_str();
            for attribute in &attributes {
                assert!(attribute.is_match(tag), "{path}: {tag} lacks {attribute}");
            }
            seen += 1;
        }
    }
    // On the day page: p99 twice and its copy, lag, cpu, disk, memory.
    assert!(seen >= 7, "{seen} images");
}

#[test]
fn searching_a_graph_title_or_file_name_finds_its_message() {
    let search = |query: &str| -> Vec<String> {
        let out = crate::harness::scrollback(SITE.tmp.path())
            .args(["search", "--json", "-n", "20", "--site"])
            .arg(&SITE.out)
            .arg(query)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        results["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(search("\"replication lag\""), ["1588320200000100"]);
    assert_eq!(search("runbook.txt"), ["1588320700000100"]);
    assert!(search("disk usage").iter().any(|id| id.starts_with("snap-")));
    let images = search("has:image cpu");
    assert_eq!(images, ["1588320300000100"]);
}
