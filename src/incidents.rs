//! Incidents, detected from the chat itself with provenance, or declared in the config.
//!
//! Rules:
//! - Only bots and integrations open or close incidents from alert text; a person typing
//!   `[RESOLVED]` changes nothing. Recognised: `PagerDuty` (and its chat relays), Opsgenie,
//!   Alertmanager and Grafana (`[FIRING:n]`/`[RESOLVED]`), Datadog (`[Triggered]`/`[Recovered]`),
//!   Sentry metric alerts, Nagios/Icinga, threshold alerts (`Alert triggered at … for 'metric'
//!   with value … from host` / `Alert cleared …`); log-search hits and exception reports
//!   (Honeybadger) join an incident but do not open one.
//! - Alerts are grouped by their key (incident number, alert group, monitor, metric and
//!   host). Alerts in a channel within `window` of each other, or while an incident is open
//!   there, belong to the same incident.
//! - An alert becomes an incident when a pager triggers, a person declares it
//!   (`@incident declare …`, "declaring an incident"), or it stays open `min_duration`.
//!   Alerts that clear sooner, unpaged, are routine and stay plain messages.
//! - It resolves when its pages resolve (or, unpaged, all its alerts clear), when a person
//!   gives the all-clear (`all_clear` phrases, `@incident resolve`), or, failing all that,
//!   `quiet` after its last alert, marked inferred. Acknowledged: the first page
//!   acknowledgement or `@incident ack`.
//! - Every time comes with the message that set it. Ids are the start in the display zone:
//!   `2014-01-17-ops-1711`, so they survive rebuilds with more messages before or after.

pub mod readings;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rayon::prelude::*;
use regex::Regex;

use crate::config::{Declared, Incidents as Rules};
use crate::layout::Layout;
use crate::markup::{self, PlainDigest};
use crate::memo::{Filed, Known, Memo, Walk};
use crate::model::{
    AlertGroup, Archive, Channel, Evidence, Incident, Message, MessageKind, Run, TimelineEntry,
};
use readings::Reading;

/// A name from a fixed list (a source family, a field); an alias, so that serde stores it
/// through [`readings`] instead of borrowing it from the record.
pub type Name = &'static str;

/// What a message says about incidents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Signal {
    /// An alert fired (or keeps firing).
    Open {
        /// Source family.
        #[serde(with = "readings::source")]
        source: Name,
        /// What it is about, unique within the source.
        key: String,
        /// A readable label.
        label: String,
        /// A pager (wakes people up): escalates to an incident at once.
        paging: bool,
    },
    /// Someone acknowledged (`key` `None`: whatever is open in the channel).
    Ack {
        /// The alert key, when the source names one.
        key: Option<String>,
    },
    /// A person said the impact is mitigated (the service is stable, the cause may remain).
    Mitigate,
    /// An alert recovered or a page resolved (`key` `None`: the whole incident).
    Resolve {
        /// The alert key, when the source names one.
        key: Option<String>,
    },
    /// Supporting evidence (log-search hits, exception reports): joins, never opens.
    Info {
        /// Source family.
        #[serde(with = "readings::source")]
        source: Name,
        /// A readable label.
        label: String,
    },
    /// A person declared an incident.
    Declare {
        /// Title, if given.
        title: Option<String>,
    },
    /// A person set a field.
    Set {
        /// `severity`, `lead`, `summary` or `title`.
        #[serde(with = "readings::field")]
        field: Name,
        /// The value.
        value: String,
    },
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in incident patterns compile")
}

static PAGER_STATUS: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(triggered|acknowledged|resolved)\b"));
static PAGER_NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"#\s?(\d+)(?::\s*(.+))?"));
static PAGER_RELAY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"Incident (?:\[(\d+)\]\([^)]*\)|# ?(\d+) :\s*)\s*(triggered|unacknowledged|acknowledged|resolved)\b")
});
static OPSGENIE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"OpsGenie: \[Alert for (?P<integ>[^\]]+)\.\][\s\S]*Type: \*?(?P<action>Create|Acknowledge|UnAcknowledge|Close|Delete)\b",
    )
});
static ALERTMANAGER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\[(?P<state>FIRING|RESOLVED)(?::(?P<firing>\d+))?(?:,\s*RESOLVED:(?P<resolved>\d+))?\]\s+(?P<group>.+)$",
    )
});
static DATADOG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:\[P[1-5]\]\s*)?\[(?P<transition>Triggered|Re-Triggered|Recovered|Warn|No Data|Re-Notified)(?: on \{(?P<scope>[^}]*)\})?\]\s*(?P<monitor>.+)$",
    )
});
static SENTRY: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<status>Critical|Warning|Resolved):\s+(?P<rule>.+)$"));
static NAGIOS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\*\* (?P<type>PROBLEM|RECOVERY|ACKNOWLEDGEMENT) (?:Service|Host) Alert: (?P<target>.+?) is (?P<state>[A-Z]+) \*\*",
    )
});
static THRESHOLD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"Alert (?P<state>triggered|cleared)(?: at .+?)? for '(?P<metric>[^']+)'(?: with value \S+)?(?: from (?P<source>[^\s,]+))?",
    )
});
static HONEYBADGER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\[(?P<project>[^/\]\s]+)/(?P<env>[^\]\s]+)\]\s+(?P<summary>.+)$"));
static LOG_SEARCH: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)"?(?P<search>[^"\n]+?)"? search found (?P<count>\d+) match"#));
static ONCALL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<verb>Acknowledged|Resolved)(?: by (?P<who>.+)| automatically)?$"));
static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*[@/]incident\s+(?P<verb>declare|start|ack|acknowledge|mitigate|mitigated|stable|resolve|close|severity|sev|lead|summary|title)\b[:\s]*(?P<rest>.*)$",
    )
});
static DECLARING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:I am |I'm )?declaring an incident\b[:,.\s-]*(?P<rest>.*)$"));

/// What a bot's message (as plain text) says.
pub fn bot_signals(author: &str, text: &str) -> Vec<Signal> {
    let author = author.to_lowercase();
    if author.contains("pagerduty") || author.contains("pager duty") || PAGER_RELAY.is_match(text) {
        return pager(text);
    }
    if let Some(c) = OPSGENIE.captures(text) {
        let key = format!("opsgenie:{}", &c["integ"]);
        return vec![match &c["action"] {
            "Create" => Signal::Open { source: "opsgenie", key, label: c["integ"].to_owned(), paging: true },
            "Acknowledge" => Signal::Ack { key: Some(key) },
            "Close" | "Delete" => Signal::Resolve { key: Some(key) },
            _ => Signal::Info { source: "opsgenie", label: c["integ"].to_owned() },
        }];
    }
    let mut signals = Vec::new();
    for line in text.lines().map(str::trim) {
        signals.extend(line_signal(line));
    }
    signals
}

/// The line patterns of [`line_signal`], in its order: one pass tells which can match, so
/// a line that is none of them (most are) costs one search, not nine.
static LINE_PATTERNS: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    let patterns =
        [&ALERTMANAGER, &DATADOG, &NAGIOS, &THRESHOLD, &SENTRY, &LOG_SEARCH, &HONEYBADGER, &ONCALL];
    regex::RegexSet::new(patterns.iter().map(|p| p.as_str())).expect("built-in incident patterns compile")
});

fn line_signal(line: &str) -> Option<Signal> {
    if !LINE_PATTERNS.is_match(line) {
        return None;
    }
    if let Some(c) = ALERTMANAGER.captures(line) {
        let group = c["group"].split(" | ").next().unwrap_or("").trim();
        let group = group.rsplit_once(" (").filter(|(_, rest)| rest.ends_with(')')).map_or(group, |(g, _)| g);
        let key = format!("alertmanager:{group}");
        let still_firing = c.name("firing").is_some_and(|n| n.as_str() != "0");
        return Some(if &c["state"] == "FIRING" || still_firing {
            Signal::Open { source: "alertmanager", key, label: group.to_owned(), paging: false }
        } else {
            Signal::Resolve { key: Some(key) }
        });
    }
    if let Some(c) = DATADOG.captures(line) {
        let monitor = c["monitor"].trim();
        let label = match c.name("scope") {
            Some(scope) => format!("{monitor} on {}", scope.as_str()),
            None => monitor.to_owned(),
        };
        let key = format!("datadog:{label}");
        return Some(match &c["transition"] {
            "Triggered" | "Re-Triggered" => Signal::Open { source: "datadog", key, label, paging: false },
            "Recovered" => Signal::Resolve { key: Some(key) },
            _ => Signal::Info { source: "datadog", label },
        });
    }
    if let Some(c) = NAGIOS.captures(line) {
        let key = format!("nagios:{}", &c["target"]);
        let label = format!("{} is {}", &c["target"], &c["state"]);
        return Some(match &c["type"] {
            "PROBLEM" => Signal::Open { source: "nagios", key, label, paging: false },
            "ACKNOWLEDGEMENT" => Signal::Ack { key: Some(key) },
            _ => Signal::Resolve { key: Some(key) },
        });
    }
    if let Some(c) = THRESHOLD.captures(line) {
        let label = match c.name("source") {
            Some(source) => format!("{} on {}", &c["metric"], source.as_str()),
            None => c["metric"].to_owned(),
        };
        let key = format!("threshold:{label}");
        return Some(if &c["state"] == "triggered" {
            Signal::Open { source: "threshold", key, label, paging: false }
        } else {
            Signal::Resolve { key: Some(key) }
        });
    }
    if let Some(c) = SENTRY.captures(line) {
        let key = format!("sentry:{}", &c["rule"]);
        return Some(if &c["status"] == "Resolved" {
            Signal::Resolve { key: Some(key) }
        } else {
            Signal::Open { source: "sentry", key, label: c["rule"].to_owned(), paging: false }
        });
    }
    if let Some(c) = LOG_SEARCH.captures(line) {
        return Some(Signal::Info { source: "logs", label: format!("\"{}\"", c["search"].trim()) });
    }
    if let Some(c) = HONEYBADGER.captures(line) {
        return Some(Signal::Info {
            source: "exceptions",
            label: format!("[{}/{}] {}", &c["project"], &c["env"], &c["summary"]),
        });
    }
    if let Some(c) = ONCALL.captures(line) {
        return Some(if &c["verb"] == "Acknowledged" {
            Signal::Ack { key: None }
        } else {
            Signal::Resolve { key: None }
        });
    }
    None
}

/// `PagerDuty` cards and relays: incident number + status word (reference P8–P10).
fn pager(text: &str) -> Vec<Signal> {
    let (number, status) = if let Some(c) = PAGER_RELAY.captures(text) {
        let number = c.get(1).or(c.get(2)).map_or("", |m| m.as_str()).to_owned();
        (number, c[3].to_lowercase())
    } else {
        let Some(status) = PAGER_STATUS.find(text) else { return Vec::new() };
        let Some(number) = PAGER_NUMBER.captures(text) else { return Vec::new() };
        (number[1].to_owned(), status.as_str().to_lowercase())
    };
    let label = PAGER_NUMBER.captures(text).and_then(|c| c.get(2)).map_or_else(
        || format!("PagerDuty incident #{number}"),
        |l| l.as_str().lines().next().unwrap_or("").trim().to_owned(),
    );
    let key = format!("pagerduty:{number}");
    vec![match status.as_str() {
        "triggered" => Signal::Open { source: "pagerduty", key, label, paging: true },
        "acknowledged" => Signal::Ack { key: Some(key) },
        "resolved" => Signal::Resolve { key: Some(key) },
        _ => Signal::Info { source: "pagerduty", label },
    }]
}

/// The all-clear: phrases (lowercase) and emoji names.
pub type AllClear<'r> = (&'r [String], &'r [String]);

/// What a person's message says: its commands and declarations, and whether it gives the
/// all-clear (phrases, or emoji given as `:name:` in the message's source text), which is
/// heard only from a message that gives no command.
fn person_says(text: &str, source: &str, all_clear: AllClear) -> (Vec<Signal>, bool) {
    let commands = human_commands(text);
    let said = commands.is_empty() && says_all_clear(text, source, all_clear);
    (commands, said)
}

/// The commands and declarations in the first line of a person's message.
fn human_commands(text: &str) -> Vec<Signal> {
    let first = text.lines().next().unwrap_or("");
    if !HUMAN_PATTERNS.is_match(first) {
        return Vec::new();
    }
    if let Some(c) = COMMAND.captures(first) {
        let rest = c["rest"].trim().to_owned();
        let value = || rest.clone();
        return vec![match c["verb"].to_lowercase().as_str() {
            "declare" | "start" => Signal::Declare { title: Some(rest.clone()).filter(|r| !r.is_empty()) },
            "ack" | "acknowledge" => Signal::Ack { key: None },
            "mitigate" | "mitigated" | "stable" => Signal::Mitigate,
            "resolve" | "close" => Signal::Resolve { key: None },
            "severity" | "sev" => Signal::Set { field: "severity", value: value() },
            "lead" => Signal::Set { field: "lead", value: value() },
            "summary" => Signal::Set { field: "summary", value: value() },
            _ => Signal::Set { field: "title", value: value() },
        }];
    }
    if let Some(c) = DECLARING.captures(first) {
        return vec![Signal::Declare { title: Some(c["rest"].trim().to_owned()).filter(|r| !r.is_empty()) }];
    }
    Vec::new()
}

/// [`COMMAND`] and [`DECLARING`], told apart from everything else in one pass.
static HUMAN_PATTERNS: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    regex::RegexSet::new([COMMAND.as_str(), DECLARING.as_str()]).expect("built-in incident patterns compile")
});

/// The all-clear: one of the (lowercase) phrases as whole words, or one of the emoji as
/// `:name:` in the source text.
fn says_all_clear(text: &str, source: &str, (phrases, emoji): AllClear) -> bool {
    emoji.iter().any(|e| source.contains(e.as_str()) && source.contains(&format!(":{e}:"))) || {
        let lower = text.to_lowercase();
        phrases.iter().any(|phrase| contains_phrase(&lower, phrase))
    }
}

/// `phrase` as whole words in `text`.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

/// An incident (or a candidate for one) being followed through a channel.
struct Open {
    escalated: bool,
    start: Evidence,
    last_alert: Timestamp,
    title: Option<String>,
    /// key → (group index, open, paging)
    keys: BTreeMap<String, (usize, bool, bool)>,
    groups: Vec<AlertGroup>,
    acknowledged: Option<Evidence>,
    mitigated: Option<Evidence>,
    resolved: Option<Evidence>,
    inferred_end: bool,
    timeline: Vec<(Evidence, &'static str)>,
    severity: Option<String>,
    lead: Option<String>,
    summary: Option<String>,
}

impl Open {
    fn new(at: Evidence) -> Open {
        Open {
            escalated: false,
            last_alert: at.time,
            start: at,
            title: None,
            keys: BTreeMap::new(),
            groups: Vec::new(),
            acknowledged: None,
            mitigated: None,
            resolved: None,
            inferred_end: false,
            timeline: Vec::new(),
            severity: None,
            lead: None,
            summary: None,
        }
    }

    fn group(&mut self, source: &str, key: &str, label: &str, at: &Evidence) -> usize {
        if let Some((index, _, _)) = self.keys.get(key) {
            let g = &mut self.groups[*index];
            g.count += 1;
            g.last = at.clone();
            return *index;
        }
        self.groups.push(AlertGroup {
            source: source.to_owned(),
            label: label.to_owned(),
            count: 1,
            first: at.clone(),
            last: at.clone(),
            resolved: None,
        });
        self.groups.len() - 1
    }

    /// Whether every page (or, unpaged, every alert) has resolved.
    fn all_clear(&self) -> bool {
        let paged = self.keys.values().any(|(_, _, paging)| *paging);
        let relevant = self.keys.values().filter(|(_, _, paging)| *paging || !paged);
        let mut any = false;
        for (_, open, _) in relevant {
            any = true;
            if *open {
                return false;
            }
        }
        any
    }
}

/// Which incident shows each message: per channel and message, the place in the list of
/// incidents of the first one whose messages include it ([`by_position`]).
#[derive(Debug, Default)]
pub struct Places(Vec<Vec<u32>>);

/// No incident shows the message (a `u32` per message keeps a million of them small).
const NOWHERE: u32 = u32::MAX;

impl Places {
    /// The place of the incident that shows message `message` of channel `channel`, if one
    /// does.
    pub fn of(&self, channel: usize, message: usize) -> Option<u32> {
        self.0.get(channel)?.get(message).copied().filter(|&at| at != NOWHERE)
    }
}

/// Where `incidents` show the archive's messages: found by position, with no id looked up.
pub fn by_position(archive: &Archive, incidents: &[Incident]) -> Places {
    let mut places: Vec<Vec<u32>> =
        archive.channels.iter().map(|c| vec![NOWHERE; c.messages.len()]).collect();
    for (n, incident) in incidents.iter().enumerate() {
        let n = u32::try_from(n).expect("fewer than 2^32 incidents");
        let run = places[incident.channel].get_mut(incident.messages.0.clone()).unwrap_or_default();
        for place in run.iter_mut().filter(|p| **p == NOWHERE) {
            *place = n;
        }
    }
    Places(places)
}

/// When an incident ended: its resolve time, or for an ongoing one the archive's last message
/// in its channel.
pub fn end_of(incident: &Incident, archive: &Archive) -> Timestamp {
    incident.resolved.as_ref().map_or_else(
        || archive.channels[incident.channel].messages.last().map_or(incident.start.time, |m| m.time),
        |r| r.time,
    )
}

/// What [`detect`] found, and what it read on the way.
pub struct Detected {
    /// The incidents, oldest first.
    pub incidents: Vec<Incident>,
    /// What search needs of each message's text, per channel and message.
    pub digests: Vec<Vec<PlainDigest>>,
    /// What the next build can take from this one's reading ([`readings`]); none if the
    /// binary could not be hashed.
    pub readings: Option<Filed>,
    /// Messages whose reading came from the previous build's file.
    pub remembered: usize,
}

/// Detects incidents in every published channel and applies the config's declarations;
/// `contents` are the messages' [`Message::digest`]s, per channel and message.
/// Rules read each message as plain text ([`markup::plain`]), worked out as it is read and
/// not kept: the archive's text is never held twice. What detection and search take of
/// each text is kept instead, as a [`Reading`]; messages the `previous` build read are not
/// read again.
pub fn detect(
    archive: &Archive,
    layout: &Layout,
    rules: &Rules,
    tz: &TimeZone,
    (contents, previous): (&[Vec<[u8; 16]>], Option<&Memo>),
) -> Detected {
    let phrases: Vec<String> = rules.all_clear.iter().map(|p| p.to_lowercase()).collect();
    let all_clear = (&phrases[..], &rules.all_clear_emoji[..]);
    // A reading depends on the names mentions resolve to, the channel links and the rules.
    let (users, links) = (format!("{:?}", archive.users), format!("{:?}", layout.links));
    let settings = format!("{}\0{all_clear:?}", rules.detect);
    let known = Known::new("readings", &[users.as_bytes(), links.as_bytes(), settings.as_bytes()], previous);
    let plain = |channel: &Channel, message: &Message| {
        markup::plain(message, channel.source, &archive.users, &layout.links)
    };
    let end_of_archive = archive
        .channels
        .iter()
        .filter_map(|c| c.messages.last())
        .map(|m| m.time)
        .max()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    // Channels are independent: detect on every core.
    let per_channel: Vec<ChannelRead> = archive
        .channels
        .par_iter()
        .zip(contents)
        .map(|(channel, contents)| {
            let mut digests = Vec::with_capacity(channel.messages.len());
            let mut walk = known.walk(channel);
            let mut contents = contents.iter();
            let mut read = |m: &Message| {
                let whole = contents.next().expect("a digest for every message");
                let make = || read_message(m, &plain(channel, m), rules.detect.then_some(all_clear));
                let reading = match known.key(whole) {
                    Some(key) => readings::read(&mut walk, &key, make),
                    None => make(),
                };
                digests.push(reading.digest);
                reading
            };
            let found = if rules.detect {
                detect_channel(&channel.messages, &mut read, rules, end_of_archive)
            } else {
                channel.messages.iter().for_each(|m| drop(read(m)));
                Vec::new()
            };
            debug_assert_eq!(digests.len(), channel.messages.len(), "every message is read once");
            ChannelRead { found, digests, walk }
        })
        .collect();
    let mut found = Vec::with_capacity(per_channel.iter().map(|c| c.found.len()).sum());
    let mut digests = Vec::with_capacity(per_channel.len());
    let mut walks = Vec::with_capacity(per_channel.len());
    for (index, channel) in per_channel.into_iter().enumerate() {
        found.extend(channel.found.into_iter().map(|o| (index, o)));
        digests.push(channel.digests);
        walks.push(channel.walk);
    }
    let remembered = walks.iter().map(|w| w.found).sum();
    let readings = known.filed(archive.channels.iter().zip(walks));
    for declared in &rules.declare {
        apply_declaration(declared, archive, &mut found);
    }
    found.sort_by_key(|(channel, open)| (open.start.time, *channel));
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let named: Vec<(String, usize, Open)> = found
        .into_iter()
        .map(|(channel, open)| {
            let slug = &layout.channels[channel].slug;
            let start = tz.to_datetime(open.start.time);
            let (date, time) = (start.date(), start.time());
            let base = format!(
                "{:04}-{:02}-{:02}-{slug}-{:02}{:02}",
                date.year(),
                date.month(),
                date.day(),
                time.hour(),
                time.minute()
            );
            let n = ids.entry(base.clone()).and_modify(|n| *n += 1).or_insert(1);
            let id = if *n == 1 { base } else { format!("{base}-{n}") };
            (id, channel, open)
        })
        .collect();
    let incidents =
        named.into_par_iter().map(|(id, channel, open)| finish(id, channel, open, archive, rules)).collect();
    Detected { incidents, digests, readings, remembered }
}

/// What [`detect`] found and read in one channel.
struct ChannelRead<'p> {
    found: Vec<Open>,
    digests: Vec<PlainDigest>,
    walk: Walk<'p>,
}

/// What detection and search take from `message`, whose plain text is `plain`; its signals
/// only if detecting (`all_clear`, the phrases and emoji that give the all-clear).
fn read_message(message: &Message, plain: &markup::Plain, all_clear: Option<AllClear>) -> Reading {
    let text = &plain.text;
    let (signals, all_clear) = match all_clear {
        None => (Vec::new(), false),
        Some(_) if message.author.is_bot => (bot_signals(&message.author.name, text), false),
        Some(all_clear) => person_says(text, &message.text.source, all_clear),
    };
    Reading { digest: plain.digest(), signals, all_clear }
}

fn detect_channel(
    messages: &[Message],
    mut read: impl FnMut(&Message) -> Reading,
    rules: &Rules,
    end_of_archive: Timestamp,
) -> Vec<Open> {
    let mut done = Vec::new();
    let mut current: Option<Open> = None;
    let since = |a: Timestamp, b: Timestamp| b.as_second() - a.as_second();
    for message in messages {
        let at = Evidence { time: message.time, message: Some(message.id.clone()) };
        // Time passing: an unpaged alert open long enough escalates; silence closes.
        if let Some(open) = current.as_mut() {
            let any_open = open.keys.values().any(|(_, o, _)| *o);
            if !open.escalated && any_open && since(open.start.time, at.time) >= rules.min_duration.0 {
                open.escalated = true;
            }
            if since(open.last_alert, at.time) > rules.quiet.0 && (open.escalated || !any_open) {
                close_quietly(&mut current, &mut done);
            } else if !open.escalated && !any_open && since(open.last_alert, at.time) > rules.window.0 {
                current = None;
            }
        }
        // The all-clear closes an open incident; with none open there is nothing to hear.
        let signals = read(message).signals(current.is_some());
        for signal in signals {
            apply(signal, &at, &mut current, &mut done, rules);
        }
    }
    // The end of the archive: escalate what has been open long enough, infer quiet ends.
    if let Some(open) = current.as_mut() {
        let any_open = open.keys.values().any(|(_, o, _)| *o);
        if !open.escalated && any_open && since(open.start.time, end_of_archive) >= rules.min_duration.0 {
            open.escalated = true;
        }
        if open.escalated && since(open.last_alert, end_of_archive) > rules.quiet.0 {
            close_quietly(&mut current, &mut done);
        } else if open.escalated {
            done.extend(current.take());
        }
    }
    done
}

fn close_quietly(current: &mut Option<Open>, done: &mut Vec<Open>) {
    if let Some(mut open) = current.take()
        && open.escalated
    {
        open.resolved = Some(Evidence { time: open.last_alert, message: None });
        open.inferred_end = true;
        done.push(open);
    }
}

fn apply(signal: Signal, at: &Evidence, current: &mut Option<Open>, done: &mut Vec<Open>, rules: &Rules) {
    match signal {
        Signal::Open { source, key, label, paging } => {
            let joins = current.as_ref().is_some_and(|open| {
                open.escalated || at.time.as_second() - open.last_alert.as_second() <= rules.window.0
            });
            if !joins {
                *current = None;
            }
            let open = current.get_or_insert_with(|| Open::new(at.clone()));
            let index = open.group(source, &key, &label, at);
            let paged_before = open.keys.get(&key).is_some_and(|(_, _, p)| *p);
            open.keys.insert(key, (index, true, paging || paged_before));
            if paging {
                open.escalated = true;
                open.title = Some(label);
            } else if open.title.is_none() {
                open.title = Some(label);
            }
            open.last_alert = at.time;
            open.timeline.push((at.clone(), if paging { "page" } else { "alert" }));
        }
        Signal::Info { source, label } => {
            if let Some(open) = current.as_mut() {
                open.group(source, &format!("{source}:{label}"), &label, at);
                let key = format!("{source}:{label}");
                let index =
                    open.groups.iter().position(|g| g.source == source && g.label == label).unwrap_or(0);
                // Evidence joins; it never holds an incident open.
                open.keys.entry(key).or_insert((index, false, false));
                open.last_alert = at.time;
                open.timeline.push((at.clone(), "info"));
            }
        }
        Signal::Ack { key } => {
            if let Some(open) = current.as_mut() {
                let ours = key.as_ref().is_none_or(|k| open.keys.contains_key(k));
                if ours && open.escalated && open.acknowledged.is_none() {
                    open.acknowledged = Some(at.clone());
                    open.timeline.push((at.clone(), "acknowledged"));
                }
            }
        }
        Signal::Mitigate => {
            if let Some(open) = current.as_mut().filter(|o| o.escalated && o.mitigated.is_none()) {
                open.mitigated = Some(at.clone());
                open.timeline.push((at.clone(), "mitigated"));
            }
        }
        Signal::Resolve { key: Some(key) } => {
            let Some(open) = current.as_mut() else { return };
            let Some((index, _, paging)) = open.keys.get(&key).copied() else { return };
            open.keys.insert(key, (index, false, paging));
            open.groups[index].resolved = Some(at.clone());
            open.groups[index].last = at.clone();
            open.groups[index].count += 1;
            open.last_alert = at.time;
            open.timeline.push((at.clone(), "recovered"));
            if open.all_clear() {
                if open.escalated {
                    open.resolved = Some(at.clone());
                    if let Some(last) = open.timeline.last_mut() {
                        last.1 = "resolved";
                    }
                    done.extend(current.take());
                } else {
                    // Routine: it cleared before anyone was paged or it lasted long.
                    *current = None;
                }
            }
        }
        Signal::Resolve { key: None } => {
            if let Some(mut open) = current.take()
                && open.escalated
            {
                open.resolved = Some(at.clone());
                open.timeline.push((at.clone(), "resolved"));
                done.push(open);
            }
        }
        Signal::Declare { title } => {
            let open = current.get_or_insert_with(|| Open::new(at.clone()));
            open.escalated = true;
            if title.is_some() {
                open.title = title;
            }
            open.timeline.push((at.clone(), "declared"));
        }
        Signal::Set { field, value } => {
            if let Some(open) = current.as_mut().filter(|o| o.escalated) {
                match field {
                    "severity" => open.severity = Some(value),
                    "lead" => open.lead = Some(value),
                    "summary" => open.summary = Some(value),
                    _ => open.title = Some(value),
                }
                open.timeline.push((at.clone(), "note"));
            }
        }
    }
}

fn apply_declaration(declared: &Declared, archive: &Archive, found: &mut Vec<(usize, Open)>) {
    let Some(channel) = archive.channels.iter().position(|c| c.name == declared.channel) else { return };
    let Ok(start) = declared.start.parse::<Timestamp>() else { return };
    let end = declared.end.as_deref().and_then(|e| e.parse::<Timestamp>().ok());
    let overlaps = |open: &Open| {
        let open_end = open.resolved.as_ref().map_or(Timestamp::MAX, |r| r.time);
        open.start.time <= end.unwrap_or(Timestamp::MAX) && start <= open_end
    };
    let open = if let Some((_, open)) = found.iter_mut().find(|(c, open)| *c == channel && overlaps(open)) {
        open
    } else {
        found.push((channel, Open::new(Evidence { time: start, message: None })));
        &mut found.last_mut().expect("just pushed").1
    };
    open.escalated = true;
    open.start = Evidence { time: start, message: None };
    if let Some(end) = end {
        open.resolved = Some(Evidence { time: end, message: None });
        open.inferred_end = false;
    }
    if declared.title.is_some() {
        open.title.clone_from(&declared.title);
    }
    if declared.severity.is_some() {
        open.severity.clone_from(&declared.severity);
    }
    if open.title.is_none() {
        open.title = Some(format!("Incident in #{}", declared.channel));
    }
}

/// Fills in everything that follows from the window: messages, participants, timeline.
fn finish(id: String, channel: usize, open: Open, archive: &Archive, rules: &Rules) -> Incident {
    let ch = &archive.channels[channel];
    let end = open.resolved.as_ref().map_or(open.last_alert, |r| r.time);
    // Messages are in time order (`Archive::finish`): find the span, do not scan the channel.
    let first = ch.messages.partition_point(|m| m.time < open.start.time);
    let last = ch.messages.partition_point(|m| m.time <= end).max(first);
    let during = &ch.messages[first..last];
    // Snapshot events are pictures on the timeline, not people.
    let person = |m: &Message| !m.author.is_bot && !m.kind.is_system() && m.kind != MessageKind::Snapshot;
    let mut participants: Vec<String> = Vec::new();
    for m in during {
        if person(m) && !participants.iter().any(|p| **p == *m.author.name) {
            participants.push(m.author.name.to_string());
        }
    }
    // A moment's time is its message's: the message is found among those of that second.
    let message_at = |at: &Evidence| {
        let id = at.message.as_deref()?;
        let from = during.partition_point(|m| m.time < at.time);
        let same_time = during[from..].iter().take_while(|m| m.time == at.time);
        same_time.chain(during).find(|m| m.id == id)
    };
    let mut timeline: Vec<TimelineEntry> =
        open.timeline.iter().filter_map(|(at, kind)| Some(entry(message_at(at)?, kind))).collect();
    let mut responded: Vec<&str> = Vec::new();
    for m in during {
        let marked = m.pinned || m.reactions.iter().any(|r| rules.timeline_emoji.contains(&r.name));
        // Each person's first word in the response tells who stepped in when.
        let first_response = person(m) && !responded.contains(&&*m.author.name);
        if first_response {
            responded.push(&m.author.name);
        }
        if (marked || first_response) && !timeline.iter().any(|t| t.message == m.id) {
            let kind = if m.pinned {
                "pinned"
            } else if marked {
                "note"
            } else {
                "response"
            };
            timeline.push(entry(m, kind));
        }
    }
    timeline.sort_by(|a, b| (a.time, &a.message).cmp(&(b.time, &b.message)));
    // Incidents are kept to the end of the build: lists grown by pushing give back their
    // spare room (about 40 MB at 1M messages with 50,000 incidents).
    timeline.shrink_to_fit();
    let mut alerts = open.groups;
    alerts.shrink_to_fit();
    let declared_here = rules
        .declare
        .iter()
        .find(|d| d.channel == ch.name && d.start.parse::<Timestamp>().ok() == Some(open.start.time));
    Incident {
        id,
        channel,
        title: open.title.unwrap_or_else(|| format!("Incident in #{}", ch.name)),
        severity: open.severity,
        start: open.start,
        acknowledged: open.acknowledged,
        mitigated: open.mitigated,
        resolved: open.resolved,
        inferred_end: open.inferred_end,
        alerts,
        timeline,
        participants,
        lead: open.lead,
        summary: open.summary,
        postmortem: declared_here.and_then(|d| d.postmortem.clone()),
        declared: declared_here.is_some(),
        messages: Run(first..last),
    }
}

/// A timeline line for `message`. Its text is not read here: only the incident's page
/// shows it ([`timeline_text`]), and most builds render few of them.
fn entry(message: &Message, kind: &'static str) -> TimelineEntry {
    TimelineEntry {
        time: message.time,
        message: message.id.clone(),
        kind,
        author: message.author.name.to_string(),
    }
}

/// A timeline line's text from its message's plain text: one line, at most 200 characters.
pub fn timeline_text(text: &str) -> String {
    let flat: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let flat = flat.join(" · ");
    let mut short: String = flat.chars().take(200).collect();
    if short.len() < flat.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(source: &'static str, key: &str, label: &str, paging: bool) -> Signal {
        Signal::Open { source, key: key.to_owned(), label: label.to_owned(), paging }
    }

    #[test]
    fn alert_formats_from_the_reference_are_recognised() {
        let cases: &[(&str, &str, Signal)] = &[
            (
                "AlertManager",
                "[FIRING:2] HighLatency api (prod critical)",
                open("alertmanager", "alertmanager:HighLatency api", "HighLatency api", false),
            ),
            (
                "AlertManager",
                "[RESOLVED] HighLatency api",
                Signal::Resolve { key: Some("alertmanager:HighLatency api".into()) },
            ),
            (
                "Grafana",
                "[FIRING:1, RESOLVED:1] DiskFull",
                open("alertmanager", "alertmanager:DiskFull", "DiskFull", false),
            ),
            (
                "Datadog",
                "[Triggered on {host:web-1}] High CPU",
                open("datadog", "datadog:High CPU on host:web-1", "High CPU on host:web-1", false),
            ),
            (
                "Datadog",
                "[P2] [Recovered on {host:web-1}] High CPU",
                Signal::Resolve { key: Some("datadog:High CPU on host:web-1".into()) },
            ),
            (
                "Sentry",
                "Critical: p95 latency over 2s",
                open("sentry", "sentry:p95 latency over 2s", "p95 latency over 2s", false),
            ),
            (
                "Nagios",
                "** PROBLEM Service Alert: web01/HTTP is CRITICAL **",
                open("nagios", "nagios:web01/HTTP", "web01/HTTP is CRITICAL", false),
            ),
            (
                "Nagios",
                "** RECOVERY Service Alert: web01/HTTP is OK **",
                Signal::Resolve { key: Some("nagios:web01/HTTP".into()) },
            ),
            (
                "Librato",
                "Alert triggered at 2014-01-17 17:11:39 UTC for 'postgres.replication.lag_seconds' with value 1843 from db-rr16",
                open(
                    "threshold",
                    "threshold:postgres.replication.lag_seconds on db-rr16",
                    "postgres.replication.lag_seconds on db-rr16",
                    false,
                ),
            ),
            (
                "Papertrail",
                "\"status=502\" search found 148 matches",
                Signal::Info { source: "logs", label: "\"status=502\"".into() },
            ),
            (
                "Honeybadger",
                "[Crywolf/production] RuntimeError: oops",
                Signal::Info {
                    source: "exceptions",
                    label: "[Crywolf/production] RuntimeError: oops".into(),
                },
            ),
            (
                "zulip",
                "Incident [3](https://x.pagerduty.com/incidents/P1) triggered by Test service",
                open("pagerduty", "pagerduty:3", "PagerDuty incident #3", true),
            ),
            (
                "hubot",
                "Incident # 42 :\nacknowledged and assigned to peter",
                Signal::Ack { key: Some("pagerduty:42".into()) },
            ),
            (
                "PagerDuty",
                "#4711: API 5xx rate above 2%\nResolved by Peter Novak",
                Signal::Resolve { key: Some("pagerduty:4711".into()) },
            ),
            ("Grafana OnCall", "Acknowledged by alice", Signal::Ack { key: None }),
        ];
        for (author, text, expected) in cases {
            let signals = bot_signals(author, text);
            assert_eq!(signals.first(), Some(expected), "{author}: {text}");
            // Every source is one the readings file can name, so the reading is kept.
            let digest = PlainDigest { hash: [0; 16], empty: false, link: false };
            let reading = Reading { digest, signals, all_clear: false };
            let bytes = readings::encode(&reading);
            assert_eq!(readings::decode(&bytes), Some(reading), "{author}: {text}");
        }
    }

    #[test]
    fn people_declare_and_give_the_all_clear_but_cannot_fake_alerts() {
        let phrases = vec!["all clear".to_owned()];
        let emoji = vec!["white_check_mark".to_owned()];
        // As detection hears a person while an incident is open.
        let says = |text: &str| {
            let (signals, all_clear) = person_says(text, text, (&phrases, &emoji));
            let digest = PlainDigest { hash: [0; 16], empty: false, link: false };
            Reading { digest, signals, all_clear }.signals(true)
        };
        assert_eq!(
            says("@incident declare Checkout is down"),
            vec![Signal::Declare { title: Some("Checkout is down".into()) }]
        );
        assert_eq!(says("@incident sev SEV2"), vec![Signal::Set { field: "severity", value: "SEV2".into() }]);
        assert_eq!(says("/incident mitigated: failed over"), vec![Signal::Mitigate]);
        assert_eq!(says("is it mitigated yet?"), vec![]);
        assert_eq!(says("All clear 👍 thanks all"), vec![Signal::Resolve { key: None }]);
        assert_eq!(says(":white_check_mark: back to normal"), vec![Signal::Resolve { key: None }]);
        assert_eq!(says("not all clearly understood"), vec![]);
        assert_eq!(says("[RESOLVED] HighLatency api"), vec![]);
    }
}
