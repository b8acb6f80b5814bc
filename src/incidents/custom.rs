//! Configured sources (`[[incidents.sources]]`): bots the built-in recognisers do not know,
//! read by the patterns the config gives.

use regex::Regex;

use super::recognise::{Signal, normalise_severity};
use crate::config::AlertSource;
use crate::model::Author;

/// A configured source with its patterns compiled.
pub struct Custom {
    /// The bot's name or user id, lower case.
    bot: String,
    open: Regex,
    resolve: Option<Regex>,
    acknowledge: Option<Regex>,
    paging: bool,
}

impl Custom {
    /// The sources of `sources` whose patterns compile (the config's validation has refused
    /// any that do not).
    pub fn compile(sources: &[AlertSource]) -> Vec<Custom> {
        let compiled = |pattern: &Option<String>| pattern.as_deref().and_then(|p| Regex::new(p).ok());
        sources
            .iter()
            .filter_map(|s| {
                Some(Custom {
                    bot: s.bot.to_lowercase(),
                    open: Regex::new(&s.open).ok()?,
                    resolve: compiled(&s.resolve),
                    acknowledge: compiled(&s.acknowledge),
                    paging: s.paging,
                })
            })
            .collect()
    }

    /// Whether `author` is this source's bot, by name or user id.
    pub fn posted(&self, author: &Author) -> bool {
        author.name.to_lowercase() == self.bot
            || author.user.as_deref().is_some_and(|u| u.to_lowercase() == self.bot)
    }

    /// What a message of this bot (as plain text) says.
    pub fn signals(&self, text: &str) -> Vec<Signal> {
        let key = |c: &regex::Captures| c.name("key").map(|k| format!("custom:{}:{}", self.bot, k.as_str()));
        if let Some(c) = self.resolve.as_ref().and_then(|r| r.captures(text)) {
            return vec![Signal::Resolve { key: key(&c) }];
        }
        if let Some(c) = self.acknowledge.as_ref().and_then(|r| r.captures(text)) {
            return vec![Signal::Ack { key: key(&c) }];
        }
        let Some(c) = self.open.captures(text) else { return Vec::new() };
        let instance = c.name("key").map_or_else(|| c[0].to_owned(), |k| k.as_str().to_owned());
        let label = c.name("title").map_or_else(|| instance.clone(), |t| t.as_str().trim().to_owned());
        let key = format!("custom:{}:{instance}", self.bot);
        vec![Signal::Open {
            source: "custom",
            scopes: vec![key.clone()],
            key,
            label,
            paging: self.paging,
            severity: c.name("severity").map(|s| normalise_severity(s.as_str())),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_bot_fires_recovers_and_acknowledges_by_its_patterns() {
        let source = AlertSource {
            bot: "HealthBot".into(),
            open: r"^HEALTH FAIL (?P<key>\S+)(?: sev=(?P<severity>\w+))?(?: (?P<title>.+))?".into(),
            resolve: Some(r"^HEALTH OK (?P<key>\S+)".into()),
            acknowledge: Some(r"^HEALTH ACK (?P<key>\S+)".into()),
            paging: false,
        };
        let custom = &Custom::compile(&[source])[0];
        let key = Some("custom:healthbot:checkout".to_owned());
        assert_eq!(
            custom.signals("HEALTH FAIL checkout sev=P2 Checkout health check failing"),
            vec![Signal::Open {
                source: "custom",
                key: key.clone().unwrap(),
                scopes: vec![key.clone().unwrap()],
                label: "Checkout health check failing".into(),
                paging: false,
                severity: Some("P2".into()),
            }]
        );
        assert_eq!(custom.signals("HEALTH ACK checkout"), vec![Signal::Ack { key: key.clone() }]);
        assert_eq!(custom.signals("HEALTH OK checkout"), vec![Signal::Resolve { key }]);
        assert_eq!(custom.signals("all fine here"), vec![]);
    }
}
