//! Each source's markup → safe HTML (and plain text for search and titles).
//!
//! Chat text is untrusted. Every markup language is first parsed into pulldown-cmark
//! [`Event`]s, so there is one HTML writer for all of them (`pulldown_cmark::html`, which
//! escapes text and attributes) and links are built in one place, where their scheme is
//! checked. The writer's output then goes through ammonia with a small allow-list as a last,
//! independent line of defence: no images, no raw-text elements, only
//! http/https links. Nothing is spliced into the HTML after sanitising.

mod clean;
mod html;
mod markdown;
mod mrkdwn;
pub(crate) use mrkdwn::decode as slack_unescape;

#[doc(hidden)]
pub use clean::{fast as sanitize_fast, full as sanitize_full};
pub use mrkdwn::emoji;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};

use crate::model::{Markup, Message, Text, User, UserId};

/// What markup needs from the rest of the archive: names for mentions and links to channels.
pub struct Context<'a> {
    /// Every known user.
    pub users: &'a BTreeMap<UserId, User>,
    /// Every known channel, keyed `"<source>:<id>"`.
    pub channels: &'a BTreeMap<String, ChannelLink>,
    /// The source the text came from (qualifies ids in mentions).
    pub source: &'a str,
    /// Relative path from the page being rendered to the site root (`"../../"`).
    pub root: &'a str,
}

/// How a channel mention renders.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChannelLink {
    /// A published channel: its name and its path from the site root (`c/ops/`).
    Published {
        /// Name without `#`.
        name: String,
        /// Path from the site root.
        path: String,
    },
    /// Known but not published: its name is not shown either.
    Hidden,
}

impl Context<'_> {
    fn user_name(&self, id: &str) -> Option<&str> {
        self.users.get(&format!("{}:{id}", self.source)).map(|u| u.name.as_str())
    }

    fn channel(&self, id: &str) -> Option<&ChannelLink> {
        self.channels.get(&format!("{}:{id}", self.source))
    }
}

/// Renders text to sanitised HTML (block-level: paragraphs, quotes, code blocks).
pub fn to_html(text: &Text, ctx: &Context) -> String {
    if text.is_empty() {
        return String::new();
    }
    clean::sanitize(&writer_html(text, ctx))
}

/// What the HTML writer makes of `text`, before the sanitiser.
#[doc(hidden)]
pub fn writer_html(text: &Text, ctx: &Context) -> String {
    let events = mark_redactions(events(text, ctx));
    let mut html = String::with_capacity(text.source.len() + 32);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

/// Redaction markers (`[token redacted]`) in text, styled so a reader sees what was removed.
fn mark_redactions(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    static MARKER: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"\[(?:[a-z]+ ){0,2}redacted\]").expect("the marker pattern compiles")
    });
    if !events.iter().any(|e| matches!(e, Event::Text(t) if t.contains("redacted]"))) {
        return events;
    }
    let mut out = Vec::with_capacity(events.len() + 2);
    for event in events {
        let Event::Text(text) = &event else {
            out.push(event);
            continue;
        };
        let mut last = 0;
        for found in MARKER.find_iter(text) {
            if found.start() > last {
                out.push(Event::Text(text[last..found.start()].to_owned().into()));
            }
            out.push(Event::InlineHtml(
                format!("<span class=\"redacted\">{}</span>", escape(found.as_str())).into(),
            ));
            last = found.end();
        }
        if last == 0 {
            out.push(event);
        } else if last < text.len() {
            out.push(Event::Text(text[last..].to_owned().into()));
        }
    }
    out
}

/// Renders text without block wrappers, for one-line places (topics, card fields).
pub fn to_inline_html(text: &Text, ctx: &Context) -> String {
    let html = to_html(text, ctx);
    let html = html.trim_end();
    match html.strip_prefix("<p>").and_then(|h| h.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => html.to_owned(),
    }
}

/// The text as a reader sees it, without markup: mentions resolved, links as their labels.
pub fn to_plain(text: &Text, ctx: &Context) -> String {
    plain_and_link(text, ctx).0
}

/// [`to_plain`], and whether the text links anywhere (for `has:link`), from one parse.
fn plain_and_link(text: &Text, ctx: &Context) -> (String, bool) {
    let mut out = String::new();
    let mut link = false;
    for event in events(text, ctx) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::InlineHtml(h) | Event::Html(h) => out.push_str(&strip_tags(&h)),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph) => out.push('\n'),
            Event::Start(Tag::Link { .. }) => link = true,
            _ => {}
        }
    }
    // Trimmed in place: no second copy of every message's text.
    out.truncate(out.trim_end().len());
    let start = out.len() - out.trim_start().len();
    out.drain(..start);
    (out, link)
}

/// Every link target in the text (as published: tokens stripped).
pub fn links(text: &Text, ctx: &Context) -> Vec<String> {
    events(text, ctx)
        .into_iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.into_string()),
            _ => None,
        })
        .collect()
}

/// A message as plain text, for incident rules and search.
pub struct Plain {
    /// Everything a reader sees of the message: the message, then its cards (bot alerts,
    /// unfurls) and its file names, one per line. What search indexes and what incident
    /// rules match.
    pub text: String,
    /// Whether the message's own text links anywhere (for `has:link`).
    pub link: bool,
}

impl Plain {
    /// What the search documents keep of it.
    pub fn digest(&self) -> PlainDigest {
        PlainDigest { hash: text_digest(&self.text), empty: self.text.is_empty(), link: self.link }
    }
}

/// What the search documents need of a message's [`Plain`] text without keeping the text:
/// made where the text is first read (incident detection), so each message is read once a
/// build, not once per use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlainDigest {
    /// [`text_digest`] of the text.
    pub hash: [u8; 16],
    /// Whether the text is empty (no document).
    pub empty: bool,
    /// [`Plain::link`].
    pub link: bool,
}

/// A 128-bit digest of a text, standing for it in hashes of what contains it.
pub fn text_digest(text: &str) -> [u8; 16] {
    let mut hash = [0; 16];
    hash.copy_from_slice(&blake3::hash(text.as_bytes()).as_bytes()[..16]);
    hash
}

/// [`Plain`] for one message from `source` (`users` and `links` resolve mentions).
pub fn plain(
    message: &Message,
    source: &str,
    users: &BTreeMap<UserId, User>,
    links: &BTreeMap<String, ChannelLink>,
) -> Plain {
    message_plain(message, &Context { users, channels: links, source, root: "" })
}

fn message_plain(message: &Message, ctx: &Context) -> Plain {
    let (text, link) = plain_and_link(&message.text, ctx);
    if message.attachments.is_empty() && message.files.is_empty() {
        return Plain { text, link };
    }
    let mut parts = vec![text];
    for a in &message.attachments {
        let plain = |t: &Option<Text>| t.as_ref().map(|t| to_plain(t, ctx));
        parts.extend(plain(&a.pretext));
        parts.extend(a.author_name.clone());
        parts.extend(a.title.clone());
        parts.extend(plain(&a.text));
        for field in &a.fields {
            parts.push(format!("{}: {}", field.title, to_plain(&field.value, ctx)));
        }
        if a.text.is_none() && a.title.is_none() && a.fields.is_empty() {
            parts.extend(a.fallback.clone());
        }
    }
    for file in &message.files {
        parts.extend(file.title.clone());
        parts.push(file.name.clone());
    }
    parts.retain(|p| !p.trim().is_empty());
    Plain { text: parts.join("\n"), link }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    pulldown_cmark_escape::escape_html(&mut out, text).expect("writing to a String cannot fail");
    out
}

/// The entities [`escape`], the sanitiser and the templates write, decoded once (so
/// `&amp;lt;` gives `&lt;`).
pub fn unescape(s: &str) -> String {
    decode_entities(
        s,
        &[
            ("&lt;", "<"),
            ("&gt;", ">"),
            ("&quot;", "\""),
            ("&#39;", "'"),
            ("&#x27;", "'"),
            ("&#x2F;", "/"),
            ("&#x3D;", "="),
            ("&amp;", "&"),
        ],
    )
}

/// Decodes the `entities` in one pass: what a decoded entity becomes is never read again,
/// so `&amp;lt;` gives `&lt;`.
pub(crate) fn decode_entities(s: &str, entities: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some((entity, decoded)) = entities.iter().find(|(entity, _)| rest.starts_with(entity)) {
            out.push_str(decoded);
            rest = &rest[entity.len()..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

fn events<'a>(text: &'a Text, ctx: &Context) -> Vec<Event<'a>> {
    match text.markup {
        Markup::Mrkdwn => mrkdwn::events(&text.source, true, ctx),
        Markup::MrkdwnTokens => mrkdwn::events(&text.source, false, ctx),
        Markup::Markdown => markdown::events(&text.source, ctx),
        Markup::Html => html::events(&text.source),
        Markup::Plain => plain_events(&text.source),
    }
}

/// Plain text (IRC, Campfire): its lines, with the web addresses in them as links.
fn plain_events(source: &str) -> Vec<Event<'_>> {
    let mut out = vec![Event::Start(Tag::Paragraph)];
    for (i, line) in source.lines().enumerate() {
        if i > 0 {
            out.push(Event::HardBreak);
        }
        let mut at = 0;
        for url in bare_urls(line) {
            if url.start > at {
                out.push(Event::Text(line[at..url.start].into()));
            }
            let (start, end) = (url.start, url.end);
            let url = &line[start..end];
            link(url, strip_url_tokens(url), &mut out);
            at = end;
        }
        if at < line.len() || at == 0 {
            out.push(Event::Text(line[at..].into()));
        }
    }
    out.push(Event::End(TagEnd::Paragraph));
    out
}

/// Where the `http://` and `https://` addresses in plain `text` are: up to the first space or
/// angle bracket, without the sentence's punctuation after them ([`without_sentence`]).
pub(crate) fn bare_urls(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    static URL: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r#"(?i)\bhttps?://[^\s<>"]+"#).expect("a valid pattern"));
    URL.find_iter(text).map(|found| found.start()..found.start() + without_sentence(found.as_str()).len())
}

/// A web address found in text, without the sentence's punctuation after it; a closing
/// parenthesis stays when the address opened one (as Wikipedia's do).
pub(crate) fn without_sentence(mut url: &str) -> &str {
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"']);
        let unbalanced =
            trimmed.ends_with(')') && trimmed.matches('(').count() < trimmed.matches(')').count();
        if !unbalanced {
            return trimmed;
        }
        url = &trimmed[..trimmed.len() - 1];
    }
}

/// Only these schemes become links anywhere on the site.
pub fn is_safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Query parameters that carry credentials (compared without case): tokens, passwords and
/// secrets, and the signatures of signed URLs (S3, Google Cloud Storage, `CloudFront`, Azure
/// SAS). Anything else a link carries (`t=1m6s`, `v`, `list`, `page`) is kept.
const CREDENTIAL_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "id_token",
    "refresh_token",
    "auth",
    "auth_token",
    "api_key",
    "apikey",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
];

/// Whether the query parameter `key=value` of a link to `base` carries a credential: one of
/// [`CREDENTIAL_PARAMS`], or Slack's export token in `t` (on Slack's hosts, or an `xox…`
/// token anywhere).
fn is_credential(base: &str, key: &str, value: &str) -> bool {
    if CREDENTIAL_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(key)) {
        return true;
    }
    let slack = || {
        let url = url::Url::parse(base).ok();
        let host = url.as_ref().and_then(url::Url::host_str).unwrap_or("");
        ["slack.com", "slack-files.com", "slack-edge.com"].iter().any(|h| host.ends_with(h))
    };
    key == "t" && (value.starts_with("xox") || slack())
}

/// Removes the credentials a link's query carries ([`is_credential`]); the rest of the link,
/// its order and its fragment stay exactly as written.
pub fn strip_url_tokens(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = query.split_once('#').map_or((query, None), |(q, f)| (q, Some(f)));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            !is_credential(base, key, value)
        })
        .collect();
    let mut out = base.to_owned();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `@name`, styled as a mention.
fn mention<'a>(shown: &str) -> Event<'a> {
    Event::InlineHtml(format!("<span class=\"mention\">{}</span>", escape(shown)).into())
}

/// A channel mention: a link to a published channel, else `#private-channel` (a private
/// channel's name, or one not in the export at all, is not ours to publish).
fn channel_mention<'a>(id: &str, ctx: &Context) -> Event<'a> {
    match ctx.channel(id) {
        Some(ChannelLink::Published { name, path }) => Event::InlineHtml(
            format!(
                "<a class=\"channel\" href=\"{}{}\">#{}</a>",
                escape(ctx.root),
                escape(path),
                escape(name)
            )
            .into(),
        ),
        _ => mention("#private-channel"),
    }
}

/// A `<time>` element showing `shown`.
fn time_element<'a>(time: jiff::Timestamp, shown: &str) -> Event<'a> {
    Event::InlineHtml(
        format!("<time datetime=\"{}\">{}</time>", time.strftime("%Y-%m-%dT%H:%M:%SZ"), escape(shown)).into(),
    )
}

/// A link event triple for `url` labelled `label`, or just the label when the URL is unsafe.
fn link<'a>(url: &str, label: impl Into<CowStr<'a>>, out: &mut Vec<Event<'a>>) {
    if is_safe_url(url) {
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: strip_url_tokens(url.trim()).into(),
            title: "".into(),
            id: "".into(),
        }));
        out.push(Event::Text(label.into()));
        out.push(Event::End(TagEnd::Link));
    } else {
        out.push(Event::Text(label.into()));
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
}

#[cfg(test)]
mod tests {
    use super::{BTreeMap, Context, Text, strip_url_tokens};

    #[test]
    fn plain_text_links_its_web_addresses_without_the_sentence_around_them() {
        let found = |text: &str| super::bare_urls(text).map(|r| text[r].to_owned()).collect::<Vec<_>>();
        assert_eq!(found("see https://x.example/a?b=1&c=2, then"), ["https://x.example/a?b=1&c=2"]);
        assert_eq!(
            found("(docs: https://en.wikipedia.org/wiki/Foo_(bar))."),
            ["https://en.wikipedia.org/wiki/Foo_(bar)"]
        );
        assert_eq!(
            found("<http://a.example/x> and HTTPS://B.example"),
            ["http://a.example/x", "HTTPS://B.example"]
        );
        assert!(found("ftp://x.example and javascript:alert(1)").is_empty());
        let (users, channels) = (BTreeMap::new(), BTreeMap::new());
        let ctx = Context { users: &users, channels: &channels, source: "irc", root: "" };
        let text = Text::plain("runbook https://wiki.example.com/r?t=1m6s now\nno link here");
        assert_eq!(
            super::to_html(&text, &ctx),
            "<p>runbook <a href=\"https://wiki.example.com/r?t=1m6s\" rel=\"nofollow noopener noreferrer ugc\">https://wiki.example.com/r?t=1m6s</a> now<br>\nno link here</p>\n"
        );
        assert_eq!(super::links(&text, &ctx), ["https://wiki.example.com/r?t=1m6s"]);
    }

    #[test]
    fn links_keep_every_parameter_but_credentials() {
        for kept in [
            "https://youtu.be/ID?t=1m6s",
            "https://www.youtube.com/watch?v=abc&list=PL1&t=42",
            "https://grafana.example.com/d/x?orgId=1&from=now-6h&to=now&var-host=db-7",
            "https://docs.example.com/search?q=kafka&page=2#results",
        ] {
            assert_eq!(strip_url_tokens(kept), kept);
        }
        for (url, kept) in [
            (
                "https://files.slack.com/files-pri/T1-F1/x.png?t=xoxe-123",
                "https://files.slack.com/files-pri/T1-F1/x.png",
            ),
            ("https://example.com/x?t=xoxp-1-2&v=3", "https://example.com/x?v=3"),
            ("https://api.example.com/v1?access_token=abc&page=2", "https://api.example.com/v1?page=2"),
            (
                "https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff&X-Amz-Expires=60",
                "https://b.s3.amazonaws.com/k?X-Amz-Expires=60",
            ),
            (
                "https://a.blob.core.windows.net/c/b?sv=2022&se=2024&sig=abc%3D",
                "https://a.blob.core.windows.net/c/b?sv=2022&se=2024",
            ),
            ("https://h/x?Password=hunter2#top", "https://h/x#top"),
        ] {
            assert_eq!(strip_url_tokens(url), kept);
        }
    }

    #[test]
    fn entities_are_decoded_once_and_unknown_ones_kept() {
        assert_eq!(super::unescape("a &lt;b&gt; &amp;lt; &amp;&amp; &#x2F;&#39;"), "a <b> &lt; && /'");
        assert_eq!(super::unescape("AT&T &nbsp; & &;"), "AT&T &nbsp; & &;");
        assert_eq!(super::unescape("ünï&amp;cödé&"), "ünï&cödé&");
    }
}
