//! URLs that last: a build may not silently drop a URL the previous build published.
//!
//! The previous build's `manifest.json` (the site being replaced, or `--previous-manifest`)
//! lists its URLs and the slug of every channel. Pages of a channel that was renamed get
//! redirect pages at their old URLs; any other page URL that is gone makes the build fail with
//! the list, unless `--allow-removals` says the removal is meant. Content-addressed files
//! (assets, search shards) change names with their content and are not guarded.

use std::collections::BTreeMap;

use crate::output::{Manifest, OutputError, Staging};

/// What [`keep_urls`] did.
#[derive(Debug, Default)]
pub struct Continuity {
    /// Redirect pages written for renamed channels.
    pub redirects: usize,
    /// URLs the previous build published that this one does not, sorted.
    pub removed: Vec<String>,
    /// Files whose content is the same as in the previous build.
    pub unchanged: usize,
}

/// Writes redirects from renamed channels' old URLs and lists the URLs still missing.
/// `channels` maps each published channel's key to its slug now.
pub fn keep_urls(
    previous: &Manifest,
    channels: &BTreeMap<String, String>,
    staging: &mut Staging,
) -> Result<Continuity, OutputError> {
    let mut continuity = Continuity::default();
    // Old page URL → new page URL, for every page of a renamed channel.
    let mut moves: BTreeMap<String, String> = BTreeMap::new();
    for (key, old) in &previous.channels {
        let Some(new) = channels.get(key).filter(|new| *new != old) else { continue };
        let prefix = format!("/c/{old}/");
        for url in previous.urls.keys().filter(|u| u.starts_with(&prefix) && u.ends_with('/')) {
            moves.insert(url.clone(), format!("/c/{new}/{}", &url[prefix.len()..]));
        }
    }
    // Earlier redirects stay, following this build's moves to where their page is now.
    for (from, to) in &previous.redirects {
        let to = moves.get(to).unwrap_or(to).clone();
        moves.insert(from.clone(), to);
    }
    for (from, to) in &moves {
        if staging.has_url(from) || !staging.has_url(to) {
            continue;
        }
        let (old, new) = (channel_of(from), channel_of(to));
        let text = format!("#{old} was renamed; this page is now");
        staging.write_redirect(from, to, &format!("#{old} is now #{new}"), &text)?;
        continuity.redirects += 1;
    }
    let now = staging.hashes_of(previous.urls.keys().map(String::as_str));
    for ((url, hash), now) in previous.urls.iter().zip(now) {
        match now {
            Some(now) => continuity.unchanged += usize::from(now == *hash),
            None if guarded(url) => continuity.removed.push(url.clone()),
            None => {}
        }
    }
    Ok(continuity)
}

/// The channel slug of a `/c/<slug>/…` URL.
fn channel_of(url: &str) -> &str {
    url.strip_prefix("/c/").and_then(|rest| rest.split('/').next()).unwrap_or(url)
}

/// Whether a URL must keep working: not a content-addressed file, whose name changes with it.
fn guarded(url: &str) -> bool {
    let hashed_search = url
        .strip_prefix("/search/")
        .is_some_and(|rest| rest.len() > 2 && rest.as_bytes()[1] == b'-' && rest.contains('/'));
    !url.starts_with("/assets/") && !hashed_search
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn content_addressed_files_are_not_guarded() {
        for url in ["/", "/c/ops/2014/01/17/", "/incidents/feed.xml", "/search/", "/search/manifest.json"] {
            assert!(guarded(url), "{url}");
        }
        for url in ["/assets/style.0123456789.css", "/assets/snapshots/ab.png", "/search/t-0123456789/0.bin"]
        {
            assert!(!guarded(url), "{url}");
        }
    }
}
