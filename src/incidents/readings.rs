//! What detection read of each message, kept beside the site (`<out>.index/readings.bin`,
//! a [`crate::store`] file) so that the next build reads only the text of messages it has not
//! seen.
//!
//! Reading a message means making its plain text ([`crate::markup::plain`]), matching the
//! alert and command patterns against it and hashing it for search: at a million messages,
//! the largest cost of a build before anything is written. A [`Reading`] keeps what
//! detection and search take from it: the text's [`PlainDigest`], the signals it gives, and
//! whether it says the all-clear. Its key is made from the whole message and a context of
//! every user's name, every channel link, the all-clear rules and the binary.
//!
//! A reading's value is the [`Reading`] as [`crate::store::encode`] writes it.

use crate::markup::PlainDigest;
use crate::store::{Key, Walk};

use super::Signal;

/// What detection and search take from one message's plain text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reading {
    /// The text's digest, for the search documents.
    pub digest: PlainDigest,
    /// What the message says about incidents: a bot's alerts, a person's commands.
    pub signals: Vec<Signal>,
    /// A person gave the all-clear (heard only while an incident is open).
    pub all_clear: bool,
    /// The hosts a person's message names: it works on the incident about them.
    pub hosts: Vec<String>,
}

impl Reading {
    /// The signals the message gives, with an incident `open` in its channel or not.
    pub fn signals(self, open: bool) -> Vec<Signal> {
        if self.signals.is_empty() && open && self.all_clear {
            return vec![Signal::Resolve { key: None }];
        }
        self.signals
    }
}

/// The reading filed under `key` in `walk`, or else `make`'s, filed.
pub fn read(walk: &mut Walk, key: &Key, make: impl FnOnce() -> Reading) -> Reading {
    if let Some(reading) = walk.find(key, decode) {
        return reading;
    }
    let reading = make();
    walk.file(key, &encode(&reading));
    reading
}

/// The value bytes of `reading`.
pub fn encode(reading: &Reading) -> Vec<u8> {
    crate::store::encode(reading)
}

/// The reading in `value`, if it is exactly one.
pub fn decode(value: &[u8]) -> Option<Reading> {
    crate::store::decode(value)
}

/// A name from a fixed list (the source families, the fields) as a reading stores it: the name, read
/// back as the list's own `&'static str`; a name not in the list is not a reading.
macro_rules! stored_name {
    ($module:ident, $($name:literal),+ $(,)?) => {
        pub(super) mod $module {
            use serde::{Deserialize, Deserializer, Serializer};

            /// Every name a reading may hold here.
            pub(crate) const NAMES: &[&str] = &[$($name),+];

            pub(crate) fn serialize<S: Serializer>(name: &&'static str, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(name)
            }

            pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
                let name = <&str>::deserialize(d)?;
                NAMES
                    .iter()
                    .find(|n| **n == name)
                    .copied()
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown name {name:?}")))
            }
        }
    };
}

stored_name!(
    source,
    "alertmanager",
    "datadog",
    "exceptions",
    "logs",
    "nagios",
    "opsgenie",
    "pagerduty",
    "sentry",
    "threshold",
    "uptimerobot",
    "pingdom",
    "statuscake",
    "cloudwatch",
    "azure",
    "gcp",
    "newrelic",
    "zabbix",
    "betterstack",
    "checkly",
    "oncall",
    "monitor",
    "incident-bot",
    "custom"
);
stored_name!(field, "severity", "lead", "summary", "title");

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(n: u8, signals: Vec<Signal>) -> Reading {
        let digest = PlainDigest { hash: [n; 16], empty: n.is_multiple_of(3), link: n.is_multiple_of(2) };
        Reading {
            digest,
            signals,
            all_clear: n.is_multiple_of(5),
            hosts: vec!["db-1".into(); usize::from(n % 2)],
        }
    }

    #[test]
    fn every_signal_reads_back_as_it_was_filed() {
        let signals = vec![
            Signal::Open {
                source: "pagerduty",
                key: "pagerduty:7".into(),
                scopes: vec!["db-1".into()],
                label: "Disk full".into(),
                paging: true,
                severity: Some("P2".into()),
            },
            Signal::Ack { key: Some("k".into()) },
            Signal::Ack { key: None },
            Signal::Mitigate,
            Signal::Resolve { key: None },
            Signal::Resolve { key: Some(String::new()) },
            Signal::Info { source: "exceptions", label: "NoMethodError ✓".into() },
            Signal::Declare { title: Some("db down".into()) },
            Signal::Declare { title: None },
            Signal::Set { field: "summary", value: "fixed".into() },
        ];
        for n in 0..6 {
            let reading = reading(n, signals.clone());
            assert_eq!(decode(&encode(&reading)), Some(reading));
        }
        let unknown = reading(1, vec![Signal::Info { source: "carrier pigeon", label: String::new() }]);
        assert_eq!(decode(&encode(&unknown)), None, "a source the list does not name is not read back");
    }
}
