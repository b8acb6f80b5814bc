//! Snippets: the part of a message around its matches, with the matches marked. The search
//! page builds its snippets the same way (`themes/default/search.js`).

use std::collections::BTreeSet;

use super::tokenize::tokenize;

/// Longest snippet, in characters.
pub const SNIPPET_CHARS: usize = 180;

/// A piece of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// This piece of the message's plain text (escaped only when written as HTML).
    pub text: String,
    /// Whether it matched the query.
    pub hit: bool,
}

/// The best window of `text` for `terms`: the one starting near the match that has the most
/// distinct terms within reach. Newlines become spaces.
pub fn snippet(text: &str, terms: &BTreeSet<String>) -> Vec<Piece> {
    let text = text.replace('\n', " ");
    let tokens = tokenize(&text);
    let hits: Vec<(usize, usize, &str)> = merge_spans(
        tokens.iter().filter(|t| terms.contains(&t.text)).map(|t| (t.from, t.to, t.text.as_str())).collect(),
    );
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |char_index: usize| chars.get(char_index).map_or(text.len(), |(b, _)| *b);
    let char_of = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
    // Anchor: the hit whose window covers the most distinct terms (earliest wins ties).
    let mut start_char = 0;
    let mut best = 0;
    for (i, (from, _, _)) in hits.iter().enumerate() {
        let window_end = byte_at(char_of(*from) + SNIPPET_CHARS - 30);
        let distinct: BTreeSet<&str> =
            hits[i..].iter().take_while(|(f, _, _)| *f < window_end).map(|(_, _, t)| *t).collect();
        if distinct.len() > best {
            best = distinct.len();
            start_char = char_of(*from).saturating_sub(30);
        }
    }
    // Use the whole window: never stop short of the end when the text would fit.
    start_char = start_char.min(chars.len().saturating_sub(SNIPPET_CHARS));
    // Start at whitespace (so identifiers are not cut), looking back at most 30 characters.
    let floor = start_char.saturating_sub(30);
    while start_char > floor && !chars[start_char - 1].1.is_whitespace() {
        start_char -= 1;
    }
    let end_char = (start_char + SNIPPET_CHARS).min(chars.len());
    let (from, to) = (byte_at(start_char), byte_at(end_char));
    let mut pieces = Vec::new();
    if from > 0 {
        pieces.push(Piece { text: "…".to_owned(), hit: false });
    }
    let mut at = from;
    for (hit_from, hit_to, _) in hits.iter().filter(|(f, t, _)| *f >= from && *t <= to) {
        if *hit_from > at {
            pieces.push(Piece { text: text[at..*hit_from].to_owned(), hit: false });
        }
        pieces.push(Piece { text: text[*hit_from..*hit_to].to_owned(), hit: true });
        at = *hit_to;
    }
    if to > at {
        pieces.push(Piece { text: text[at..to].to_owned(), hit: false });
    }
    if to < text.len() {
        pieces.push(Piece { text: "…".to_owned(), hit: false });
    }
    pieces
}

/// Identifiers overlap their parts; keep the widest span and drop what it covers.
fn merge_spans(mut spans: Vec<(usize, usize, &str)>) -> Vec<(usize, usize, &str)> {
    spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut out: Vec<(usize, usize, &str)> = Vec::new();
    for span in spans {
        match out.last() {
            Some(last) if span.0 < last.1 => {}
            _ => out.push(span),
        }
    }
    out
}

/// The snippet as HTML: text escaped, hits in `<mark>`.
pub fn to_html(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| {
            let text = crate::markup::escape(&p.text);
            if p.hit { format!("<mark>{text}</mark>") } else { text }
        })
        .collect()
}

/// The snippet as plain text.
pub fn to_plain(pieces: &[Piece]) -> String {
    pieces.iter().map(|p| p.text.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn hits_are_marked_and_identifiers_win_over_their_parts() {
        let pieces =
            snippet("502 from upstream=metrics-web-prod-513:8081", &terms(&["metrics-web-prod-513", "prod"]));
        assert_eq!(to_html(&pieces), "502 from upstream=<mark>metrics-web-prod-513</mark>:8081");
    }

    #[test]
    fn long_text_is_cut_around_the_best_match() {
        let text = format!("{} replica lag is high {}", "word ".repeat(80), "tail ".repeat(80));
        let html = to_html(&snippet(&text, &terms(&["replica", "lag"])));
        assert!(html.starts_with("…word"), "{html}");
        assert!(html.contains("<mark>replica</mark> <mark>lag</mark> is high"), "{html}");
        assert!(html.ends_with('…'), "{html}");
    }
}
