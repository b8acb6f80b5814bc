//! `scrollback.toml`: what to read, where to write, what to publish.
//!
//! Precedence is flags > `SCROLLBACK_*` environment > file > defaults. Unknown keys are an
//! error, so a typo never silently publishes something (`deny_unknown_fields`). Paths in the
//! file are relative to the file.

pub use crate::redact::settings::{Redaction, RedactionRule, Scope};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "scrollback.toml";

/// Problems with the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The config file's path, as the error shows it.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("{path}: {message}")]
    Parse {
        /// The config file's path, as the error shows it.
        path: String,
        /// toml's message, which names the line, column and key.
        message: String,
    },
    /// A value is out of range.
    #[error("{origin}: {key}: {message}")]
    Invalid {
        /// Where the value came from (a file, an environment variable, a flag).
        origin: String,
        /// The key, as written in the file (`incidents.window`).
        key: &'static str,
        /// What was expected.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Site title, shown in every page header.
    pub title: String,
    /// Public URL of the site (used for canonical links); optional.
    pub base_url: Option<String>,
    /// IANA zone that groups messages into days and labels times for readers without
    /// JavaScript (readers with JavaScript see their own zone).
    pub display_timezone: String,
    /// Export directories or zips to read when no INPUT is given.
    pub inputs: Vec<PathBuf>,
    /// The share (0 to 1) of an input's messages and log lines that may be unreadable before
    /// the build fails (without `--keep-going`).
    pub max_dropped: f64,
    /// Output directory when `--out` is not given.
    pub out: Option<PathBuf>,
    /// What gets published.
    pub publish: Publish,
    /// A directory whose `templates/*.html` and `assets/*` override the built-in theme.
    pub theme: Option<PathBuf>,
    /// How incidents are detected, and incidents declared by hand.
    pub incidents: Incidents,
    /// How IRC logs are read.
    pub irc: Irc,
    /// Accounts in different sources that are one person.
    pub people: Vec<Person>,
    /// Secret and personal-data redaction: built-in rules to turn off, rules of your own.
    pub redaction: Redaction,
    /// How the search files are laid out.
    pub search: Search,
    /// Most messages on one page of a day: a busier day is split into numbered pages (0:
    /// never split).
    pub day_page_messages: usize,
}

/// Where the search terms are cut into segments by default (`[search] segments`): at the
/// largest multiple of each size, so every segment but the last holds a whole multiple of one.
pub const SEGMENT_SIZES: [usize; 3] = [1 << 24, 1 << 20, 1 << 16];

/// `[search]`: the layout of the static search files.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Search {
    /// Sizes (in messages, largest first) at whose multiples the terms are cut into
    /// segments: a nightly append rewrites only the segment after the last multiple, and
    /// every segment costs a query one more dictionary file per word.
    pub segments: Vec<usize>,
}

impl Default for Search {
    fn default() -> Self {
        Search { segments: SEGMENT_SIZES.to_vec() }
    }
}

/// `[[people]]`: one person's accounts.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// The name to show for all of them.
    pub name: String,
    /// `<source>:<handle or id>`: `slack:peter`, `irc:pnovak`, `discord:123456789`.
    pub accounts: Vec<String>,
}

/// `[irc]`: reading IRC logs.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Irc {
    /// The zone of the logging machine's wall clock (IRC logs carry no offset).
    pub timezone: String,
    /// `[[irc.channels]]`: the channel of logs that never name it.
    pub channels: Vec<IrcChannel>,
}

impl Default for Irc {
    fn default() -> Self {
        Irc { timezone: "UTC".to_owned(), channels: Vec::new() }
    }
}

/// `[[irc.channels]]`: logs whose path matches `path` (a glob from the input the user named,
/// `2020/**/*.log`) log the public channel `name`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IrcChannel {
    /// A glob: `*` within a folder, `**` across folders.
    pub path: String,
    /// The channel, with or without its `#`.
    pub name: String,
}

/// `[incidents]`: detection rules and declarations.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Incidents {
    /// Detect incidents from alerts and markers at all.
    pub detect: bool,
    /// An alert nobody paged or answered becomes an incident once it has fired this long.
    pub min_duration: Duration,
    /// An alert that fires again this soon after it recovered rejoins its incident.
    pub window: Duration,
    /// An incident with no resolve ends at its last activity after this long without any
    /// (marked inferred); one active this close to the export's end is ongoing.
    pub quiet: Duration,
    /// Phrases in a person's message that resolve the incident it answers.
    pub all_clear: Vec<String>,
    /// Emoji (`:name:` in a person's message) that resolve the channel's open incident.
    pub all_clear_emoji: Vec<String>,
    /// Reactions that put a message on its incident's timeline.
    pub timeline_emoji: Vec<String>,
    /// Incidents declared by hand; they override or extend what is detected.
    pub declare: Vec<Declared>,
    /// Bots the built-in recognisers do not know, and how to read them.
    pub sources: Vec<AlertSource>,
}

/// `[[incidents.sources]]`: an alerting bot and the patterns of its messages. Each pattern is
/// a regular expression matched against the message's plain text (its cards' titles, text
/// and fields included); a `key` group names the alert instance, `title` its title,
/// `severity` its severity.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AlertSource {
    /// The bot's name or user id, as its messages carry it.
    pub bot: String,
    /// A message that fires an alert.
    pub open: String,
    /// A message that recovers one (without a `key` group: every alert of this bot).
    pub resolve: Option<String>,
    /// A message that acknowledges one.
    pub acknowledge: Option<String>,
    /// Its alerts page people: each is an incident at once.
    #[serde(default)]
    pub paging: bool,
}

impl Default for Incidents {
    fn default() -> Self {
        Incidents {
            detect: true,
            min_duration: Duration(30 * 60),
            window: Duration(30 * 60),
            quiet: Duration(2 * 60 * 60),
            all_clear: [
                "all clear",
                "all-clear",
                "resolved",
                "all good",
                "closing",
                "we're back",
                "back to normal",
            ]
            .map(str::to_owned)
            .to_vec(),
            all_clear_emoji: vec!["white_check_mark".to_owned(), "heavy_check_mark".to_owned()],
            timeline_emoji: vec!["stopwatch".to_owned(), "pushpin".to_owned()],
            declare: Vec::new(),
            sources: Vec::new(),
        }
    }
}

/// `[[incidents.declare]]`: an incident stated in the config.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Declared {
    /// Channel name.
    pub channel: String,
    /// Start, RFC 3339 (`2014-01-17T17:11:00Z`).
    pub start: String,
    /// End, RFC 3339; absent while ongoing.
    #[serde(default)]
    pub end: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Severity label (`SEV1`, `major`…).
    #[serde(default)]
    pub severity: Option<String>,
    /// Link to the postmortem.
    #[serde(default)]
    pub postmortem: Option<String>,
}

/// A length of time written `90s`, `30m`, `2h` or `1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub i64);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text).map(Duration).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a duration like \"90s\", \"30m\", \"2h\" or \"1d\", found {text:?}"
            ))
        })
    }
}

fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = number.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(scale)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "Chat archive".to_owned(),
            base_url: None,
            display_timezone: "UTC".to_owned(),
            inputs: Vec::new(),
            max_dropped: 0.01,
            out: None,
            publish: Publish::default(),
            theme: None,
            incidents: Incidents::default(),
            irc: Irc::default(),
            people: Vec::new(),
            redaction: Redaction::default(),
            search: Search::default(),
            day_page_messages: DAY_PAGE_MESSAGES,
        }
    }
}

/// The default most messages on one page of a day.
pub const DAY_PAGE_MESSAGES: usize = 2000;

/// Which conversations reach the site.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Publish {
    /// Public channels to publish: all of them (the default), or only those named.
    pub channels: ChannelSelection,
    /// Private channels, group DMs and DMs to publish anyway, by name. Nothing non-public is
    /// published unless it is named here.
    pub private: Vec<String>,
    /// Channel name patterns (`*` wildcard) never published, even if named elsewhere.
    pub exclude: Vec<String>,
    /// Show every person under a stable pseudonym ("Amber Otter") instead of their name.
    pub pseudonymize: bool,
    /// Secret that keys the pseudonyms, so nobody holding the user list can recompute them.
    pub pseudonym_key: Option<String>,
}

/// `channels = "public"` or `channels = ["ops", "general"]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ChannelSelection {
    /// Every public channel.
    #[default]
    AllPublic,
    /// Only these public channels.
    Named(Vec<String>),
}

impl<'de> Deserialize<'de> for ChannelSelection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            List(Vec<String>),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "public" => Ok(ChannelSelection::AllPublic),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "expected \"public\" or a list of channel names, found {w:?}"
            ))),
            Raw::List(names) => Ok(ChannelSelection::Named(names)),
        }
    }
}

impl Config {
    /// Loads `path`, or `scrollback.toml` in the working directory if it exists, or the
    /// defaults. Relative paths in the file are made relative to the file's directory.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(Config::default()),
        };
        let shown = path.display().to_string();
        let text = fs_err::read_to_string(&path)
            .map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
        let mut config = Config::parse(&text, &shown)?;
        let base = path.parent().unwrap_or(Path::new(""));
        config.resolve_paths(base);
        config.validate(&shown)?;
        Ok(config)
    }

    /// Parses TOML text; `shown` names it in errors.
    pub fn parse(text: &str, shown: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: shown.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })
    }

    fn resolve_paths(&mut self, base: &Path) {
        let join = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        self.inputs.iter_mut().for_each(join);
        self.out.iter_mut().for_each(join);
        self.theme.iter_mut().for_each(join);
    }

    /// Applies `SCROLLBACK_*` variables (read through `var` so tests need not touch the
    /// process environment).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = var("SCROLLBACK_TITLE") {
            self.title = v;
        }
        if let Some(v) = var("SCROLLBACK_BASE_URL") {
            self.base_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = var("SCROLLBACK_DISPLAY_TIMEZONE") {
            self.display_timezone = v;
        }
        if let Some(v) = var("SCROLLBACK_OUT") {
            self.out = Some(PathBuf::from(v));
        }
        if let Some(v) = var("SCROLLBACK_PSEUDONYM_KEY") {
            self.publish.pseudonym_key = Some(v).filter(|v| !v.is_empty());
        }
        self.validate("environment")
    }

    /// Checks values that TOML's types cannot.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        for (key, zone) in
            [("display_timezone", &self.display_timezone), ("irc.timezone", &self.irc.timezone)]
        {
            if jiff::tz::TimeZone::get(zone).is_err() {
                return Err(ConfigError::Invalid {
                    origin: origin.to_owned(),
                    key,
                    message: format!(
                        "unknown time zone {zone:?}; expected an IANA name like \"UTC\" or \"Europe/Berlin\""
                    ),
                });
            }
        }
        if !(0.0..=1.0).contains(&self.max_dropped) {
            return Err(ConfigError::Invalid {
                origin: origin.to_owned(),
                key: "max_dropped",
                message: format!("expected a share from 0 to 1 (0.01 is 1%), found {}", self.max_dropped),
            });
        }
        if let Some(url) = &self.base_url
            && !crate::markup::is_safe_url(url)
        {
            return Err(ConfigError::Invalid {
                origin: origin.to_owned(),
                key: "base_url",
                message: format!("expected an http:// or https:// URL, found {url:?}"),
            });
        }
        if let Err(message) = crate::redact::Redactor::check(&self.redaction) {
            return Err(ConfigError::Invalid { origin: origin.to_owned(), key: "redaction", message });
        }
        for (n, source) in self.incidents.sources.iter().enumerate() {
            let patterns = [Some(&source.open), source.resolve.as_ref(), source.acknowledge.as_ref()];
            if let Some(Err(e)) =
                patterns.into_iter().flatten().map(|p| regex::Regex::new(p)).find(Result::is_err)
            {
                return Err(ConfigError::Invalid {
                    origin: origin.to_owned(),
                    key: "incidents.sources",
                    message: format!("source {} ({:?}): {e}", n + 1, source.bot),
                });
            }
        }
        if let Some((channel, Err(e))) =
            self.irc.channels.iter().map(|c| (c, globset::Glob::new(&c.path))).find(|(_, g)| g.is_err())
        {
            return Err(ConfigError::Invalid {
                origin: origin.to_owned(),
                key: "irc.channels",
                message: format!("path {:?} of channel {:?}: {e}", channel.path, channel.name),
            });
        }
        let sizes = &self.search.segments;
        if sizes.contains(&0) || sizes.windows(2).any(|w| w[0] <= w[1]) {
            return Err(ConfigError::Invalid {
                origin: origin.to_owned(),
                key: "search.segments",
                message: format!("expected sizes above 0, largest first, found {sizes:?}"),
            });
        }
        Ok(())
    }

    /// The display zone (validated on load).
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.display_timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The zone IRC logs' clocks are read in (validated on load).
    pub fn irc_time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.irc.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The channels `[[irc.channels]]` names, each with its compiled path (validated on load).
    pub fn irc_channels(&self) -> Vec<(globset::GlobMatcher, String)> {
        let compiled =
            |c: &IrcChannel| Some((globset::Glob::new(&c.path).ok()?.compile_matcher(), c.name.clone()));
        self.irc.channels.iter().filter_map(compiled).collect()
    }
}

/// Matches `name` against a pattern with `*` wildcards.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let Some(mut remaining) = name.strip_prefix(head) else {
        return false;
    };
    let mut parts = rest.split('*').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return remaining.len() >= part.len() && remaining.ends_with(part);
        }
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The commented file `scrollback init` writes.
pub const TEMPLATE: &str = r#"# scrollback configuration. Every key is optional; unknown keys are an error.
# Precedence: command-line flags > SCROLLBACK_* environment variables > this file > defaults.

# Site title, shown in every page header.               (env: SCROLLBACK_TITLE)
title = "Chat archive"

# Public URL of the site, for canonical links.           (env: SCROLLBACK_BASE_URL)
# base_url = "https://ops.example.com/archive/"

# IANA time zone used to group messages into days and to label times for readers
# without JavaScript. Readers with JavaScript see times in their own zone.
#                                                        (env: SCROLLBACK_DISPLAY_TIMEZONE)
display_timezone = "UTC"

# Most messages on one page of a day: a busier day is split into numbered pages
# (c/<channel>/<yyyy>/<mm>/<dd>/2/, …), each linked from the others. 0 never splits.
# day_page_messages = 2000

# Exports to read when `scrollback build` gets no INPUT (directories or .zip files),
# relative to this file.
inputs = ["sample-logs"]

# The share of an input's messages and log lines that may be unreadable (IRC lines with no
# date anywhere, a file cut short) before the build fails; --keep-going builds anyway.
# max_dropped = 0.01

# Output directory when --out is not given.              (env: SCROLLBACK_OUT)
out = "public"

# A folder with templates/*.html and assets/* overriding the built-in theme
# (`scrollback init --theme` writes the defaults there to start from).
# theme = "theme"

[incidents]
# Detect incidents from alerting bots (PagerDuty, Opsgenie, Alertmanager/Grafana, Datadog,
# Sentry, Nagios, Zabbix, cloud and uptime monitors, incident bots) and people's markers
# ("@incident declare", "declaring a SEV1: …", all-clear phrases).
detect = true
# An alert nobody paged or answered becomes an incident once it has fired this long.
min_duration = "30m"
# An alert that fires again this soon after it recovered (flapping) rejoins its incident.
window = "30m"
# With no resolve, an incident ends at its last activity once this long has passed without
# any (marked "inferred"); one active this close to the export's end is ongoing.
quiet = "2h"
# Phrases in a person's message that resolve the incident they answer.
all_clear = ["all clear", "all-clear", "resolved", "all good", "closing", "we're back", "back to normal"]
# Emoji that do the same when a person posts them (":white_check_mark: fixed").
all_clear_emoji = ["white_check_mark", "heavy_check_mark"]
# Reactions that put a message on its incident's timeline.
timeline_emoji = ["stopwatch", "pushpin"]
# A bot the built-in recognisers do not know (repeat the block for more): regular
# expressions over its messages' text; a `key` group names the alert instance, `title` its
# title, `severity` its severity. A resolve pattern without `key` ends all its alerts.
# [[incidents.sources]]
# bot = "HealthBot"
# open = "^HEALTH FAIL (?P<key>\\S+)(?: (?P<title>.+))?"
# resolve = "^HEALTH OK (?P<key>\\S+)"
# acknowledge = "^HEALTH ACK (?P<key>\\S+)"
# paging = false
# Incidents declared by hand (repeat the block for more):
# [[incidents.declare]]
# channel = "ops"
# start = "2014-01-15T10:00:00Z"
# end = "2014-01-15T11:30:00Z"
# title = "Billing export delayed"
# severity = "SEV3"
# postmortem = "https://wiki.example.com/postmortems/billing-export"

[irc]
# The zone of the clock that wrote IRC logs (they carry times without an offset).
timezone = "UTC"
# Logs that never name their channel (`2020/06/12.log`): a path glob from the input, and the
# channel they log.
# [[irc.channels]]
# path = "**/*.log"
# name = "ubuntu-meeting"

# One person with accounts in several sources: one name everywhere, and from: finds them all.
# [[people]]
# name = "Peter Novak"
# accounts = ["slack:peter", "irc:pnovak"]

[publish]
# Public channels to publish: "public" for all of them, or a list of names.
channels = "public"
# Private channels, group DMs and DMs are never published unless named here.
private = []
# Name patterns (with * wildcards) never published, even if named above.
exclude = []
# Show people under stable pseudonyms ("Amber Otter") instead of their names. Keep the
# pseudonyms unguessable with a secret key, here or in $SCROLLBACK_PSEUDONYM_KEY.
pseudonymize = false
# pseudonym_key = "a long random secret"

[redaction]
# Built-in rules to turn off, by name (`phone`, `password-assignment`...).
disable = []
# Rules of your own, run after the built-in ones (repeat the block for more):
# [[redaction.rules]]
# name = "customer-id"
# pattern = 'CUST-\d{6}'
# replacement = "[customer redacted]"
# scope = ["text", "files"]   # text, names, files, links or all

[search]
# The search files' terms are cut into segments at multiples of these message counts
# (largest first): a nightly build rewrites only the segment after the last multiple, and
# each segment costs a search one more small dictionary file per word.
segments = [16777216, 1048576, 65536]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_init_template_parses_to_the_defaults_plus_its_paths() {
        let config = Config::parse(TEMPLATE, "scrollback.toml").unwrap();
        assert_eq!(config.title, Config::default().title);
        assert_eq!(config.inputs, vec![PathBuf::from("sample-logs")]);
        assert_eq!(config.publish, Publish::default());
        assert_eq!(config.search, Search::default());
    }

    #[test]
    fn search_segments_are_sizes_largest_first() {
        let c = Config::parse("[search]\nsegments = [4096, 256]\n", "s").unwrap();
        assert_eq!(c.search.segments, [4096, 256]);
        let c = Config::parse("[search]\nsegments = [256, 4096]\n", "s.toml").unwrap();
        let err = c.validate("s.toml").unwrap_err().to_string();
        assert_eq!(err, "s.toml: search.segments: expected sizes above 0, largest first, found [256, 4096]");
    }

    #[test]
    fn irc_channels_are_globs_that_compile() {
        let c = Config::parse("[[irc.channels]]\npath = \"2020/**/*.log\"\nname = \"#m\"\n", "s").unwrap();
        assert!(c.validate("s").is_ok());
        let (glob, name) = &c.irc_channels()[0];
        assert!(glob.is_match("2020/06/12.log") && !glob.is_match("2021/06/12.log"));
        assert_eq!(name, "#m");
        let c = Config::parse("[[irc.channels]]\npath = \"a/[b\"\nname = \"m\"\n", "s.toml").unwrap();
        let err = c.validate("s.toml").unwrap_err().to_string();
        assert!(err.starts_with("s.toml: irc.channels: path \"a/[b\" of channel \"m\""), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_naming_line_and_key() {
        let err = Config::parse("titel = \"x\"\n", "s.toml").unwrap_err().to_string();
        assert!(err.starts_with("s.toml: TOML parse error at line 1, column 1"), "{err}");
        assert!(err.contains("unknown field `titel`"), "{err}");
    }

    #[test]
    fn channel_selection_is_public_or_a_list() {
        let c = Config::parse("[publish]\nchannels = [\"ops\"]\n", "s").unwrap();
        assert_eq!(c.publish.channels, ChannelSelection::Named(vec!["ops".into()]));
        let err = Config::parse("[publish]\nchannels = \"all\"\n", "s").unwrap_err().to_string();
        assert!(err.contains("expected \"public\" or a list of channel names"), "{err}");
    }

    #[test]
    fn environment_overrides_the_file_and_is_validated() {
        let mut c = Config::default();
        c.apply_env(|k| (k == "SCROLLBACK_TITLE").then(|| "Ops".to_owned())).unwrap();
        assert_eq!(c.title, "Ops");
        let err = c
            .apply_env(|k| (k == "SCROLLBACK_DISPLAY_TIMEZONE").then(|| "Mars/Base".to_owned()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment: display_timezone: unknown time zone \"Mars/Base\"; expected an IANA name like \"UTC\" or \"Europe/Berlin\""
        );
    }

    #[test]
    fn durations_and_declarations_parse() {
        let c = Config::parse(
            "[incidents]\nquiet = \"90m\"\n[[incidents.declare]]\nchannel = \"ops\"\nstart = \"2014-01-15T10:00:00Z\"\n",
            "s",
        )
        .unwrap();
        assert_eq!(c.incidents.quiet, Duration(5400));
        assert_eq!(c.incidents.declare[0].channel, "ops");
        let err = Config::parse("[incidents]\nquiet = \"soon\"\n", "s").unwrap_err().to_string();
        assert!(err.contains("expected a duration like \"90s\""), "{err}");
    }

    #[test]
    fn globs() {
        assert!(glob_match("sec-*", "sec-incidents"));
        assert!(glob_match("*-private", "ops-private"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("ops", "ops"));
        assert!(!glob_match("ops", "ops2"));
    }
}
