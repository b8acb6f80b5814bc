//! Normalisation before anything is indexed or rendered: which channels are published, and
//! redaction of personal data and secrets from the text that remains.
//!
//! Safe by default (security.md §5): only public, unshared channels are published unless the
//! config names a conversation; unpublished channels are removed from the archive here, so no
//! later stage can leak them. Their ids stay known as hidden so mentions of them render as
//! `#private-channel`. Redaction runs on source text, before markup, so a redacted value can
//! never reach a page, an attribute or (later) the search index.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::config::{ChannelSelection, Publish, glob_match};
use crate::model::{Archive, Channel, Text, Visibility};

/// What the privacy filter kept out, for the build summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// `(name, why)` for every channel not published, sorted by name.
    pub channels: Vec<(String, String)>,
    /// Names in the config that matched no channel (likely typos).
    pub unmatched_names: Vec<String>,
    /// Ids of withheld channels, `"<source>:<id>"`, so mentions can hide their names.
    pub hidden_ids: Vec<String>,
}

/// Removes every channel the config does not publish from `archive`.
pub fn select_channels(archive: &mut Archive, publish: &Publish) -> Withheld {
    let mut withheld = Withheld::default();
    let mut named: BTreeMap<&str, bool> = publish.private.iter().map(|n| (n.as_str(), false)).collect();
    if let ChannelSelection::Named(list) = &publish.channels {
        named.extend(list.iter().map(|n| (n.as_str(), false)));
    }
    let channels = std::mem::take(&mut archive.channels);
    for channel in channels {
        if let Some(seen) = named.get_mut(channel.name.as_str()) {
            *seen = true;
        }
        match why_withheld(&channel, publish) {
            None => archive.channels.push(channel),
            Some(why) => {
                withheld.hidden_ids.push(format!("{}:{}", channel.source, channel.id));
                withheld.channels.push((channel.name, why));
            }
        }
    }
    withheld.channels.sort();
    withheld.unmatched_names =
        named.into_iter().filter(|(_, seen)| !seen).map(|(n, _)| n.to_owned()).collect();
    withheld
}

fn why_withheld(channel: &Channel, publish: &Publish) -> Option<String> {
    let name = channel.name.as_str();
    if let Some(pattern) = publish.exclude.iter().find(|p| glob_match(p, name)) {
        return Some(format!("excluded by pattern {pattern:?}"));
    }
    let named_private = publish.private.iter().any(|n| n == name);
    match channel.visibility {
        Visibility::Public if channel.shared && !named_private => {
            Some("shared with another organisation; name it in publish.private to publish".to_owned())
        }
        Visibility::Public => match &publish.channels {
            ChannelSelection::Named(list) if !list.iter().any(|n| n == name) && !named_private => {
                Some("not listed in publish.channels".to_owned())
            }
            _ => None,
        },
        other if !named_private => Some(format!("{}; name it in publish.private to publish", other.label())),
        _ => None,
    }
}

/// A built-in redaction rule.
struct Rule {
    name: &'static str,
    pattern: Regex,
    replacement: &'static str,
}

/// Secrets and personal data that never reach the output. Patterns follow security.md §4
/// (gitleaks/detect-secrets derived); deliberately conservative for phone numbers, since ops
/// chat is full of numbers that are not (IPs, ports, epoch times, versions).
static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |name, pattern: &str, replacement| Rule {
        name,
        pattern: Regex::new(pattern).expect("built-in redaction patterns compile"),
        replacement,
    };
    vec![
        rule(
            "private-key",
            r"-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END[A-Z ]*PRIVATE KEY( BLOCK)?-----|$)",
            "[private key redacted]",
        ),
        rule(
            "slack-webhook",
            r"https://hooks\.slack\.com/(services|workflows)/[A-Za-z0-9_/]+",
            "[webhook redacted]",
        ),
        rule("slack-token", r"\bxox[a-z]-[A-Za-z0-9-]{8,}", "[token redacted]"),
        rule(
            "github-token",
            r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b",
            "[token redacted]",
        ),
        rule("aws-access-key", r"\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", "[token redacted]"),
        rule(
            "url-password",
            r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]{1,10}://[^\s:/@<>|]{1,64}:)[^\s@<>|/]{3,64}@",
            "${scheme}[password redacted]@",
        ),
        rule(
            "email",
            r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            "[email redacted]",
        ),
        rule(
            "phone",
            r"(\+\d{1,3}[ .-]?)?(\(\d{3}\)[ .-]?|\b\d{3}[.-])\d{3}[ .-]\d{4}\b|\+\d{1,3}( \d{2,5}){2,4}\b",
            "[phone redacted]",
        ),
    ]
});

/// How many values each rule redacted.
pub type RedactionCounts = BTreeMap<&'static str, usize>;

/// Redacts secrets and personal data in every piece of text that can reach the output.
pub fn redact(archive: &mut Archive) -> RedactionCounts {
    let mut counts = RedactionCounts::new();
    for user in archive.users.values_mut() {
        redact_string(&mut user.name, &mut counts);
    }
    for channel in &mut archive.channels {
        redact_channel(channel, &mut counts);
    }
    counts
}

fn redact_channel(channel: &mut Channel, counts: &mut RedactionCounts) {
    for text in channel.topic.iter_mut().chain(channel.purpose.iter_mut()) {
        redact_text(text, counts);
    }
    for message in &mut channel.messages {
        redact_text(&mut message.text, counts);
        redact_string(&mut message.author.name, counts);
        for attachment in &mut message.attachments {
            for text in [&mut attachment.pretext, &mut attachment.text].into_iter().flatten() {
                redact_text(text, counts);
            }
            for field in &mut attachment.fields {
                redact_string(&mut field.title, counts);
                redact_text(&mut field.value, counts);
            }
            let strings = [
                &mut attachment.author_name,
                &mut attachment.author_link,
                &mut attachment.title,
                &mut attachment.title_link,
                &mut attachment.footer,
                &mut attachment.fallback,
                &mut attachment.from_url,
                &mut attachment.service_name,
            ];
            for s in strings.into_iter().flatten() {
                redact_string(s, counts);
            }
        }
        for file in &mut message.files {
            redact_string(&mut file.name, counts);
            for s in [&mut file.title, &mut file.link].into_iter().flatten() {
                redact_string(s, counts);
            }
        }
    }
}

fn redact_text(text: &mut Text, counts: &mut RedactionCounts) {
    redact_string(&mut text.source, counts);
}

/// Applies every rule to `s` in place, counting matches.
pub fn redact_string(s: &mut String, counts: &mut RedactionCounts) {
    for rule in RULES.iter() {
        let found = rule.pattern.find_iter(s).count();
        if found > 0 {
            *counts.entry(rule.name).or_default() += found;
            *s = rule.pattern.replace_all(s, rule.replacement).into_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(s: &str) -> String {
        let mut s = s.to_owned();
        redact_string(&mut s, &mut RedactionCounts::new());
        s
    }

    #[test]
    fn personal_data_and_secrets_are_replaced() {
        assert_eq!(
            redacted("mail <mailto:jo@ex.com|jo@ex.com>"),
            "mail <mailto:[email redacted]|[email redacted]>"
        );
        assert_eq!(
            redacted("call (555) 010-1234 or +44 20 7946 0958"),
            "call [phone redacted] or [phone redacted]"
        );
        assert_eq!(redacted("tok xoxb-1234-56789-abcdefgh"), "tok [token redacted]");
        assert_eq!(redacted("key AKIAIOSFODNN7EXAMPLE"), "key [token redacted]");
        assert_eq!(
            redacted("db postgres://app:s3cret@db1:5432/x"),
            "db postgres://app:[password redacted]@db1:5432/x"
        );
        assert_eq!(
            redacted("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"),
            "[private key redacted]"
        );
    }

    #[test]
    fn ops_numbers_are_not_mistaken_for_phones() {
        let text = "502 from 10.0.3.7 upstream=metrics-web-prod-513:8081 at 1389978699.000123 on 2014-01-17 12:34:56 v1.2.3 rr16";
        assert_eq!(redacted(text), text);
    }
}
