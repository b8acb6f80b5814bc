//! What a message says about incidents: the alert sources' shapes (a bot's text and card
//! fields), people's `@incident` commands and all-clears, as [`Signal`]s.

use std::sync::LazyLock;

use regex::Regex;

use super::readings;

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
        /// What the person set it to, as written.
        value: String,
    },
}

pub(super) fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in incident patterns compile")
}

pub(super) static PAGER_STATUS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(triggered|acknowledged|resolved)\b"));

pub(super) static PAGER_NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"#\s?(\d+)(?::\s*(.+))?"));

pub(super) static PAGER_RELAY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"Incident (?:\[(\d+)\]\([^)]*\)|# ?(\d+) :\s*)\s*(triggered|unacknowledged|acknowledged|resolved)\b")
});

pub(super) static OPSGENIE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"OpsGenie: \[Alert for (?P<integ>[^\]]+)\.\][\s\S]*Type: \*?(?P<action>Create|Acknowledge|UnAcknowledge|Close|Delete)\b",
    )
});

pub(super) static ALERTMANAGER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\[(?P<state>FIRING|RESOLVED)(?::(?P<firing>\d+))?(?:,\s*RESOLVED:(?P<resolved>\d+))?\]\s+(?P<group>.+)$",
    )
});

pub(super) static DATADOG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:\[P[1-5]\]\s*)?\[(?P<transition>Triggered|Re-Triggered|Recovered|Warn|No Data|Re-Notified)(?: on \{(?P<scope>[^}]*)\})?\]\s*(?P<monitor>.+)$",
    )
});

pub(super) static SENTRY: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<status>Critical|Warning|Resolved):\s+(?P<rule>.+)$"));

pub(super) static NAGIOS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\*\* (?P<type>PROBLEM|RECOVERY|ACKNOWLEDGEMENT) (?:Service|Host) Alert: (?P<target>.+?) is (?P<state>[A-Z]+) \*\*",
    )
});

pub(super) static THRESHOLD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"Alert (?P<state>triggered|cleared)(?: at .+?)? for '(?P<metric>[^']+)'(?: with value \S+)?(?: from (?P<source>[^\s,]+))?",
    )
});

pub(super) static HONEYBADGER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\[(?P<project>[^/\]\s]+)/(?P<env>[^\]\s]+)\]\s+(?P<summary>.+)$"));

pub(super) static LOG_SEARCH: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)"?(?P<search>[^"\n]+?)"? search found (?P<count>\d+) match"#));

pub(super) static ONCALL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<verb>Acknowledged|Resolved)(?: by (?P<who>.+)| automatically)?$"));

pub(super) static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*[@/]incident\s+(?P<verb>declare|start|ack|acknowledge|mitigate|mitigated|stable|resolve|close|severity|sev|lead|summary|title)\b[:\s]*(?P<rest>.*)$",
    )
});

pub(super) static DECLARING: LazyLock<Regex> =
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
pub(super) static LINE_PATTERNS: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    let patterns =
        [&ALERTMANAGER, &DATADOG, &NAGIOS, &THRESHOLD, &SENTRY, &LOG_SEARCH, &HONEYBADGER, &ONCALL];
    regex::RegexSet::new(patterns.iter().map(|p| p.as_str())).expect("built-in incident patterns compile")
});

pub(super) fn line_signal(line: &str) -> Option<Signal> {
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
pub(super) fn pager(text: &str) -> Vec<Signal> {
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
pub(super) fn person_says(text: &str, source: &str, all_clear: AllClear) -> (Vec<Signal>, bool) {
    let commands = human_commands(text);
    let said = commands.is_empty() && says_all_clear(text, source, all_clear);
    (commands, said)
}

/// The commands and declarations in the first line of a person's message.
pub(super) fn human_commands(text: &str) -> Vec<Signal> {
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
pub(super) static HUMAN_PATTERNS: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    regex::RegexSet::new([COMMAND.as_str(), DECLARING.as_str()]).expect("built-in incident patterns compile")
});

/// The all-clear: one of the (lowercase) phrases as whole words, or one of the emoji as
/// `:name:` in the source text.
pub(super) fn says_all_clear(text: &str, source: &str, (phrases, emoji): AllClear) -> bool {
    emoji.iter().any(|e| source.contains(e.as_str()) && source.contains(&format!(":{e}:"))) || {
        let lower = text.to_lowercase();
        phrases.iter().any(|phrase| contains_phrase(&lower, phrase))
    }
}

/// `phrase` as whole words in `text`.
pub(super) fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}
