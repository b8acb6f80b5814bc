//! Slack `mrkdwn` → pulldown-cmark events (formats.md §1.8).
//!
//! Slack stores text with only `&`, `<`, `>` entity-escaped, and uses raw `<…>` for control
//! sequences (mentions, links, dates). So the order is: split out code blocks, then per line
//! find `<…>` tokens and formatting markers on the still-escaped text, and decode entities
//! exactly once, in the leaves. Formatting (`*bold*`, `_italic_`, `~strike~`) only counts at
//! word boundaries, as in Slack: `snake_case_name` stays as it is.

use jiff::Timestamp;
use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};

use super::{Context, channel_mention, link, mention, time_element};

/// Parses `src`. With `formatting` off, only `<…>` tokens and emoji are recognised (legacy
/// attachment fields not listed in `mrkdwn_in`).
pub(super) fn events<'a>(src: &str, formatting: bool, ctx: &Context) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    for segment in split_code_blocks(src, formatting) {
        match segment {
            Segment::Code(code) => {
                let code = decode(code.strip_prefix('\n').unwrap_or(code));
                out.push(Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced("".into()))));
                out.push(Event::Text(ensure_newline(code).into()));
                out.push(Event::End(TagEnd::CodeBlock));
            }
            Segment::Prose(prose) => blocks(prose, formatting, ctx, &mut out),
        }
    }
    out
}

enum Segment<'s> {
    Code(&'s str),
    Prose(&'s str),
}

/// Splits at ```` ``` ```` fences, which Slack honours anywhere, even mid-line. An unclosed
/// fence is literal text.
fn split_code_blocks(src: &str, formatting: bool) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut rest = src;
    while let (true, Some(open)) = (formatting, rest.find("```")) {
        let Some(close) = rest[open + 3..].find("```") else { break };
        segments.push(Segment::Prose(&rest[..open]));
        segments.push(Segment::Code(&rest[open + 3..open + 3 + close]));
        rest = &rest[open + 3 + close + 3..];
    }
    segments.push(Segment::Prose(rest));
    segments
}

/// Paragraphs (blank-line separated, single newlines kept as line breaks) and `>` quotes.
/// `>>>` quotes everything after it.
fn blocks(prose: &str, formatting: bool, ctx: &Context, out: &mut Vec<Event<'_>>) {
    let mut paragraph: Vec<&str> = Vec::new();
    let mut quote: Vec<&str> = Vec::new();
    let mut lines = prose.split('\n');
    while let Some(line) = lines.next() {
        if formatting {
            if let Some(rest) = line.strip_prefix("&gt;&gt;&gt;") {
                flush_paragraph(&mut paragraph, formatting, ctx, out);
                flush_quote(&mut quote, formatting, ctx, out);
                let mut all = vec![rest.trim_start()];
                all.extend(lines.by_ref());
                quote_block(&all.join("\n"), formatting, ctx, out);
                return;
            }
            if let Some(rest) = line.strip_prefix("&gt;") {
                flush_paragraph(&mut paragraph, formatting, ctx, out);
                quote.push(rest.strip_prefix(' ').unwrap_or(rest));
                continue;
            }
        }
        flush_quote(&mut quote, formatting, ctx, out);
        if line.trim().is_empty() {
            flush_paragraph(&mut paragraph, formatting, ctx, out);
        } else {
            paragraph.push(line);
        }
    }
    flush_paragraph(&mut paragraph, formatting, ctx, out);
    flush_quote(&mut quote, formatting, ctx, out);
}

fn flush_paragraph(lines: &mut Vec<&str>, formatting: bool, ctx: &Context, out: &mut Vec<Event<'_>>) {
    if lines.is_empty() {
        return;
    }
    out.push(Event::Start(Tag::Paragraph));
    for (i, line) in lines.drain(..).enumerate() {
        if i > 0 {
            out.push(Event::HardBreak);
        }
        inline(line, formatting, ctx, out);
    }
    out.push(Event::End(TagEnd::Paragraph));
}

fn flush_quote(lines: &mut Vec<&str>, formatting: bool, ctx: &Context, out: &mut Vec<Event<'_>>) {
    if lines.is_empty() {
        return;
    }
    let text = lines.join("\n");
    lines.clear();
    quote_block(&text, formatting, ctx, out);
}

fn quote_block(text: &str, formatting: bool, ctx: &Context, out: &mut Vec<Event<'_>>) {
    out.push(Event::Start(Tag::BlockQuote(None)));
    let mut lines: Vec<&str> = Vec::new();
    for line in text.split('\n') {
        if line.trim().is_empty() {
            flush_paragraph(&mut lines, formatting, ctx, out);
        } else {
            lines.push(line);
        }
    }
    flush_paragraph(&mut lines, formatting, ctx, out);
    out.push(Event::End(TagEnd::BlockQuote(None)));
}

/// Inline content of one line.
fn inline(s: &str, formatting: bool, ctx: &Context, out: &mut Vec<Event<'_>>) {
    let mut text = String::new();
    let mut i = 0;
    while i < s.len() {
        // Runs of ordinary characters are copied whole: only these ASCII bytes start anything.
        let run = s.as_bytes()[i..].iter().position(|b| matches!(b, b'<' | b'`' | b'*' | b'_' | b'~' | b':'));
        let next = run.map_or(s.len(), |n| i + n);
        text.push_str(&s[i..next]);
        i = next;
        let Some(c) = s[i..].chars().next() else { break };
        match c {
            '<' => {
                if let Some(end) = s[i + 1..].find('>') {
                    flush_text(&mut text, out);
                    token(&s[i + 1..i + 1 + end], ctx, out);
                    i += end + 2;
                    continue;
                }
            }
            '`' if formatting => {
                if let Some(end) = s[i + 1..].find('`').filter(|&e| e > 0) {
                    flush_text(&mut text, out);
                    out.push(Event::Code(decode(&s[i + 1..i + 1 + end]).into()));
                    i += end + 2;
                    continue;
                }
            }
            '*' | '_' | '~' if formatting && opens(s, i) => {
                if let Some(close) = closing(s, i, c) {
                    flush_text(&mut text, out);
                    let (start, end) = match c {
                        '*' => (Tag::Strong, TagEnd::Strong),
                        '_' => (Tag::Emphasis, TagEnd::Emphasis),
                        _ => (Tag::Strikethrough, TagEnd::Strikethrough),
                    };
                    out.push(Event::Start(start));
                    inline(&s[i + 1..close], formatting, ctx, out);
                    out.push(Event::End(end));
                    i = close + 1;
                    continue;
                }
            }
            ':' => {
                if let Some((glyph, len)) = emoji_at(&s[i..]) {
                    flush_text(&mut text, out);
                    out.push(Event::Text(glyph.into()));
                    i += len;
                    continue;
                }
            }
            _ => {}
        }
        text.push(c);
        i += c.len_utf8();
    }
    flush_text(&mut text, out);
}

fn flush_text(text: &mut String, out: &mut Vec<Event<'_>>) {
    if !text.is_empty() {
        out.push(Event::Text(decode(text).into()));
        text.clear();
    }
}

/// A formatting marker opens at the start or after whitespace/punctuation, before non-space.
/// A doubled marker (`**`, `__`, `~~`, Markdown's habit) is literal text, as Slack shows it:
/// Nagios' `** PROBLEM … **` stays as written.
fn opens(s: &str, i: usize) -> bool {
    let marker = s[i..].chars().next().unwrap_or(' ');
    let before = s[..i].chars().next_back();
    let after = s[i + 1..].chars().next();
    before.is_none_or(|b| !b.is_alphanumeric() && b != marker)
        && after.is_some_and(|a| !a.is_whitespace() && a != marker)
}

/// The closing marker for the one at `open`: after non-space, before a boundary, on the same
/// line, not inside a `<…>` token or a code span.
fn closing(s: &str, open: usize, marker: char) -> Option<usize> {
    let mut j = open + 1;
    while j < s.len() {
        let c = s[j..].chars().next()?;
        match c {
            '<' => j += s[j..].find('>').map_or(1, |e| e + 1),
            '`' => j += s[j + 1..].find('`').map_or(1, |e| e + 2),
            c if c == marker && j > open + 1 => {
                let before = s[..j].chars().next_back();
                let after = s[j + 1..].chars().next();
                let doubled = before == Some(marker) || after == Some(marker);
                if !doubled
                    && before.is_some_and(|b| !b.is_whitespace())
                    && after.is_none_or(|a| !a.is_alphanumeric())
                {
                    return Some(j);
                }
                j += 1;
            }
            _ => j += c.len_utf8(),
        }
    }
    None
}

/// `:name:` or `:name::skin-tone-N:` at the start of `s`, for names the emoji table knows.
fn emoji_at(s: &str) -> Option<(String, usize)> {
    let body = &s[1..];
    let end = body.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-' | '\'')))?;
    if end == 0 || !body[end..].starts_with(':') {
        return None;
    }
    let name = &body[..end];
    let mut len = end + 2;
    let tone = s[len..].strip_prefix(":skin-tone-").and_then(|t| {
        let digit = t.chars().next()?;
        t[1..].starts_with(':').then_some(digit)
    });
    if tone.is_some() {
        len += ":skin-tone-N:".len();
    }
    Some((emoji(name, tone)?, len))
}

/// The glyph for a Slack emoji name, with a skin tone from `clap::skin-tone-3` style names.
pub fn emoji(name: &str, tone: Option<char>) -> Option<String> {
    let base = emojis::get_by_shortcode(name).or_else(|| emojis::get_by_shortcode(slack_alias(name)?))?;
    let tone = tone.and_then(|t| match t {
        '2' => Some(emojis::SkinTone::Light),
        '3' => Some(emojis::SkinTone::MediumLight),
        '4' => Some(emojis::SkinTone::Medium),
        '5' => Some(emojis::SkinTone::MediumDark),
        '6' => Some(emojis::SkinTone::Dark),
        _ => None,
    });
    let toned = tone.and_then(|t| base.with_skin_tone(t)).unwrap_or(base);
    Some(toned.as_str().to_owned())
}

/// Slack names that gemoji spells differently.
fn slack_alias(name: &str) -> Option<&'static str> {
    Some(match name {
        "simple_smile" => "slightly_smiling_face",
        "thumbsup_all" => "+1",
        "white_frowning_face" => "frowning_face",
        "skull_and_crossbones" => "skull_and_crossbones",
        _ => return None,
    })
}

/// A `<…>` control sequence.
fn token(inner: &str, ctx: &Context, out: &mut Vec<Event<'_>>) {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(decode(l)).filter(|l| !l.is_empty())),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        let name = match id {
            "here" | "channel" | "everyone" => id.to_owned(),
            _ => ctx.user_name(id).map(str::to_owned).or(label).unwrap_or_else(|| id.to_owned()),
        };
        out.push(mention(&format!("@{}", name.trim_start_matches('@'))));
    } else if let Some(id) = target.strip_prefix('#') {
        out.push(channel_mention(id, ctx));
    } else if let Some(command) = target.strip_prefix('!') {
        special(command, label, out);
    } else {
        let url = decode(target);
        if url.to_ascii_lowercase().starts_with("mailto:") {
            // Addresses are redacted before this point; a mailto link would only point nowhere.
            out.push(Event::Text(label.unwrap_or_else(|| url["mailto:".len()..].to_owned()).into()));
        } else {
            let shown = label.unwrap_or_else(|| super::strip_url_tokens(&url));
            link(&url, shown, out);
        }
    }
}

/// `<!here>`, `<!subteam^S123|@group>`, `<!date^1392734382^{date_num}^link|fallback>`.
fn special(command: &str, label: Option<String>, out: &mut Vec<Event<'_>>) {
    let mut parts = command.split('^');
    match parts.next().unwrap_or("") {
        "here" | "channel" | "everyone" => {
            let name = command.split('^').next().unwrap_or(command);
            out.push(mention(&format!("@{name}")));
        }
        "subteam" => {
            out.push(mention(&format!("@{}", label.as_deref().unwrap_or("group").trim_start_matches('@'))));
        }
        "date" => {
            let time =
                parts.next().and_then(|s| s.parse::<i64>().ok()).and_then(|s| Timestamp::from_second(s).ok());
            let shown = label.unwrap_or_else(|| {
                time.map_or_else(String::new, |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            });
            match time {
                Some(time) => out.push(time_element(time, &shown)),
                None => out.push(Event::Text(shown.into())),
            }
        }
        other => {
            out.push(mention(&format!("@{}", label.as_deref().unwrap_or(other).trim_start_matches('@'))));
        }
    }
}

/// Undoes Slack's three entity escapes, exactly once.
pub(crate) fn decode(s: &str) -> String {
    super::decode_entities(s, &[("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")])
}

fn ensure_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::markup::{ChannelLink, Context, to_html, to_plain};
    use crate::model::{Text, User};

    fn render(src: &str) -> String {
        let mut users = BTreeMap::new();
        users.insert(
            "slack:U1".to_owned(),
            User {
                id: "slack:U1".into(),
                name: "Peter <b>".into(),
                handle: None,
                is_bot: false,
                deleted: false,
            },
        );
        let mut channels = BTreeMap::new();
        channels.insert(
            "slack:C1".to_owned(),
            ChannelLink::Published { name: "ops".into(), path: "c/ops/".into() },
        );
        channels.insert("slack:G1".to_owned(), ChannelLink::Hidden);
        let ctx = Context { users: &users, channels: &channels, source: "slack", root: "../" };
        to_html(&Text::mrkdwn(src), &ctx)
    }

    #[test]
    fn formatting_applies_only_at_word_boundaries() {
        assert_eq!(
            render("*bold* _it_ ~gone~ `x*y*`"),
            "<p><strong>bold</strong> <em>it</em> <del>gone</del> <code>x*y*</code></p>\n"
        );
        assert_eq!(render("api_cache_metrics_time and 2*3*4"), "<p>api_cache_metrics_time and 2*3*4</p>\n");
    }

    #[test]
    fn doubled_markers_are_literal_as_slack_shows_them() {
        assert_eq!(
            render("** PROBLEM Service Alert: web01/HTTP is CRITICAL **"),
            "<p>** PROBLEM Service Alert: web01/HTTP is CRITICAL **</p>\n"
        );
        assert_eq!(render("**bold** ~~strike~~ __under__"), "<p>**bold** ~~strike~~ __under__</p>\n");
        assert_eq!(render("*a* then **b**"), "<p><strong>a</strong> then **b**</p>\n");
        assert_eq!(render("*bold with ** inside*"), "<p><strong>bold with ** inside</strong></p>\n");
    }

    #[test]
    fn entities_are_decoded_once_and_escaped_again() {
        assert_eq!(render("a &lt;script&gt; &amp;amp;"), "<p>a &lt;script&gt; &amp;amp;</p>\n");
    }

    #[test]
    fn tokens_resolve_users_channels_and_links() {
        assert_eq!(
            render("<@U1> in <#C1|ops> and <#G1|secret> see <https://x.test/a?b=1&amp;t=xoxe-1|docs>"),
            "<p><span class=\"mention\">@Peter &lt;b&gt;</span> in <a class=\"channel\" href=\"../c/ops/\" rel=\"nofollow noopener noreferrer ugc\">#ops</a> and <span class=\"mention\">#private-channel</span> see <a href=\"https://x.test/a?b=1\" rel=\"nofollow noopener noreferrer ugc\">docs</a></p>\n"
        );
    }

    #[test]
    fn unsafe_link_schemes_render_as_text() {
        assert_eq!(render("<javascript:alert(1)|click>"), "<p>click</p>\n");
        assert_eq!(render("<data:text/html,x>"), "<p>data:text/html,x</p>\n");
    }

    #[test]
    fn code_blocks_and_quotes() {
        assert_eq!(
            render("look:\n```a <b>\n*c*```"),
            "<p>look:</p>\n<pre><code>a &lt;b&gt;\n*c*\n</code></pre>\n"
        );
        assert_eq!(render("&gt; quoted\nnot"), "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>not</p>\n");
    }

    #[test]
    fn emoji_and_dates() {
        assert_eq!(render(":fire: :clap::skin-tone-3: :nope:"), "<p>🔥 👏🏼 :nope:</p>\n");
        assert_eq!(
            render("<!date^1389978699^{date}|Jan 17>"),
            "<p><time datetime=\"2014-01-17T17:11:39Z\">Jan 17</time></p>\n"
        );
    }

    #[test]
    fn plain_text_resolves_mentions() {
        let users = BTreeMap::new();
        let channels = BTreeMap::new();
        let ctx = Context { users: &users, channels: &channels, source: "slack", root: "" };
        assert_eq!(to_plain(&Text::mrkdwn("*hi* <@U9|sam> <http://x.test|x>"), &ctx), "hi @sam x");
    }
}
