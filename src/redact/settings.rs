//! `[redaction]` in `scrollback.toml`: which built-in rules run, and the user's own.

use serde::Deserialize;

/// `[redaction]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Redaction {
    /// Built-in rules not to run, by name (`phone`, `password-assignment`…).
    pub disable: Vec<String>,
    /// `[[redaction.rules]]`: rules of your own, run after the built-in ones.
    pub rules: Vec<RedactionRule>,
}

/// One user rule: a regex, what matches become, and where it applies.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RedactionRule {
    /// Name in the report.
    pub name: String,
    /// A Rust `regex` pattern.
    pub pattern: String,
    /// What a match becomes; `$1`/`${name}` expand capture groups. Default `[redacted]`.
    #[serde(default = "default_replacement")]
    pub replacement: String,
    /// Which text it applies to. Default: all of it.
    #[serde(default = "Scope::everywhere")]
    pub scope: Vec<Scope>,
}

fn default_replacement() -> String {
    "[redacted]".to_owned()
}

/// The kinds of text a redaction rule reads.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Message text, topics, card text, titles and fields.
    Text,
    /// People's names.
    Names,
    /// File names and titles.
    Files,
    /// Link targets (card links, file links).
    Links,
    /// All of the above.
    All,
}

impl Scope {
    fn everywhere() -> Vec<Scope> {
        vec![Scope::All]
    }
}
