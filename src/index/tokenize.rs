//! The tokenizer for ops chat, shared by indexing, queries, snippets and (mirrored line for
//! line) the JavaScript client in `themes/default/search.js`.
//!
//! Rules, chosen so that JavaScript can reproduce them exactly:
//! 1. A *word* is a maximal run of alphanumeric characters (Rust `char::is_alphanumeric`,
//!    JavaScript `[\p{Alphabetic}\p{N}]`). Each word takes one position.
//! 2. Words joined by single `-`, `.` or `_` characters form an *identifier*
//!    (`metrics-web-prod-513`, `api.cache.metrics.mget.time`, `10.0.3.7`). Besides its words,
//!    each suffix of an identifier that spans two or more words is a token, at the position
//!    of its first word: `a.b.c` gives `a`, `a.b.c`, `b`, `b.c`, `c`. Any run of joined words
//!    is then the start of one of these tokens, so a query for `metrics-web-prod-513` is a
//!    scan of the terms starting with it (exactly, or followed by a joiner). It matches
//!    inside `upstream=metrics-web-prod-513:8081` (`=` and `:` do not join) and inside
//!    `metrics-web-prod-513.prod.internal`, but not in `metrics-web-prod-5130`.
//! 3. A word made of letters then digits or digits then letters (`rr16`, `502s`, `4am`,
//!    `ipv4`; one change only, so hashes stay whole) also gives its two halves as tokens at
//!    its position: `502` finds `502s`, while `rr16` is still one term.
//! 4. Normalisation: lowercase per code point (no final-sigma rule, like tantivy's
//!    `LowerCaser`), then canonical decomposition (NFD) with combining marks removed, so
//!    search is case- and accent-insensitive (`Café` → `cafe`).
//! 5. Tokens of [`MAX_TOKEN_BYTES`] UTF-8 bytes or more are dropped; a dropped word still
//!    takes its position.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The name the tokenizer is registered under in the tantivy index.
pub const TOKENIZER: &str = "scrollback";

/// Tokens this long (in UTF-8 bytes, after normalisation) or longer are not indexed.
pub const MAX_TOKEN_BYTES: usize = 64;

/// Characters that join words into an identifier when they sit alone between two words.
pub const JOINERS: [char; 3] = ['-', '.', '_'];

/// A token: normalised text, position, and where it came from in the original text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tok {
    /// Normalised text (the index term).
    pub text: String,
    /// Position: words count up from 0; an identifier shares its first word's position.
    pub position: u32,
    /// Byte offset of the first character in the original text.
    pub from: usize,
    /// Byte offset just past the last character.
    pub to: usize,
    /// What kind of token it is.
    pub kind: Kind,
}

/// Kinds of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A whole word.
    Word,
    /// The letter or digit half of a word like `502s`.
    Part,
    /// Joined words (`metrics-web-prod-513`) or a suffix of them.
    Identifier,
}

/// Lowercases per code point, decomposes, and drops combining marks.
pub fn normalize(word: &str) -> String {
    // Most of ops chat is ASCII, where all of this is just lowercasing.
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    let lower: String = word.chars().flat_map(char::to_lowercase).collect();
    lower.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

/// Splits `text` into tokens (see the module docs for the rules).
pub fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    // Words of the identifier being built: (from, to, position).
    let mut run: Vec<(usize, usize, u32)> = Vec::new();
    let mut position = 0u32;
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if !c.is_alphanumeric() {
            chars.next();
            continue;
        }
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        // Joined to the previous word by exactly one joiner character?
        let joined = run.last().is_some_and(|&(_, prev_end, _)| {
            let gap = &text[prev_end..start];
            gap.chars().count() == 1 && gap.starts_with(JOINERS)
        });
        if !joined {
            push_identifiers(text, &run, &mut out);
            run.clear();
        }
        push(&mut out, &text[start..end], position, start, end, Kind::Word);
        push_halves(&text[start..end], position, start, &mut out);
        run.push((start, end, position));
        position += 1;
    }
    push_identifiers(text, &run, &mut out);
    // Identifiers were appended after their parts; put each right after its first word.
    out.sort_by_key(|t| (t.position, t.kind));
    out
}

/// `502s` → `502`, `s`: the two halves of a word with exactly one letter/digit change.
fn push_halves(word: &str, position: u32, offset: usize, out: &mut Vec<Tok>) {
    let mut changes = word
        .char_indices()
        .zip(word.chars().skip(1))
        .filter(|((_, a), b)| a.is_numeric() != b.is_numeric())
        .map(|((i, a), _)| i + a.len_utf8());
    if let (Some(at), None) = (changes.next(), changes.next()) {
        push(out, &word[..at], position, offset, offset + at, Kind::Part);
        push(out, &word[at..], position, offset + at, offset + word.len(), Kind::Part);
    }
}

/// Every suffix of a run of two or more joined words.
fn push_identifiers(text: &str, run: &[(usize, usize, u32)], out: &mut Vec<Tok>) {
    let Some(&(_, end, _)) = run.last() else { return };
    for &(from, _, position) in run.iter().rev().skip(1) {
        push(out, &text[from..end], position, from, end, Kind::Identifier);
    }
}

fn push(out: &mut Vec<Tok>, raw: &str, position: u32, from: usize, to: usize, kind: Kind) {
    let text = normalize(raw);
    if !text.is_empty() && text.len() < MAX_TOKEN_BYTES {
        out.push(Tok { text, position, from, to, kind });
    }
}

/// The tokenizer as tantivy sees it.
#[derive(Clone, Default)]
pub struct OpsTokenizer {
    tokens: Vec<Token>,
}

/// Tokens of one text, handed to tantivy one by one.
pub struct OpsTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for OpsTokenizer {
    type TokenStream<'a> = OpsTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> OpsTokenStream<'a> {
        self.tokens.clear();
        self.tokens.extend(tokenize(text).into_iter().map(|t| Token {
            offset_from: t.from,
            offset_to: t.to,
            position: t.position as usize,
            text: t.text,
            position_length: 1,
        }));
        OpsTokenStream { tokens: &mut self.tokens, next: 0 }
    }
}

impl TokenStream for OpsTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<(String, u32)> {
        tokenize(text).into_iter().map(|t| (t.text, t.position)).collect()
    }

    fn owned(list: &[(&str, u32)]) -> Vec<(String, u32)> {
        list.iter().map(|(t, p)| ((*t).to_owned(), *p)).collect()
    }

    #[test]
    fn identifiers_are_indexed_whole_and_in_parts() {
        assert_eq!(
            terms("upstream=metrics-web-prod-513:8081"),
            owned(&[
                ("upstream", 0),
                ("metrics", 1),
                ("metrics-web-prod-513", 1),
                ("web", 2),
                ("web-prod-513", 2),
                ("prod", 3),
                ("prod-513", 3),
                ("513", 4),
                ("8081", 5)
            ])
        );
        assert_eq!(
            terms("ping 10.0.3.7."),
            owned(&[
                ("ping", 0),
                ("10", 1),
                ("10.0.3.7", 1),
                ("0", 2),
                ("0.3.7", 2),
                ("3", 3),
                ("3.7", 3),
                ("7", 4)
            ])
        );
        assert_eq!(terms("rr16 502"), owned(&[("rr16", 0), ("rr", 0), ("16", 0), ("502", 1)]));
        assert_eq!(terms("502s 9f3a2b"), owned(&[("502s", 0), ("502", 0), ("s", 0), ("9f3a2b", 1)]));
        // Double joiners and joiners next to spaces do not join.
        assert_eq!(terms("a--b c. d"), owned(&[("a", 0), ("b", 1), ("c", 2), ("d", 3)]));
    }

    #[test]
    fn case_and_accents_fold() {
        assert_eq!(
            terms("Café ÉCLAIR ΟΔΟΣ İstanbul"),
            owned(&[("cafe", 0), ("eclair", 1), ("οδοσ", 2), ("istanbul", 3)])
        );
    }

    #[test]
    fn long_tokens_are_dropped_but_keep_their_position() {
        let long = "a".repeat(64);
        assert_eq!(terms(&format!("x {long} y")), owned(&[("x", 0), ("y", 2)]));
        let t = tokenize("see api.cache.metrics.mget.time!");
        assert_eq!((t[2].from, t[2].to), (4, 31));
        assert_eq!(t[2].kind, Kind::Identifier);
    }
}
