//! People across sources: the config's `[[people]]` say which accounts (`slack:peter`,
//! `irc:pnovak`) are one person, so their messages carry one name wherever they were written
//! and `from:` finds them all.

use std::collections::BTreeMap;

use crate::config::Person;
use crate::model::Archive;

/// Renames every account of each person, and their messages, to the person's name. Returns a
/// warning for each account that matches nobody (a typo, or a source not given this time).
pub fn unify(archive: &mut Archive, people: &[Person]) -> Vec<String> {
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
    for message in archive.channels.iter_mut().flat_map(|c| c.messages.iter_mut()) {
        if let Some(name) = message.author.user.as_ref().and_then(|u| renamed.get(u)) {
            message.author.name.clone_from(name);
        }
    }
    let accounts = people.iter().flat_map(|p| p.accounts.iter());
    accounts
        .zip(matched)
        .filter(|(_, found)| !found)
        .map(|(account, _)| format!("people: no account {account:?} in the inputs"))
        .collect()
}
