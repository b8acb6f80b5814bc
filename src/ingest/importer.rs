//! Importers behind one interface: a format is one module whose `IMPORTER` says its name,
//! how it is recognised and how it is read, named once in the registry (`importers!` in
//! [`super`], which makes [`IMPORTERS`]).

use super::{IMPORTERS, Ingested, Input, Options};

/// One chat export format: its name for `--format`, what it reads (for the error that no
/// format matched), the files that mark an export's root inside a folder or zip that wraps
/// it, how it is recognised, and how it is read (problems go into `out`, never stop it).
pub struct Importer {
    /// `slack`.
    pub name: &'static str,
    /// "a Slack export (…)".
    pub reads: &'static str,
    /// `channels.json`…; none for most.
    pub root_markers: &'static [&'static str],
    /// Whether an input is in this format.
    pub detect: fn(&mut Input) -> bool,
    /// Reads an input into the archive.
    pub import: fn(&mut Input, &Options, &mut Ingested),
}

/// A format the user names or detection finds: one of [`IMPORTERS`].
#[derive(Clone, Copy)]
pub struct Format(&'static Importer);

impl Format {
    /// The format called `name`.
    pub fn named(name: &str) -> Option<Format> {
        IMPORTERS.iter().find(|i| i.name == name).map(|i| Format(i))
    }

    /// Every format's name, in detection order.
    pub fn names() -> impl Iterator<Item = &'static str> {
        IMPORTERS.iter().map(|i| i.name)
    }

    /// The first format `input` is in.
    pub fn detect(input: &mut Input) -> Option<Format> {
        IMPORTERS.iter().find(|i| (i.detect)(input)).map(|i| Format(i))
    }

    /// Its name for `--format`.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// Reads `input` into `out` in this format.
    pub fn import(self, input: &mut Input, options: &Options, out: &mut Ingested) {
        (self.0.import)(input, options, out);
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
    IMPORTERS.iter().flat_map(|i| i.root_markers.iter().copied()).collect()
}

/// What every importer reads, for the error that none matched.
pub fn expected() -> String {
    let all: Vec<&str> = IMPORTERS.iter().map(|i| i.reads).collect();
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
