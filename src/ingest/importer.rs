//! Importers behind one trait, listed in one registry: a new format is one new module with a
//! type that implements [`Importer`], and one line in [`IMPORTERS`].

use super::{Ingested, Input, Options};

/// One chat export format.
pub trait Importer: Sync {
    /// Its name for `--format` (`slack`).
    fn name(&self) -> &'static str;
    /// What it reads, for the error that no format matched.
    fn reads(&self) -> &'static str;
    /// Files that mark the root of an export in this format inside a folder or zip that wraps
    /// it (`channels.json`); none by default.
    fn root_markers(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether `input` is in this format.
    fn detect(&self, input: &mut Input) -> bool;
    /// Reads `input` into `out`; problems go into `out`, never stop it.
    fn import(&self, input: &mut Input, options: &Options, out: &mut Ingested);
}

/// Every importer, in the order detection tries them: the most distinctive shapes first, the
/// folder of images last.
pub static IMPORTERS: &[&dyn Importer] = &[
    &super::slack::Slack,
    &super::discord::Discord,
    &super::mattermost::Mattermost,
    &super::campfire::Campfire,
    &super::matrix::Matrix,
    &super::jsonl::Jsonl,
    &super::irc::Irc,
    &super::snapshots::Snapshots,
];

/// A format the user names or detection finds: one of [`IMPORTERS`].
#[derive(Clone, Copy)]
pub struct Format(&'static dyn Importer);

impl Format {
    /// The format called `name`.
    pub fn named(name: &str) -> Option<Format> {
        IMPORTERS.iter().find(|i| i.name() == name).map(|i| Format(*i))
    }

    /// Every format's name, in detection order.
    pub fn names() -> impl Iterator<Item = &'static str> {
        IMPORTERS.iter().map(|i| i.name())
    }

    /// The first format `input` is in.
    pub fn detect(input: &mut Input) -> Option<Format> {
        IMPORTERS.iter().find(|i| i.detect(input)).map(|i| Format(*i))
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Its importer.
    pub fn importer(self) -> &'static dyn Importer {
        self.0
    }
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Format {}

/// Every importer's root markers.
pub fn root_markers() -> Vec<&'static str> {
    IMPORTERS.iter().flat_map(|i| i.root_markers().iter().copied()).collect()
}

/// What every importer reads, for the error that none matched.
pub fn expected() -> String {
    let all: Vec<&str> = IMPORTERS.iter().map(|i| i.reads()).collect();
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, or {last}", rest.join(", ")),
        _ => all.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_importer_has_its_own_name_and_is_found_by_it() {
        let names: Vec<&str> = Format::names().collect();
        assert_eq!(
            names,
            ["slack", "discord", "mattermost", "campfire", "matrix", "jsonl", "irc", "snapshots"]
        );
        for name in names {
            assert_eq!(Format::named(name).map(Format::name), Some(name));
        }
        assert!(Format::named("teams").is_none());
        assert!(expected().contains("a Slack export") && expected().contains(", or a folder of PNG"));
    }
}
