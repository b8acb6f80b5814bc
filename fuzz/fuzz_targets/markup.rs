#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use scrollback::markup::{self, Context};
use scrollback::model::{Markup, Text};

const ALLOWED: &[&str] = &[
    "p",
    "br",
    "a",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "del",
    "code",
    "pre",
    "blockquote",
    "span",
    "time",
    "ul",
    "ol",
    "li",
];

// The first byte picks the markup; the rest is the text. Whatever the text, the HTML holds
// no script, no event handler and no javascript: link; and where the sanitiser's fast path
// takes the writer's HTML (or the text itself as HTML), it gives exactly ammonia's output.
fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(source) = std::str::from_utf8(rest) else { return };
    let kind = [Markup::Mrkdwn, Markup::MrkdwnTokens, Markup::Markdown, Markup::Html, Markup::Plain]
        [usize::from(which) % 5];
    let text = Text { markup: kind, source: source.to_owned() };
    let users = BTreeMap::new();
    let channels = BTreeMap::new();
    let ctx = Context { users: &users, channels: &channels, source: "slack", root: "../" };
    let html = markup::to_html(&text, &ctx).to_ascii_lowercase();
    // Text is escaped (in attribute values too), so every `<` opens one of our tags.
    for tag in html.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")) {
        let name = tag.trim_start_matches('/').split([' ', '\n', '\t']).next().unwrap_or("");
        assert!(ALLOWED.contains(&name), "<{tag}> in {html}");
        for (attribute, value) in attributes(&tag[name.len()..]) {
            assert!(!attribute.starts_with("on"), "<{tag}> in {html}");
            assert!(!value.trim_start().starts_with("javascript:"), "<{tag}> in {html}");
        }
    }
    for raw in [markup::writer_html(&text, &ctx), text.source.clone()] {
        if let Some(fast) = markup::sanitize_fast(&raw) {
            assert_eq!(fast, markup::sanitize_full(&raw), "{raw:?}");
        }
    }
    markup::to_inline_html(&text, &ctx);
    markup::to_plain(&text, &ctx);
});

/// `name="value"` pairs of a serialised tag (values are always double-quoted and escaped).
fn attributes(mut rest: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start().trim_start_matches('/');
        if rest.is_empty() {
            return out;
        }
        let end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = &rest[..end];
        rest = &rest[end..];
        let mut value = "";
        if let Some(quoted) = rest.strip_prefix("=\"") {
            let close = quoted.find('"').unwrap_or(quoted.len());
            value = &quoted[..close];
            rest = quoted.get(close + 1..).unwrap_or("");
        }
        out.push((name, value));
    }
}
