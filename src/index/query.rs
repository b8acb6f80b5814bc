//! The query language, parsed the same way by `scrollback search` and the search page.
//!
//! ```text
//! kafka latency          both words (AND), ranked by BM25
//! "read replica"         a phrase
//! metrics-web-prod-513   an identifier: found whole, also inside upstream=…:8081
//! repl*                  a prefix (the search page treats the word being typed as one)
//! -staging               exclude
//! channel:ops in:ops     from:peter   has:image has:file has:link   is:incident
//! incident:2014-01-17-ops-1711
//! after:2014-01-01 (exclusive, as in Slack)  before:2014-01-18  on:2014-01-17
//! sort:newest sort:oldest sort:relevance
//! ```
//!
//! Anything that is not a known `key:value` is text: `10:30` and `upstream=x:8081` are
//! searched as phrases of their words. A filter value that does not parse is text too.

use jiff::civil::Date;

use super::tokenize::{Kind, normalize, tokenize};

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// What every hit must contain (these are scored).
    pub required: Vec<Clause>,
    /// What no hit may contain.
    pub excluded: Vec<Clause>,
    /// Channel slugs; a hit is in one of them.
    pub channels: Vec<String>,
    /// Normalised author keys; a hit is by one of them.
    pub from: Vec<String>,
    /// Hits are on days strictly after this one (display zone).
    pub after: Option<Date>,
    /// Hits are on days strictly before this one.
    pub before: Option<Date>,
    /// Hits are on this day.
    pub on: Option<Date>,
    /// `has:` values, all required.
    pub has: Vec<String>,
    /// `is:` values, all required.
    pub is: Vec<String>,
    /// Result order.
    pub sort: Sort,
}

/// One text condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// One term.
    Term(String),
    /// Consecutive terms.
    Phrase(Vec<String>),
    /// Words joined by `-._` as written (see `tokenize`): matched, and scored, as the indexed
    /// identifiers equal to it or continuing it after a joiner.
    Identifier {
        /// The whole identifier as one term.
        whole: String,
        /// Its words, in order.
        parts: Vec<String>,
    },
    /// Any term starting with this.
    Prefix(String),
}

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// By BM25 score, ties by time.
    #[default]
    Relevance,
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

impl Query {
    /// Whether the query can match anything at all (it needs text or a filter).
    pub fn is_empty(&self) -> bool {
        self.required.is_empty()
            && self.channels.is_empty()
            && self.from.is_empty()
            && self.after.is_none()
            && self.before.is_none()
            && self.on.is_none()
            && self.has.is_empty()
            && self.is.is_empty()
    }
}

/// Parses a query. With `prefix_last`, an unquoted last word not followed by a space is a
/// prefix (search as you type).
pub fn parse(input: &str, prefix_last: bool) -> Query {
    let mut query = Query::default();
    let mut last_bare_word = None;
    for item in lex(input) {
        last_bare_word = None;
        if let Some((key, value)) = item.filter()
            && apply_filter(&mut query, key, value, item.negated)
        {
            continue;
        }
        let Some(clause) = (if item.quoted { phrase_clause(&item.text) } else { word_clause(&item.text) })
        else {
            continue;
        };
        if item.negated {
            query.excluded.push(clause);
        } else {
            if !item.quoted && matches!(clause, Clause::Term(_)) {
                last_bare_word = Some(query.required.len());
            }
            query.required.push(clause);
        }
    }
    if prefix_last
        && !input.ends_with(char::is_whitespace)
        && let Some(i) = last_bare_word
        && let Clause::Term(t) = &query.required[i]
    {
        query.required[i] = Clause::Prefix(t.clone());
    }
    query
}

struct Item {
    text: String,
    quoted: bool,
    negated: bool,
}

impl Item {
    fn filter(&self) -> Option<(&str, &str)> {
        if self.quoted {
            return None;
        }
        let (key, value) = self.text.split_once(':')?;
        (!value.is_empty()).then_some((key, value))
    }
}

/// Splits on whitespace, keeping `"quoted phrases"` and `key:"quoted values"` together.
fn lex(input: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        if c == '-' {
            chars.next();
            negated = chars.peek().is_some_and(|c| !c.is_whitespace());
            if !negated {
                continue;
            }
        }
        let mut text = String::new();
        let mut quoted = false;
        if chars.peek() == Some(&'"') {
            chars.next();
            quoted = true;
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                text.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '"' && text.ends_with(':') {
                    // key:"a value with spaces"
                    for c in chars.by_ref() {
                        if c == '"' {
                            break;
                        }
                        text.push(c);
                    }
                    break;
                }
                text.push(c);
            }
        }
        items.push(Item { text, quoted, negated });
    }
    items
}

fn apply_filter(query: &mut Query, key: &str, value: &str, negated: bool) -> bool {
    if negated {
        return false;
    }
    let date = || parse_date(value);
    match key.to_ascii_lowercase().as_str() {
        "channel" | "in" => query.channels.push(value.trim_start_matches('#').to_lowercase()),
        "from" => query.from.push(normalize(value.trim_start_matches('@'))),
        "has" => query.has.push(value.to_ascii_lowercase()),
        // An incident id is one more `is:` flag of the incident's messages.
        "is" | "incident" => query.is.push(value.to_ascii_lowercase()),
        "after" => match date() {
            Some(d) => query.after = Some(d),
            None => return false,
        },
        "before" => match date() {
            Some(d) => query.before = Some(d),
            None => return false,
        },
        "on" => match date() {
            Some(d) => query.on = Some(d),
            None => return false,
        },
        "sort" => match value.to_ascii_lowercase().as_str() {
            "newest" | "new" | "recent" => query.sort = Sort::Newest,
            "oldest" | "old" => query.sort = Sort::Oldest,
            "relevance" | "score" => query.sort = Sort::Relevance,
            _ => return false,
        },
        _ => return false,
    }
    true
}

/// `YYYY-MM-DD`, or `YYYY-MM` for the first of the month.
fn parse_date(value: &str) -> Option<Date> {
    let mut parts = value.split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next().map_or(Some(1), |d| d.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    Date::new(year, month, day).ok()
}

fn phrase_clause(text: &str) -> Option<Clause> {
    let words: Vec<String> =
        tokenize(text).into_iter().filter(|t| t.kind == Kind::Word).map(|t| t.text).collect();
    match words.len() {
        0 => None,
        1 => words.into_iter().next().map(Clause::Term),
        _ => Some(Clause::Phrase(words)),
    }
}

fn word_clause(word: &str) -> Option<Clause> {
    if let Some(stem) = word.strip_suffix('*') {
        let tokens = tokenize(stem);
        if let [only] = tokens.iter().filter(|t| t.kind == Kind::Word).collect::<Vec<_>>().as_slice() {
            return Some(Clause::Prefix(only.text.clone()));
        }
        return phrase_clause(stem);
    }
    let tokens = tokenize(word);
    let words: Vec<&super::tokenize::Tok> = tokens.iter().filter(|t| t.kind == Kind::Word).collect();
    let (first, last) = (words.first()?, words.last()?);
    if words.len() == 1 {
        return Some(Clause::Term(first.text.clone()));
    }
    let whole = tokens.iter().find(|t| t.kind == Kind::Identifier && t.from == first.from && t.to == last.to);
    let parts = words.iter().map(|t| t.text.clone()).collect();
    Some(match whole {
        Some(whole) => Clause::Identifier { whole: whole.text.clone(), parts },
        None => Clause::Phrase(parts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(t: &str) -> Clause {
        Clause::Term(t.to_owned())
    }

    #[test]
    fn words_phrases_identifiers_and_exclusions() {
        let q = parse(r#"Kafka "read replica" metrics-web-prod-513 -staging 10:30"#, false);
        assert_eq!(
            q.required,
            vec![
                term("kafka"),
                Clause::Phrase(vec!["read".into(), "replica".into()]),
                Clause::Identifier {
                    whole: "metrics-web-prod-513".into(),
                    parts: vec!["metrics".into(), "web".into(), "prod".into(), "513".into()]
                },
                Clause::Phrase(vec!["10".into(), "30".into()]),
            ]
        );
        assert_eq!(q.excluded, vec![term("staging")]);
    }

    #[test]
    fn filters_and_sort() {
        let q =
            parse("channel:#Ops from:@Peter has:image after:2014-01-01 before:2014-01 sort:newest x", false);
        assert_eq!(q.channels, vec!["ops"]);
        assert_eq!(q.from, vec!["peter"]);
        assert_eq!(q.has, vec!["image"]);
        assert_eq!(q.after, Date::new(2014, 1, 1).ok());
        assert_eq!(q.before, Date::new(2014, 1, 1).ok());
        assert_eq!(q.sort, Sort::Newest);
        assert_eq!(q.required, vec![term("x")]);
        // A value that does not parse is just text.
        assert_eq!(
            parse("after:yesterday", false).required,
            vec![Clause::Phrase(vec!["after".into(), "yesterday".into()])]
        );
    }

    #[test]
    fn the_last_word_is_a_prefix_while_typing() {
        assert_eq!(parse("kafka repl", true).required, vec![term("kafka"), Clause::Prefix("repl".into())]);
        assert_eq!(parse("kafka repl ", true).required, vec![term("kafka"), term("repl")]);
        assert_eq!(parse("repl*", false).required, vec![Clause::Prefix("repl".into())]);
        assert_eq!(
            parse("\"read replica\"", true).required,
            vec![Clause::Phrase(vec!["read".into(), "replica".into()])]
        );
    }
}
