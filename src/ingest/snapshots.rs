//! Snapshot folders: graph images exported from a dashboard, with what is known about each in
//! a sidecar (`name.json` beside `name.png`: `channel`, `time`, `title`, `link`, `author`), in
//! PNG text chunks (`Title`, `Channel`, `Time`, `Link`, `Author`), or only in a timestamped
//! file name (`2014-01-17T1730-…png`). A folder can be an INPUT of its own, or `snapshots/`
//! inside a Slack export.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use super::importer::Importer;
use super::{Ingested, Input, MAX_MEDIA_BYTES, parse_json};
use crate::model::{Body, File, Snapshot};

/// The image types a snapshot folder may hold (SVG is not: it can carry script).
fn mimetype(name: &str) -> Option<&'static str> {
    super::mimetype_of(name).filter(|m| m.starts_with("image/") && *m != "image/svg+xml")
}

fn is_json(name: &str) -> bool {
    super::has_extension(name, &["json"])
}

/// A folder with images (and maybe sidecars) but no chat export in it.
pub fn detect(input: &Input) -> bool {
    let mut images = 0;
    for file in input.files() {
        let name = file.rsplit('/').next().unwrap_or(file);
        if mimetype(name).is_some() {
            images += 1;
        } else if !is_json(name) && !name.starts_with('.') {
            return false;
        }
    }
    images > 0
}

/// The sidecar's fields; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    author: Option<String>,
}

/// Reads every image under `prefix` into `out.archive.snapshots`.
pub fn read_folder(input: &mut Input, prefix: &str, out: &mut Ingested) {
    let images: Vec<String> = input
        .files()
        .filter(|f| f.strip_prefix(prefix).is_some_and(|rest| !rest.contains('/')) && mimetype(f).is_some())
        .map(str::to_owned)
        .collect();
    for path in images {
        let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
        let bytes = match input.read_limited(&path, MAX_MEDIA_BYTES) {
            Ok(bytes) => bytes,
            Err(e) => {
                // Like a bad image: the build goes on without it.
                out.warnings.push(format!("{e}; skipped"));
                continue;
            }
        };
        out.files_read += 1;
        let stem = &path[..path.rfind('.').unwrap_or(path.len())];
        let sidecar_path = format!("{stem}.json");
        let mut sidecar = Sidecar::default();
        if input.has(&sidecar_path) {
            match input.read(&sidecar_path).and_then(|b| {
                parse_json::<Sidecar>(
                    &input.display(&sidecar_path),
                    &b,
                    "a snapshot sidecar is a JSON object with channel, time, title, link and author",
                )
            }) {
                Ok(s) => {
                    out.files_read += 1;
                    sidecar = s;
                }
                Err(e) => out.problems.push(e),
            }
        }
        let chunks = text_chunks(&bytes);
        let field = |own: &Option<String>, key: &str| own.clone().or_else(|| chunks.get(key).cloned());
        let shown = input.display(&path);
        let time_text = field(&sidecar.time, "time");
        let time = match time_text.as_deref().map(str::parse::<Timestamp>) {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                out.warnings
                    .push(format!("{shown}: time {:?} is not RFC 3339 ({e})", time_text.unwrap_or_default()));
                None
            }
            None => time_from_name(&name),
        };
        let title = field(&sidecar.title, "title")
            .unwrap_or_else(|| stem.rsplit('/').next().unwrap_or(stem).to_owned());
        out.archive.snapshots.push(Snapshot {
            file: File {
                id: None,
                title: Some(title),
                mimetype: mimetype(&name).map(str::to_owned),
                size: Some(bytes.len() as u64),
                name,
                deleted: false,
                body: Some(Body::new(bytes, shown)),
                link: field(&sidecar.link, "link"),
            },
            channel: field(&sidecar.channel, "channel"),
            time,
            author: field(&sidecar.author, "author"),
        });
    }
}

/// `tEXt` chunks of a PNG, keys lowercased; empty for anything else.
fn text_chunks(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_limits(png::Limits { bytes: 1 << 20 });
    if let Ok(reader) = decoder.read_info() {
        for chunk in &reader.info().uncompressed_latin1_text {
            out.insert(chunk.keyword.to_lowercase(), chunk.text.clone());
        }
        for chunk in &reader.info().utf8_text {
            if let Ok(text) = chunk.get_text() {
                out.insert(chunk.keyword.to_lowercase(), text);
            }
        }
    }
    out
}

/// `2014-01-17T1730…`, `2014-01-17T17:30:00Z…` or `2014-01-17_1730…` at the start of a name, UTC.
fn time_from_name(name: &str) -> Option<Timestamp> {
    let digits: String = name.chars().take(19).filter(char::is_ascii_digit).collect();
    if digits.len() < 12 {
        return None;
    }
    let part = |r: std::ops::Range<usize>| digits.get(r).and_then(|d| d.parse::<i64>().ok());
    let (year, month, day) = (part(0..4)?, part(4..6)?, part(6..8)?);
    let (hour, minute, second) = (part(8..10)?, part(10..12)?, part(12..14).unwrap_or(0));
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z").parse().ok()
}

/// This format's entry in [`super::IMPORTERS`].
pub static IMPORTER: Importer = Importer {
    name: "snapshots",
    reads: "a folder of PNG snapshots",
    root_markers: &[],
    detect: |input| detect(input),
    import: |input, _, out| read_folder(input, "", out),
};

#[cfg(test)]
mod tests {
    use super::time_from_name;

    #[test]
    fn timestamped_file_names_give_a_time() {
        assert_eq!(
            time_from_name("2014-01-17T1730-replica.png").unwrap().to_string(),
            "2014-01-17T17:30:00Z"
        );
        assert_eq!(time_from_name("2014-01-17_17-30-05.png").unwrap().to_string(), "2014-01-17T17:30:05Z");
        assert!(time_from_name("graph.png").is_none());
    }
}
