//! Snapshots and attachments: standalone snapshots placed where they belong, and every file
//! body copied into the site under its content hash, images with their size and thumbnails.
//!
//! A snapshot joins the message that links to it (its `link` is a URL in the message), else a
//! message that shared a file of the same name without its bytes, else it becomes a snapshot
//! event on its channel at its time. Snapshots for channels that are not published are
//! dropped with the channel. Images are inspected before anything is decoded: an image over
//! [`MAX_PIXELS`] (a decompression bomb, or just too big to show) is linked, not shown, and a
//! file that does not decode is listed as a file; both with a warning naming the file.

mod inert;

use std::collections::BTreeMap;
use std::io::Cursor;
use thin_vec::ThinVec;

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
            author: Author { user: None, name: author.into(), is_bot: false },
            kind: MessageKind::Snapshot,
            text: Text::plain(text),
            edited: None,
            reactions: ThinVec::new(),
            attachments: ThinVec::new(),
            files: thin_vec::thin_vec![snapshot.file],
            thread: Thread::None,
            pinned: false,
            reply_to: None,
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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
pub fn publish(archive: &Archive, out: &Staging) -> Result<(Media, Vec<String>), OutputError> {
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

fn store(file: &File, body: &Body, out: &Staging, warnings: &mut Vec<String>) -> Result<Stored, OutputError> {
    let short = &body.hash[..16];
    let is_image = file.mimetype.as_deref().is_some_and(|m| m.starts_with("image/"))
        || image_size(&body.bytes).is_some();
    if is_image {
        match image_size(&body.bytes) {
            Some((kind, width, height)) if u64::from(width) * u64::from(height) <= MAX_PIXELS => {
                let thumbnail = if kind == "png" {
                    match check_png(&body.bytes) {
                        Ok(thumbnail) => thumbnail,
                        Err(e) => {
                            warnings.push(format!(
                                "{}: PNG does not decode ({e}); listed as a file, not shown",
                                body.origin
                            ));
                            return store_file(file, body, out);
                        }
                    }
                } else {
                    None
                };
                let full = format!("assets/snapshots/{short}.{kind}");
                out.write(&full, &body.bytes)?;
                let thumbnail = match thumbnail {
                    Some(bytes) => {
                        let path = format!("assets/snapshots/{short}.w{THUMBNAIL_WIDTH}.png");
                        out.write(&path, &bytes)?;
                        Some(path)
                    }
                    None => None,
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
    store_file(file, body, out)
}

fn store_file(file: &File, body: &Body, out: &Staging) -> Result<Stored, OutputError> {
    let path = format!("assets/files/{}/{}", &body.hash[..16], inert::stored_name(&file.name, &body.bytes));
    out.write(&path, &body.bytes)?;
    Ok(Stored::File { path })
}

/// `(extension, width, height)` from the image header, without decoding pixels.
pub fn image_size(bytes: &[u8]) -> Option<(&'static str, u32, u32)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16) == Some(b"IHDR") {
        let be = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
        return Some(("png", be(16)?, be(20)?));
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

/// Decodes a whole PNG a row at a time (so memory stays at a row or two whatever the image
/// claims) to prove it is complete, and returns a thumbnail [`THUMBNAIL_WIDTH`] pixels wide
/// when it is wider than that.
fn check_png(bytes: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    decoder.set_limits(png::Limits { bytes: DECODE_LIMIT });
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (width, height, interlaced) = {
        let info = reader.info();
        (info.width as usize, info.height as usize, info.interlaced)
    };
    let samples = reader.output_color_type().0.samples();
    let wide = width > THUMBNAIL_WIDTH as usize;
    if interlaced && wide {
        // Interlaced rows come in passes: shrink from the whole frame, if it is small enough.
        if let Some(size) = reader.output_buffer_size().filter(|&n| n <= DECODE_LIMIT) {
            let mut frame = vec![0; size];
            let info = reader.next_frame(&mut frame).map_err(|e| e.to_string())?;
            let mut shrink = Shrink::new(width, height);
            frame.chunks(info.line_size).for_each(|row| shrink.push(row, samples));
            return shrink.finish().map(Some);
        }
    }
    let mut shrink = (wide && !interlaced).then(|| Shrink::new(width, height));
    while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
        if let Some(shrink) = &mut shrink {
            shrink.push(row.data(), samples);
        }
    }
    shrink.map(Shrink::finish).transpose()
}

/// The most a PNG decoder may allocate at once.
const DECODE_LIMIT: usize = 64 << 20;

/// Box-filters rows of 8-bit pixels down to [`THUMBNAIL_WIDTH`] as they arrive.
struct Shrink {
    width: usize,
    height: usize,
    out_height: usize,
    /// Source rows seen so far.
    y: usize,
    /// The output row being summed, and how many source rows it has.
    band: usize,
    rows: u32,
    sums: Vec<u32>,
    pixels: Vec<u8>,
}

impl Shrink {
    fn new(width: usize, height: usize) -> Shrink {
        let out_width = THUMBNAIL_WIDTH as usize;
        let out_height = (height * out_width / width).max(1);
        Shrink {
            width,
            height,
            out_height,
            y: 0,
            band: 0,
            rows: 0,
            sums: vec![0; out_width * 4],
            pixels: Vec::with_capacity(out_width * out_height * 4),
        }
    }

    /// First source row of output row `band`.
    fn band_start(&self, band: usize) -> usize {
        band * self.height / self.out_height
    }

    fn push(&mut self, row: &[u8], samples: usize) {
        if self.band + 1 < self.out_height && self.y == self.band_start(self.band + 1) {
            self.flush();
            self.band += 1;
        }
        let out_width = THUMBNAIL_WIDTH as usize;
        let mut column = 0;
        for (x, p) in row.chunks_exact(samples).take(self.width).enumerate() {
            if column + 1 < out_width && x == (column + 1) * self.width / out_width {
                column += 1;
            }
            let rgba: [u8; 4] = match *p {
                [v] => [v, v, v, 255],
                [v, a] => [v, v, v, a],
                [r, g, b] => [r, g, b, 255],
                [r, g, b, a, ..] => [r, g, b, a],
                [] => [0; 4],
            };
            for (sum, v) in self.sums[column * 4..column * 4 + 4].iter_mut().zip(rgba) {
                *sum += u32::from(v);
            }
        }
        self.rows += 1;
        self.y += 1;
    }

    fn flush(&mut self) {
        let out_width = THUMBNAIL_WIDTH as usize;
        for column in 0..out_width {
            let columns = (column + 1) * self.width / out_width - column * self.width / out_width;
            let n = (u32::try_from(columns).unwrap_or(u32::MAX) * self.rows).max(1);
            let sums = &mut self.sums[column * 4..column * 4 + 4];
            self.pixels.extend(sums.iter().map(|s| u8::try_from(s / n).unwrap_or(u8::MAX)));
            sums.fill(0);
        }
        self.rows = 0;
    }

    fn finish(mut self) -> Result<Vec<u8>, String> {
        self.flush();
        let height = u32::try_from(self.out_height).map_err(|e| e.to_string())?;
        let mut png_bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut png_bytes, THUMBNAIL_WIDTH, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&self.pixels).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
        Ok(png_bytes)
    }
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
        assert_eq!(image_size(&png_of(3, 2)[..20]), None, "truncated header");
    }

    #[test]
    fn thumbnails_are_narrow_pngs_averaged_down() {
        let thumb = check_png(&png_of(1600, 400)).unwrap().unwrap();
        assert_eq!(image_size(&thumb), Some(("png", THUMBNAIL_WIDTH, 200)));
        let mut decoder = png::Decoder::new(Cursor::new(&thumb));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().unwrap();
        let row = reader.next_row().unwrap().unwrap();
        assert_eq!(&row.data()[..4], [200, 200, 200, 255], "the average of a flat image is its colour");
        assert_eq!(check_png(&png_of(800, 400)).unwrap(), None, "narrow images need none");
    }

    #[test]
    fn truncated_pngs_are_refused() {
        let whole = png_of(300, 200);
        assert!(check_png(&whole).is_ok());
        // The header still says 300×200; the pixels stop halfway.
        assert!(check_png(&whole[..whole.len() / 2]).is_err());
    }
}
