//! The incident ledger, `incidents/incidents.json`: every incident of the site in a
//! machine-readable form (what `scrollback incidents` prints), plus the ids earlier builds
//! published that no longer name an incident.
//!
//! Incident ids are cited in reviews for years, so an id never stops resolving. When a rebuild
//! merges, splits or drops incidents (new messages, tuned detection), each id the previous
//! site's ledger knew and this build lacks is *retired*: it gets a redirect page to the incident
//! that now covers its time in its channel, else to the channel-day page of its start. Retired
//! ids are carried in the ledger, so they survive any number of later builds.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::layout::{Layout, channel_path, day_path, local_date};
use crate::model::{Archive, Incident};
use crate::output::{OutputError, Staging};

/// Where the ledger lives in a site.
pub const PATH: &str = "incidents/incidents.json";
/// The ledger format this build writes and reads.
pub const VERSION: u32 = 1;

/// The whole ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The display time zone, in which ids and day pages are laid out.
    pub timezone: String,
    /// Incidents, oldest first.
    pub incidents: Vec<Entry>,
    /// Ids published by earlier builds that now redirect, by id.
    #[serde(default)]
    pub retired: Vec<Retired>,
}

/// One incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable id.
    pub id: String,
    /// Its page, from the site root.
    pub url: String,
    /// Title.
    pub title: String,
    /// `resolved` or `ongoing`.
    pub status: String,
    /// Severity as named, if any.
    pub severity: Option<String>,
    /// Channel slug (its URL part).
    pub channel: String,
    /// When it started.
    pub start: Timestamp,
    /// When someone acknowledged it.
    pub acknowledged: Option<Timestamp>,
    /// When the impact was mitigated.
    pub mitigated: Option<Timestamp>,
    /// When it was resolved.
    pub resolved: Option<Timestamp>,
    /// The resolve time was inferred from a quiet period.
    pub inferred_end: bool,
    /// Resolved, or else the channel's last message: the span retired ids are matched against.
    pub end: Timestamp,
    /// Seconds from start to acknowledgement.
    pub time_to_acknowledge: Option<i64>,
    /// Seconds from start to mitigation.
    pub time_to_mitigate: Option<i64>,
    /// Seconds from start to resolve.
    pub time_to_resolve: Option<i64>,
    /// Alert messages seen.
    pub alerts: usize,
    /// People who took part.
    pub participants: Vec<String>,
    /// Declared in the configuration.
    pub declared: bool,
}

/// An id that no longer names an incident, and where it leads now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retired {
    /// The old id.
    pub id: String,
    /// Its channel slug.
    pub channel: String,
    /// The span it covered.
    pub start: Timestamp,
    /// End of that span.
    pub end: Timestamp,
    /// Where it redirects, from the site root.
    pub to: String,
}

/// What a build takes from the previous site's ledger: every id it published, with the
/// channel and span that [`retire`] matches it by. Only these are read (the whole ledger is
/// tens of megabytes at a million messages).
#[derive(Debug, Deserialize)]
pub struct Published {
    version: u32,
    incidents: Vec<Span>,
    #[serde(default)]
    retired: Vec<Span>,
}

/// An id's channel and span, as an [`Entry`] or a [`Retired`] has them.
#[derive(Debug, Deserialize)]
struct Span {
    id: String,
    channel: String,
    start: Timestamp,
    end: Timestamp,
}

/// Why a site's ledger could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// No ledger in the directory.
    #[error("{} has no {PATH}: is it a site built by scrollback (with --out)?", .0.display())]
    Missing(std::path::PathBuf),
    /// Unreadable file.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Not a ledger this version understands.
    #[error("{path}: {source}")]
    Invalid {
        /// The ledger's path, as the error shows it.
        path: String,
        /// What was wrong.
        source: serde_json::Error,
    },
    /// Written by another format version.
    #[error("{path}: ledger format {found}, this scrollback reads {VERSION}; rebuild the site")]
    Version {
        /// The ledger's path, as the error shows it.
        path: String,
        /// The version found.
        found: u32,
    },
}

/// Reads the ledger of the site in `site`.
pub fn read(site: &Path) -> Result<Ledger, LedgerError> {
    read_as(site, |ledger: &Ledger| ledger.version)
}

/// Reads what the next build takes from the ledger of the site in `site`.
pub fn read_published(site: &Path) -> Result<Published, LedgerError> {
    read_as(site, |published: &Published| published.version)
}

/// Reads the ledger of the site in `site` as a `T`, whose format version is `version`.
fn read_as<T: DeserializeOwned>(site: &Path, version: impl Fn(&T) -> u32) -> Result<T, LedgerError> {
    let path = site.join(PATH);
    if !path.is_file() {
        return Err(LedgerError::Missing(site.to_owned()));
    }
    let text = fs_err::read_to_string(&path)?;
    let shown = path.display().to_string();
    let ledger: T =
        serde_json::from_str(&text).map_err(|source| LedgerError::Invalid { path: shown.clone(), source })?;
    match version(&ledger) {
        VERSION => Ok(ledger),
        found => Err(LedgerError::Version { path: shown, found }),
    }
}

/// This build's ledger: its incidents, and every id `previous` knew that they lack.
pub fn compile(
    archive: &Archive,
    layout: &Layout,
    incidents: &[Incident],
    timezone: &str,
    previous: Option<&Published>,
) -> Ledger {
    let tz = TimeZone::get(timezone).unwrap_or(TimeZone::UTC);
    let entries: Vec<Entry> = incidents.iter().map(|i| entry(i, archive, layout)).collect();
    let retired = previous.map(|p| retire(p, &entries, layout, &tz)).unwrap_or_default();
    Ledger { version: VERSION, timezone: timezone.to_owned(), incidents: entries, retired }
}

fn entry(incident: &Incident, archive: &Archive, layout: &Layout) -> Entry {
    let start = incident.start.time;
    let since = |t: Timestamp| t.as_second() - start.as_second();
    Entry {
        id: incident.id.clone(),
        url: format!("incidents/{}/", incident.id),
        title: incident.title.clone(),
        status: if incident.resolved.is_some() { "resolved" } else { "ongoing" }.to_owned(),
        severity: incident.severity.clone(),
        channel: layout.channels[incident.channel].slug.clone(),
        start,
        acknowledged: incident.acknowledged.as_ref().map(|e| e.time),
        mitigated: incident.mitigated.as_ref().map(|e| e.time),
        resolved: incident.resolved.as_ref().map(|e| e.time),
        inferred_end: incident.inferred_end,
        end: crate::incidents::end_of(incident, archive),
        time_to_acknowledge: incident.acknowledged.as_ref().map(|e| since(e.time)),
        time_to_mitigate: incident.mitigated.as_ref().map(|e| since(e.time)),
        time_to_resolve: incident.resolved.as_ref().map(|e| since(e.time)),
        alerts: incident.alerts.iter().map(|a| a.count).sum(),
        participants: incident.participants.clone(),
        declared: incident.declared,
    }
}

/// Every id of `previous` (live or already retired) missing from `current`, with its new target.
fn retire(previous: &Published, current: &[Entry], layout: &Layout, tz: &TimeZone) -> Vec<Retired> {
    let live: BTreeSet<&str> = current.iter().map(|e| e.id.as_str()).collect();
    let mut retired: Vec<Retired> = Vec::new();
    let mut seen = BTreeSet::new();
    for Span { id, channel, start, end } in previous.incidents.iter().chain(&previous.retired) {
        let (start, end) = (*start, *end);
        if live.contains(id.as_str()) || !seen.insert(id.clone()) {
            continue;
        }
        let to = successor(current, channel, start, end)
            .map_or_else(|| fallback(layout, channel, start, tz), |e| e.url.clone());
        retired.push(Retired { id: id.clone(), channel: channel.clone(), start, end, to });
    }
    retired.sort_by(|a, b| a.id.cmp(&b.id));
    retired
}

/// The incident in the same channel whose span overlaps the old one, the one starting nearest.
fn successor<'e>(current: &'e [Entry], channel: &str, start: Timestamp, end: Timestamp) -> Option<&'e Entry> {
    current
        .iter()
        .filter(|e| e.channel == channel && e.start <= end && start <= e.end)
        .min_by_key(|e| ((e.start.as_second() - start.as_second()).abs(), e.id.clone()))
}

/// The channel-day page of the old start, else the channel, else the incident index.
fn fallback(layout: &Layout, channel: &str, start: Timestamp, tz: &TimeZone) -> String {
    let Some(plan) = layout.channels.iter().find(|c| c.slug == channel) else {
        return "incidents/".to_owned();
    };
    let day = local_date(start, tz);
    if plan.days.contains_key(&day) { day_path(channel, day) } else { channel_path(channel) }
}

/// Writes the ledger at [`PATH`].
pub fn publish(ledger: &Ledger, out: &Staging) -> Result<(), OutputError> {
    // Sized beforehand (an entry takes about 700 bytes): tens of megabytes at a million
    // messages, not grown by copying.
    let mut json = Vec::with_capacity(1024 + 768 * (ledger.incidents.len() + ledger.retired.len()));
    serde_json::to_writer_pretty(&mut json, ledger).expect("the ledger serialises");
    json.push(b'\n');
    out.write(PATH, &json)
}

/// Writes a redirect page for each retired id; returns how many.
pub fn write_redirects(retired: &[Retired], out: &mut Staging) -> Result<usize, OutputError> {
    for retired in retired {
        let (from, to) = (format!("/incidents/{}/", retired.id), format!("/{}", retired.to));
        let title = format!("Incident {} moved", retired.id);
        out.write_redirect(&from, &to, &title, &format!("Incident {} is now part of", retired.id))?;
    }
    Ok(retired.len())
}

/// "45 s", "12 min", "1 h 35 min", "2 d 3 h".
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn live(id: &str, channel: &str, start: &str, end: &str) -> Entry {
        Entry {
            id: id.to_owned(),
            url: format!("incidents/{id}/"),
            title: String::new(),
            status: "resolved".to_owned(),
            severity: None,
            channel: channel.to_owned(),
            start: t(start),
            acknowledged: None,
            mitigated: None,
            resolved: Some(t(end)),
            inferred_end: false,
            end: t(end),
            time_to_acknowledge: None,
            time_to_mitigate: None,
            time_to_resolve: None,
            alerts: 0,
            participants: Vec::new(),
            declared: false,
        }
    }

    #[test]
    fn a_merged_incident_leads_to_the_one_covering_its_span_in_its_channel() {
        let now = [
            live("a", "ops", "2014-01-17T17:00:00Z", "2014-01-17T19:00:00Z"),
            live("b", "db", "2014-01-17T17:30:00Z", "2014-01-17T18:00:00Z"),
            live("c", "ops", "2014-01-17T18:30:00Z", "2014-01-17T20:00:00Z"),
        ];
        let found = |start, end| successor(&now, "ops", t(start), t(end)).map(|e| e.id.as_str());
        assert_eq!(found("2014-01-17T17:40:00Z", "2014-01-17T17:50:00Z"), Some("a"));
        // Overlapping both: the one that starts nearer.
        assert_eq!(found("2014-01-17T18:40:00Z", "2014-01-17T18:50:00Z"), Some("c"));
        assert_eq!(found("2014-01-18T00:00:00Z", "2014-01-18T01:00:00Z"), None);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(25 * 60 + 30), "25 min");
        assert_eq!(duration(3600 + 35 * 60), "1 h 35 min");
        assert_eq!(duration(2 * 86_400 + 3 * 3600 + 60), "2 d 3 h");
    }
}
