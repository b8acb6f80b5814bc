//! Which conversations are published, decided before anything is indexed or rendered.
//!
//! Safe by default: only public, unshared channels are published unless the
//! config names a conversation; unpublished channels are removed from the archive here, so no
//! later stage can leak them. Their ids stay known as hidden so mentions of them render as
//! `#private-channel`.

use std::collections::BTreeMap;

use crate::config::{ChannelSelection, Publish, glob_match};
use crate::model::{Archive, Channel, Visibility};

/// What the privacy filter kept out, for the build summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// `(name, why)` for every channel not published, sorted by name.
    pub channels: Vec<(String, String)>,
    /// How many channels were not published, by kind (`private channel`, `DM`…): the
    /// summary names conversations only when asked, since build logs are often public.
    pub kinds: BTreeMap<&'static str, usize>,
    /// Names in the config that matched no channel (likely typos).
    pub unmatched_names: Vec<String>,
    /// The kind of each withheld channel, by its id, `"<source>:<id>"` (so mentions can hide
    /// their names).
    pub hidden: BTreeMap<String, &'static str>,
}

impl Withheld {
    /// The ids of the withheld channels, `"<source>:<id>"`.
    pub fn hidden_ids(&self) -> Vec<String> {
        self.hidden.keys().cloned().collect()
    }
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
            Some((kind, why)) => {
                withheld.hidden.insert(crate::layout::channel_key(&channel), kind);
                *withheld.kinds.entry(kind).or_default() += 1;
                withheld.channels.push((channel.name, why));
            }
        }
    }
    withheld.channels.sort();
    withheld.unmatched_names =
        named.into_iter().filter(|(_, seen)| !seen).map(|(n, _)| n.to_owned()).collect();
    withheld
}

/// Why a channel is not published: its kind, and the reason.
fn why_withheld(channel: &Channel, publish: &Publish) -> Option<(&'static str, String)> {
    let name = channel.name.as_str();
    if let Some(pattern) = publish.exclude.iter().find(|p| glob_match(p, name)) {
        return Some(("excluded channel", format!("excluded by pattern {pattern:?}")));
    }
    let named_private = publish.private.iter().any(|n| n == name);
    match channel.visibility {
        Visibility::Public if channel.shared && !named_private => Some((
            "shared channel",
            "shared with another organisation; name it in publish.private to publish".to_owned(),
        )),
        Visibility::Public => match &publish.channels {
            ChannelSelection::Named(list) if !list.iter().any(|n| n == name) && !named_private => {
                Some(("unlisted channel", "not listed in publish.channels".to_owned()))
            }
            _ => None,
        },
        other if !named_private => {
            Some((other.label(), format!("{}; name it in publish.private to publish", other.label())))
        }
        _ => None,
    }
}
