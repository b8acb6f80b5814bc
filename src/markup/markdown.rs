//! Chat Markdown (Discord, Mattermost, the generic format) → pulldown-cmark events.
//!
//! pulldown-cmark parses the CommonMark part; then chat conventions are applied to its events:
//! a single newline is a line break, raw HTML is text, images are links, headings are bold
//! paragraphs (pages keep their own heading outline), bare URLs become links, Discord's
//! `<@id>` / `<#id>` / `<:emoji:id>` / `<t:unix:style>` tokens (what DiscordChatExporter writes
//! with `--markdown false`) resolve like Slack's, `__text__` is underlined and `||text||` a
//! spoiler (Discord's meanings), and `:shortcode:` emoji (Mattermost's) are their glyphs.

use std::sync::LazyLock;

use jiff::Timestamp;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

use super::{Context, channel_mention, link, mention, time_element};

/// Discord's control tokens, bare URLs, and `@name` mentions (Mattermost's form).
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"<@!?(?P<user>\d+)>|<@&(?P<role>\d+)>|<#(?P<channel>\d+)>|<a?:(?P<emoji>\w+):\d+>|<t:(?P<time>-?\d+)(?::[tTdDfFR])?>|(?P<url>https?://[^\s<>]+)|\|\|(?P<spoiler>[^|]+(?:\|[^|]+)*?)\|\||:(?P<short>[a-z0-9_+'-]+):|@(?P<at>[A-Za-z0-9][\w.\-]*)",
    )
    .expect("a valid pattern")
});

pub(super) fn events<'a>(src: &'a str, ctx: &Context) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    // pulldown-cmark splits text at `<`, `&` and the like: join it before finding tokens.
    let mut text = String::new();
    // Inside a link, text is the label: no nested links.
    let mut in_link = 0usize;
    // Links with unsafe targets lose their wrapper but keep their text.
    let mut dropped_links = Vec::new();
    let mut html_lines = 0usize;
    let mut in_code = false;
    // Whether each open `Strong` is Discord's `__underline__`.
    let mut underlines = Vec::new();
    for (event, at) in Parser::new_ext(src, Options::ENABLE_STRIKETHROUGH).into_offset_iter() {
        match event {
            Event::Text(t) => {
                text.push_str(&t);
                continue;
            }
            // Raw HTML is shown as the text it is, line by line.
            Event::Html(html) => {
                if html_lines > 0 {
                    flush(&mut text, in_link > 0 || in_code, ctx, &mut out);
                    out.push(Event::HardBreak);
                }
                html_lines += 1;
                text.push_str(html.trim_end_matches('\n'));
                continue;
            }
            Event::InlineHtml(html) => {
                text.push_str(&html);
                continue;
            }
            _ => flush(&mut text, in_link > 0 || in_code, ctx, &mut out),
        }
        match event {
            Event::SoftBreak => out.push(Event::HardBreak),
            Event::Start(Tag::CodeBlock(_)) => {
                in_code = true;
                out.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                out.push(event);
            }
            Event::Start(Tag::HtmlBlock) => {
                html_lines = 0;
                out.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::HtmlBlock) => out.push(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::Strong) => {
                let underline = src[at].starts_with("__");
                underlines.push(underline);
                out.push(if underline { Event::InlineHtml("<u>".into()) } else { event });
            }
            Event::End(TagEnd::Strong) => {
                let underline = underlines.pop() == Some(true);
                out.push(if underline { Event::InlineHtml("</u>".into()) } else { event });
            }
            Event::Start(Tag::Heading { .. }) => {
                out.push(Event::Start(Tag::Paragraph));
                out.push(Event::Start(Tag::Strong));
            }
            Event::End(TagEnd::Heading(_)) => {
                out.push(Event::End(TagEnd::Strong));
                out.push(Event::End(TagEnd::Paragraph));
            }
            Event::Start(Tag::Image { dest_url, .. } | Tag::Link { dest_url, .. }) => {
                let safe = super::is_safe_url(&dest_url);
                dropped_links.push(!safe);
                if safe {
                    in_link += 1;
                    out.push(Event::Start(Tag::Link {
                        link_type: pulldown_cmark::LinkType::Inline,
                        dest_url: super::strip_url_tokens(dest_url.trim()).into(),
                        title: "".into(),
                        id: "".into(),
                    }));
                }
            }
            Event::End(TagEnd::Image | TagEnd::Link) => {
                if dropped_links.pop() == Some(false) {
                    in_link -= 1;
                    out.push(Event::End(TagEnd::Link));
                }
            }
            // Task-list boxes, footnotes, math: not chat; kept as their text.
            Event::TaskListMarker(done) => out.push(Event::Text(if done { "[x] " } else { "[ ] " }.into())),
            Event::FootnoteReference(name) => out.push(Event::Text(format!("[^{name}]").into())),
            Event::InlineMath(m) | Event::DisplayMath(m) => out.push(Event::Code(m)),
            Event::Start(Tag::MetadataBlock(_)) | Event::End(TagEnd::MetadataBlock(_)) => {}
            other => out.push(other),
        }
    }
    flush(&mut text, in_link > 0 || in_code, ctx, &mut out);
    out
}

/// Emits gathered text: tokens resolved, except where it is `raw` (a link's label, code).
fn flush(text: &mut String, raw: bool, ctx: &Context, out: &mut Vec<Event<'_>>) {
    if text.is_empty() {
        return;
    }
    if raw {
        out.push(Event::Text(std::mem::take(text).into()));
    } else {
        tokens(text, ctx, out);
        text.clear();
    }
}

/// Text with Discord tokens and bare URLs resolved.
fn tokens(text: &str, ctx: &Context, out: &mut Vec<Event<'_>>) {
    let mut at = 0;
    for c in TOKEN.captures_iter(text) {
        let whole = c.get(0).expect("group 0 always matches");
        // `@` inside a word (an address) is not a mention.
        let glued = text[..whole.start()].chars().next_back().is_some_and(char::is_alphanumeric);
        if c.name("at").is_some() && glued {
            continue;
        }
        if whole.start() > at {
            out.push(Event::Text(text[at..whole.start()].to_owned().into()));
        }
        at = whole.end();
        if let Some(id) = c.name("user") {
            let name = ctx.user_name(id.as_str()).unwrap_or(id.as_str()).to_owned();
            out.push(mention(&format!("@{name}")));
        } else if c.name("role").is_some() {
            out.push(mention("@role"));
        } else if let Some(id) = c.name("channel") {
            out.push(channel_mention(id.as_str(), ctx));
        } else if let Some(name) = c.name("emoji") {
            out.push(Event::Text(format!(":{}:", name.as_str()).into()));
        } else if let Some(seconds) = c.name("time") {
            match seconds.as_str().parse::<i64>().ok().and_then(|s| Timestamp::from_second(s).ok()) {
                Some(time) => out.push(time_element(time, &time.strftime("%Y-%m-%d %H:%M UTC").to_string())),
                None => out.push(Event::Text(whole.as_str().to_owned().into())),
            }
        } else if let Some(url) = c.name("url") {
            // Sentence punctuation after a URL is not part of it.
            let url = url.as_str();
            let trimmed = super::without_sentence(url);
            link(trimmed, super::strip_url_tokens(trimmed), out);
            at -= url.len() - trimmed.len();
        } else if let Some(hidden) = c.name("spoiler") {
            // The text stays a text event: redaction and search read it like any other.
            out.push(Event::InlineHtml("<span class=\"spoiler\">".into()));
            out.push(Event::Text(hidden.as_str().to_owned().into()));
            out.push(Event::InlineHtml("</span>".into()));
        } else if let Some(name) = c.name("short") {
            if let Some(glyph) = super::mrkdwn::emoji(name.as_str(), None) {
                out.push(Event::Text(glyph.into()));
            } else {
                // Not an emoji (`12:30:45`): the colon may start the next one.
                out.push(Event::Text(":".into()));
                at = whole.start() + 1;
            }
        } else if let Some(name) = c.name("at") {
            // A sentence may end right after the name.
            let name = name.as_str().trim_end_matches('.');
            at = whole.start() + 1 + name.len();
            match (name, ctx.user_name(name)) {
                ("here" | "channel" | "all" | "everyone", _) => out.push(mention(&format!("@{name}"))),
                (_, Some(shown)) => out.push(mention(&format!("@{shown}"))),
                _ => out.push(Event::Text(format!("@{name}").into())),
            }
        }
    }
    if at < text.len() {
        out.push(Event::Text(text[at..].to_owned().into()));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::markup::{ChannelLink, Context, to_html, to_plain};
    use crate::model::{Markup, Text, User};

    fn render(src: &str) -> String {
        let mut users = BTreeMap::new();
        users.insert(
            "discord:42".to_owned(),
            User {
                id: "discord:42".into(),
                name: "Pieter".into(),
                handle: None,
                is_bot: false,
                deleted: false,
            },
        );
        let mut channels = BTreeMap::new();
        channels.insert(
            "discord:7".to_owned(),
            ChannelLink::Published { name: "ops".into(), path: "c/ops/".into() },
        );
        channels.insert("discord:8".to_owned(), ChannelLink::Hidden);
        let ctx = Context { users: &users, channels: &channels, source: "discord", root: "../" };
        to_html(&Text { markup: Markup::Markdown, source: src.into() }, &ctx)
    }

    #[test]
    fn markdown_formatting_and_chat_line_breaks() {
        assert_eq!(
            render("**Bold** *italic* __underline__ ~~gone~~\nnext line"),
            "<p><strong>Bold</strong> <em>italic</em> <u>underline</u> <del>gone</del><br>\nnext line</p>\n"
        );
        assert_eq!(render("```\nlet x = 1;\n```"), "<pre><code>let x = 1;\n</code></pre>\n");
        assert_eq!(render("# Title"), "<p><strong>Title</strong></p>\n");
        assert_eq!(
            render("```\n<@42> https://x.test\n```"),
            "<pre><code>&lt;@42&gt; https://x.test\n</code></pre>\n"
        );
    }

    #[test]
    fn spoilers_hide_and_shortcodes_are_emoji_outside_code() {
        assert_eq!(
            render("||the butler <b>|| did it :rofl: at 12:30:45 `:smile:` :nosuchemoji:"),
            "<p><span class=\"spoiler\">the butler &lt;b&gt;</span> did it 🤣 at 12:30:45 <code>:smile:</code> :nosuchemoji:</p>\n"
        );
        assert_eq!(render("a || b"), "<p>a || b</p>\n", "one bar pair is no spoiler");
        assert_eq!(render("**__both__**"), "<p><strong><u>both</u></strong></p>\n");
    }

    #[test]
    fn html_images_and_unsafe_links_stay_text() {
        assert_eq!(render("<script>alert(1)</script>"), "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
        assert_eq!(render("<div>\nhi\n</div>"), "<p>&lt;div&gt;<br>\nhi<br>\n&lt;/div&gt;</p>\n");
        assert_eq!(render("a <b>bold</b>"), "<p>a &lt;b&gt;bold&lt;/b&gt;</p>\n");
        assert_eq!(render("![graph](javascript:alert(1))"), "<p>graph</p>\n");
        assert_eq!(
            render("[docs](https://x.test/a?token=abc&b=1)"),
            "<p><a href=\"https://x.test/a?b=1\" rel=\"nofollow noopener noreferrer ugc\">docs</a></p>\n"
        );
    }

    #[test]
    fn bare_urls_and_discord_tokens_resolve() {
        assert_eq!(
            render("see https://grafana.example.com/d/x. <@42> <#7> <#8> <:party:123> <t:1389978699:R>"),
            "<p>see <a href=\"https://grafana.example.com/d/x\" rel=\"nofollow noopener noreferrer ugc\">https://grafana.example.com/d/x</a>. <span class=\"mention\">@Pieter</span> <a class=\"channel\" href=\"../c/ops/\" rel=\"nofollow noopener noreferrer ugc\">#ops</a> <span class=\"mention\">#private-channel</span> :party: <time datetime=\"2014-01-17T17:11:39Z\">2014-01-17 17:11 UTC</time></p>\n"
        );
        let users = BTreeMap::new();
        let channels = BTreeMap::new();
        let ctx = Context { users: &users, channels: &channels, source: "discord", root: "" };
        assert_eq!(to_plain(&Text { markup: Markup::Markdown, source: "**a** <@9>".into() }, &ctx), "a @9");
    }

    #[test]
    fn at_names_of_known_people_are_mentions() {
        assert_eq!(
            render("@42 thanks, @here. mail me at me@42.example or @nobody."),
            "<p><span class=\"mention\">@Pieter</span> thanks, <span class=\"mention\">@here</span>. mail me at me@42.example or @nobody.</p>\n"
        );
    }
}
