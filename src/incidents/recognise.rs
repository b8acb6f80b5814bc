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
        /// Which alert instance: the source, the alert's name and its instance labels.
        key: String,
        /// What it shares with related alerts: its alert name, its hosts. Alerts that share
        /// one are one incident.
        scopes: Vec<String>,
        /// A readable label.
        label: String,
        /// A pager (wakes people up): escalates to an incident at once.
        paging: bool,
        /// The severity the alert states (`critical`, `P2`, `SEV1`, `high`).
        severity: Option<String>,
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
    /// What a card edited in place says at its last edit: its final state (`then`),
    /// `seconds` after the message that carries it.
    Later {
        /// From the message to the edit.
        seconds: i64,
        /// The final state.
        then: Box<Signal>,
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

/// "Declaring an incident", "we're declaring a SEV1: checkout is down", "SEV2 declared".
pub(super) static DECLARING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:<?@\S+>?,?\s+)?(?:(?:I am|I'm|we are|we're|we|I)\s+)?(?:(?:now|hereby|officially)\s+)?(?:declaring|declare)\s+(?:this\s+)?(?:(?:as|an?)\s+)?(?P<what>incident|major incident|outage|sev[ -]?[0-5]|p[0-4])\b(?:\s+incident)?(?:\s+for)?[:,.\s-]*(?P<rest>.*)$|^\s*(?P<what2>sev[ -]?[0-5]|p[0-4]|major incident|incident)\s+(?:is\s+)?declared\b(?:\s+for)?[:,.\s-]*(?P<rest2>.*)$",
    )
});

/// An alert that fired: `scopes` are what related alerts share (see [`Signal::Open`]).
fn firing(source: Name, key: String, scopes: Vec<String>, label: String) -> Signal {
    Signal::Open { source, key, scopes, label, paging: false, severity: None }
}

/// A page: an alert that wakes people up, related to others by its title.
fn page(source: Name, key: String, label: String) -> Signal {
    Signal::Open {
        source,
        key,
        scopes: vec![format!("{source}:{label}")],
        label,
        paging: true,
        severity: None,
    }
}

/// Bots whose words are never alerts: dependency updates, CI, deploys, security advisories,
/// digests. "Critical: Prototype Pollution in lodash" from Dependabot is no outage.
static NOT_ALERTING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)dependabot|renovate|snyk|greenkeeper|github|gitlab|bitbucket|jenkins|circle ?ci|travis|buildkite|drone|teamcity|bamboo|argo ?cd|spinnaker|flux|heroku|vercel|netlify|deploy|release|codecov|sonar|jira|confluence|trello|asana|linear|digest|changelog|standup|geekbot|polly|giphy|google drive|calendar|zoom",
    )
});

/// What a bot's message (as plain text) says.
pub fn bot_signals(author: &str, text: &str) -> Vec<Signal> {
    let lower = author.to_lowercase();
    if NOT_ALERTING.is_match(&lower) {
        return Vec::new();
    }
    let mut signals =
        if lower.contains("pagerduty") || lower.contains("pager duty") || PAGER_RELAY.is_match(text) {
            pager(text)
        } else if let Some(family) = super::monitors::family(author).filter(|_| !OPSGENIE.is_match(text)) {
            // On-call tools post "Acknowledged by …" and "Resolved by …" on an alert group.
            let update = text.lines().map(str::trim).find(|l| ONCALL.is_match(l));
            match update {
                Some(line) => line_signal(line, false).into_iter().collect(),
                None => super::monitors::monitor_signals(family, text),
            }
        } else if let Some(c) = OPSGENIE.captures(text) {
            let key = format!("opsgenie:{}", &c["integ"]);
            let label = c["integ"].to_owned();
            vec![match &c["action"] {
                "Create" => page("opsgenie", key, label),
                "Acknowledge" => Signal::Ack { key: Some(key) },
                "Close" | "Delete" => Signal::Resolve { key: Some(key) },
                _ => Signal::Info { source: "opsgenie", label },
            }]
        } else {
            let sentry = lower.contains("sentry") || text.contains("sentry.io");
            text.lines().map(str::trim).filter_map(|line| line_signal(line, sentry)).collect()
        };
    let stated = severity(text);
    for signal in &mut signals {
        if let Signal::Open { severity, .. } = signal {
            severity.clone_from(&stated);
        }
    }
    signals
}

/// The severity an alert states: a `Severity:`, `Priority:` or `Urgency:` field, a `SEV1` or
/// `[P2]`, or `critical`/`warning` among its words.
pub(super) fn severity(text: &str) -> Option<String> {
    static FIELD: LazyLock<Regex> = LazyLock::new(|| {
        re(r"(?i)\b(?:severity|priority|urgency|sev)\s*[:=]\s*\**\s*([A-Za-z]*[ -]?[0-9]|[A-Za-z]+)")
    });
    static CODE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(sev ?[0-5]|p[1-5])\b"));
    static WORD: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(critical|warning|disaster|major|minor)\b"));
    static URL: LazyLock<Regex> = LazyLock::new(|| re(r"\w+://\S+"));
    let text = &URL.replace_all(text, " ");
    let found = FIELD
        .captures(text)
        .or_else(|| CODE.captures(text))
        .or_else(|| WORD.captures(text))
        .map(|c| c[1].trim().to_owned())?;
    Some(normalise_severity(&found))
}

/// `sev 1`, `Sev-1` → `SEV1`; `p2` → `P2`; words as lower case (`critical`, `high`).
pub(super) fn normalise_severity(found: &str) -> String {
    let compact: String = found.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let upper = compact.to_uppercase();
    if upper.starts_with("SEV") && upper.len() == 4 || upper.starts_with('P') && upper.len() == 2 {
        upper
    } else {
        found.to_lowercase()
    }
}

/// How grave a severity is, 1 the gravest: `SEV1`, `P1` and `critical` rank alike, as do
/// `SEV3`, `P3` and `warning`; a word this does not know ranks last.
pub(super) fn gravity(severity: &str) -> u8 {
    let digit = severity.strip_prefix("SEV").or_else(|| severity.strip_prefix('P'));
    if let Some(n) = digit.and_then(|d| d.parse::<u8>().ok()) {
        return n.max(1);
    }
    match severity {
        "critical" | "fatal" | "emergency" | "disaster" | "urgent" => 1,
        "high" | "error" | "major" | "severe" => 2,
        "warning" | "medium" | "moderate" | "average" => 3,
        "low" | "minor" => 4,
        "info" | "informational" => 5,
        _ => 6,
    }
}

/// The line patterns of [`line_signal`], in its order: one pass tells which can match, so
/// a line that is none of them (most are) costs one search, not nine.
pub(super) static LINE_PATTERNS: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    let patterns =
        [&ALERTMANAGER, &DATADOG, &NAGIOS, &THRESHOLD, &SENTRY, &LOG_SEARCH, &HONEYBADGER, &ONCALL];
    regex::RegexSet::new(patterns.iter().map(|p| p.as_str())).expect("built-in incident patterns compile")
});

/// A line without the emoji a template puts before its title (`:fire: [FIRING:1] …`,
/// `✅ [RESOLVED] …`), so that the patterns keep their literal starts.
fn undecorated(line: &str) -> &str {
    let mut rest = line;
    loop {
        rest = rest.trim_start();
        let shortcode = rest.strip_prefix(':').and_then(|after| {
            let end = after.find(':')?;
            let name = &after[..end];
            let valid =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b));
            valid.then(|| &after[end + 1..])
        });
        let symbol = rest.chars().next().filter(|c| !c.is_ascii() && !c.is_alphanumeric());
        match (shortcode, symbol) {
            (Some(after), _) => rest = after,
            (None, Some(c)) => rest = &rest[c.len_utf8()..],
            (None, None) => return rest,
        }
    }
}

/// What one line of a bot's message says; `sentry` when the bot is Sentry, whose
/// `Critical: rule` titles read like any other bot's words.
pub(super) fn line_signal(line: &str, sentry: bool) -> Option<Signal> {
    let line = undecorated(line);
    if !LINE_PATTERNS.is_match(line) {
        return None;
    }
    if let Some(c) = ALERTMANAGER.captures(line) {
        let group = c["group"].split(" | ").next().unwrap_or("").trim();
        let name = group.split_whitespace().next().unwrap_or(group);
        let key = format!("alertmanager:{group}");
        let still_firing = c.name("firing").is_some_and(|n| n.as_str() != "0");
        return Some(if &c["state"] == "FIRING" || still_firing {
            firing("alertmanager", key, vec![format!("alertmanager:{name}")], group.to_owned())
        } else {
            Signal::Resolve { key: Some(key) }
        });
    }
    if let Some(c) = DATADOG.captures(line) {
        let monitor = c["monitor"].trim();
        let mut scopes = vec![format!("datadog:{monitor}")];
        let label = match c.name("scope") {
            Some(scope) => {
                scopes.extend(
                    scope
                        .as_str()
                        .split(',')
                        .filter_map(|s| s.trim().strip_prefix("host:"))
                        .map(str::to_owned),
                );
                format!("{monitor} on {}", scope.as_str())
            }
            None => monitor.to_owned(),
        };
        let key = format!("datadog:{label}");
        return Some(match &c["transition"] {
            "Triggered" | "Re-Triggered" => firing("datadog", key, scopes, label),
            "Recovered" => Signal::Resolve { key: Some(key) },
            _ => Signal::Info { source: "datadog", label },
        });
    }
    if let Some(c) = NAGIOS.captures(line) {
        let target = &c["target"];
        let key = format!("nagios:{target}");
        let label = format!("{target} is {}", &c["state"]);
        let scopes = vec![target.split('/').next().unwrap_or(target).to_owned()];
        return Some(match &c["type"] {
            "PROBLEM" => firing("nagios", key, scopes, label),
            "ACKNOWLEDGEMENT" => Signal::Ack { key: Some(key) },
            _ => Signal::Resolve { key: Some(key) },
        });
    }
    if let Some(c) = THRESHOLD.captures(line) {
        let mut scopes = vec![format!("threshold:{}", &c["metric"])];
        let label = match c.name("source") {
            Some(source) => {
                scopes.push(source.as_str().to_owned());
                format!("{} on {}", &c["metric"], source.as_str())
            }
            None => c["metric"].to_owned(),
        };
        let key = format!("threshold:{label}");
        return Some(if &c["state"] == "triggered" {
            firing("threshold", key, scopes, label)
        } else {
            Signal::Resolve { key: Some(key) }
        });
    }
    if let Some(c) = SENTRY.captures(line).filter(|_| sentry) {
        let key = format!("sentry:{}", &c["rule"]);
        return Some(if &c["status"] == "Resolved" {
            Signal::Resolve { key: Some(key) }
        } else {
            firing("sentry", key.clone(), vec![key], c["rule"].to_owned())
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

/// A paging card edited in place (`PagerDuty`'s app turns its "Triggered" card into
/// "Resolved"): it fired at its message, and its final state holds from the edit,
/// `edited_after` seconds later. Other signals are returned as they are.
pub fn edited_card(signals: Vec<Signal>, text: &str, edited_after: i64) -> Vec<Signal> {
    let final_state = matches!(
        signals.as_slice(),
        [Signal::Ack { key: Some(key) } | Signal::Resolve { key: Some(key) }] if key.starts_with("pagerduty:")
    );
    if !final_state || edited_after <= 0 {
        return signals;
    }
    let Some(fired) = pager_triggered(text) else { return signals };
    let then = signals.into_iter().next().map(Box::new).expect("one signal");
    vec![fired, Signal::Later { seconds: edited_after, then }]
}

/// The card in `text` as it was when it fired.
fn pager_triggered(text: &str) -> Option<Signal> {
    let (number, _, label) = pager_card(text)?;
    let mut fired = page("pagerduty", format!("pagerduty:{number}"), label);
    if let Signal::Open { severity: stated, .. } = &mut fired {
        *stated = severity(text);
    }
    Some(fired)
}

/// `PagerDuty` cards and relays: incident number + status word (reference P8–P10).
pub(super) fn pager(text: &str) -> Vec<Signal> {
    let Some((number, status, label)) = pager_card(text) else { return Vec::new() };
    let key = format!("pagerduty:{number}");
    vec![match status.as_str() {
        "triggered" => page("pagerduty", key, label),
        "acknowledged" => Signal::Ack { key: Some(key) },
        "resolved" => Signal::Resolve { key: Some(key) },
        _ => Signal::Info { source: "pagerduty", label },
    }]
}

/// A `PagerDuty` card or relay: its incident number, its status (lower case) and its title.
fn pager_card(text: &str) -> Option<(String, String, String)> {
    let relay = PAGER_RELAY.captures(text);
    let (number, status) = if let Some(c) = &relay {
        let number = c.get(1).or(c.get(2)).map_or("", |m| m.as_str()).to_owned();
        (number, c[3].to_lowercase())
    } else {
        let status = PAGER_STATUS.find(text)?;
        (PAGER_NUMBER.captures(text)?[1].to_owned(), status.as_str().to_lowercase())
    };
    // Relays name the incident by its number only.
    let title = if relay.is_some() { None } else { pager_title(text) };
    let label = title.unwrap_or_else(|| format!("PagerDuty incident #{number}"));
    Some((number, status, label))
}

/// A `PagerDuty` card's own title: after `#N:` on its line, or else the first line that is
/// neither a status, a field nor the number alone.
fn pager_title(text: &str) -> Option<String> {
    static STATUS: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)^(?:(?:incident|triggered|acknowledged|resolved|unacknowledged|assigned|escalated)\b[:\s-]*)+",
        )
    });
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"#\s?\d+:?"));
    if let Some(title) = PAGER_NUMBER.captures(text).and_then(|c| c.get(2)) {
        let title = title.as_str().lines().next().unwrap_or("").trim();
        if !title.is_empty() {
            return Some(title.to_owned());
        }
    }
    text.lines()
        .map(|l| l.trim().trim_start_matches(|c: char| !c.is_alphanumeric() && c != '#').trim())
        .map(|l| NUMBER.replace_all(l, "").split_whitespace().collect::<Vec<_>>().join(" "))
        .map(|l| STATUS.replace(&l, "").trim().to_owned())
        .find(|l| l.len() > 3 && !l.contains(": ") && !l.starts_with("http") && !l.starts_with("by "))
}

/// The hosts a text names: words like `db-rr16`, `web01` or
/// `metrics-web-prod-513` (a letter first, a digit somewhere). Alerts about one host are one
/// incident.
pub(super) fn hosts(label: &str) -> Vec<String> {
    static HOST: LazyLock<Regex> = LazyLock::new(|| re(r"\b[a-zA-Z][a-zA-Z0-9]*(?:[-.][a-zA-Z0-9]+)*\b"));
    // Most messages name no host: a text without a digit is not searched.
    if !label.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    HOST.find_iter(label)
        .map(|m| m.as_str())
        .filter(|w| w.len() >= 4 && w.bytes().any(|b| b.is_ascii_digit()) && !w.contains('.'))
        .map(str::to_lowercase)
        .collect()
}

/// The words that say what an alert is about: `HighLatency api` → `latency`, `api`; a
/// `word:` before each. Alerts that share one while open are one incident; words every alert
/// uses (`high`, `error`, `down`, `prod`) are left out.
pub(super) fn topics(label: &str) -> Vec<String> {
    const COMMON: &[&str] = &[
        "high",
        "higher",
        "error",
        "errors",
        "rate",
        "down",
        "alert",
        "alerts",
        "alarm",
        "service",
        "services",
        "monitor",
        "critical",
        "warning",
        "prod",
        "production",
        "staging",
        "above",
        "below",
        "over",
        "under",
        "with",
        "from",
        "time",
        "check",
        "failed",
        "failing",
        "failure",
        "instance",
        "host",
        "server",
        "usage",
        "percent",
        "threshold",
        "triggered",
        "resolved",
        "firing",
        "value",
        "status",
        "health",
        "healthy",
        "unhealthy",
        "incident",
        "problem",
        "info",
        "low",
        "detected",
        "than",
        "more",
        "less",
        "count",
        "total",
        "system",
        "job",
        "is",
    ];
    let mut words = Vec::new();
    let mut word = String::new();
    let mut flush = |word: &mut String| {
        let lower = word.to_lowercase();
        if lower.len() >= 3
            && lower.chars().next().is_some_and(char::is_alphabetic)
            && !COMMON.contains(&lower.as_str())
        {
            words.push(format!("word:{lower}"));
        }
        word.clear();
    };
    let mut previous = ' ';
    for c in label.chars() {
        // A capital after a small letter starts a word: `HighLatency`.
        if !c.is_alphanumeric() || (c.is_uppercase() && previous.is_lowercase()) {
            flush(&mut word);
        }
        if c.is_alphanumeric() {
            word.push(c);
        }
        previous = c;
    }
    flush(&mut word);
    words
}

/// The all-clear: phrases (lowercase) and emoji names.
pub type AllClear<'r> = (&'r [String], &'r [String]);

/// What a person's message says: its commands and declarations, and whether it gives the
/// all-clear (phrases, or emoji given as `:name:` in the message's source text), which is
/// heard only from a message that gives no command.
pub(super) fn person_says(text: &str, source: &str, all_clear: AllClear) -> (Vec<Signal>, bool) {
    let commands = human_commands(text);
    // Alert text a person pasted ("[RESOLVED] HighLatency api") is no all-clear.
    let pasted = || text.lines().any(|line| LINE_PATTERNS.is_match(line.trim()));
    let said = commands.is_empty() && says_all_clear(text, source, all_clear) && !pasted();
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
        let rest = c.name("rest").or(c.name("rest2")).map_or("", |r| r.as_str().trim());
        let mut signals = vec![Signal::Declare { title: Some(rest.to_owned()).filter(|r| !r.is_empty()) }];
        let what = c.name("what").or(c.name("what2")).map_or("", |w| w.as_str());
        if what.len() <= 5 && what.chars().any(|c| c.is_ascii_digit()) {
            signals.push(Signal::Set { field: "severity", value: normalise_severity(what) });
        }
        return signals;
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

/// `phrase` as whole words in `text`, said (not asked, not denied): "is it resolved?" and
/// "not resolved yet" give no all-clear.
pub(super) fn contains_phrase(text: &str, phrase: &str) -> bool {
    let said = text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        // The twelve characters before it.
        let lead = &text[text[..at].char_indices().rev().nth(11).map_or(0, |(i, _)| i)..at];
        let denied = ["not ", "n't ", "no ", "never ", "until "].iter().any(|n| lead.contains(n));
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric()) && !denied
    });
    said && !text.lines().any(|l| l.contains(phrase) && l.trim_end().ends_with('?'))
}
