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

mod custom;
mod monitors;
pub mod readings;
mod recognise;
mod state;

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rayon::prelude::*;

use crate::config::Incidents as Rules;
use crate::layout::Layout;
use crate::markup::{self, PlainDigest};
use crate::model::{Archive, Channel, Evidence, Incident, Message, MessageKind, Thread};
use crate::store::{Filed, Known, Records, Walk};
use readings::Reading;
use recognise::person_says;
pub use recognise::{AllClear, Name, Signal, bot_signals};
pub use state::timeline_text;
use state::{Open, Said, apply_declaration, finish};

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
    contents: &[Vec<[u8; 16]>],
    previous: Option<&Records>,
) -> Detected {
    let phrases: Vec<String> = rules.all_clear.iter().map(|p| p.to_lowercase()).collect();
    let all_clear = (&phrases[..], &rules.all_clear_emoji[..]);
    // A reading depends on the names mentions resolve to, the channel links and the rules.
    let (users, links) = (format!("{:?}", archive.users), format!("{:?}", layout.links));
    let settings = format!("{}\0{all_clear:?}\0{:?}", rules.detect, rules.sources);
    let custom = custom::Custom::compile(&rules.sources);
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
                let make =
                    || read_message(m, &plain(channel, m), rules.detect.then_some((all_clear, &custom[..])));
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

/// Whether a person wrote `message`: not a bot, not a system event, not a shared snapshot
/// (a picture on the timeline).
fn by_person(message: &Message) -> bool {
    !message.author.is_bot && !message.kind.is_system() && message.kind != MessageKind::Snapshot
}

/// What detection and search take from `message`, whose plain text is `plain`; its signals
/// only if detecting (`rules`: the phrases and emoji that give the all-clear, and the
/// configured sources).
fn read_message(
    message: &Message,
    plain: &markup::Plain,
    rules: Option<(AllClear, &[custom::Custom])>,
) -> Reading {
    let text = &plain.text;
    // System events and shared snapshots say nothing about incidents, whatever their words.
    let silent = message.kind.is_system() || message.kind == MessageKind::Snapshot;
    let person = rules.is_some() && by_person(message);
    let (signals, all_clear) = match rules {
        None => (Vec::new(), false),
        Some(_) if silent => (Vec::new(), false),
        Some((_, custom)) if message.author.is_bot => (bot_reads(message, text, custom), false),
        Some((all_clear, _)) => person_says(text, &message.text.source, all_clear),
    };
    let hosts = if person { recognise::hosts(text) } else { Vec::new() };
    Reading { digest: plain.digest(), signals, all_clear, hosts }
}

/// What a bot's message says: by its configured rule, or the built-in recognisers (a card
/// edited in place says what it fired and, from its edit, its final state).
fn bot_reads(message: &Message, text: &str, custom: &[custom::Custom]) -> Vec<Signal> {
    if let Some(source) = custom.iter().find(|c| c.posted(&message.author)) {
        return source.signals(text);
    }
    let signals = bot_signals(&message.author.name, text);
    match message.edited {
        Some(Some(edit)) => {
            recognise::edited_card(signals, text, edit.as_second() - message.time.as_second())
        }
        _ => signals,
    }
}

fn detect_channel(
    messages: &[Message],
    mut read: impl FnMut(&Message) -> Reading,
    rules: &Rules,
    end_of_archive: Timestamp,
) -> Vec<Open> {
    let mut channel = state::Channel::new(rules);
    for message in messages {
        let said = Said {
            at: Evidence { time: message.time, message: Some(message.id.clone()) },
            thread: match &message.thread {
                Thread::Reply { parent, .. } => Some(parent.as_str()),
                Thread::None => None,
            },
            reacted: !message.reactions.is_empty(),
        };
        channel.tick(said.at.time);
        let mut reading = read(message);
        let hosts = std::mem::take(&mut reading.hosts);
        // The all-clear closes an open incident; with none open there is nothing to hear.
        let signals = reading.signals(channel.any_open());
        for signal in signals {
            channel.apply(signal, &said);
        }
        if by_person(message) {
            channel.person(&said, &hosts);
        }
    }
    channel.finish(end_of_archive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(source: &'static str, key: &str, scopes: &[&str], label: &str, paging: bool) -> Signal {
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        Signal::Open { source, key: key.to_owned(), scopes, label: label.to_owned(), paging, severity: None }
    }

    fn with_severity(mut signal: Signal, stated: &str) -> Signal {
        if let Signal::Open { severity, .. } = &mut signal {
            *severity = Some(stated.to_owned());
        }
        signal
    }

    #[test]
    fn alert_text_posted_as_slack_mrkdwn_reads_as_written() {
        let (users, channels) = (BTreeMap::new(), BTreeMap::new());
        let ctx = markup::Context { users: &users, channels: &channels, source: "slack", root: "" };
        for text in [
            "** PROBLEM Service Alert: web01/HTTP is CRITICAL **",
            "** RECOVERY Host Alert: db1 is UP **",
            "** ACKNOWLEDGEMENT Service Alert: web01/HTTP is CRITICAL **",
            "[FIRING:2] HighLatency api (prod critical)",
        ] {
            let plain = markup::to_plain(&crate::model::Text::mrkdwn(text), &ctx);
            let signals = bot_signals("Nagios", text);
            assert!(!signals.is_empty(), "{text}");
            assert_eq!(bot_signals("Nagios", &plain), signals, "{text} read as {plain:?}");
        }
    }

    #[test]
    fn alert_formats_from_the_reference_are_recognised() {
        let cases: &[(&str, &str, Signal)] = &[
            (
                "AlertManager",
                "[FIRING:2] HighLatency api (prod critical)",
                with_severity(
                    open(
                        "alertmanager",
                        "alertmanager:HighLatency api (prod critical)",
                        &["alertmanager:HighLatency"],
                        "HighLatency api (prod critical)",
                        false,
                    ),
                    "critical",
                ),
            ),
            (
                "AlertManager",
                "[RESOLVED] HighLatency api (prod critical)",
                Signal::Resolve { key: Some("alertmanager:HighLatency api (prod critical)".into()) },
            ),
            (
                "Grafana",
                "[FIRING:1, RESOLVED:1] DiskFull",
                open("alertmanager", "alertmanager:DiskFull", &["alertmanager:DiskFull"], "DiskFull", false),
            ),
            (
                "Datadog",
                "[Triggered on {host:web-1}] High CPU",
                open(
                    "datadog",
                    "datadog:High CPU on host:web-1",
                    &["datadog:High CPU", "web-1"],
                    "High CPU on host:web-1",
                    false,
                ),
            ),
            (
                "Datadog",
                "[P2] [Recovered on {host:web-1}] High CPU",
                Signal::Resolve { key: Some("datadog:High CPU on host:web-1".into()) },
            ),
            (
                "Sentry",
                "Critical: p95 latency over 2s",
                with_severity(
                    open(
                        "sentry",
                        "sentry:p95 latency over 2s",
                        &["sentry:p95 latency over 2s"],
                        "p95 latency over 2s",
                        false,
                    ),
                    "critical",
                ),
            ),
            (
                "Nagios",
                "** PROBLEM Service Alert: web01/HTTP is CRITICAL **",
                with_severity(
                    open("nagios", "nagios:web01/HTTP", &["web01"], "web01/HTTP is CRITICAL", false),
                    "critical",
                ),
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
                    &["threshold:postgres.replication.lag_seconds", "db-rr16"],
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
                open(
                    "pagerduty",
                    "pagerduty:3",
                    &["pagerduty:PagerDuty incident #3"],
                    "PagerDuty incident #3",
                    true,
                ),
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
            let reading = Reading { digest, signals, all_clear: false, hosts: Vec::new() };
            let bytes = readings::encode(&reading);
            assert_eq!(readings::decode(&bytes), Some(reading), "{author}: {text}");
        }
        // A template's emoji before the title change nothing.
        for (decorated, plain) in [
            (":fire: [FIRING] HighLatency api (prod critical)", "[FIRING:2] HighLatency api (prod critical)"),
            (
                "\u{2705} [RESOLVED] HighLatency api (prod critical)",
                "[RESOLVED] HighLatency api (prod critical)",
            ),
        ] {
            assert_eq!(
                bot_signals("AlertManager", decorated),
                bot_signals("AlertManager", plain),
                "{decorated}"
            );
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
            Reading { digest, signals, all_clear, hosts: Vec::new() }.signals(true)
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
