//! Hostile chat text (tests/cases/slack/hostile): every page may contain only the tags and
//! attributes the templates and the sanitizer allow, and only safe link targets.

use regex::Regex;

use crate::harness::{Site, case};

#[rustfmt::skip]
const TAGS: &[&str] = &[
    "html", "head", "meta", "title", "link", "script", "body", "a", "header", "div", "p", "span", "main", "nav",
    "h1", "h2", "small", "time", "section", "ul", "li", "article", "details", "summary", "strong", "em", "del",
    "b", "i", "u", "s",
    "code", "pre", "blockquote", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "footer", "br",
    // The header search box and the search page.
    "form", "input", "label", "select", "option", "ol", "noscript",
];
#[rustfmt::skip]
const ATTRIBUTES: &[&str] = &[
    "lang", "charset", "name", "content", "http-equiv", "rel", "href", "src", "defer", "class", "id", "title",
    "datetime", "aria-label", "aria-labelledby", "open", "scope", "abbr", "data-zone",
    // Forms (the header search box and the search page).
    "role", "action", "method", "type", "placeholder", "data-search-box", "autocomplete", "spellcheck", "value",
    "size", "for", "aria-live",
];

#[test]
fn hostile_text_renders_inertly_on_every_page() {
    let site = Site::build(&[case("slack/hostile")], &[]);
    assert_eq!(assert_inert(&site), 7, "home, search, incidents, two channel pages, two day pages");
}

/// Checks every page of `site` holds only allowed tags, attributes, link targets and our own
/// scripts, under our CSP; returns how many pages it read.
pub fn assert_inert(site: &Site) -> usize {
    let any_tag = Regex::new(r"<[a-zA-Z]").unwrap();
    let tag = Regex::new(r#"^<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:="[^"<]*")?)*)\s*>"#).unwrap();
    let attribute = Regex::new(r#"\s+([a-zA-Z-]+)(?:="([^"]*)")?"#).unwrap();
    let mut pages = 0;
    for (path, bytes) in site.files() {
        if !path.ends_with(".html") {
            continue;
        }
        pages += 1;
        let html = String::from_utf8(bytes).unwrap();
        let mut scripts = 0;
        for start in any_tag.find_iter(&html) {
            let rest = &html[start.start()..];
            let caps = tag
                .captures(rest)
                .unwrap_or_else(|| panic!("{path}: malformed tag at {}", &rest[..rest.len().min(80)]));
            let name = &caps[1];
            assert!(TAGS.contains(&name), "{path}: tag <{name}> is not allowed");
            for attr in attribute.captures_iter(&caps[2]) {
                let (key, value) = (&attr[1], attr.get(2).map_or("", |v| v.as_str()));
                assert!(ATTRIBUTES.contains(&key), "{path}: attribute {key} on <{name}>");
                if key == "href" || key == "src" {
                    // `data:,` is the empty favicon in the page head.
                    let empty_icon = name == "link" && value == "data:,";
                    let safe = value.starts_with("https://")
                        || value.starts_with("http://")
                        || !value.contains(':')
                        || empty_icon;
                    assert!(safe, "{path}: unsafe {key}={value:?}");
                }
            }
            if name == "script" {
                scripts += 1;
                assert!(
                    caps[2].contains("assets/scrollback.") || caps[2].contains("assets/search."),
                    "{path}: {}",
                    &caps[0]
                );
            }
        }
        let ours = if path == "search/index.html" { 2 } else { 1 };
        assert_eq!(scripts, ours, "{path}: only our scripts");
        assert!(
            html.contains("content=\"default-src 'self'; script-src 'self'; style-src 'self';"),
            "{path}: CSP"
        );
    }
    pages
}

#[test]
fn hostile_names_are_escaped_in_text_and_attributes() {
    let site = Site::build(&[case("slack/hostile")], &[]);
    let day = site.page("c/general/2020/03/01/");
    assert!(
        day.contains("<span class=\"author\">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</span>"),
        "{day}"
    );
    assert!(day.contains("<span class=\"author\">eve&#39; onmouseover=&#39;alert(2)</span>"), "{day}");
    assert!(
        day.contains("<div class=\"card accent-none\">"),
        "a colour that is not a colour is dropped: {day}"
    );
    assert!(
        day.contains("<div class=\"card-title\">&lt;b&gt;evil title&lt;/b&gt;</div>"),
        "unsafe title link dropped: {day}"
    );
    // The hostile channel gets a harmless slug and an escaped name.
    let home = site.page("");
    assert!(home.contains("<a class=\"channel-name\" href=\"c/---b-onmouseover-alert--chan---x/\">#&quot;&gt;&lt;b onmouseover=alert(&#39;chan&#39;)&gt;x</a>"), "{home}");
}
