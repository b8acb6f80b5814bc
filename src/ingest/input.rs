//! One INPUT's files, whether it is a directory or a `.zip`, behind one interface.
//!
//! Importers never touch the file system directly: they list and read paths relative to the
//! export's root through [`Input`]. That is where the safety rules live: zip
//! entries are read into memory under a byte cap, never extracted; names that escape the
//! root, absolute names and symlink entries are refused; directory walks are sorted and do
//! not follow symlinks out of the input.

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::IngestError;

/// The largest single file an importer will read (a day file, users.json, ...).
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// The most entries a zip input may hold.
pub const MAX_ZIP_ENTRIES: usize = 2_000_000;

/// An opened INPUT.
pub struct Input {
    path: PathBuf,
    /// Path of the export root inside the input, `""` or ending in `/` (a zip often wraps
    /// everything in one top folder).
    root: String,
    /// Relative paths under `root`, sorted, `/`-separated.
    files: BTreeMap<String, Entry>,
    zip: Option<zip::ZipArchive<BufReader<fs_err::File>>>,
    /// The one file the user named, when the INPUT is a file inside a folder (a
    /// DiscordChatExporter channel file): only it is imported; its folder is listed so media
    /// beside it can be read.
    pub selected: Option<String>,
    /// Entries skipped for safety, reported once by the caller.
    pub refused: Vec<String>,
    /// Where this input lies in the folder the user named, `""` or ending in `/`: a folder
    /// of exports side by side is read one export at a time, and the name of each may still
    /// say something (an IRC log's date folder).
    pub within: String,
}

enum Entry {
    Disk(PathBuf),
    Zip(usize),
    Memory(Vec<u8>),
}

impl Input {
    /// Opens a directory or a zip file. `root_markers` are file names that mark the export
    /// root, for inputs that wrap the export in a folder.
    pub fn open(path: &Path, root_markers: &[&str]) -> Result<Input, IngestError> {
        // std, not fs_err: the error is shown after the path already.
        let meta = std::fs::metadata(path).map_err(|e| IngestError::io(path, e))?;
        if meta.is_file() && !is_zip(path)? {
            return Self::open_file(path);
        }
        let mut input = if meta.is_dir() { Self::open_dir(path, usize::MAX)? } else { Self::open_zip(path)? };
        input.root = find_root(input.files.keys().map(String::as_str), root_markers);
        if !input.root.is_empty() {
            let root = input.root.clone();
            input.files = std::mem::take(&mut input.files)
                .into_iter()
                .filter_map(|(k, v)| k.strip_prefix(&root).map(|k| (k.to_owned(), v)))
                .collect();
        }
        Ok(input)
    }

    /// An input held in memory, named `name` in messages: for fuzzing and for tests that
    /// want an importer without a file system.
    pub fn in_memory(name: &str, files: Vec<(String, Vec<u8>)>) -> Input {
        Input {
            path: PathBuf::from(name),
            root: String::new(),
            files: files.into_iter().map(|(rel, bytes)| (rel, Entry::Memory(bytes))).collect(),
            zip: None,
            selected: None,
            refused: Vec::new(),
            within: String::new(),
        }
    }

    /// A single file, with what lies beside it (two levels down: `media/…`).
    fn open_file(path: &Path) -> Result<Input, IngestError> {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut input = Self::open_dir(parent, 3)?;
        input.selected = Some(name);
        Ok(input)
    }

    fn open_dir(path: &Path, max_depth: usize) -> Result<Input, IngestError> {
        let mut files = BTreeMap::new();
        let mut refused = Vec::new();
        let walk = walkdir::WalkDir::new(path).follow_links(false).max_depth(max_depth).sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| {
                let at = e.path().unwrap_or(path).to_path_buf();
                IngestError::io(&at, e.into())
            })?;
            let rel = relative_name(path, entry.path());
            if entry.path_is_symlink() {
                refused.push(format!("{rel}: symlink not followed"));
            } else if entry.file_type().is_file() {
                files.insert(rel, Entry::Disk(entry.path().to_path_buf()));
            }
        }
        Ok(Input {
            path: path.to_path_buf(),
            root: String::new(),
            files,
            zip: None,
            selected: None,
            refused,
            within: String::new(),
        })
    }

    fn open_zip(path: &Path) -> Result<Input, IngestError> {
        let file = fs_err::File::open(path).map_err(|e| IngestError::io(path, e))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| IngestError::invalid(path.display(), format!("not a readable zip archive: {e}")))?;
        if archive.len() > MAX_ZIP_ENTRIES {
            return Err(IngestError::invalid(
                path.display(),
                format!("zip has {} entries; the limit is {MAX_ZIP_ENTRIES}", archive.len()),
            ));
        }
        let mut files = BTreeMap::new();
        let mut refused: Vec<String> = duplicate_entries(path, archive.central_directory_start())
            .map_err(|e| IngestError::io(path, e))?
            .into_iter()
            .map(|name| format!("{name}: duplicate entry; only one of them is read"))
            .collect();
        for index in 0..archive.len() {
            let entry = archive
                .by_index_raw(index)
                .map_err(|e| IngestError::invalid(path.display(), format!("zip entry {index}: {e}")))?;
            let name = entry.name().map(std::borrow::Cow::into_owned).unwrap_or_default();
            if entry.is_dir() {
                continue;
            }
            if entry.is_symlink() {
                refused.push(format!("{name}: symlink entry refused"));
                continue;
            }
            // `enclosed_name` would read `/ops/x.json` as `ops/x.json`: an archive that names
            // absolute paths was not made by an exporter, and is told so.
            if is_absolute_entry(&name) {
                refused.push(format!("{name}: absolute path, refused"));
                continue;
            }
            let Some(safe) = entry.enclosed_name() else {
                refused.push(format!("{name}: path escapes the archive, refused"));
                continue;
            };
            let rel =
                safe.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            match files.entry(rel) {
                std::collections::btree_map::Entry::Occupied(e) => {
                    refused.push(format!("{}: duplicate entry; the first one is used", e.key()));
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(Entry::Zip(index));
                }
            }
        }
        Ok(Input {
            path: path.to_path_buf(),
            root: String::new(),
            files,
            zip: Some(archive),
            selected: None,
            refused,
            within: String::new(),
        })
    }

    /// All file paths, relative to the export root, sorted.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Whether `rel` exists.
    pub fn has(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    /// `rel` as seen from the folder the user named.
    pub fn placed(&self, rel: &str) -> String {
        format!("{}{rel}", self.within)
    }

    /// The input's own name: its folder's or zip's, or for a file, its folder's.
    pub fn origin(&self) -> String {
        let path = if self.path == Path::new(".") {
            std::env::current_dir().unwrap_or_default()
        } else {
            self.path.clone()
        };
        path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// How `rel` is named in messages: the path a user can find it under.
    pub fn display(&self, rel: &str) -> String {
        format!("{}/{}{rel}", self.path.display(), self.root)
    }

    /// Reads a whole file, refusing anything over [`MAX_FILE_BYTES`] by what is actually read,
    /// not by what the zip header claims.
    pub fn read(&mut self, rel: &str) -> Result<Vec<u8>, IngestError> {
        self.read_limited(rel, MAX_FILE_BYTES)
    }

    /// The first `n` bytes of a file (fewer if it is shorter), for recognising formats.
    pub fn peek(&mut self, rel: &str, n: u64) -> Result<Vec<u8>, IngestError> {
        let shown = self.display(rel);
        let mut bytes = Vec::new();
        self.open_entry(rel)?
            .take(n)
            .read_to_end(&mut bytes)
            .map_err(|e| IngestError::Io { path: shown, source: e })?;
        Ok(bytes)
    }

    /// Reads a whole file of at most `limit` bytes: refused at once when its size (on disk,
    /// or declared in the zip) is over, and counted as read in case a zip header lies.
    pub fn read_limited(&mut self, rel: &str, limit: u64) -> Result<Vec<u8>, IngestError> {
        let shown = self.display(rel);
        let size = self.declared_size(rel).unwrap_or(0);
        read_to_limit(self.open_entry(rel)?, (size, limit), &shown)
    }

    /// Where a file is on disk, when the input is a folder: it can then be read on any
    /// thread ([`read_path`]).
    pub fn disk_path(&self, rel: &str) -> Option<&Path> {
        match self.files.get(rel)? {
            Entry::Disk(path) => Some(path),
            Entry::Zip(_) | Entry::Memory(_) => None,
        }
    }

    /// The bytes a file holds in memory once read: its size for a zip entry (as its header
    /// claims; reading stops at the limit whatever it claims) or a file in memory, `0` for a
    /// file on disk, which is read where it is parsed.
    pub fn size_in_memory(&mut self, rel: &str) -> u64 {
        match self.files.get(rel) {
            Some(Entry::Disk(_)) | None => 0,
            Some(Entry::Zip(_) | Entry::Memory(_)) => self.declared_size(rel).unwrap_or(0),
        }
    }

    /// The size a file says it has (its length on disk, or its zip header's claim).
    fn declared_size(&mut self, rel: &str) -> Option<u64> {
        match self.files.get(rel)? {
            Entry::Disk(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            Entry::Zip(index) => self.zip.as_mut()?.by_index_raw(*index).ok().map(|e| e.size()),
            Entry::Memory(bytes) => Some(bytes.len() as u64),
        }
    }

    fn open_entry(&mut self, rel: &str) -> Result<Box<dyn Read + '_>, IngestError> {
        let shown = self.display(rel);
        match self.files.get(rel) {
            None => Err(IngestError::invalid(shown, "no such file in the input")),
            Some(Entry::Disk(path)) => {
                Ok(Box::new(fs_err::File::open(path).map_err(|e| IngestError::io(path, e))?))
            }
            Some(Entry::Zip(index)) => {
                let zip = self.zip.as_mut().expect("zip entries come from a zip input");
                let entry = zip
                    .by_index(*index)
                    .map_err(|e| IngestError::invalid(shown, format!("cannot read zip entry: {e}")))?;
                Ok(Box::new(entry))
            }
            Some(Entry::Memory(bytes)) => Ok(Box::new(&bytes[..])),
        }
    }
}

/// Reads the file at `path`, shown as `shown`, as [`Input::read`] reads a file.
pub fn read_path(path: &Path, shown: &str) -> Result<Vec<u8>, IngestError> {
    let file = fs_err::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let size = file.metadata().map_or(0, |m| m.len());
    read_to_limit(file, (size, MAX_FILE_BYTES), shown)
}

/// Reads `reader` whole if it is at most `limit` bytes: refused at once when its `size` (on
/// disk, or declared in the zip) is over, and counted as read in case a zip header lies.
fn read_to_limit(reader: impl Read, (size, limit): (u64, u64), shown: &str) -> Result<Vec<u8>, IngestError> {
    let too_big =
        || IngestError::invalid(shown, format!("larger than the {} MiB limit for one file", limit >> 20));
    if size > limit {
        return Err(too_big());
    }
    // Room for the whole file and the read that finds its end: no regrowing and copying.
    let mut bytes = Vec::with_capacity(usize::try_from(size).map_or(0, |n| n + 1));
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| IngestError::Io { path: shown.to_owned(), source: e })?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Names that occur more than once in a zip's central directory. The zip crate keeps one
/// entry per name, so duplicates (a classic way to show one file to a scanner and another to
/// an extractor) are only visible in the directory itself.
fn duplicate_entries(path: &Path, start: u64) -> std::io::Result<Vec<String>> {
    use std::io::{Seek, SeekFrom};
    const SIGNATURE: [u8; 4] = *b"PK\x01\x02";
    let mut file = BufReader::new(fs_err::File::open(path)?);
    file.seek(SeekFrom::Start(start))?;
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = std::collections::BTreeSet::new();
    let mut header = [0u8; 46];
    while file.read_exact(&mut header).is_ok() && header[..4] == SIGNATURE {
        let field = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
        let mut name = vec![0u8; usize::from(field(28))];
        file.read_exact(&mut name)?;
        file.seek_relative(i64::from(field(30)) + i64::from(field(32)))?;
        let name = String::from_utf8_lossy(&name).into_owned();
        if !seen.insert(name.clone()) {
            duplicates.insert(name);
        }
    }
    Ok(duplicates.into_iter().collect())
}

/// Whether a file is meant as a zip archive: by its name, else by its signature.
fn is_zip(path: &Path) -> Result<bool, IngestError> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
        return Ok(true);
    }
    let mut magic = [0u8; 4];
    let mut file = fs_err::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let n = file.read(&mut magic).map_err(|e| IngestError::io(path, e))?;
    Ok(n == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06"))
}

fn relative_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// The shallowest folder holding one of the `markers`, as a prefix ending in `/`, or `""`.
fn find_root<'a>(files: impl Iterator<Item = &'a str>, markers: &[&str]) -> String {
    files
        .filter_map(|f| {
            let (dir, name) = f.rsplit_once('/').unwrap_or(("", f));
            markers.contains(&name).then_some(dir)
        })
        .min_by_key(|dir| (dir.matches('/').count() + usize::from(!dir.is_empty()), *dir))
        .map(|dir| if dir.is_empty() { String::new() } else { format!("{dir}/") })
        .unwrap_or_default()
}

/// `%20`-style escapes decoded, as a browser does before asking for a file (and as newer
/// DiscordChatExporter versions write media paths).
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// A zip entry name that is absolute: `/x`, `\x`, or on a drive (`C:x`).
fn is_absolute_entry(name: &str) -> bool {
    let bytes = name.as_bytes();
    matches!(bytes.first(), Some(b'/' | b'\\'))
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}

#[cfg(test)]
mod tests {
    use super::find_root;

    #[test]
    fn export_root_is_the_shallowest_folder_with_a_marker() {
        let files = ["x/users.json", "x/ops/2014-01-12.json", "x/deep/y/channels.json"];
        assert_eq!(find_root(files.into_iter(), &["channels.json", "users.json"]), "x/");
        let flat = ["channels.json", "a/channels.json"];
        assert_eq!(find_root(flat.into_iter(), &["channels.json"]), "");
    }
}
