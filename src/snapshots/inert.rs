//! Which shared files keep their extension on the site. A static host picks a file's type
//! from its extension, and a browser that opens a file of a document type (HTML, SVG, XML that
//! names an XSL stylesheet, RSS, WSDL…) runs its script on the archive's origin. So the rule
//! is an allow-list: a file keeps its extension only when that extension's type is one a
//! browser shows without running anything (images whose bytes are that image, PDF, plain text
//! and tables, archives, office documents, audio and video). Anything else is stored as
//! `.bin`, which every host serves as `application/octet-stream` (a download); the page's
//! link names the original file in its `download` attribute.
//!
//! The stored name is one path segment with one dot, so no host that reads every extension
//! of a name (Apache's `mod_mime`) finds a second, active one inside it.

/// Extensions kept as they are, lowercase. Images are kept only when their bytes are that
/// image ([`image_kind`]).
const INERT: &[&str] = &[
    // Images.
    "png", "jpg", "jpeg", "gif", "webp", "bmp", "ico", "tif", "tiff", "avif",
    // Documents and text shown as text.
    "pdf", "txt", "text", "log", "csv", "tsv", "md", "json", "rtf", // Archives.
    "zip", "gz", "tgz", "tar", "bz2", "xz", "zst", "7z", "rar", // Office documents (downloads).
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "key", "numbers", "pages",
    // Audio and video.
    "mp3", "wav", "ogg", "oga", "opus", "flac", "m4a", "aac", "mp4", "m4v", "webm", "mov", "mkv", "avi",
    "ogv",
];

/// The extension of a file stored as a download that no browser renders.
pub const DOWNLOAD: &str = "bin";

/// The name a shared file is stored under: one path segment of letters, digits, `-` and `_`,
/// then its own extension when that is inert (and, for an image, matches its bytes), else
/// [`DOWNLOAD`].
pub fn stored_name(name: &str, bytes: &[u8]) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.trim_start_matches('.').is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (stem, Some(ext))
        }
        _ => (name, None),
    };
    let ext = ext.map(str::to_ascii_lowercase);
    let kept = ext.as_deref().filter(|e| INERT.contains(e) && matches_bytes(e, bytes));
    let whole = match (kept, &ext) {
        // An extension that is not kept stays part of the name, so the download is recognisable.
        (None, Some(ext)) => format!("{stem}_{ext}"),
        _ => stem.to_owned(),
    };
    let mut segment: String = whole
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_') { c } else { '_' })
        .take(100)
        .collect();
    if segment.trim_matches('_').is_empty() {
        "file".clone_into(&mut segment);
    }
    format!("{segment}.{}", kept.unwrap_or(DOWNLOAD))
}

/// Whether a kept extension agrees with the bytes: an image extension only on that image.
fn matches_bytes(ext: &str, bytes: &[u8]) -> bool {
    match image_kind(ext) {
        Some(kind) => sniff_image(bytes) == Some(kind),
        None => true,
    }
}

/// The image format an extension names.
fn image_kind(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "png" => "png",
        "jpg" | "jpeg" => "jpeg",
        "gif" => "gif",
        "webp" => "webp",
        "bmp" => "bmp",
        "ico" => "ico",
        "tif" | "tiff" => "tiff",
        "avif" => "avif",
        _ => return None,
    })
}

/// The image format of `bytes`, from its signature.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    let kinds: [(&[u8], usize, &str); 10] = [
        (b"\x89PNG\r\n\x1a\n", 0, "png"),
        (b"\xFF\xD8\xFF", 0, "jpeg"),
        (b"GIF87a", 0, "gif"),
        (b"GIF89a", 0, "gif"),
        (b"WEBP", 8, "webp"),
        (b"BM", 0, "bmp"),
        (b"\0\0\x01\0", 0, "ico"),
        (b"ftypavif", 4, "avif"),
        (b"II*\0", 0, "tiff"),
        (b"MM\0*", 0, "tiff"),
    ];
    kinds.iter().find(|(magic, at, _)| bytes.get(*at..at + magic.len()) == Some(magic)).map(|k| k.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn inert_extensions_are_kept() {
        assert_eq!(stored_name("graph.png", PNG), "graph.png");
        assert_eq!(stored_name("Report Q3.PDF", b"%PDF-1.7"), "Report_Q3.pdf");
        assert_eq!(stored_name("errors.log", b"<script>"), "errors.log", "text stays text");
    }

    #[test]
    fn everything_else_is_a_download() {
        for name in ["x.svg", "x.html", "x.xsl", "x.xslt", "x.wsdl", "x.xhtm", "x.rss", "x.atom", "x.js"] {
            assert_eq!(stored_name(name, b"<x/>").rsplit_once('.').unwrap().1, DOWNLOAD, "{name}");
        }
        assert_eq!(stored_name("feed.RSS", b""), "feed_rss.bin");
        assert_eq!(stored_name("Makefile", b""), "Makefile.bin");
    }

    #[test]
    fn images_must_be_what_they_say() {
        assert_eq!(stored_name("chart.png", b"<html><script>"), "chart_png.bin");
        assert_eq!(stored_name("chart.jpg", PNG), "chart_jpg.bin");
        assert_eq!(stored_name("photo.JPEG", b"\xFF\xD8\xFF\xE0"), "photo.jpeg");
    }

    #[test]
    fn names_are_one_segment_with_one_dot() {
        assert_eq!(stored_name("../../etc/passwd", b""), "______etc_passwd.bin");
        assert_eq!(stored_name("evil.php.png", PNG), "evil_php.png");
        assert_eq!(stored_name("\"><svg>.png", PNG), "___svg_.png");
        assert_eq!(stored_name("...", b""), "file.bin");
        assert_eq!(stored_name(".htaccess", b""), "_htaccess.bin");
    }

    /// Types a browser may run script in, were the file opened on the site.
    fn script_capable(mime: &str) -> bool {
        let active = ["html", "svg", "javascript", "ecmascript", "x-component", "shockwave"];
        let families = ["multipart/", "message/", "text/vnd.wap", "application/java"];
        // `xml` and `xsl` as words: `application/rss+xml`, `text/xsl`, not `openxmlformats`.
        let xml = mime
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w.starts_with("xml") || w.starts_with("xsl"));
        xml || active.iter().any(|a| mime.contains(a)) || families.iter().any(|f| mime.starts_with(f))
    }

    /// Every extension Debian's `/etc/mime.types` knows, stored as a file of that name (with
    /// bytes that are no image), lands under an extension whose type runs nothing.
    #[test]
    fn no_extension_is_stored_with_a_script_capable_type() {
        let Ok(table) = std::fs::read_to_string("/etc/mime.types") else {
            assert!(std::env::var_os("CI").is_none(), "CI needs /etc/mime.types (Debian's media-types)");
            eprintln!("skipped: /etc/mime.types is absent (Debian's media-types package has it)");
            return;
        };
        let mut types = std::collections::HashMap::new();
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let mut words = line.split_whitespace();
            let Some(mime) = words.next() else { continue };
            for ext in words {
                types.insert(ext.to_ascii_lowercase(), mime.to_owned());
            }
        }
        assert!(types.len() > 500, "a whole table: {} extensions", types.len());
        assert_eq!(types.get("xsl").map(|t| script_capable(t)), Some(true), "the check knows an active type");
        let mut active_kept = Vec::new();
        for ext in types.keys() {
            for name in [format!("upload.{ext}"), format!("upload.{}", ext.to_ascii_uppercase())] {
                let stored = stored_name(&name, b"<?xml-stylesheet href='#'?><x/>");
                let stored_ext = stored.rsplit_once('.').map_or("", |(_, e)| e);
                assert_eq!(stored.matches('.').count(), 1, "{stored}");
                let mime = types.get(stored_ext).map_or("application/octet-stream", String::as_str);
                if script_capable(mime) {
                    active_kept.push(format!("{name} -> {stored} ({mime})"));
                }
            }
        }
        assert!(active_kept.is_empty(), "stored with a script-capable type: {active_kept:?}");
        assert_eq!(types.get(DOWNLOAD).map(String::as_str), Some("application/octet-stream"));
    }
}
