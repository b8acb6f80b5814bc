//! Incident pages: `/incidents/` (the newest, and every month with incidents),
//! `/incidents/<YYYY>/<MM>/` (a month's, filterable), `/incidents/<id>/` (the story, with
//! every time linking to the message that set it), and `/incidents/feed.xml` (Atom).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use jiff::Timestamp;
use rayon::prelude::*;

use super::inputs::{IncidentInputs, MessageInputs, Month, Row};
use super::view::{
    AlertView, FileView, IncidentMonth, IncidentMonthPage, IncidentPage, IncidentSummary, IncidentTable,
    IncidentYear, IncidentsPage, Link, Moment, TimelineView,
};
use super::{RenderError, Renderer, iso};
use crate::layout::{Layout, Page, local_date, page_path};
use crate::markup::escape;
use crate::model::{Evidence, Incident};
use crate::output::Staging;

/// From `/incidents/<id>/` back to the site root.
pub(super) const INCIDENT_ROOT: &str = "../../";
/// From `/incidents/` back to the site root.
const INCIDENTS_ROOT: &str = "../";
/// From `/incidents/<YYYY>/<MM>/` back to the site root.
const MONTH_ROOT: &str = "../../../";
/// How many of an incident's messages its page lists; the rest are a link away, on their
/// channel-day pages, so that no incident page grows with the incident.
pub(super) const CONVERSATION: usize = 300;
/// How many of the newest incidents the index lists: the month pages list them all, so
/// that no page grows with the archive.
const NEWEST: usize = 100;
const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `incidents` (newest first) in a table, with the values its filters offer.
fn incident_table(incidents: Vec<IncidentSummary>) -> IncidentTable {
    let distinct = |field: fn(&IncidentSummary) -> &String| -> Vec<String> {
        let values: BTreeSet<&String> = incidents.iter().map(field).collect();
        values.into_iter().cloned().collect()
    };
    let (severities, channels) = (distinct(|s| &s.severity), distinct(|s| &s.channel));
    let mut years = distinct(|s| &s.year);
    years.reverse();
    IncidentTable { incidents, severities, channels, years }
}

impl Renderer<'_> {
    /// One page per incident; returns how many.
    pub(super) fn render_incident_pages(
        &self,
        incidents: &[Incident],
        layout: &Layout,
        out: &Staging,
    ) -> Result<usize, RenderError> {
        incidents.par_iter().try_for_each(|incident| {
            let inputs = self.incident_inputs(incident, layout);
            // Keyed by its inputs: an unchanged incident's view is never built.
            let key = self.incident_key(&inputs);
            let view = || self.incident_page(&inputs);
            self.keyed_page("incident.html", &format!("incidents/{}/", incident.id), key, view, out)
        })?;
        Ok(incidents.len())
    }

    /// The incident index, a page per month with incidents, and the feed; returns how many
    /// pages.
    pub(super) fn render_incident_index(
        &self,
        incidents: &[Incident],
        layout: &Layout,
        out: &Staging,
    ) -> Result<usize, RenderError> {
        let summary = |i: &Incident, root| self.incident_summary(&self.row(i, layout, true), root);
        let mut by_month: BTreeMap<Month, Vec<&Incident>> = BTreeMap::new();
        for incident in incidents {
            let day = local_date(incident.start.time, &self.tz);
            by_month.entry((day.year(), day.month().unsigned_abs())).or_default().push(incident);
        }
        let months: Vec<(Month, Vec<&Incident>)> = by_month.into_iter().collect();
        let link = |neighbour: Option<&(Month, Vec<&Incident>)>| {
            neighbour.map(|&((year, month), _)| Link {
                label: format!("{} {year}", MONTHS[usize::from(month) - 1]),
                url: format!("{MONTH_ROOT}incidents/{year}/{month:02}/"),
            })
        };
        // Month pages on every core; one whose inputs did not change is kept, its view not
        // even made.
        months.par_iter().enumerate().try_for_each(|(n, ((year, month), list))| {
            let path = format!("incidents/{year}/{month:02}/");
            let (previous, next) = (n.checked_sub(1).and_then(|p| months.get(p)), months.get(n + 1));
            let around = (previous.map(|m| m.0), next.map(|m| m.0));
            let rows: Vec<Row> = list.iter().map(|i| self.row(i, layout, true)).collect();
            let key = self.month_key(&path, &rows, around);
            let view = || {
                let table = incident_table(
                    rows.iter().rev().map(|row| self.incident_summary(row, MONTH_ROOT)).collect(),
                );
                IncidentMonthPage {
                    site: self.site(MONTH_ROOT, &path),
                    title: format!("{} {year}", LONG_MONTHS[usize::from(*month) - 1]),
                    ongoing: table.incidents.iter().filter(|s| s.status == "ongoing").count(),
                    table,
                    previous: link(previous),
                    next: link(next),
                    index: format!("{MONTH_ROOT}incidents/"),
                }
            };
            self.keyed_page("incidents_month.html", &path, key, view, out)
        })?;
        // The table of months: a row per year, newest first.
        let mut years: Vec<IncidentYear> = Vec::new();
        for ((year, month), list) in months.iter().rev() {
            let year = year.to_string();
            if years.last().is_none_or(|y| y.year != year) {
                let cells =
                    MONTHS.iter().map(|&label| IncidentMonth { label, count: 0, url: None }).collect();
                years.push(IncidentYear { year: year.clone(), months: cells });
            }
            let cell = &mut years.last_mut().expect("just pushed").months[usize::from(*month) - 1];
            cell.count = list.len();
            cell.url = Some(format!("{year}/{month:02}/"));
        }
        let view = IncidentsPage {
            site: self.site(INCIDENTS_ROOT, "incidents/"),
            total: incidents.len(),
            ongoing: incidents.iter().filter(|i| i.resolved.is_none()).count(),
            table: incident_table(
                incidents.iter().rev().take(NEWEST).map(|i| summary(i, INCIDENTS_ROOT)).collect(),
            ),
            months: years,
        };
        self.page("incidents.html", "incidents/", view, out)?;
        out.write("incidents/feed.xml", self.feed(incidents, layout).as_bytes())?;
        Ok(1 + months.len())
    }

    /// The newest incidents, for the home page.
    pub(super) fn latest_incidents(
        &self,
        incidents: &[Incident],
        layout: &Layout,
        n: usize,
    ) -> Vec<IncidentSummary> {
        incidents
            .iter()
            .rev()
            .take(n)
            .map(|i| self.incident_summary(&self.row(i, layout, false), ""))
            .collect()
    }

    /// A moment linked to the message `at` names, found on `page`.
    fn moment(&self, time: Timestamp, at: Option<(&str, Page)>, slug: &str, root: &str) -> Moment {
        let url = at.map(|(id, page)| format!("{root}{}#m-{id}", page_path(slug, page)));
        Moment { iso: iso(time), label: self.label(time), url }
    }

    pub(super) fn end_of(&self, incident: &Incident) -> Timestamp {
        crate::incidents::end_of(incident, self.archive)
    }

    fn incident_summary(&self, row: &Row, root: &str) -> IncidentSummary {
        let Row { incident, end, plan, start } = *row;
        let start_zoned = incident.start.time.to_zoned_datetime(self.tz.clone());
        let start_id = incident.start.message.as_deref();
        IncidentSummary {
            id: incident.id.clone(),
            url: format!("{root}incidents/{}/", incident.id),
            title: incident.title.clone(),
            status: if incident.resolved.is_some() { "resolved" } else { "ongoing" },
            severity: incident.severity.clone().unwrap_or_else(|| "unset".to_owned()),
            channel: plan.channel.name.clone(),
            start: self.moment(incident.start.time, start_id.zip(start), &plan.slug, root),
            duration: duration(incident.start.time, end),
            year: start_zoned.year().to_string(),
        }
    }

    fn incident_page(&self, inputs: &IncidentInputs) -> IncidentPage<'_> {
        let root = INCIDENT_ROOT;
        let Row { incident, plan, .. } = inputs.row;
        let (source, slug) = (plan.channel.source, plan.slug.as_str());
        let linked = |time: Timestamp, id: &str| inputs.message(&inputs.target(time, id));
        let moment = |e: &Evidence| {
            let at =
                e.message.as_deref().and_then(|id| linked(e.time, id)).map(|(m, page)| (m.id.as_str(), page));
            self.moment(e.time, at, slug, root)
        };
        let summary = self.incident_summary(&inputs.row, root);
        let plain = |m: &crate::model::Message| {
            let plain = crate::markup::plain(m, source, &self.archive.users, self.links);
            crate::incidents::timeline_text(&plain.text)
        };
        let line = |(shown, page): &(MessageInputs, Page)| {
            let m = shown.message;
            TimelineView {
                at: self.moment(m.time, Some((m.id.as_str(), *page)), slug, root),
                kind: if m.author.is_bot { "bot" } else { "message" },
                author: m.author.name.to_string(),
                text: plain(m),
            }
        };
        let conversation: Vec<TimelineView> = inputs.messages.iter().take(CONVERSATION).map(line).collect();
        let conversation_more = inputs.messages.get(CONVERSATION).map(|(shown, page)| Link {
            label: format!("{} more in #{}", inputs.messages.len() - CONVERSATION, plan.channel.name),
            url: format!("{root}{}#m-{}", page_path(slug, *page), shown.message.id),
        });
        let files: Vec<FileView> = inputs
            .messages
            .iter()
            .flat_map(|(shown, _)| shown.files.iter().map(|&(f, stored)| super::file_view(f, stored, root)))
            .collect();
        let since = |e: &Option<Evidence>| e.as_ref().map(|e| duration(incident.start.time, e.time));
        let description = format!(
            "#{} · {} – {} ({}) · severity {} · {}",
            summary.channel,
            summary.start.label,
            incident.resolved.as_ref().map_or_else(|| "ongoing".to_owned(), |r| self.label(r.time)),
            summary.duration,
            summary.severity,
            summary.status
        );
        IncidentPage {
            site: self.site(root, &format!("incidents/{}/", incident.id)),
            channel_url: format!("{root}c/{slug}/"),
            acknowledged: incident.acknowledged.as_ref().map(moment),
            resolved: incident.resolved.as_ref().map(moment),
            inferred_end: incident.inferred_end,
            time_to_acknowledge: since(&incident.acknowledged),
            mitigated: incident.mitigated.as_ref().map(moment),
            time_to_mitigate: since(&incident.mitigated),
            time_to_resolve: since(&incident.resolved),
            participants: incident.participants.clone(),
            lead: incident.lead.clone(),
            summary: incident.summary.clone(),
            postmortem: incident.postmortem.clone().filter(|u| crate::markup::is_safe_url(u)),
            declared: incident.declared,
            alerts: incident
                .alerts
                .iter()
                .map(|a| AlertView {
                    source: a.source.clone(),
                    label: a.label.clone(),
                    count: a.count,
                    first: moment(&a.first),
                    last: moment(&a.last),
                    resolved: a.resolved.as_ref().map(moment),
                })
                .collect(),
            timeline: incident
                .timeline
                .iter()
                .map(|t| {
                    let target = linked(t.time, &t.message);
                    TimelineView {
                        at: self.moment(t.time, target.map(|(m, page)| (m.id.as_str(), page)), slug, root),
                        kind: t.kind,
                        author: t.author.clone(),
                        text: target.map_or_else(String::new, |(m, _)| plain(m)),
                    }
                })
                .collect(),
            files,
            conversation_total: inputs.messages.len(),
            conversation,
            conversation_more,
            description,
            incident: summary,
        }
    }

    /// Atom: one entry per incident, newest first; `updated` comes from the incidents, never
    /// from the build time, so the file is the same for the same archive.
    fn feed(&self, incidents: &[Incident], layout: &Layout) -> String {
        let base = self
            .config
            .base_url
            .as_deref()
            .map_or_else(String::new, |b| format!("{}/", b.trim_end_matches('/')));
        let updated = incidents
            .iter()
            .rev()
            .take(FEED_ENTRIES)
            .map(|i| self.end_of(i))
            .max()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
        );
        let _ = writeln!(xml, "  <title>{} · incidents</title>", escape(&self.config.title));
        // Atom ids must be absolute: the public URL when known, else a URN. Links without a
        // base_url are relative to the feed, which lives in /incidents/.
        let id_of = |incident: Option<&str>| match (base.is_empty(), incident) {
            (false, Some(id)) => format!("{base}incidents/{id}/"),
            (false, None) => format!("{base}incidents/"),
            (true, Some(id)) => format!("urn:scrollback:incident:{id}"),
            (true, None) => "urn:scrollback:incidents".to_owned(),
        };
        let link_of = |incident: &str| {
            if base.is_empty() { format!("{incident}/") } else { format!("{base}incidents/{incident}/") }
        };
        let _ = writeln!(xml, "  <id>{}</id>", escape(&id_of(None)));
        let _ = writeln!(
            xml,
            "  <link rel=\"alternate\" href=\"{}\"/>",
            if base.is_empty() { "./".to_owned() } else { escape(&id_of(None)) }
        );
        let _ = writeln!(xml, "  <updated>{}</updated>", iso(updated));
        for incident in incidents.iter().rev().take(FEED_ENTRIES) {
            let summary = self.incident_summary(&self.row(incident, layout, true), &base);
            xml.push_str("  <entry>\n");
            let _ = writeln!(xml, "    <title>{}</title>", escape(&incident.title));
            let _ = writeln!(xml, "    <id>{}</id>", escape(&id_of(Some(&incident.id))));
            let _ = writeln!(xml, "    <link href=\"{}\"/>", escape(&link_of(&incident.id)));
            let _ = writeln!(xml, "    <published>{}</published>", iso(incident.start.time));
            let _ = writeln!(xml, "    <updated>{}</updated>", iso(self.end_of(incident)));
            let _ = writeln!(
                xml,
                "    <summary>#{} · started {} · {} · {} · severity {}</summary>",
                escape(&summary.channel),
                escape(&summary.start.label),
                summary.status,
                escape(&summary.duration),
                escape(&summary.severity)
            );
            xml.push_str("  </entry>\n");
        }
        xml.push_str("</feed>\n");
        xml
    }
}

/// The feed lists the newest incidents only, as feeds do: readers poll it, and the index
/// page lists them all.
const FEED_ENTRIES: usize = 50;

/// How long from one moment to another, as people say it.
pub(super) fn duration(from: Timestamp, to: Timestamp) -> String {
    crate::ledger::duration(to.as_second() - from.as_second())
}
