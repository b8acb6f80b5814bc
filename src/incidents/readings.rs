//! What detection read of each message, kept beside the site (`<out>.index/readings.bin`,
//! a [`crate::memo`] file) so that the next build reads only the text of messages it has not
//! seen.
//!
//! Reading a message means making its plain text ([`crate::markup::plain`]), matching the
//! alert and command patterns against it and hashing it for search: at a million messages,
//! the largest cost of a build before anything is written. A [`Reading`] keeps what
//! detection and search take from it: the text's [`PlainDigest`], the signals it gives, and
//! whether it says the all-clear. Its key is made from the whole message and a context of
//! every user's name, every channel link, the all-clear rules and the binary.
//!
//! A reading's value: `flags (u8) | digest (16) | signal count (u8) | signals`.

use crate::markup::PlainDigest;
use crate::memo::{Input, Key, Walk, put_option, put_str};

use super::Signal;

/// The file's name in the sidecar directory.
pub const FILE: &str = "readings.bin";

/// What detection and search take from one message's plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The text's digest, for the search documents.
    pub digest: PlainDigest,
    /// What the message says about incidents: a bot's alerts, a person's commands.
    pub signals: Vec<Signal>,
    /// A person gave the all-clear (heard only while an incident is open).
    pub all_clear: bool,
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
    if let Some(value) = encode(&reading) {
        walk.file(key, &value);
    }
    reading
}

/// Signal sources and fields as the file numbers them: a reading naming any other is not
/// filed (it is read again next time).
const SOURCES: [&str; 9] = [
    "alertmanager",
    "datadog",
    "exceptions",
    "logs",
    "nagios",
    "opsgenie",
    "pagerduty",
    "sentry",
    "threshold",
];
const FIELDS: [&str; 4] = ["severity", "lead", "summary", "title"];

/// The value bytes of `reading`, or `None` if it names a source or field [`SOURCES`] and
/// [`FIELDS`] do not.
pub fn encode(reading: &Reading) -> Option<Vec<u8>> {
    let digest = &reading.digest;
    let flags = u8::from(digest.empty) | u8::from(digest.link) << 1 | u8::from(reading.all_clear) << 2;
    let mut out = vec![flags];
    out.extend_from_slice(&digest.hash);
    out.push(u8::try_from(reading.signals.len()).ok()?);
    let index =
        |names: &[&str], name: &str| names.iter().position(|n| *n == name).and_then(|i| u8::try_from(i).ok());
    for signal in &reading.signals {
        match signal {
            Signal::Open { source, key, label, paging } => {
                out.extend([0, index(&SOURCES, source)?]);
                put_str(&mut out, key);
                put_str(&mut out, label);
                out.push(u8::from(*paging));
            }
            Signal::Ack { key } => {
                out.push(1);
                put_option(&mut out, key.as_deref());
            }
            Signal::Mitigate => out.push(2),
            Signal::Resolve { key } => {
                out.push(3);
                put_option(&mut out, key.as_deref());
            }
            Signal::Info { source, label } => {
                out.extend([4, index(&SOURCES, source)?]);
                put_str(&mut out, label);
            }
            Signal::Declare { title } => {
                out.push(5);
                put_option(&mut out, title.as_deref());
            }
            Signal::Set { field, value } => {
                out.extend([6, index(&FIELDS, field)?]);
                put_str(&mut out, value);
            }
        }
    }
    Some(out)
}

/// The reading in `value`, if it is exactly one.
fn decode(value: &[u8]) -> Option<Reading> {
    let mut input = Input(value);
    let flags = input.byte()?;
    let hash: [u8; 16] = input.take(16)?.try_into().ok()?;
    let digest = PlainDigest { hash, empty: flags & 1 != 0, link: flags & 2 != 0 };
    let count = input.byte()?;
    let mut signals = Vec::with_capacity(count.into());
    for _ in 0..count {
        signals.push(match input.byte()? {
            0 => Signal::Open {
                source: name(&mut input, &SOURCES)?,
                key: input.string()?,
                label: input.string()?,
                paging: input.byte()? != 0,
            },
            1 => Signal::Ack { key: input.option()? },
            2 => Signal::Mitigate,
            3 => Signal::Resolve { key: input.option()? },
            4 => Signal::Info { source: name(&mut input, &SOURCES)?, label: input.string()? },
            5 => Signal::Declare { title: input.option()? },
            6 => Signal::Set { field: name(&mut input, &FIELDS)?, value: input.string()? },
            _ => return None,
        });
    }
    (input.0.is_empty() && flags < 8).then_some(Reading { digest, signals, all_clear: flags & 4 != 0 })
}

fn name(input: &mut Input, names: &[&'static str]) -> Option<&'static str> {
    names.get(usize::from(input.byte()?)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(n: u8, signals: Vec<Signal>) -> Reading {
        let digest = PlainDigest { hash: [n; 16], empty: n.is_multiple_of(3), link: n.is_multiple_of(2) };
        Reading { digest, signals, all_clear: n.is_multiple_of(5) }
    }

    #[test]
    fn every_signal_reads_back_as_it_was_filed() {
        let signals = vec![
            Signal::Open {
                source: "pagerduty",
                key: "pagerduty:7".into(),
                label: "Disk full".into(),
                paging: true,
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
            assert_eq!(decode(&encode(&reading).unwrap()), Some(reading));
        }
        let unknown = reading(1, vec![Signal::Info { source: "carrier pigeon", label: String::new() }]);
        assert_eq!(encode(&unknown), None, "a source the file does not number is not filed");
    }
}
