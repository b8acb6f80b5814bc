//! The redaction report, `<out>.index/redactions.json`: what was redacted where (rule,
//! channel, permalink, count), never the values, beside the site and never in it.

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;

use super::Redactions;
use crate::layout::Layout;
use crate::store::names::REDACTIONS;

/// Where the report of the site at `out` is.
pub fn path(out: &Path) -> PathBuf {
    crate::output::sidecar_path(out).join(REDACTIONS)
}

/// Writes the report of `redactions` into the sidecar directory `dir`, with each place's
/// permalink in `layout` (times in `tz`).
pub fn write(redactions: &Redactions, layout: &Layout, tz: &TimeZone, dir: &Path) -> std::io::Result<()> {
    let hits: Vec<serde_json::Value> = redactions
        .hits
        .iter()
        .map(|hit| {
            let channel = hit.channel.and_then(|i| layout.channels.get(i));
            // The message's permalink; the channel's page for its topic; nothing for names.
            let url = channel.map(|c| match hit.message.as_deref().and_then(|id| c.by_id.get(id)) {
                Some(message) => c.permalink(message, tz),
                None => crate::layout::channel_path(&c.slug),
            });
            serde_json::json!({
                "rule": hit.rule,
                "channel": channel.map(|c| c.channel.name.as_str()),
                "url": url,
                "count": hit.count,
            })
        })
        .collect();
    let report = serde_json::json!({
        "format": 1,
        "total": redactions.counts.values().sum::<usize>(),
        "rules": redactions.counts,
        "hits": hits,
    });
    let mut text = serde_json::to_string_pretty(&report).expect("JSON values serialize");
    text.push('\n');
    fs_err::write(dir.join(REDACTIONS), text)
}
