//! The sanitiser: ammonia with the site's allow-list, the last line of defence for every
//! piece of HTML a message becomes.
//!
//! Parsing every message with html5ever is costly, and almost all of it is HTML our own
//! writer produced from the allow-list. So [`fast`] first reads the HTML as a plain sequence of tags and text. When it
//! is unremarkable (only allowed tags, nested so that the HTML parser builds exactly that
//! tree, the entities the writers use, no control characters), it writes what ammonia would:
//! the same attributes filtered the same way, re-escaped as html5ever serialises. Anything
//! else goes to ammonia. Tests and the `markup` fuzz target hold the fast path to ammonia's
//! output byte for byte.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// What every link gets (ammonia adds it to each `<a>`).
const LINK_REL: &str = "nofollow noopener noreferrer ugc";

/// Tags allowed in published HTML, and where each may stand on the fast path.
const TAGS: &[(&str, Kind)] = &[
    ("p", Kind::Block),
    ("pre", Kind::Block),
    ("blockquote", Kind::Block),
    ("ul", Kind::List),
    ("ol", Kind::List),
    ("li", Kind::Item),
    ("a", Kind::Inline),
    ("strong", Kind::Inline),
    ("em", Kind::Inline),
    ("b", Kind::Inline),
    ("i", Kind::Inline),
    ("u", Kind::Inline),
    ("s", Kind::Inline),
    ("del", Kind::Inline),
    ("code", Kind::Inline),
    ("span", Kind::Inline),
    ("time", Kind::Inline),
    ("br", Kind::Inline),
];

/// Attributes allowed per tag, besides `class`.
const ATTRIBUTES: &[(&str, &str)] = &[("a", "href"), ("time", "datetime"), ("span", "title")];

/// Classes allowed per tag.
const CLASSES: &[(&str, &[&str])] =
    &[("span", &["mention", "emoji", "redacted", "spoiler"]), ("a", &["channel"])];

/// Where a tag may stand on the fast path, so that the HTML parser's tree is the nesting as
/// written: blocks and lists only at the top or in blocks that hold blocks, items only in
/// lists, inline elements anywhere but directly in a list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Block,
    List,
    Item,
    Inline,
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let attributes: HashMap<&str, HashSet<&str>> =
        ATTRIBUTES.iter().map(|&(tag, attribute)| (tag, HashSet::from([attribute]))).collect();
    let classes: HashMap<&str, HashSet<&str>> =
        CLASSES.iter().map(|&(tag, classes)| (tag, classes.iter().copied().collect())).collect();
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(TAGS.iter().map(|&(tag, _)| tag).collect())
        // `empty()` empties only the tags: its default `title` and `lang` on every tag go too.
        .generic_attributes(HashSet::new())
        .tag_attributes(attributes)
        .allowed_classes(classes)
        .url_schemes(HashSet::from(["http", "https"]))
        // Relative links come only from our own channel mentions; user URLs without an
        // http(s) scheme never become links (see `link`).
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some(LINK_REL))
        .strip_comments(true);
    builder
});

/// `html` cleaned to the allow-list.
pub(super) fn sanitize(html: &str) -> String {
    fast(html).unwrap_or_else(|| full(html))
}

/// `html` cleaned by ammonia.
#[doc(hidden)]
pub fn full(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// What [`full`] gives for `html`, without parsing it, or `None` if `html` is anything but
/// plainly within the allow-list.
#[doc(hidden)]
pub fn fast(html: &str) -> Option<String> {
    let mut out = String::with_capacity(html.len() + 64);
    let mut open: Vec<(&str, Kind)> = Vec::new();
    let mut rest = html;
    // The parser drops a line feed right after `<pre>`.
    let mut after_pre = false;
    loop {
        let at = rest.find('<').unwrap_or(rest.len());
        let (text, tail) = rest.split_at(at);
        if !text.is_empty() {
            let in_list = matches!(open.last(), Some((_, Kind::List)));
            if (after_pre && text.starts_with('\n'))
                || (in_list && !text.bytes().all(|b| b.is_ascii_whitespace()))
            {
                return None;
            }
            push_decoded(&mut out, text, Some(Escape::Text))?;
        }
        let Some(tail) = tail.strip_prefix('<') else { break };
        let (tag, after) = tail.split_once('>')?;
        rest = after;
        after_pre = false;
        if let Some(name) = tag.strip_prefix('/') {
            if open.pop().map(|(open, _)| open) != Some(name) || name == "br" {
                return None;
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
            continue;
        }
        let (name, attributes) = tag.split_once(' ').map_or((tag, ""), |(n, a)| (n, a));
        let &(name, kind) = TAGS.iter().find(|(tag, _)| *tag == name)?;
        let parent = open.last().map(|&(_, kind)| kind);
        let fits = match kind {
            Kind::Block | Kind::List => matches!(open.last(), None | Some(("blockquote" | "li", _))),
            Kind::Item => parent == Some(Kind::List),
            Kind::Inline => parent != Some(Kind::List),
        };
        if !fits || (name == "a" && open.iter().any(|(open, _)| *open == "a")) {
            return None;
        }
        out.push('<');
        out.push_str(name);
        if name == "br" {
            if !matches!(attributes, "" | "/") {
                return None;
            }
            out.push('>');
            continue;
        }
        push_attributes(&mut out, name, attributes)?;
        if name == "a" {
            out.push_str(" rel=\"");
            out.push_str(LINK_REL);
            out.push('"');
        }
        out.push('>');
        open.push((name, kind));
        after_pre = name == "pre";
    }
    open.is_empty().then_some(out)
}

/// ` name="value"` pairs as the writers produce them, filtered as ammonia filters them.
fn push_attributes(out: &mut String, tag: &str, mut rest: &str) -> Option<()> {
    let mut seen: Vec<&str> = Vec::new();
    while !rest.is_empty() {
        let (name, after) = rest.trim_start_matches(' ').split_once("=\"")?;
        let (raw, after) = after.split_once('"')?;
        rest = after;
        if name.is_empty()
            || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            || seen.contains(&name)
        {
            return None;
        }
        seen.push(name);
        let mut value = String::with_capacity(raw.len());
        push_decoded(&mut value, raw, None)?;
        let kept = if name == "class" {
            let Some((_, allowed)) = CLASSES.iter().find(|(t, _)| *t == tag) else { continue };
            value.split_ascii_whitespace().filter(|c| allowed.contains(c)).collect::<Vec<_>>().join(" ")
        } else if ATTRIBUTES.contains(&(tag, name)) {
            if name == "href" && !allowed_url(&value) {
                continue;
            }
            value
        } else {
            continue;
        };
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        kept.chars().for_each(|c| push_escaped(out, c, Escape::Attribute));
        out.push('"');
    }
    Some(())
}

/// ammonia's test for a URL attribute: an allowed scheme, or relative.
fn allowed_url(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(url) => matches!(url.scheme(), "http" | "https"),
        Err(e) => e == url::ParseError::RelativeUrlWithoutBase,
    }
}

/// How html5ever escapes what it serialises.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    Text,
    Attribute,
}

/// The entities the writers produce (pulldown-cmark's escapes, ours, ammonia's own output).
const ENTITIES: &[(&str, char)] = &[
    ("&amp;", '&'),
    ("&lt;", '<'),
    ("&gt;", '>'),
    ("&quot;", '"'),
    ("&#39;", '\''),
    ("&#x27;", '\''),
    ("&nbsp;", '\u{a0}'),
];

/// Appends `s` with its entities decoded and, with `escape`, escaped again; `None` on an
/// entity or character the parser reads as anything but itself (other references, control
/// characters, which it rewrites or drops). Runs of ordinary bytes are copied whole.
fn push_decoded(out: &mut String, s: &str, escape: Option<Escape>) -> Option<()> {
    let bytes = s.as_bytes();
    let (mut run, mut at) = (0, 0);
    while at < bytes.len() {
        // ASCII that needs a look, and the lead bytes of U+0080..U+00BF (C1 controls, no-break
        // space) and U+F000..U+FFFF (the byte order mark): never inside a character.
        let special = match bytes[at] {
            b'\n' | b'\t' => false,
            b'&' | b'<' | b'>' | b'"' | 0x7f | 0xc2 | 0xef => true,
            b => b < 0x20,
        };
        if !special {
            at += 1;
            continue;
        }
        out.push_str(&s[run..at]);
        let rest = &s[at..];
        let mut c = rest.chars().next()?;
        let mut len = c.len_utf8();
        if c == '&' {
            let &(entity, decoded) = ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity))?;
            (c, len) = (decoded, entity.len());
        } else if (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}' {
            return None;
        }
        match escape {
            Some(escape) => push_escaped(out, c, escape),
            None => out.push(c),
        }
        at += len;
        run = at;
    }
    out.push_str(&s[run..]);
    Some(())
}

fn push_escaped(out: &mut String, c: char, escape: Escape) {
    match (c, escape) {
        ('&', _) => out.push_str("&amp;"),
        ('\u{a0}', _) => out.push_str("&nbsp;"),
        ('<', _) => out.push_str("&lt;"),
        ('>', _) => out.push_str("&gt;"),
        ('"', Escape::Attribute) => out.push_str("&quot;"),
        (c, _) => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::{fast, full};

    /// Each case is taken by the fast path (or not) and, when taken, gives ammonia's output.
    #[test]
    fn the_fast_path_gives_exactly_what_ammonia_gives() {
        let taken = [
            "<p>plain &amp; simple &lt;b&gt; &quot;quoted&quot; it&#39;s\u{a0}here</p>\n",
            "<p>a<br />\nb</p>\n<blockquote>\n<p>quoted <strong>bold</strong> <em>it</em> <del>x</del></p>\n</blockquote>\n",
            "<pre><code class=\"language-rust\">fn main() {}\n</code></pre>\n",
            "<ul>\n<li>one</li>\n<li><p>two</p>\n<ol>\n<li>deep</li>\n</ol>\n</li>\n</ul>\n",
            "<p><a href=\"https://x.test/?a=1&amp;b=%20&#x27;\" title=\"t\">link <code>c</code></a> \
             <a class=\"channel\" href=\"../../c/ops/\">#ops</a></p>\n",
            "<p><span class=\"mention\">@ana</span> <span class=\"emoji bogus\" title=\"x &lt; y\" lang=\"en\">:)</span> \
             <time datetime=\"2020-01-01T00:00:00Z\">then</time> <span class=\"redacted\">[token redacted]</span></p>\n",
            "<p><b><b><b><b><i>deep</i></b></b></b></b></p>",
            "<a href=\"http://[::1]:8080/x\">ip</a> <a href=\"#m-1\">anchor</a> <a>bare</a>",
            "<p><span title=\"&quot;&amp;&quot;\">q</span></p>",
            "<p>\u{a9} \u{f8ff} \u{e9}\u{a0}&gt; \u{1f600}</p>",
        ];
        for html in taken {
            assert_eq!(fast(html).as_deref(), Some(full(html).as_str()), "{html}");
        }
        let refused = [
            "<p><blockquote>x</blockquote></p>",
            "<b><p>x</p></b>",
            "<p>unclosed",
            "<p>x</b>",
            "<a href=\"https://a\"><a href=\"https://b\">nested</a></a>",
            "<pre>\nfirst line dropped</pre>",
            "<ul>text<li>x</li></ul>",
            "<li>no list</li>",
            "<img src=x onerror=alert(1)>",
            "<script>alert(1)</script>",
            "<!-- c --><p>x</p>",
            "<p>&copy; &#106;</p>",
            "<p>a\rb \0</p>",
            "<p>\u{85}</p>",
            "<p>\u{feff}x</p>",
            "<p title=x>unquoted</p>",
            "</br>",
        ];
        for html in refused {
            assert_eq!(fast(html), None, "{html}");
        }
        // A link whose URL ammonia drops keeps its text, without the `href`.
        for html in ["<a href=\"javascript:alert(1)\">x</a>", "<a href=\"https://exa mple/\">x</a>"] {
            assert_eq!(fast(html).as_deref(), Some(full(html).as_str()), "{html}");
        }
    }
}
