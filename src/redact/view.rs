//! The text the rules read: a published value with what hides a secret from a pattern taken
//! out, and a map back to the value's own bytes so that the secret is replaced where it is.
//!
//! What a reader does not see, or sees through, is undone for matching: invisible format
//! characters (zero-width spaces and joiners, soft hyphens, bidirectional marks) are dropped;
//! every other space (no-break, thin, ideographic) reads as a plain space; `%XX` escapes of
//! printable ASCII read as their character, as a link's target is followed; and a backslash
//! before punctuation (a Markdown escape, `ghp\_…`) is dropped, as it is rendered.

use std::borrow::Cow;
use std::ops::Range;

/// A value as the rules read it.
pub struct View<'a> {
    text: Cow<'a, str>,
    /// The value's byte offset of each byte of `text`, and of its end; empty when `text` is
    /// the value itself.
    origin: Vec<usize>,
}

impl<'a> View<'a> {
    /// The view of `value`; borrowed, with no map, when nothing in it needs undoing.
    pub fn of(value: &'a str) -> View<'a> {
        if !value.bytes().any(|b| b >= 0x80 || b == b'%' || b == b'\\') {
            return View { text: Cow::Borrowed(value), origin: Vec::new() };
        }
        let mut text = String::with_capacity(value.len());
        let mut origin = Vec::with_capacity(value.len() + 1);
        let mut chars = value.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let read = match c {
                c if is_invisible(c) => None,
                '\n' | '\r' | '\t' => Some(c),
                c if c.is_whitespace() => Some(' '),
                '%' => match percent_escape(&value[at..]) {
                    Some(decoded) => {
                        chars.nth(1);
                        Some(decoded)
                    }
                    None => Some('%'),
                },
                '\\' if chars.peek().is_some_and(|(_, next)| next.is_ascii_punctuation()) => None,
                c => Some(c),
            };
            if let Some(read) = read {
                origin.extend(std::iter::repeat_n(at, read.len_utf8()));
                text.push(read);
            }
        }
        origin.push(value.len());
        if text == value {
            return View { text: Cow::Borrowed(value), origin: Vec::new() };
        }
        View { text: Cow::Owned(text), origin }
    }

    /// The text to match.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value's bytes that `range` of the view was read from.
    pub fn origin(&self, range: Range<usize>) -> Range<usize> {
        if self.origin.is_empty() { range } else { self.origin[range.start]..self.origin[range.end] }
    }
}

/// Characters that show nothing: Unicode's format characters (`Cf`) and the fillers and
/// joiners that render empty.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// The printable ASCII character `%XX` at the start of `s` stands for.
fn percent_escape(s: &str) -> Option<char> {
    let hex = s.get(1..3)?;
    let byte = u8::from_str_radix(hex, 16).ok().filter(|b| b.is_ascii_graphic() || *b == b' ')?;
    hex.bytes().all(|b| b.is_ascii_hexdigit()).then_some(char::from(byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> String {
        View::of(value).text().to_owned()
    }

    #[test]
    fn what_hides_a_secret_is_undone() {
        assert_eq!(read("gh\u{200B}p_ab\u{2060}c"), "ghp_abc");
        assert_eq!(read("key:\u{A0}v\u{3000}x"), "key: v x");
        assert_eq!(read("ghp%5Fabc%2"), "ghp_abc%2");
        assert_eq!(read("ghp\\_abc \\n"), "ghp_abc \\n");
        assert_eq!(read("plain text"), "plain text");
        assert_eq!(read("100% sure, 日本語"), "100% sure, 日本語");
    }

    #[test]
    fn ranges_map_back_to_the_value() {
        let value = "x gh\u{200B}p%5Fabc y";
        let view = View::of(value);
        let start = view.text().find("ghp_abc").unwrap();
        let range = view.origin(start..start + "ghp_abc".len());
        assert_eq!(&value[range], "gh\u{200B}p%5Fabc");
        let plain = View::of("a ghp_abc");
        assert_eq!(plain.origin(2..9), 2..9);
    }
}
