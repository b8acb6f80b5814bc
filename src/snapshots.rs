//! Snapshots and attachments: standalone snapshots placed where they belong, and every file
//! body copied into the site under its content hash, images with their size and thumbnails.
//!
//! A snapshot joins the message that links to it (its `link` is a URL in the message), else a
//! message that shared a file of the same name without its bytes, else it becomes a snapshot
//! event on its channel at its time. Snapshots for channels that are not published are
//! dropped with the channel. Images are inspected before anything is decoded: an image over
//! [`MAX_PIXELS`] (a decompression bomb, or just too big to show) is linked, not shown, and a
//! file that does not decode is listed as a file; both with a warning naming the file.

use std::collections::BTreeMap;
use std::io::Cursor;

use crate::markup::{self, Context};
use crate::model::{Archive, Author, Body, File, Message, MessageKind, Text, Thread};
use crate::output::{OutputError, Staging};

/// Images with more pixels than this are linked, never decoded or shown inline.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Images wider than this get a thumbnail this wide.
pub const THUMBNAIL_WIDTH: u32 = 800;

/// Places standalone snapshots in their channels; returns warnings for those with no place.
pub fn attach(archive: &mut Archive, hidden_channels: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    let snapshots = std::mem::take(&mut archive.snapshots);
    for snapshot in snapshots {
        let origin = snapshot.file.body.as_ref().map_or_else(String::new, |b| b.origin.clone());
        let Some(name) = snapshot.channel.clone() else {
            warnings.push(format!(
                "{origin}: snapshot names no channel (sidecar `channel` or a Channel text chunk); skipped"
            ));
            continue;
        };
        let Some(channel) = archive.channels.iter().position(|c| c.name == name) else {
            // An unpublished channel's snapshot goes with it, quietly; an unknown one is a typo.
            if !hidden_channels.iter().any(|h| h.ends_with(&format!(":{name}"))) {
                warnings.push(format!(
                    "{origin}: snapshot for channel {name:?}, which is not in the archive; skipped"
                ));
            }
            continue;
        };
        if place(archive, channel, &snapshot.file) {
            continue;
        }
        let Some(time) = snapshot.time else {
            warnings.push(format!("{origin}: snapshot has no time (sidecar `time`, a Time text chunk or a timestamped name) and no message links to it; skipped"));
            continue;
        };
        let ch = &mut archive.channels[channel];
        let hash = snapshot.file.body.as_ref().map_or("none", |b| &b.hash[..12]);
        let id = format!("snap-{}-{hash}", time.as_second());
        if ch.messages.iter().any(|m| m.id == id) {
            continue; // the same image given twice at the same time
        }
        let title = snapshot.file.title.clone().unwrap_or_else(|| snapshot.file.name.clone());
        let text = match &snapshot.file.link {
            Some(link) if markup::is_safe_url(link) => format!("{title}\n{link}"),
            _ => title,
        };
        let author = snapshot.author.clone().unwrap_or_else(|| "snapshot".to_owned());
        let message = Message {
            id,
            time,
            author: Author { user: None, name: author, is_bot: false },
            kind: MessageKind::Snapshot,
            text: Text::plain(text),
            edited: None,
            reactions: Vec::new(),
            attachments: Vec::new(),
            files: vec![snapshot.file],
            thread: Thread::None,
            pinned: false,
        };
        let at = ch.messages.partition_point(|m| (m.time, &m.id) < (message.time, &message.id));
        ch.messages.insert(at, message);
    }
    warnings
}

/// Joins a snapshot to a message that links to it or shared it without bytes.
fn place(archive: &mut Archive, channel: usize, file: &File) -> bool {
    let users = std::mem::take(&mut archive.users);
    let links = BTreeMap::new();
    let ch = &mut archive.channels[channel];
    let ctx = Context { users: &users, channels: &links, source: ch.source, root: "" };
    let mut placed = false;
    if let Some(link) = file.link.as_deref()
        && let Some(m) =
            ch.messages.iter_mut().find(|m| markup::links(&m.text, &ctx).iter().any(|l| l == link))
    {
        if !m.files.iter().any(|f| f.body.as_ref().map(|b| &b.hash) == file.body.as_ref().map(|b| &b.hash)) {
            m.files.push(file.clone());
        }
        placed = true;
    }
    if !placed {
        for m in &mut ch.messages {
            if let Some(f) = m.files.iter_mut().find(|f| f.body.is_none() && f.name == file.name) {
                f.body.clone_from(&file.body);
                if f.link.is_none() {
                    f.link.clone_from(&file.link);
                }
                placed = true;
                break;
            }
        }
    }
    archive.users = users;
    placed
}

/// A file body as stored on the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// An image shown inline.
    Image {
        /// Path of the full image from the site root.
        full: String,
        /// Path of the thumbnail, when the image is wide.
        thumbnail: Option<String>,
        /// Pixel width.
        width: u32,
        /// Pixel height.
        height: u32,
    },
    /// Anything else (including images that could not be read or are too big): a download.
    File {
        /// Path from the site root.
        path: String,
    },
}

/// Every stored body, by content hash.
#[derive(Debug, Default)]
pub struct Media {
    /// Hash → where it is.
    pub stored: BTreeMap<String, Stored>,
}

impl Media {
    /// Where a file's body is on the site, if it has one.
    pub fn get(&self, file: &File) -> Option<&Stored> {
        self.stored.get(&file.body.as_ref()?.hash)
    }
}

/// Copies every file body of the published archive into the site, once per content.
pub fn publish(archive: &Archive, out: &mut Staging) -> Result<(Media, Vec<String>), OutputError> {
    let mut media = Media::default();
    let mut warnings = Vec::new();
    for channel in &archive.channels {
        for message in &channel.messages {
            for file in &message.files {
                let Some(body) = &file.body else { continue };
                if media.stored.contains_key(&body.hash) {
                    continue;
                }
                let stored = store(file, body, out, &mut warnings)?;
                media.stored.insert(body.hash.clone(), stored);
            }
        }
    }
    Ok((media, warnings))
}

fn store(
    file: &File,
    body: &Body,
    out: &mut Staging,
    warnings: &mut Vec<String>,
) -> Result<Stored, OutputError> {
    let short = &body.hash[..16];
    let is_image = file.mimetype.as_deref().is_some_and(|m| m.starts_with("image/"))
        || image_size(&body.bytes).is_some();
    if is_image {
        match image_size(&body.bytes) {
            Some((kind, width, height)) if u64::from(width) * u64::from(height) <= MAX_PIXELS => {
                let full = format!("assets/snapshots/{short}.{kind}");
                out.write(&full, &body.bytes)?;
                let thumbnail = if kind == "png" && width > THUMBNAIL_WIDTH {
                    match thumbnail(&body.bytes) {
                        Ok(bytes) => {
                            let path = format!("assets/snapshots/{short}.w{THUMBNAIL_WIDTH}.png");
                            out.write(&path, &bytes)?;
                            Some(path)
                        }
                        Err(e) => {
                            warnings.push(format!("{}: cannot make a thumbnail ({e}); the full image is shown", body.origin));
                            None
                        }
                    }
                } else {
                    None
                };
                return Ok(Stored::Image { full, thumbnail, width, height });
            }
            Some((_, width, height)) => warnings.push(format!(
                "{}: image is {width}×{height} pixels, over the {MAX_PIXELS} pixel limit; linked as a file, not shown",
                body.origin
            )),
            None => warnings.push(format!("{}: not a readable PNG, JPEG or GIF image; listed as a file", body.origin)),
        }
    }
    let path = format!("assets/files/{short}/{}", safe_name(&file.name));
    out.write(&path, &body.bytes)?;
    Ok(Stored::File { path })
}

/// A file name safe as one path segment.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() { "file".to_owned() } else { trimmed.chars().take(100).collect() }
}

/// `(extension, width, height)` from the image header, without decoding pixels.
pub fn image_size(bytes: &[u8]) -> Option<(&'static str, u32, u32)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut decoder = png::Decoder::new(Cursor::new(bytes));
        decoder.set_limits(png::Limits { bytes: 1 << 20 });
        let reader = decoder.read_info().ok()?;
        let info = reader.info();
        return Some(("png", info.width, info.height));
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        let w = u16::from_le_bytes([*bytes.get(6)?, *bytes.get(7)?]);
        let h = u16::from_le_bytes([*bytes.get(8)?, *bytes.get(9)?]);
        return Some(("gif", u32::from(w), u32::from(h)));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return jpeg_size(bytes).map(|(w, h)| ("jpg", w, h));
    }
    None
}

/// Walks JPEG segments to the first start-of-frame marker.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            return Some((u32::from(w), u32::from(h)));
        }
        i += 2 + len;
    }
    None
}

/// A PNG [`THUMBNAIL_WIDTH`] pixels wide, averaged down (box filter), as PNG bytes.
fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    decoder.set_limits(png::Limits { bytes: 256 << 20 });
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let channels = frame.color_type.samples();
    let rgba = |x: usize, y: usize| -> [u32; 4] {
        let p = &buf[(y * w + x) * channels..(y * w + x + 1) * channels];
        match channels {
            1 => [p[0].into(), p[0].into(), p[0].into(), 255],
            2 => [p[0].into(), p[0].into(), p[0].into(), p[1].into()],
            3 => [p[0].into(), p[1].into(), p[2].into(), 255],
            _ => [p[0].into(), p[1].into(), p[2].into(), p[3].into()],
        }
    };
    let tw = THUMBNAIL_WIDTH as usize;
    let th = (h * tw / w).max(1);
    let mut out = Vec::with_capacity(tw * th * 4);
    for ty in 0..th {
        let (y0, y1) = (ty * h / th, ((ty + 1) * h / th).max(ty * h / th + 1));
        for tx in 0..tw {
            let (x0, x1) = (tx * w / tw, ((tx + 1) * w / tw).max(tx * w / tw + 1));
            let mut sum = [0u32; 4];
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = rgba(x, y);
                    (0..4).for_each(|c| sum[c] += p[c]);
                }
            }
            let n = u32::try_from((y1 - y0) * (x1 - x0)).unwrap_or(u32::MAX).max(1);
            out.extend(sum.iter().map(|s| u8::try_from(s / n).unwrap_or(u8::MAX)));
        }
    }
    let mut png_bytes = Vec::new();
    let mut encoder =
        png::Encoder::new(&mut png_bytes, THUMBNAIL_WIDTH, u32::try_from(th).map_err(|e| e.to_string())?);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&out).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&vec![200; (width * height * 3) as usize]).unwrap();
        writer.finish().unwrap();
        bytes
    }

    #[test]
    fn sizes_come_from_headers() {
        assert_eq!(image_size(&png_of(3, 2)), Some(("png", 3, 2)));
        assert_eq!(image_size(b"GIF89a\x10\x00\x20\x00rest"), Some(("gif", 16, 32)));
        assert_eq!(image_size(b"<html>not an image"), None);
        assert_eq!(image_size(&png_of(3, 2)[..20]), None, "truncated");
    }

    #[test]
    fn thumbnails_are_narrow_pngs() {
        let thumb = thumbnail(&png_of(1600, 400)).unwrap();
        assert_eq!(image_size(&thumb), Some(("png", THUMBNAIL_WIDTH, 200)));
    }

    #[test]
    fn stored_file_names_stay_one_path_segment() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name("\"><svg>.png"), "___svg_.png");
        assert_eq!(safe_name("..."), "file");
    }
}
