//! Uptime and cloud monitors (`UptimeRobot`, Pingdom, `StatusCake`, `CloudWatch` through AWS
//! Chatbot, Azure Monitor, Google Cloud Monitoring, New Relic, Zabbix, Better Stack, Checkly,
//! Grafana `OnCall`) and the incident bots (incident.io, `FireHydrant`, Rootly). Their templates
//! vary with the integration and its version, so a monitor's message is read by its words:
//! the state its title states (down, alarm, fired, problem, failed → firing; up, OK,
//! resolved, recovered, closed → recovered; acknowledged) and the monitor it names, which is
//! its key.

use std::sync::LazyLock;

use regex::Regex;

use super::recognise::{Name, Signal, hosts, re, severity};

/// The monitors and incident bots, by what their bot's name contains (lower case, spaces
/// removed).
const KNOWN: &[(&str, Name)] = &[
    ("uptimerobot", "uptimerobot"),
    ("pingdom", "pingdom"),
    ("statuscake", "statuscake"),
    ("cloudwatch", "cloudwatch"),
    ("awschatbot", "cloudwatch"),
    ("amazonq", "cloudwatch"),
    ("azure", "azure"),
    ("googlecloud", "gcp"),
    ("cloudmonitoring", "gcp"),
    ("stackdriver", "gcp"),
    ("newrelic", "newrelic"),
    ("zabbix", "zabbix"),
    ("betterstack", "betterstack"),
    ("betteruptime", "betterstack"),
    ("checkly", "checkly"),
    ("oncall", "oncall"),
    ("site24x7", "monitor"),
    ("uptimekuma", "monitor"),
    ("icinga", "monitor"),
    ("sensu", "monitor"),
    ("opsgenie", "opsgenie"),
    ("incident.io", "incident-bot"),
    ("incidentio", "incident-bot"),
    ("firehydrant", "incident-bot"),
    ("rootly", "incident-bot"),
];

/// The source family of a bot named `author`, if it is a known monitor or incident bot.
pub(super) fn family(author: &str) -> Option<Name> {
    let compact: String = author.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    KNOWN.iter().find(|(name, _)| compact.contains(name)).map(|(_, family)| *family)
}

/// What a state word says.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Firing,
    Acknowledged,
    Recovered,
}

static RECOVERED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:resolved|recovered|recovery|is up|back up|up again|is now up|went up|closed|cleared|restored|back to normal|healthy again|is ok|ok)\b|(?:→|->|to)\s*OK\b|^\W*(?:up|ok)\b",
    )
});
static ACKNOWLEDGED: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\backnowledged\b|^\W*updated problem\b"));
static FIRING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:down|alarm|fired|firing|triggered|problem|failed|failing|failure|degraded|opened|open|active|critical|unhealthy|outage|declared|started|new incident|is not responding)\b",
    )
});
/// `CloudWatch` names its state in capitals: `ALARM`, `OK`, `INSUFFICIENT_DATA`.
static ALARM_STATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:State(?: changed)?(?: from \w+)?(?: to|:)\s*|→\s*|->\s*|^\W*|\bis now\s+)(ALARM|OK|INSUFFICIENT_DATA)\b",
    )
});

/// An incident bot's first post states the incident's status.
static INVESTIGATING: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(?:investigating|identified)\b"));

/// The state a monitor's message states: its title's word, or else its text's.
fn state(family: Name, title: &str, text: &str) -> Option<State> {
    if family == "cloudwatch"
        && let Some(c) = ALARM_STATE.captures(title).or_else(|| ALARM_STATE.captures(text))
    {
        return match &c[1] {
            "ALARM" => Some(State::Firing),
            "OK" => Some(State::Recovered),
            _ => None,
        };
    }
    let stated = [title, text].into_iter().find_map(|t| {
        // "Resolved in 5m: Problem …" and "Acknowledged: …" lead with their state.
        let first =
            [(&RECOVERED, State::Recovered), (&ACKNOWLEDGED, State::Acknowledged), (&FIRING, State::Firing)]
                .into_iter()
                .filter_map(|(pattern, state)| pattern.find(t).map(|m| (m.start(), state)))
                .min_by_key(|(at, _)| *at);
        first.map(|(_, state)| state)
    });
    stated.or_else(|| match family {
        // An on-call tool's alert group is firing unless it says otherwise.
        "oncall" | "opsgenie" => Some(State::Firing),
        // An incident bot's first post names the incident and its status.
        "incident-bot" if INVESTIGATING.is_match(text) => Some(State::Firing),
        _ => None,
    })
}

/// An alert's number in its title (`#1234`): the key, not the name.
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| re(r"#\d+:?"));

/// The monitor a title names: the title without its state words, decorations, links and
/// reasons. `Monitor is DOWN: api ( https://… ) - Reason: timeout` → `api`.
fn monitor(title: &str) -> String {
    static LEAD: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)^(?:\W|\b(?:new|alert|alarm|alerts|monitor|incident|problem|resolved|recovered|acknowledged|updated|ok|up|down|fired|firing|triggered|critical|warning|is|has|been|the|your|website|site|statuscake|pingdom|cloudwatch|zabbix|checkly|azure|monitor|issue|priority|active|closed|opened|declared|sev ?[0-5]|p[1-5]|azure monitor alert|in \d+[hms](?: \d+[hms])*|in)\b)+[\s:|-]*",
        )
    });
    static TAIL: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)(?:\s+\(|\s+-\s+|\s+\|\s+|\s+reason:|\s+(?:is|went|has|was)\s+(?:now\s+)?(?:down|up|back|recovered|failed|failing|degraded|ok|resolved|closed|open|active)\b|:\s*(?:fired|firing|resolved|recovered|triggered|alarm|ok|down|up|activated|deactivated)\b).*$",
        )
    });
    static CLOUDWATCH: LazyLock<Regex> =
        LazyLock::new(|| re(r#"(?i)CloudWatch Alarm\s*\|\s*([^|]+?)\s*\||^\W*(?:ALARM|OK):\s*"([^"]+)""#));
    // Checkly names its check in quotes: `Check 'Homepage' has failed`.
    static QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#"(?i)^\W*check\s+['"“‘]([^'"”’]+)['"”’]"#));
    static SHORTCODES: LazyLock<Regex> = LazyLock::new(|| re(r":[a-z0-9_+-]+:"));
    if let Some(c) = CLOUDWATCH.captures(title).or_else(|| QUOTED.captures(title)) {
        return c.get(1).or(c.get(2)).map_or("", |m| m.as_str()).trim().to_owned();
    }
    let title = SHORTCODES.replace_all(title, " ");
    let title = NUMBERED.replace_all(&title, " ");
    let mut name = title.trim().to_owned();
    // Leading words and the tail go in turns: "Check 'x' has failed" → "'x' has failed" → "'x'".
    for _ in 0..3 {
        name = LEAD.replace(&name, "").trim().to_owned();
        name = TAIL.replace(&name, "").trim().to_owned();
    }
    let name = name.trim_matches(|c: char| c.is_whitespace() || "'\"“”‘’`*_:|-.,".contains(c));

    if name.is_empty() { title.trim().to_owned() } else { name.to_owned() }
}

/// What a known monitor's or incident bot's message says: `family` from [`family`].
pub(super) fn monitor_signals(family: Name, text: &str) -> Vec<Signal> {
    let Some(title) = text.lines().map(str::trim).find(|l| !l.is_empty()) else { return Vec::new() };
    let Some(state) = state(family, title, text) else { return Vec::new() };
    let name = monitor(title);
    if family == "incident-bot" {
        // The incident bots state the incident itself: declared, acknowledged, resolved.
        return match state {
            State::Firing => {
                let stated = severity(text).map(|value| Signal::Set { field: "severity", value });
                [Some(Signal::Declare { title: Some(name) }), stated].into_iter().flatten().collect()
            }
            State::Acknowledged => vec![Signal::Ack { key: None }],
            State::Recovered => vec![Signal::Resolve { key: None }],
        };
    }
    // An alert numbered in its title (`#1234`) is known by its number: its updates name it
    // so ("Alert #1234 acknowledged by …"), not by its title.
    let key = match NUMBERED.find(title) {
        Some(number) => format!("{family}:{}", number.as_str().trim_end_matches(':')),
        None => format!("{family}:{}", name.to_lowercase()),
    };
    match state {
        State::Firing => {
            let mut scopes = vec![key.clone()];
            scopes.extend(hosts(text));
            vec![Signal::Open {
                source: family,
                key,
                scopes,
                label: name,
                // An on-call tool's alert group pages someone.
                paging: matches!(family, "oncall" | "opsgenie"),
                severity: None,
            }]
        }
        State::Acknowledged => vec![Signal::Ack { key: Some(key) }],
        State::Recovered => vec![Signal::Resolve { key: Some(key) }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(author: &str, text: &str) -> Vec<Signal> {
        monitor_signals(family(author).expect("a known monitor"), text)
    }

    fn opens(author: &str, text: &str) -> (String, String) {
        match says(author, text).as_slice() {
            [Signal::Open { key, label, .. }] => (key.clone(), label.clone()),
            other => panic!("{author}: {text}: {other:?}"),
        }
    }

    fn recovers(author: &str, text: &str) -> String {
        match says(author, text).as_slice() {
            [Signal::Resolve { key: Some(key) }] => key.clone(),
            other => panic!("{author}: {text}: {other:?}"),
        }
    }

    #[test]
    fn each_monitor_opens_and_recovers_the_same_key() {
        let pairs = [
            (
                "UptimeRobot",
                "Monitor is DOWN: api-prod ( https://api.example.com/health ) - Reason: Connection Timeout",
                "Monitor is UP: api-prod ( https://api.example.com/health ) - It was down for 12 minutes",
                "api-prod",
            ),
            (
                "Pingdom",
                "DOWN alert: www.example.com (www.example.com) is DOWN",
                "UP alert: www.example.com (www.example.com) is UP again",
                "www.example.com",
            ),
            (
                "StatusCake",
                "Example Shop is Down\nStatus code 503",
                "Example Shop is Up\nIt was down for 4 minutes",
                "Example Shop",
            ),
            (
                "AWS Chatbot",
                ":rotating_light: CloudWatch Alarm | api-5xx-high | us-east-1 | Account: 123456789012\nState changed from OK to ALARM",
                ":white_check_mark: CloudWatch Alarm | api-5xx-high | us-east-1 | Account: 123456789012\nState changed from ALARM to OK",
                "api-5xx-high",
            ),
            (
                "Azure Monitor",
                "Fired: Sev2 Azure Monitor Alert HighCPU on vm-web-3",
                "Resolved: Sev2 Azure Monitor Alert HighCPU on vm-web-3",
                "HighCPU on vm-web-3",
            ),
            (
                "Google Cloud Monitoring",
                "Incident opened: Uptime check failed for checkout\nPolicy: checkout uptime",
                "Incident closed: Uptime check failed for checkout",
                "Uptime check failed for checkout",
            ),
            (
                "Zabbix",
                "Problem: High CPU utilization on web-7\nHost: web-7\nSeverity: High",
                "Resolved in 12m 0s: High CPU utilization on web-7",
                "High CPU utilization on web-7",
            ),
            ("Checkly", "Check 'Homepage' has failed", "Check 'Homepage' has recovered", "Homepage"),
            ("Azure Alerts", "HighCPU-api: Fired\nCPU above 90%", "HighCPU-api: Resolved", "HighCPU-api"),
            (
                "Site24x7",
                "Website api.example.com is Down\nReason: Connection timed out",
                "Website api.example.com is Up",
                "api.example.com",
            ),
            (
                "Better Stack",
                "New incident: api.example.com is down",
                "Resolved: api.example.com is up again",
                "api.example.com",
            ),
            (
                "New Relic",
                "Critical: Issue opened: Error rate above 5% (checkout)",
                "Issue closed: Error rate above 5% (checkout)",
                "Error rate above 5%",
            ),
        ];
        for (author, down, up, name) in pairs {
            let (key, label) = opens(author, down);
            assert_eq!(label, name, "{author}: {down}");
            assert_eq!(recovers(author, up), key, "{author}: {up}");
        }
    }

    #[test]
    fn an_update_acknowledges_the_monitor_it_names() {
        let (key, _) = opens("Zabbix", "Problem: High CPU utilization on web-7\nHost: web-7");
        let update = "Updated problem: High CPU utilization on web-7\nTom acknowledged problem at 12:05";
        assert_eq!(says("Zabbix", update), vec![Signal::Ack { key: Some(key.clone()) }]);
        assert_eq!(says("Better Stack", "Acknowledged: api.example.com is down"), {
            let (key, _) = opens("Better Stack", "New incident: api.example.com is down");
            vec![Signal::Ack { key: Some(key) }]
        });
    }

    #[test]
    fn a_numbered_alert_is_known_by_its_number() {
        let (key, label) = opens("Opsgenie", "New alert: #1234 API error rate above 5%\nPriority: P1");
        assert_eq!((key.as_str(), label.as_str()), ("opsgenie:#1234", "API error rate above 5%"));
        assert_eq!(
            says("Opsgenie", "Alert #1234 acknowledged by Tom"),
            vec![Signal::Ack { key: Some(key.clone()) }]
        );
        assert_eq!(says("Opsgenie", "Alert #1234 closed by Tom"), vec![Signal::Resolve { key: Some(key) }]);
    }

    #[test]
    fn incident_bots_declare_acknowledge_and_resolve() {
        assert_eq!(
            says(
                "incident.io",
                "INC-42: Checkout down for EU customers\nSeverity: Critical\nStatus: Investigating"
            ),
            vec![
                Signal::Declare { title: Some("INC-42: Checkout down for EU customers".into()) },
                Signal::Set { field: "severity", value: "critical".into() },
            ]
        );
        assert_eq!(
            says("FireHydrant", "Incident #12 resolved: Checkout down"),
            vec![Signal::Resolve { key: None }]
        );
        assert_eq!(says("Rootly", "Incident acknowledged by Ana"), vec![Signal::Ack { key: None }]);
        assert!(matches!(
            says("Rootly", "🔥 New incident started: Payments degraded").as_slice(),
            [Signal::Declare { .. }]
        ));
    }

    #[test]
    fn every_family_is_one_a_reading_can_store() {
        for (_, family) in KNOWN {
            assert!(crate::incidents::readings::source::NAMES.contains(family), "{family}");
        }
    }
}
