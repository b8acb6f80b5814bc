//! Redaction: secrets and personal data are replaced by a visible marker in every piece of
//! text that can reach a page, the search index or the static search files.
//!
//! It runs on the model after the privacy filter and before markup, indexing and rendering,
//! so a redacted value cannot leak through any later stage. The rules are
//! the built-in set ([`rules`]) minus those `[redaction] disable` names, then the user's
//! `[[redaction.rules]]`. Each rule has keywords, checked for all rules at once with one
//! Aho-Corasick pass, so most text never runs most regexes (gitleaks' and trufflehog's
//! pre-filter). Rules read each value as a reader sees it ([`view`]: no invisible characters,
//! no escapes) and tokens end where secret scanners end them, at any character that cannot
//! be part of the token, so punctuation and markup around a secret do not hide it. What was
//! redacted where is counted for the report; the secrets themselves are never kept.

mod rules;
pub mod report;
pub mod settings;
mod view;

use std::collections::BTreeMap;
use std::ops::Range;

use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use regex::{Regex, RegexBuilder};

use crate::model::{Archive, Body, Channel, File, Message, Text};
use crate::store::{Filed, Known, Walk};
pub use settings::{Redaction, RedactionRule, Scope};
use view::View;

/// Names of the built-in rules, in the order they run.
pub fn builtin_names() -> Vec<&'static str> {
    rules::builtins().iter().map(|r| r.name).collect()
}

/// A compiled rule set.
pub struct Redactor {
    rules: Vec<Rule>,
    /// Every rule's keywords, lowercase; match `i` belongs to rule `owner[i]`.
    keywords: AhoCorasick,
    owner: Vec<usize>,
}

struct Rule {
    name: String,
    regex: Regex,
    group: usize,
    replacement: Replacement,
    has_keywords: bool,
    entropy: f64,
    allow: Option<Regex>,
    check: fn(&str) -> bool,
    scopes: Vec<Scope>,
}

enum Replacement {
    /// The secret (the rule's group) becomes this text.
    Marker(String),
    /// The whole match becomes this template, with `$1`/`${name}` expanded.
    Template(String),
}

impl Redactor {
    /// Checks the config's part without compiling the built-in rules: every disabled name
    /// exists and every user rule compiles. An error names the rule and the problem.
    pub fn check(config: &Redaction) -> Result<(), String> {
        let names = builtin_names();
        if let Some(unknown) = config.disable.iter().find(|d| !names.contains(&d.as_str())) {
            return Err(format!(
                "disable: no built-in rule named {unknown:?}; the rules are {}",
                names.join(", ")
            ));
        }
        config.rules.iter().try_for_each(|user| Rule::user(user).map(drop))
    }

    /// Compiles the built-in rules and the config's.
    pub fn new(config: &Redaction) -> Result<Redactor, String> {
        Self::check(config)?;
        let mut rules = Vec::new();
        let mut keywords = Vec::new();
        let mut owner = Vec::new();
        for builtin in rules::builtins().into_iter().filter(|b| !config.disable.iter().any(|d| d == b.name)) {
            for keyword in builtin.keywords {
                keywords.push(*keyword);
                owner.push(rules.len());
            }
            rules.push(Rule::builtin(&builtin));
        }
        for user in &config.rules {
            rules.push(Rule::user(user)?);
        }
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&keywords)
            .expect("redaction keywords build an automaton");
        Ok(Redactor { rules, keywords, owner })
    }

    /// Redacts `text` in place for rules that read `scope`, adding to `tally` per rule.
    pub fn redact(&self, text: &mut String, scope: Scope, tally: &mut Tally) {
        if text.is_empty() {
            return;
        }
        let mut triggered = vec![false; self.rules.len()];
        let mut view = View::of(text);
        for found in self.keywords.find_overlapping_iter(view.text()) {
            triggered[self.owner[found.pattern().as_usize()]] = true;
        }
        for (rule, triggered) in self.rules.iter().zip(triggered) {
            if (rule.has_keywords && !triggered) || !rule.applies_to(scope) {
                continue;
            }
            let found = rule.find(view.text());
            if found.is_empty() {
                continue;
            }
            *tally.entry(rule.name.clone()).or_default() += found.len();
            let edits: Vec<_> = found.into_iter().map(|(range, with)| (view.origin(range), with)).collect();
            // The view is made again only after a rule changed the text.
            drop(view);
            for (range, with) in edits.into_iter().rev() {
                text.replace_range(range, &with);
            }
            view = View::of(text);
        }
    }
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(64 << 20).build()
}

impl Rule {
    fn builtin(builtin: &rules::Builtin) -> Rule {
        Rule {
            name: builtin.name.to_owned(),
            regex: compile(&builtin.pattern).expect("built-in redaction patterns compile"),
            group: builtin.group,
            replacement: Replacement::Marker(builtin.marker.to_owned()),
            has_keywords: !builtin.keywords.is_empty(),
            entropy: builtin.entropy,
            allow: builtin.allow.map(|a| compile(a).expect("built-in allow patterns compile")),
            check: builtin.check,
            scopes: vec![Scope::All],
        }
    }

    fn user(user: &RedactionRule) -> Result<Rule, String> {
        let regex = compile(&user.pattern).map_err(|e| format!("rule {:?}: {e}", user.name))?;
        if regex.is_match("") {
            return Err(format!("rule {:?}: the pattern matches empty text", user.name));
        }
        let replacement = if user.replacement.contains('$') {
            Replacement::Template(user.replacement.clone())
        } else {
            Replacement::Marker(user.replacement.clone())
        };
        Ok(Rule {
            name: user.name.clone(),
            regex,
            group: 0,
            replacement,
            has_keywords: false,
            entropy: 0.0,
            allow: None,
            check: |_| true,
            scopes: user.scope.clone(),
        })
    }

    fn applies_to(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| *s == Scope::All || *s == scope)
    }

    /// Every accepted match in `text`: the range to replace and what replaces it. A search
    /// goes on from the end of the secret, not of the match, since the character that ended
    /// one token may begin the next.
    fn find(&self, text: &str) -> Vec<(Range<usize>, String)> {
        // Most texts a rule's keywords let through hold nothing it takes: those are told
        // without making the capture groups.
        if !self.regex.is_match(text) {
            return Vec::new();
        }
        let mut edits = Vec::new();
        let mut at = 0;
        while at <= text.len()
            && let Some(caps) = self.regex.captures_at(text, at)
        {
            let whole = caps.get(0).expect("group 0 always matches");
            let group = caps.get(self.group);
            let end = group.map_or(whole.end(), |g| g.end()).max(whole.start() + 1);
            at = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len() + 1);
            let Some(secret) = group.filter(|s| self.accepts(s.as_str())) else { continue };
            match &self.replacement {
                Replacement::Marker(marker) => edits.push((secret.range(), marker.clone())),
                Replacement::Template(template) => {
                    let mut out = String::new();
                    caps.expand(template, &mut out);
                    edits.push((whole.range(), out));
                }
            }
        }
        edits
    }

    fn accepts(&self, secret: &str) -> bool {
        !secret.is_empty()
            && self.allow.as_ref().is_none_or(|a| !a.is_match(secret))
            && entropy(secret) >= self.entropy
            && (self.check)(secret)
    }
}

/// Shannon entropy in bits per byte: random tokens score high, words and repeats low.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    #[allow(clippy::cast_precision_loss, reason = "string lengths are far below 2^52")]
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Redactions per rule name.
pub type Tally = BTreeMap<String, usize>;

/// What redaction did to an archive: totals, and where (never what).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Redactions {
    /// Per rule, over everything.
    pub counts: Tally,
    /// Per rule and place, in archive order.
    pub hits: Vec<Hit>,
}

/// Redactions by one rule in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The rule's name.
    pub rule: String,
    /// Index into `archive.channels`, or `None` for people's names.
    pub channel: Option<usize>,
    /// The message, or `None` for the channel's topic and purpose.
    pub message: Option<String>,
    /// How many values.
    pub count: usize,
}

impl Redactions {
    /// Adds `other`'s counts and hits after these.
    fn append(&mut self, other: Redactions) {
        for (rule, count) in other.counts {
            *self.counts.entry(rule).or_default() += count;
        }
        self.hits.extend(other.hits);
    }

    fn record(&mut self, channel: Option<usize>, message: Option<&str>, tally: Tally) {
        for (rule, count) in tally {
            *self.counts.entry(rule.clone()).or_default() += count;
            self.hits.push(Hit { rule, channel, message: message.map(str::to_owned), count });
        }
    }
}

/// What [`redact_archive`] did.
pub struct Redacted {
    /// What was redacted where.
    pub redactions: Redactions,
    /// The messages found clean, for the next build.
    pub clean: Option<Filed>,
    /// Messages the previous build had found clean, not looked at again.
    pub known_clean: usize,
    /// Each message's [`Message::digest`] as redaction left it, per channel and message.
    pub contents: Vec<Vec<[u8; 16]>>,
}

/// Redacts every piece of text in `archive` that can reach the output. A message that the
/// previous build found nothing in, unchanged and under the same settings (`known`, made
/// with the redaction settings), is left as it is.
pub fn redact_archive(archive: &mut Archive, redactor: &Redactor, known: &Known) -> Redacted {
    let mut redactions = Redactions::default();
    let mut tally = Tally::new();
    for user in archive.users.values_mut() {
        redactor.redact(&mut user.name, Scope::Names, &mut tally);
        if let Some(handle) = &mut user.handle {
            redactor.redact(handle, Scope::Names, &mut tally);
        }
    }
    redactions.record(None, None, std::mem::take(&mut tally));
    // Channels on every core; their hits go in in archive order.
    let channels: Vec<(Redactions, Walk, Vec<[u8; 16]>)> = archive
        .channels
        .par_iter_mut()
        .enumerate()
        .map(|(index, channel)| {
            let (mut found, mut tally) = (Redactions::default(), Tally::new());
            redact_channel(channel, redactor, &mut tally);
            found.record(Some(index), None, std::mem::take(&mut tally));
            let mut walk = known.walk(channel);
            let (mut scratch, mut digests) = (Vec::new(), Vec::with_capacity(channel.messages.len()));
            for message in &mut channel.messages {
                let digest = message.digest(&mut scratch);
                let key = known.key(&digest);
                if let Some(key) = &key
                    && walk.find(key, |value| value.is_empty().then_some(())).is_some()
                {
                    digests.push(digest);
                    continue;
                }
                redact_message(message, redactor, &mut tally);
                if tally.is_empty() {
                    // Nothing found: nothing changed, and next time it need not be looked at.
                    if let Some(key) = &key {
                        walk.file(key, &[]);
                    }
                    digests.push(digest);
                } else {
                    digests.push(message.digest(&mut scratch));
                }
                found.record(Some(index), Some(&message.id), std::mem::take(&mut tally));
            }
            (found, walk, digests)
        })
        .collect();
    let (mut walks, mut contents) = (Vec::with_capacity(channels.len()), Vec::with_capacity(channels.len()));
    for (found, walk, digests) in channels {
        redactions.append(found);
        walks.push(walk);
        contents.push(digests);
    }
    let known_clean = walks.iter().map(|w| w.found).sum();
    let clean = known.filed(archive.channels.iter().zip(walks));
    for snapshot in &mut archive.snapshots {
        for s in [Some(&mut snapshot.file.name), snapshot.file.title.as_mut()].into_iter().flatten() {
            redactor.redact(s, Scope::Files, &mut tally);
        }
        if let Some(author) = &mut snapshot.author {
            redactor.redact(author, Scope::Names, &mut tally);
        }
    }
    redactions.record(None, None, tally);
    Redacted { redactions, clean, known_clean, contents }
}

fn redact_channel(channel: &mut Channel, redactor: &Redactor, tally: &mut Tally) {
    for text in channel.topic.iter_mut().chain(channel.purpose.iter_mut()) {
        redact_text(text, redactor, tally);
    }
}

fn redact_text(text: &mut Text, redactor: &Redactor, tally: &mut Tally) {
    redactor.redact(&mut text.source, Scope::Text, tally);
}

/// The message's text, its author's name, its reactions, its cards (bot payloads, unfurls)
/// and its files.
fn redact_message(message: &mut Message, redactor: &Redactor, tally: &mut Tally) {
    redact_text(&mut message.text, redactor, tally);
    for reaction in &mut message.reactions {
        redactor.redact(&mut reaction.name, Scope::Text, tally);
    }
    // Names are shared between messages: one is copied out only if redaction changes it.
    let mut name = String::from(&*message.author.name);
    redactor.redact(&mut name, Scope::Names, tally);
    if *name != *message.author.name {
        message.author.name = name.into();
    }
    for attachment in &mut message.attachments {
        for text in [&mut attachment.pretext, &mut attachment.text].into_iter().flatten() {
            redact_text(text, redactor, tally);
        }
        for field in &mut attachment.fields {
            redactor.redact(&mut field.title, Scope::Text, tally);
            redact_text(&mut field.value, redactor, tally);
        }
        let texts = [
            &mut attachment.title,
            &mut attachment.footer,
            &mut attachment.fallback,
            &mut attachment.service_name,
        ];
        for s in texts.into_iter().flatten() {
            redactor.redact(s, Scope::Text, tally);
        }
        if let Some(name) = &mut attachment.author_name {
            redactor.redact(name, Scope::Names, tally);
        }
        let links = [&mut attachment.author_link, &mut attachment.title_link, &mut attachment.from_url];
        for s in links.into_iter().flatten() {
            redactor.redact(s, Scope::Links, tally);
        }
    }
    for file in &mut message.files {
        redact_body(file, redactor, tally);
        redactor.redact(&mut file.name, Scope::Files, tally);
        if let Some(title) = &mut file.title {
            redactor.redact(title, Scope::Files, tally);
        }
        if let Some(link) = &mut file.link {
            redactor.redact(link, Scope::Links, tally);
        }
    }
}

/// Shared files larger than this are not read as text for redaction.
const MAX_TEXT_BODY: usize = 16 << 20;

/// A shared text file (UTF-8 without NUL bytes: logs, configs, snippets) is published as it
/// is, so its contents are redacted like any text, and it is stored under its new hash.
fn redact_body(file: &mut File, redactor: &Redactor, tally: &mut Tally) {
    let Some(body) = &file.body else { return };
    if body.bytes.len() > MAX_TEXT_BODY || body.bytes.contains(&0) {
        return;
    }
    let Ok(text) = std::str::from_utf8(&body.bytes) else { return };
    let mut redacted = text.to_owned();
    redactor.redact(&mut redacted, Scope::Files, tally);
    if redacted != text {
        file.size = Some(redacted.len() as u64);
        file.body = Some(Body::new(redacted.into_bytes(), body.origin.clone()));
    }
}

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;
