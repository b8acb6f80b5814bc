//! The state machine: the incidents being followed through a channel (several may be open
//! at once), how each signal moves them, when they close, and the incident each becomes.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::Signal;
use super::recognise::{gravity, hosts, topics};
use crate::config::{Declared, Incidents as Rules};
use crate::model::{AlertGroup, Archive, Evidence, Incident, Message, Run, TimelineEntry};

/// An incident (or a candidate for one) being followed through a channel.
pub(super) struct Open {
    /// An incident, not (yet) a candidate: paged, declared, acknowledged, worked on by
    /// people, or firing for `min_duration`.
    pub(super) escalated: bool,
    pub(super) start: Evidence,
    pub(super) last_alert: Timestamp,
    /// The last message that worked on it: an alert, an ack, people in its channel or
    /// threads. Its quiet end is inferred here.
    pub(super) last_activity: Evidence,
    /// When a message last worked on it: its alerts, acks, commands, replies in its thread.
    last_worked: Timestamp,
    pub(super) title: Option<String>,
    /// A person or a page named it: later alerts do not rename it.
    titled: bool,
    /// Alert instances by key.
    keys: BTreeMap<String, Instance>,
    /// What its alerts are about (alert names, hosts): an alert that shares one joins it.
    scopes: BTreeSet<String>,
    /// The messages its alerts came in: replies in their threads work on it.
    roots: BTreeSet<String>,
    pub(super) groups: Vec<AlertGroup>,
    pub(super) acknowledged: Option<Evidence>,
    pub(super) mitigated: Option<Evidence>,
    pub(super) resolved: Option<Evidence>,
    pub(super) inferred_end: bool,
    /// When it went quiet (its end inferred, or a candidate set aside still firing): a
    /// recovery that comes later ends it, but its messages stop here, so the chat in between
    /// is not claimed.
    went_quiet: Option<Timestamp>,
    pub(super) timeline: Vec<(Evidence, &'static str)>,
    pub(super) severity: Option<String>,
    /// A person set the severity: alerts no longer change it.
    severity_set: bool,
    pub(super) lead: Option<String>,
    pub(super) summary: Option<String>,
    /// A person declared it.
    declared: bool,
    /// Messages people wrote in the channel while a candidate flapped.
    voices: u32,
    /// Times one of its keys fired again after it had recovered.
    flaps: u32,
}

/// One alert instance: its row among the groups, whether it fires now, whether it pages,
/// and since when it fires.
#[derive(Clone, Copy)]
struct Instance {
    group: usize,
    firing: bool,
    paging: bool,
    since: Timestamp,
}

impl Open {
    pub(super) fn new(at: Evidence) -> Open {
        Open {
            escalated: false,
            last_alert: at.time,
            last_activity: at.clone(),
            last_worked: at.time,
            start: at,
            title: None,
            titled: false,
            declared: false,
            keys: BTreeMap::new(),
            scopes: BTreeSet::new(),
            roots: BTreeSet::new(),
            groups: Vec::new(),
            acknowledged: None,
            mitigated: None,
            resolved: None,
            inferred_end: false,
            went_quiet: None,
            timeline: Vec::new(),
            severity: None,
            severity_set: false,
            lead: None,
            summary: None,
            voices: 0,
            flaps: 0,
        }
    }

    fn group(&mut self, source: &str, key: &str, label: &str, at: &Evidence) -> usize {
        // Instances of one Alertmanager alert share a row: its name without the labels.
        let labels =
            label.rsplit_once(" (").filter(|(_, rest)| source == "alertmanager" && rest.ends_with(')'));
        let label = labels.map_or(label, |(name, _)| name);
        let row = match self.keys.get(key) {
            Some(instance) => Some(instance.group),
            None => self.groups.iter().position(|g| g.source == source && g.label == label),
        };
        let Some(row) = row else {
            self.groups.push(AlertGroup {
                source: source.to_owned(),
                label: label.to_owned(),
                count: 1,
                first: at.clone(),
                last: at.clone(),
                resolved: None,
            });
            return self.groups.len() - 1;
        };
        let g = &mut self.groups[row];
        g.count += 1;
        g.last = at.clone();
        row
    }

    /// Whether any of its alerts fires.
    fn firing(&self) -> bool {
        self.keys.values().any(|k| k.firing)
    }

    /// Whether every page (or, unpaged, every alert) has recovered.
    fn all_clear(&self) -> bool {
        let paged = self.keys.values().any(|k| k.paging);
        let mut relevant = self.keys.values().filter(|k| k.paging || !paged).peekable();
        relevant.peek().is_some() && relevant.all(|k| !k.firing)
    }

    fn worked_on(&mut self, at: &Evidence) {
        if at.time >= self.last_activity.time {
            self.last_activity = at.clone();
        }
        self.last_worked = self.last_worked.max(at.time);
    }

    /// People talked in its channel at `at`: activity while within `quiet` of the last
    /// message that worked on it, so that a busy channel does not hold it open forever.
    fn talked(&mut self, at: &Evidence, quiet: i64) {
        if since(self.last_worked, at.time) <= quiet && at.time >= self.last_activity.time {
            self.last_activity = at.clone();
        }
    }

    /// Ends it at its last activity, marked inferred.
    fn end_quietly(mut self) -> Open {
        self.resolved = Some(self.last_activity.clone());
        self.inferred_end = true;
        self.gone_quiet()
    }

    /// Notes that nothing happened after its last activity.
    fn gone_quiet(mut self) -> Open {
        self.went_quiet = Some(self.last_activity.time);
        self
    }

    fn resolve(&mut self, at: &Evidence, kind: &'static str) {
        self.resolved = Some(at.clone());
        self.inferred_end = false;
        self.worked_on(at);
        self.timeline.push((at.clone(), kind));
    }
}

/// Where a message was written: its evidence, the thread it replies in, whether people
/// reacted to it.
pub(super) struct Said<'m> {
    pub(super) at: Evidence,
    pub(super) thread: Option<&'m str>,
    pub(super) reacted: bool,
}

/// The incidents of one channel: those open, those done, candidates gone quiet while still
/// firing, and the final states of cards edited in place, each due at its edit.
pub(super) struct Channel<'r> {
    open: Vec<Open>,
    pub(super) done: Vec<Open>,
    /// Candidates no one answered that went quiet still firing: their alert's recovery, if
    /// it ever comes, proves them incidents; firing again starts a new one.
    dormant: Dormant,
    due: Vec<(Evidence, Signal)>,
    rules: &'r Rules,
}

/// Whether a recovery of `recovered` covers the alert instance `key`: the same key, or one
/// naming the instance's alert without its labels (`[RESOLVED] InstanceDown` ends every
/// `InstanceDown (node-…)`), or the other way round.
fn covers(recovered: &str, key: &str) -> bool {
    let within =
        |short: &str, long: &str| long.strip_prefix(short).is_some_and(|rest| rest.starts_with(" ("));
    recovered == key || within(recovered, key) || within(key, recovered)
}

/// Candidates gone quiet while firing, found by their alerts' names: a key and every key
/// [`covers`] relates to it share the name before their labels.
#[derive(Default)]
struct Dormant {
    candidates: BTreeMap<u64, Open>,
    by_name: foldhash::HashMap<String, Vec<u64>>,
    next: u64,
}

/// An alert key's name without its labels: `InstanceDown (node-a)` → `InstanceDown`.
fn name_of(key: &str) -> &str {
    key.split_once(" (").map_or(key, |(name, _)| name)
}

/// Keeps, of the candidates listed under `key`'s name, those `keep` says; the name goes when
/// none is left.
fn unlist(by_name: &mut foldhash::HashMap<String, Vec<u64>>, key: &str, mut keep: impl FnMut(u64) -> bool) {
    let name = name_of(key);
    let Some(ids) = by_name.get_mut(name) else { return };
    ids.retain(|id| keep(*id));
    if ids.is_empty() {
        by_name.remove(name);
    }
}

/// The most quiet candidates a channel remembers; beyond, the oldest is forgotten (a source
/// that never sends recoveries would otherwise keep every alert it ever sent).
const DORMANT: usize = 1000;

impl Dormant {
    fn add(&mut self, open: Open) {
        if self.candidates.len() >= DORMANT
            && let Some((old, forgotten)) = self.candidates.pop_first()
        {
            for key in forgotten.keys.keys() {
                unlist(&mut self.by_name, key, |id| id != old);
            }
        }
        let id = self.next;
        self.next += 1;
        for key in open.keys.keys() {
            match self.by_name.get_mut(name_of(key)) {
                Some(ids) if ids.last() == Some(&id) => {}
                Some(ids) => ids.push(id),
                None => {
                    self.by_name.insert(name_of(key).to_owned(), vec![id]);
                }
            }
        }
        self.candidates.insert(id, open);
    }

    /// Alert `key` fired again: a candidate that held it is forgotten.
    fn forget(&mut self, key: &str) {
        let Dormant { candidates, by_name, .. } = self;
        unlist(by_name, key, |id| match candidates.get(&id) {
            Some(open) if open.keys.contains_key(key) => {
                candidates.remove(&id);
                false
            }
            Some(_) => true,
            None => false,
        });
    }

    /// The newest candidate holding alert `key`, taken out.
    fn take(&mut self, key: &str) -> Option<Open> {
        let ids = self.by_name.get(name_of(key))?;
        let holds =
            |id: &&u64| self.candidates.get(id).is_some_and(|o| o.keys.keys().any(|k| covers(key, k)));
        let id = *ids.iter().rev().find(holds)?;
        self.candidates.remove(&id)
    }
}

/// This many alert instances firing at once are a storm: an incident, however short.
const STORM: usize = 5;

/// Alerts from one source this close together are one storm, whatever their names.
const BURST: i64 = 120;

fn since(a: Timestamp, b: Timestamp) -> i64 {
    b.as_second() - a.as_second()
}

impl<'r> Channel<'r> {
    pub(super) fn new(rules: &'r Rules) -> Channel<'r> {
        Channel { open: Vec::new(), done: Vec::new(), dormant: Dormant::default(), due: Vec::new(), rules }
    }

    /// Whether anything is being followed.
    pub(super) fn any_open(&self) -> bool {
        !self.open.is_empty()
    }

    /// Time passing: a quiet incident ends at its last activity (inferred); a candidate
    /// that cleared and stayed clear for `window`, or fired once and was never heard of
    /// again for `quiet`, was routine.
    pub(super) fn tick(&mut self, now: Timestamp) {
        self.fall_due(now);
        let (window, quiet) = (self.rules.window.0, self.rules.quiet.0);
        let idle = |o: &Open| since(o.last_activity.time, now);
        let quiet_ended = self.open.extract_if(.., |o| o.escalated && idle(o) > quiet);
        self.done.extend(quiet_ended.map(Open::end_quietly));
        let routine = self.open.extract_if(.., |o| {
            !o.escalated && if o.firing() { idle(o) > quiet } else { since(o.last_alert, now) > window }
        });
        for open in routine.filter(Open::firing) {
            self.dormant.add(open.gone_quiet());
        }
    }

    /// Applies the final states of edited cards due by `now`, each at its edit.
    fn fall_due(&mut self, now: Timestamp) {
        if self.due.iter().all(|(at, _)| at.time > now) {
            return;
        }
        let mut due = std::mem::take(&mut self.due);
        due.sort_by_key(|(at, _)| at.time);
        self.due = due.split_off(due.partition_point(|(at, _)| at.time <= now));
        for (at, signal) in due {
            self.apply(signal, &Said { at, thread: None, reacted: false });
        }
    }

    /// A person wrote `said`, naming `hosts`: it works on the incident of its thread, or the
    /// one about a host it names, or else the channel's most recently worked one. A reply to
    /// an alert or a word about its host escalates a candidate, and so does people talking
    /// while a candidate flaps; talk beside a lone alert does not.
    pub(super) fn person(&mut self, said: &Said, hosts: &[String]) {
        let quiet = self.rules.quiet.0;
        if let Some(at) = self.thread_incident(said.thread) {
            let open = &mut self.open[at];
            open.escalated = true;
            open.worked_on(&said.at);
            return;
        }
        if let Some(at) = self.open.iter().rposition(|o| hosts.iter().any(|h| o.scopes.contains(h))) {
            let open = &mut self.open[at];
            open.escalated = true;
            open.talked(&said.at, quiet);
            return;
        }
        let Some(at) = self.latest() else { return };
        let open = &mut self.open[at];
        if open.escalated {
            open.talked(&said.at, quiet);
        } else if open.flaps >= 2 {
            open.voices += 1;
            open.worked_on(&said.at);
            if open.voices >= 2 {
                open.escalated = true;
            }
        }
    }

    /// The open incident a reply in `thread` works on: the one whose alerts started it.
    fn thread_incident(&self, thread: Option<&str>) -> Option<usize> {
        let root = thread?;
        self.open.iter().position(|o| o.roots.contains(root))
    }

    /// The open incident worked on last, preferring incidents to candidates.
    fn latest(&self) -> Option<usize> {
        let rank = |o: &Open| (o.escalated, o.last_activity.time);
        (0..self.open.len()).max_by_key(|&i| rank(&self.open[i]))
    }

    /// The open incident a signal without a key means: its thread's, or the latest.
    fn meant(&self, said: &Said) -> Option<usize> {
        self.thread_incident(said.thread).or_else(|| self.latest())
    }

    pub(super) fn apply(&mut self, signal: Signal, said: &Said) {
        let at = &said.at;
        match signal {
            Signal::Open { source, key, scopes, label, paging, severity } => {
                self.dormant.forget(&key);
                // What the alert is about: the hosts and words of its label.
                let mut about = hosts(&label);
                about.extend(topics(&label));
                let index = self.place(source, &key, &scopes, &about, said);
                let min_duration = self.rules.min_duration.0;
                let open = &mut self.open[index];
                let row = open.group(source, &key, &label, at);
                let instance = open.keys.entry(key).or_insert(Instance {
                    group: row,
                    firing: false,
                    paging,
                    since: at.time,
                });
                if !instance.firing {
                    if instance.since != at.time {
                        open.flaps += 1;
                    }
                    instance.since = at.time;
                }
                instance.firing = true;
                instance.paging |= paging;
                // Still firing `min_duration` after it started: no blip.
                if since(instance.since, at.time) >= min_duration
                    || since(open.start.time, at.time) >= min_duration
                {
                    open.escalated = true;
                }
                open.scopes.extend(scopes);
                open.scopes.extend(about);
                open.roots.insert(said.thread.unwrap_or(at.message.as_deref().unwrap_or("")).to_owned());
                // A page, a reaction, or a storm of instances firing at once is no blip.
                if paging || said.reacted || open.keys.values().filter(|k| k.firing).count() >= STORM {
                    open.escalated = true;
                }
                if !open.titled && (paging || open.title.is_none()) {
                    open.title = Some(label);
                    open.titled = paging;
                }
                // The gravest severity its alerts state, until a person sets one.
                let graver =
                    |new: &str| open.severity.as_deref().is_none_or(|old| gravity(new) < gravity(old));
                if !open.severity_set && severity.as_deref().is_some_and(graver) {
                    open.severity = severity;
                }
                open.last_alert = at.time;
                open.worked_on(at);
                open.timeline.push((at.clone(), if paging { "page" } else { "alert" }));
            }
            Signal::Info { source, label } => {
                // Evidence joins an incident being worked on; it never holds one open alone.
                let window = self.rules.window.0;
                let worked = |&i: &usize| since(self.open[i].last_activity.time, at.time) <= window;
                let Some(index) = self.meant(said).filter(worked) else { return };
                let open = &mut self.open[index];
                open.group(source, &format!("{source}:{label}"), &label, at);
                open.worked_on(at);
                open.timeline.push((at.clone(), "info"));
            }
            Signal::Ack { key } => {
                let index = match &key {
                    // An update in an alert's thread is about that alert, whatever it calls it.
                    Some(key) => self
                        .open
                        .iter()
                        .position(|o| o.keys.contains_key(key))
                        .or_else(|| self.thread_incident(said.thread)),
                    None => self.meant(said),
                };
                let Some(open) = index.map(|i| &mut self.open[i]) else { return };
                open.escalated = true;
                open.worked_on(at);
                if open.acknowledged.is_none() {
                    open.acknowledged = Some(at.clone());
                    open.timeline.push((at.clone(), "acknowledged"));
                }
            }
            Signal::Mitigate => {
                let Some(open) = self.meant(said).map(|i| &mut self.open[i]) else { return };
                if open.escalated && open.mitigated.is_none() {
                    open.mitigated = Some(at.clone());
                    open.timeline.push((at.clone(), "mitigated"));
                }
                open.worked_on(at);
            }
            Signal::Later { seconds, then } => {
                let time = at.time.checked_add(jiff::SignedDuration::from_secs(seconds)).unwrap_or(at.time);
                self.due.push((Evidence { time, message: at.message.clone() }, *then));
            }
            Signal::Resolve { key: Some(key) } => self.recover(&key, said),
            Signal::Resolve { key: None } => {
                // A candidate is no incident to resolve: it ends on its own.
                let Some(index) = self.meant(said).filter(|&i| self.open[i].escalated) else { return };
                let mut open = self.open.remove(index);
                open.resolve(at, "resolved");
                self.done.push(open);
            }
            Signal::Declare { title } => {
                let window = self.rules.window.0;
                let recent = self.meant(said).filter(|&i| {
                    said.thread.is_some() || since(self.open[i].last_activity.time, at.time) <= window
                });
                let index = recent.unwrap_or_else(|| {
                    self.open.push(Open::new(at.clone()));
                    self.open.len() - 1
                });
                let open = &mut self.open[index];
                open.escalated = true;
                open.declared = true;
                if let Some(title) = title {
                    // Alerts about what the declaration names join it.
                    open.scopes.extend(topics(&title));
                    open.scopes.extend(hosts(&title));
                    open.title = Some(title);
                    open.titled = true;
                }
                open.worked_on(at);
                open.timeline.push((at.clone(), "declared"));
            }
            Signal::Set { field, value } => {
                let Some(open) = self.meant(said).map(|i| &mut self.open[i]) else { return };
                if !open.escalated {
                    return;
                }
                match field {
                    "severity" => {
                        open.severity = Some(value);
                        open.severity_set = true;
                    }
                    "lead" => open.lead = Some(value),
                    "summary" => open.summary = Some(value),
                    _ => {
                        open.title = Some(value);
                        open.titled = true;
                    }
                }
                open.worked_on(at);
                open.timeline.push((at.clone(), "note"));
            }
        }
    }

    /// The open incident an alert joins (its key's, one it shares a scope with, or a storm
    /// from the same source), one it flaps back into (recovered within `window`), or a new
    /// candidate.
    fn place(&mut self, source: &str, key: &str, scopes: &[String], about: &[String], said: &Said) -> usize {
        // Hosts name what an alert is about as its scopes do; topic words (`word:…`) only hint.
        let (words, on_hosts): (Vec<&String>, Vec<&String>) =
            about.iter().partition(|a| a.starts_with("word:"));
        let same_name =
            |o: &Open| scopes.iter().chain(on_hosts.iter().copied()).any(|s| o.scopes.contains(s));
        let shares = |o: &Open| {
            o.keys.contains_key(key) || same_name(o) || words.iter().any(|w| o.scopes.contains(*w))
        };
        if let Some(index) = self.thread_incident(said.thread) {
            return index;
        }
        if let Some(index) = self.open.iter().position(|o| o.keys.contains_key(key)) {
            return index;
        }
        // An alert with the same name or host joins while the incident is worked on; one
        // that only shares a word, while its alerts still come.
        let window = self.rules.window.0;
        let related = |o: &Open| {
            (same_name(o) && since(o.last_activity.time, said.at.time) <= window)
                || (shares(o) && since(o.last_alert, said.at.time) <= window)
        };
        if let Some(index) = self.open.iter().position(related) {
            return index;
        }
        let storm = |o: &Open| {
            since(o.last_alert, said.at.time) <= BURST && o.groups.first().is_some_and(|g| g.source == source)
        };
        if let Some(index) = self.open.iter().position(storm) {
            return index;
        }
        // The time first: most done incidents ended long ago.
        let flapped = self.done.iter().rposition(|o| {
            !o.inferred_end
                && o.resolved.as_ref().is_some_and(|r| since(r.time, said.at.time) <= window)
                && shares(o)
        });
        if let Some(index) = flapped {
            let mut open = self.done.remove(index);
            open.resolved = None;
            open.timeline.retain(|(_, kind)| *kind != "resolved");
            self.open.push(open);
        } else {
            self.open.push(Open::new(said.at.clone()));
        }
        self.open.len() - 1
    }

    /// Alert `key` recovered. Its incident resolves once all its alerts have; a candidate
    /// that fired for `min_duration` first was an incident. A recovery of an incident whose
    /// end was inferred replaces that end.
    fn recover(&mut self, key: &str, said: &Said) {
        let at = &said.at;
        let holds = |o: &Open| o.keys.keys().any(|k| covers(key, k));
        let Some(index) = self.open.iter().position(holds) else {
            if self.thread_incident(said.thread).is_some() {
                // An update in an alert's thread is about that alert, whatever it calls it.
                self.apply(Signal::Resolve { key: None }, said);
                return;
            }
            // However late, the recovery of an alert still firing when its incident's end was
            // inferred is that incident's true end.
            let inferred = self.done.iter_mut().rev().find(|o| holds(o));
            let firing = |o: &&mut Open| o.keys.iter().any(|(k, i)| i.firing && covers(key, k));
            if let Some(open) = inferred.filter(|o| o.inferred_end).filter(firing) {
                open.resolve(at, "resolved");
            } else if let Some(open) = self.dormant.take(key) {
                // A candidate no one answered recovers: it is judged as if it had stayed open.
                self.open.push(open);
                self.recover(key, said);
            }
            return;
        };
        let min_duration = self.rules.min_duration.0;
        let open = &mut self.open[index];
        let mut lasted = 0;
        let mut rows = Vec::new();
        for (_, instance) in open.keys.iter_mut().filter(|(k, _)| covers(key, k)) {
            lasted = lasted.max(since(instance.since, at.time));
            instance.firing = false;
            rows.push(instance.group);
        }
        rows.sort_unstable();
        rows.dedup();
        for row in rows {
            open.groups[row].resolved = Some(at.clone());
            open.groups[row].last = at.clone();
            open.groups[row].count += 1;
        }
        open.last_alert = at.time;
        open.worked_on(at);
        open.timeline.push((at.clone(), "recovered"));
        if lasted >= min_duration {
            open.escalated = true;
        }
        // People who declared an incident resolve it; its alerts recovering does not.
        if open.all_clear() && open.escalated && !open.declared {
            let mut open = self.open.remove(index);
            if let Some(last) = open.timeline.last_mut() {
                last.1 = "resolved";
            }
            open.resolved = Some(at.clone());
            open.inferred_end = false;
            self.done.push(open);
        }
    }

    /// The end of the archive at `end`: an incident worked on within `quiet` of it is
    /// ongoing; an older one ended at its last activity (inferred); candidates were routine.
    pub(super) fn finish(mut self, end: Timestamp) -> Vec<Open> {
        self.fall_due(end);
        let quiet = self.rules.quiet.0;
        for open in self.open.drain(..).filter(|o| o.escalated) {
            let ended = since(open.last_activity.time, end) > quiet;
            self.done.push(if ended { open.end_quietly() } else { open });
        }
        self.done
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
    let end = open.went_quiet.or(open.resolved.as_ref().map(|r| r.time)).unwrap_or(open.last_activity.time);
    // Messages are in time order (`Archive::finish`): find the span, do not scan the channel.
    let first = ch.messages.partition_point(|m| m.time < open.start.time);
    let last = ch.messages.partition_point(|m| m.time <= end).max(first);
    let during = &ch.messages[first..last];
    let person = super::by_person;
    let mut participants: Vec<String> = Vec::new();
    for m in during {
        if person(m) && !participants.iter().any(|p| **p == *m.author.name) {
            participants.push(m.author.name.to_string());
        }
    }
    // A moment's time is its message's: the message is found among those of that second.
    // (A recovery after the incident went quiet lies beyond its messages.)
    let message_at = |at: &Evidence| {
        let id = at.message.as_deref()?;
        let from = ch.messages.partition_point(|m| m.time < at.time);
        let same_time = ch.messages[from..].iter().take_while(|m| m.time == at.time);
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
    cap(&mut timeline);
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

/// The most moments a timeline shows.
const MOMENTS: usize = 50;

/// Keeps at most [`MOMENTS`] lines: every change of state (page, acknowledged, mitigated,
/// resolved, declared, notes, pins), the first and the last line, then the rest evenly
/// spread (a storm's alerts, people's first words).
fn cap(timeline: &mut Vec<TimelineEntry>) {
    if timeline.len() <= MOMENTS {
        return;
    }
    let last = timeline.len() - 1;
    let changes = |kind: &str| !matches!(kind, "alert" | "recovered" | "info" | "response");
    let mut keep: Vec<bool> =
        timeline.iter().enumerate().map(|(at, t)| at == 0 || at == last || changes(t.kind)).collect();
    if keep.iter().filter(|k| **k).count() > MOMENTS {
        // More changes than room (a page per alert): the first, the last, and a spread.
        keep = (0..timeline.len()).map(|at| at == 0 || at == last).collect();
    }
    let kept = keep.iter().filter(|k| **k).count();
    let rest: Vec<usize> = (0..timeline.len()).filter(|&at| !keep[at]).collect();
    let room = MOMENTS.saturating_sub(kept);
    for n in 0..room.min(rest.len()) {
        keep[rest[n * rest.len() / room.min(rest.len())]] = true;
    }
    let mut at = 0;
    timeline.retain(|_| {
        at += 1;
        keep[at - 1]
    });
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
