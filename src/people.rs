//! People across sources: the config's `[[people]]` say which accounts (`slack:peter`,
//! `irc:pnovak`) are one person, so their messages carry one name wherever they were written
//! and `from:` finds them all.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Person;
use crate::model::{Archive, UserId};

/// What [`unify`] did.
#[derive(Debug, Default)]
pub struct Unified {
    /// Account id → the name of the person it belongs to.
    pub persons: BTreeMap<UserId, String>,
    /// One for each account that matches nobody (a typo, or a source not given this time).
    pub warnings: Vec<String>,
}

/// Renames every account of each person, and their messages, to the person's name.
pub fn unify(archive: &mut Archive, people: &[Person]) -> Unified {
    let mut owner: BTreeMap<&str, &Person> = BTreeMap::new();
    let mut matched = vec![false; people.iter().map(|p| p.accounts.len()).sum()];
    for user in archive.users.values() {
        let source = user.id.split_once(':').map_or("", |(s, _)| s);
        let keys =
            std::iter::once(user.id.clone()).chain(user.handle.iter().map(|h| format!("{source}:{h}")));
        for key in keys {
            let mut index = 0;
            for person in people {
                for account in &person.accounts {
                    if account.eq_ignore_ascii_case(&key) {
                        owner.insert(user.id.as_str(), person);
                        matched[index] = true;
                    }
                    index += 1;
                }
            }
        }
    }
    let renamed: BTreeMap<String, String> =
        owner.into_iter().map(|(id, person)| (id.to_owned(), person.name.clone())).collect();
    for (id, name) in &renamed {
        if let Some(user) = archive.users.get_mut(id) {
            user.name.clone_from(name);
        }
    }
    // One shared name per person for all their messages.
    let shared: BTreeMap<&str, Arc<str>> =
        renamed.iter().map(|(id, name)| (id.as_str(), name.as_str().into())).collect();
    // Most sites rename no one: then no message is looked at.
    let messages =
        archive.channels.iter_mut().filter(|_| !shared.is_empty()).flat_map(|c| c.messages.iter_mut());
    for message in messages {
        if let Some(name) = message.author.user.as_deref().and_then(|u| shared.get(u)) {
            message.author.name = Arc::clone(name);
        }
    }
    let accounts = people.iter().flat_map(|p| p.accounts.iter());
    let warnings = accounts
        .zip(matched)
        .filter(|(_, found)| !found)
        .map(|(account, _)| format!("people: no account {account:?} in the inputs"))
        .collect();
    Unified { persons: renamed, warnings }
}

/// Stable pseudonyms: the same person gets the same name in every build with the same key.
pub mod pseudonyms {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::model::{Archive, Message, MessageId, Names, Thread, UserId};

    const ADJECTIVES: [&str; 64] = [
        "Amber", "Azure", "Bold", "Brave", "Bright", "Brisk", "Calm", "Clever", "Coral", "Cosmic", "Crimson",
        "Curious", "Dapper", "Eager", "Early", "Fancy", "Fern", "Gentle", "Golden", "Grand", "Happy",
        "Hazel", "Honest", "Humble", "Ivory", "Jade", "Jolly", "Keen", "Kind", "Lively", "Lucky", "Lunar",
        "Mellow", "Merry", "Misty", "Modest", "Noble", "Olive", "Patient", "Plucky", "Polar", "Proud",
        "Quick", "Quiet", "Rapid", "Rosy", "Ruby", "Rustic", "Sandy", "Sage", "Silver", "Sleepy", "Snowy",
        "Solar", "Steady", "Sunny", "Swift", "Teal", "Tidy", "Topaz", "Velvet", "Vivid", "Witty", "Zesty",
    ];
    const ANIMALS: [&str; 64] = [
        "Albatross",
        "Alpaca",
        "Badger",
        "Beaver",
        "Bison",
        "Bobcat",
        "Camel",
        "Capybara",
        "Caribou",
        "Cheetah",
        "Condor",
        "Crane",
        "Dingo",
        "Dolphin",
        "Eagle",
        "Egret",
        "Falcon",
        "Ferret",
        "Finch",
        "Fox",
        "Gazelle",
        "Gecko",
        "Gibbon",
        "Heron",
        "Hedgehog",
        "Ibex",
        "Ibis",
        "Jackal",
        "Jaguar",
        "Kestrel",
        "Koala",
        "Lemur",
        "Lynx",
        "Magpie",
        "Marmot",
        "Marten",
        "Meerkat",
        "Mink",
        "Moose",
        "Narwhal",
        "Newt",
        "Ocelot",
        "Otter",
        "Owl",
        "Panda",
        "Pelican",
        "Penguin",
        "Puffin",
        "Quail",
        "Quokka",
        "Raven",
        "Robin",
        "Salmon",
        "Seal",
        "Sparrow",
        "Stoat",
        "Swan",
        "Tapir",
        "Tern",
        "Toucan",
        "Walrus",
        "Wombat",
        "Wren",
        "Yak",
    ];

    /// Who a name belongs to: a person from the config, an account, or a bare name from a source
    /// without accounts.
    fn identity(user: Option<&str>, persons: &BTreeMap<UserId, String>, name: &str) -> String {
        match user {
            Some(id) => persons.get(id).map_or_else(|| format!("user:{id}"), |p| format!("person:{p}")),
            None => format!("name:{name}"),
        }
    }

    /// Replaces the name of every person (bots keep theirs) wherever the archive holds it: accounts,
    /// handles, message authors, card authors, snapshot authors, and message ids built from a user
    /// name (Mattermost's). Mentions follow, since they resolve through the accounts. Names typed
    /// in message text are left alone.
    pub fn apply(archive: &mut Archive, persons: &BTreeMap<UserId, String>, key: &str) {
        let mut of_name: BTreeMap<String, String> = BTreeMap::new();
        let mut identities = BTreeSet::new();
        for user in archive.users.values().filter(|u| !u.is_bot) {
            let who = identity(Some(&user.id), persons, &user.name);
            of_name.entry(user.name.clone()).or_insert_with(|| who.clone());
            identities.insert(who);
        }
        for m in archive.channels.iter().flat_map(|c| &c.messages).filter(|m| !m.author.is_bot) {
            identities.insert(identity(m.author.user.as_deref(), persons, &m.author.name));
        }
        let snapshot_authors = archive.snapshots.iter().filter_map(|s| s.author.as_ref());
        for author in snapshot_authors.filter(|a| !of_name.contains_key(*a)) {
            identities.insert(identity(None, persons, author));
        }
        let names = assign(&identities, key);
        let pseudonym = |who: &str| names[who].clone();
        let mut slugs = BTreeMap::new();
        for user in archive.users.values_mut().filter(|u| !u.is_bot) {
            let name = pseudonym(&identity(Some(&user.id), persons, &user.name));
            let slug = name.to_lowercase().replace(' ', "-");
            let local = user.id.split_once(':').map_or(user.id.as_str(), |(_, l)| l);
            slugs.insert(user.id.clone(), (local.to_owned(), slug.clone()));
            user.handle = user.handle.as_ref().map(|_| slug);
            user.name = name;
        }
        let by_card_name = |name: &str| of_name.get(name).map(|who| pseudonym(who));
        // One shared copy of each pseudonym for the messages' authors.
        let mut shared = Names::default();
        // One pattern per name, however many join and leave messages carry it.
        let mut words: BTreeMap<String, regex::Regex> = BTreeMap::new();
        for channel in &mut archive.channels {
            let mut renamed = BTreeMap::new();
            for m in channel.messages.iter_mut().filter(|m| !m.author.is_bot) {
                let name = pseudonym(&identity(m.author.user.as_deref(), persons, &m.author.name));
                if m.kind.is_system() {
                    // The platform wrote these from the names ("carol joined the channel.").
                    let local = m.author.user.as_deref().and_then(|u| slugs.get(u)).map(|(l, _)| l.as_str());
                    for old in [Some(&*m.author.name), local].into_iter().flatten() {
                        let word = words.entry(old.to_owned()).or_insert_with(|| whole_word(old));
                        m.text.source = word
                            .replace_all(&m.text.source, |c: &regex::Captures| {
                                format!("{}{name}{}", &c[1], &c[2])
                            })
                            .into_owned();
                    }
                }
                m.author.name = shared.get(&name);
                if let Some((local, slug)) = m.author.user.as_deref().and_then(|u| slugs.get(u))
                    && let Some(id) = replace_segment(&m.id, local, slug)
                {
                    renamed.insert(std::mem::replace(&mut m.id, id.clone()), id);
                }
            }
            for m in &mut channel.messages {
                rename_references(m, &renamed);
                for a in &mut m.attachments {
                    if let Some(name) = a.author_name.as_deref().and_then(by_card_name) {
                        a.author_name = Some(name);
                    }
                }
            }
        }
        for author in archive.snapshots.iter_mut().filter_map(|s| s.author.as_mut()) {
            *author = by_card_name(author).unwrap_or_else(|| pseudonym(&identity(None, persons, author)));
        }
    }

    /// `word` as a whole word (not inside a longer name, an address or a handle), with what
    /// surrounds it in groups 1 and 2.
    fn whole_word(word: &str) -> regex::Regex {
        let pattern = format!(r"(^|[^\w.@-]){}($|[^\w@-])", regex::escape(word));
        regex::Regex::new(&pattern).expect("an escaped word is a valid pattern")
    }

    /// `id` with its `-`-delimited segment `local` replaced by `slug`, if it has one.
    pub(super) fn replace_segment(id: &str, local: &str, slug: &str) -> Option<String> {
        let parts: Vec<&str> = id.split('-').collect();
        let local_parts = local.split('-').count();
        (0..parts.len().saturating_sub(local_parts - 1))
            .find(|&i| i > 0 && parts[i..i + local_parts].join("-") == local)
            .map(|i| [&parts[..i], &[slug], &parts[i + local_parts..]].concat().join("-"))
    }

    fn rename_references(message: &mut Message, renamed: &BTreeMap<MessageId, MessageId>) {
        if let Thread::Reply { parent, .. } = &mut message.thread
            && let Some(new) = renamed.get(parent)
        {
            parent.clone_from(new);
        }
        if let Some(new) = message.reply_to.as_ref().and_then(|r| renamed.get(r)) {
            message.reply_to = Some(new.clone());
        }
    }

    /// One pseudonym per identity, drawn from a keyed hash of it. Identities that draw the same
    /// name (likely past a few dozen people: there are 4,096) are told apart by a number, in the
    /// order of their hashes.
    pub(super) fn assign(identities: &BTreeSet<String>, key: &str) -> BTreeMap<String, String> {
        let secret = blake3::derive_key("scrollback 2026-11 pseudonyms", key.as_bytes());
        let mut drawn: BTreeMap<String, Vec<(u64, &String)>> = BTreeMap::new();
        for who in identities {
            let hash = blake3::keyed_hash(&secret, who.as_bytes());
            let n = u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"));
            let name = format!("{} {}", ADJECTIVES[(n % 64) as usize], ANIMALS[((n / 64) % 64) as usize]);
            drawn.entry(name).or_default().push((n, who));
        }
        let mut names = BTreeMap::new();
        for (name, mut holders) in drawn {
            holders.sort();
            for (i, (_, who)) in holders.into_iter().enumerate() {
                let shown = if i == 0 { name.clone() } else { format!("{name} {}", i + 1) };
                names.insert(who.clone(), shown);
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::pseudonyms::{assign, replace_segment};

    #[test]
    fn pseudonyms_are_stable_per_key_and_distinct() {
        let ids: BTreeSet<String> = (0..300).map(|i| format!("user:slack:U{i}")).collect();
        let names = assign(&ids, "k");
        assert_eq!(names, assign(&ids, "k"), "same key, same names");
        let distinct: BTreeSet<&String> = names.values().collect();
        assert_eq!(distinct.len(), 300, "collisions are numbered apart");
        assert!(names.values().any(|n| n.ends_with(" 2")), "300 people in 4,096 names collide");
        let other = assign(&ids, "another key");
        let same = names.iter().filter(|(id, n)| other[*id] == **n).count();
        assert!(same < 10, "a different key gives different names ({same} equal)");
        let one: BTreeSet<String> = ["user:slack:U7".to_owned()].into();
        let alone = &assign(&one, "k")["user:slack:U7"];
        assert!(names["user:slack:U7"].starts_with(alone.as_str()), "others do not change a draw");
    }

    #[test]
    fn user_names_inside_ids_are_replaced_whole() {
        assert_eq!(
            replace_segment("1588-alice", "alice", "amber-otter").as_deref(),
            Some("1588-amber-otter")
        );
        assert_eq!(replace_segment("1588-al-ice-ab12", "al-ice", "x").as_deref(), Some("1588-x-ab12"));
        assert_eq!(replace_segment("1588-alicea", "alice", "x"), None);
        assert_eq!(replace_segment("alice", "alice", "x"), None, "never the leading segment");
    }
}
