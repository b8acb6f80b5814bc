//! The state machine: an open incident in a channel, how each signal moves it, when it
//! closes, and the incident it becomes.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::Signal;
use crate::config::{Declared, Incidents as Rules};
use crate::model::{AlertGroup, Archive, Evidence, Incident, Message, MessageKind, Run, TimelineEntry};

/// An incident (or a candidate for one) being followed through a channel.
pub(super) struct Open {
    pub(super) escalated: bool,
    pub(super) start: Evidence,
    pub(super) last_alert: Timestamp,
    pub(super) title: Option<String>,
    /// key → (group index, open, paging)
    pub(super) keys: BTreeMap<String, (usize, bool, bool)>,
    pub(super) groups: Vec<AlertGroup>,
    pub(super) acknowledged: Option<Evidence>,
    pub(super) mitigated: Option<Evidence>,
    pub(super) resolved: Option<Evidence>,
    pub(super) inferred_end: bool,
    pub(super) timeline: Vec<(Evidence, &'static str)>,
    pub(super) severity: Option<String>,
    pub(super) lead: Option<String>,
    pub(super) summary: Option<String>,
}

impl Open {
    pub(super) fn new(at: Evidence) -> Open {
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

    pub(super) fn group(&mut self, source: &str, key: &str, label: &str, at: &Evidence) -> usize {
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
    pub(super) fn all_clear(&self) -> bool {
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

pub(super) fn close_quietly(current: &mut Option<Open>, done: &mut Vec<Open>) {
    if let Some(mut open) = current.take()
        && open.escalated
    {
        open.resolved = Some(Evidence { time: open.last_alert, message: None });
        open.inferred_end = true;
        done.push(open);
    }
}

pub(super) fn apply(
    signal: Signal,
    at: &Evidence,
    current: &mut Option<Open>,
    done: &mut Vec<Open>,
    rules: &Rules,
) {
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

pub(super) fn apply_declaration(declared: &Declared, archive: &Archive, found: &mut Vec<(usize, Open)>) {
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
pub(super) fn finish(id: String, channel: usize, open: Open, archive: &Archive, rules: &Rules) -> Incident {
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
    // spare room.
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
pub(super) fn entry(message: &Message, kind: &'static str) -> TimelineEntry {
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
