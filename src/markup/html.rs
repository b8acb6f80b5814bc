//! HTML from the source (Matrix's `formatted_body`) → pulldown-cmark events.
//!
//! The HTML is sanitised with the same allow-list as everything else first, which also makes
//! it well-formed; then its links become link events (so their schemes are checked and tokens
//! stripped in one place, and search sees them), its text becomes text events (escaped again
//! on the way out) and its remaining tags pass through as inline HTML. Matrix's reply fallback
//! (`<mx-reply>…</mx-reply>`) is dropped with its content before anything else.

use std::sync::LazyLock;

use pulldown_cmark::{Event, TagEnd};
use regex::Regex;

use super::link;

static REPLY_FALLBACK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<mx-reply>.*?</mx-reply>").expect("a valid pattern"));
static HREF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"href="([^"]*)""#).expect("a valid pattern"));

pub(super) fn events<'a>(src: &str) -> Vec<Event<'a>> {
    let without_fallback = REPLY_FALLBACK.replace_all(src, "");
    let clean = super::clean::sanitize(&without_fallback);
    let mut out = Vec::new();
    let mut rest = clean.as_str();
    // Inside a link whose target was refused, its text is kept and the closing tag dropped.
    let mut links: Vec<bool> = Vec::new();
    while !rest.is_empty() {
        let (text, tag) = match rest.find('<') {
            Some(at) => (&rest[..at], Some(&rest[at..])),
            None => (rest, None),
        };
        if !text.is_empty() {
            out.push(Event::Text(super::unescape(text).into()));
        }
        let Some(tag) = tag else { break };
        let end = tag.find('>').map_or(tag.len(), |e| e + 1);
        let element = &tag[..end];
        rest = &tag[end..];
        let name = element
            .trim_start_matches(['<', '/'])
            .split([' ', '>', '/'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match (name.as_str(), element.starts_with("</")) {
            ("a", false) => {
                let href = HREF.captures(element).map(|c| super::unescape(&c[1])).unwrap_or_default();
                let before = out.len();
                link(&href, String::new(), &mut out);
                // `link` wrote start, empty label, end: keep the start, the label follows.
                let opened = matches!(out.get(before), Some(Event::Start(_)));
                out.truncate(before + usize::from(opened));
                links.push(opened);
            }
            ("a", true) => {
                if links.pop() == Some(true) {
                    out.push(Event::End(TagEnd::Link));
                }
            }
            ("br", _) | ("p" | "li" | "pre" | "blockquote", true) => {
                out.push(Event::InlineHtml(element.to_owned().into()));
                out.push(Event::SoftBreak);
            }
            _ => out.push(Event::InlineHtml(element.to_owned().into())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::markup::{Context, links, to_html, to_plain};
    use crate::model::{Markup, Text};

    fn text(src: &str) -> Text {
        Text { markup: Markup::Html, source: src.into() }
    }

    #[test]
    fn formatted_bodies_are_sanitised_and_their_links_checked() {
        let users = BTreeMap::new();
        let channels = BTreeMap::new();
        let ctx = Context { users: &users, channels: &channels, source: "matrix", root: "" };
        let html = "<mx-reply><blockquote>quoted <b>old</b></blockquote></mx-reply>see <a href='https://x.test/?a=1&amp;token=s'>the <b>graph</b></a> \
                    <a href=\"javascript:alert(1)\">bad</a><script>alert(2)</script><img src=x onerror=alert(3)><br>next";
        assert_eq!(
            to_html(&text(html), &ctx),
            "see <a href=\"https://x.test/?a=1\" rel=\"nofollow noopener noreferrer ugc\">the <b>graph</b></a> bad<br>\nnext"
        );
        assert_eq!(to_plain(&text(html), &ctx), "see the graph bad\nnext");
        assert_eq!(links(&text(html), &ctx), ["https://x.test/?a=1"]);
    }

    #[test]
    fn only_allowed_attributes_survive_on_any_tag() {
        let users = BTreeMap::new();
        let channels = BTreeMap::new();
        let ctx = Context { users: &users, channels: &channels, source: "matrix", root: "" };
        // Found by the `markup` fuzz target: ammonia's empty builder still allowed `title`
        // and `lang` on every tag.
        let html = "<p title=&#106;avascript:alert(1) lang=en>x</p><span title=\"t\" lang=en>y</span>";
        assert_eq!(to_html(&text(html), &ctx), "<p>x</p>\n<span title=\"t\">y</span>");
    }
}
