//! IRC text logs (formats.md §5): irssi, WeeChat, ZNC, HexChat/XChat (and its scrollback),
//! Limnoria/Supybot and the plain `[HH:MM] <nick> text` form, recognised per file.
//!
//! Logs carry no ids, no zone and often no date on their lines. The day comes from the file
//! name (`2016-06-03.log`, `#qtox_20160603.log.txt`, `2019-10/05.txt`) or from marker lines
//! (`--- Day changed …`, `**** BEGIN LOGGING AT …`); the wall clock is read in the configured
//! zone (`[irc] timezone`). A line without a time (`=== bob is now known as bobby`) takes
//! the time of the line before. A message's id is its second plus its position among the
//! channel's lines of that second, which a log that only grows never changes. Each line is
//! decoded on its own (UTF-8, else Windows-1252, as browsers and irclog2html do) and mIRC
//! colour and format codes are stripped. Hostmasks are never kept: joins and quits read
//! "nick joined".
//!
//! The channel comes from the file name (`#ops.log`), a folder (`#ops/2016-06-03.log`), the
//! log's own lines, or `[[irc.channels]]`. Dated logs that name none (`2020/06/12.log`) log
//! the channel the input is named after when more than two people speak in them or people
//! join and leave; otherwise they are a private query of that name.
//!
//! Lines that cannot be placed in time are counted in the input ledger, which fails the
//! build when an input loses more than its share (`max_dropped`) without `--keep-going`.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use thin_vec::ThinVec;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use regex::Regex;

use super::importer::Importer;
use super::{Ingested, Input, Options};
use crate::model::{Author, Channel, Message, MessageKind, Text, Thread, User, Visibility};

/// The importer's name in the model.
pub const SOURCE: &str = "irc";

/// How many lines recognising a file's style looks at.
const SAMPLE_LINES: usize = 50;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

/// Line styles, each a regex whose groups are the time and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `HH:MM[:SS] <nick> text`, `-!-` events, `--- Day changed` markers.
    Irssi,
    /// `YYYY-MM-DD HH:MM:SS<TAB>prefix<TAB>text`.
    Weechat,
    /// `[HH:MM[:SS]] <nick> text`, `*** Joins:` events (ZNC, irclogs.ubuntu.com).
    Bracketed,
    /// `YYYY-MM-DDTHH:MM:SS  <nick> text`.
    Limnoria,
    /// `mon DD HH:MM:SS <nick> text` under `**** BEGIN LOGGING AT` headers.
    Hexchat,
    /// `T <unix time> text` (`XChat` scrollback files).
    Scrollback,
    /// `<unix time> message #chan nick!user@host text` (dircproxy's log files) or
    /// `@<unix time> <nick!user@host> text` (its older recall logs).
    Dircproxy,
}

static IRSSI: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{2}:\d{2}(?::\d{2})?) (.*)$"));
static WEECHAT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\t([^\t]*)\t?(.*)$"));
static BRACKETED: LazyLock<Regex> = LazyLock::new(|| re(r"^\[(\d{2}:\d{2}(?::\d{2})?)\] (.*)$"));
static LIMNORIA: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})  (.*)$"));
static HEXCHAT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*([A-Za-z]{3}) (\d{1,2}) (\d{2}:\d{2}:\d{2}) (.*)$"));
static SCROLLBACK: LazyLock<Regex> = LazyLock::new(|| re(r"^T (-?\d+) (.*)$"));
static DIRCPROXY: LazyLock<Regex> = LazyLock::new(|| re(r"^@?(\d{9,11}) (.*)$"));

/// `--- Log opened Tue Sep 20 00:01:49 2016`, `--- Day changed Wed Sep 21 2016`,
/// `**** BEGIN LOGGING AT Mon Dec 31 21:11:55 2011` (and its translations).
static MARKER_DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:---|\*\*\*\*|Session Start:) .*?\b([A-Z][a-z]{2}) (\d{1,2})(?: \d{2}:\d{2}:\d{2})? (\d{4})\s*$",
    )
});

/// The client's own notes, not chat: `--- Log closed …`, XChat's `**** END LOGGING AT …` (in
/// any language), mIRC's `Session Close: …` and `Session Ident: #chan`.
static CLIENT_NOTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:--- Log (?:opened|closed)|\*\*\*\* |Session \w+:)"));

impl Style {
    const ALL: [Style; 7] = [
        Style::Weechat,
        Style::Limnoria,
        Style::Scrollback,
        Style::Dircproxy,
        Style::Hexchat,
        Style::Bracketed,
        Style::Irssi,
    ];

    fn regex(self) -> &'static Regex {
        match self {
            Style::Irssi => &IRSSI,
            Style::Weechat => &WEECHAT,
            Style::Bracketed => &BRACKETED,
            Style::Limnoria => &LIMNORIA,
            Style::Hexchat => &HEXCHAT,
            Style::Scrollback => &SCROLLBACK,
            Style::Dircproxy => &DIRCPROXY,
        }
    }

    /// The style most of the first lines are in, if any is.
    fn of(lines: &[String]) -> Option<Style> {
        let sample: Vec<&String> = lines.iter().filter(|l| !l.trim().is_empty()).take(SAMPLE_LINES).collect();
        let score = |style: Style| sample.iter().filter(|l| style.regex().is_match(l)).count();
        let (best, hits) = Style::ALL
            .iter()
            .map(|&s| (s, score(s)))
            .max_by_key(|&(s, n)| (n, std::cmp::Reverse(s as u8)))?;
        // Markers and blank-ish lines aside, most lines must be log lines.
        (hits >= 1 && hits * 2 >= sample.len().min(10)).then_some(best)
    }
}

/// Whether the input holds IRC logs: a text file whose lines are in one of the styles.
pub fn detect(input: &mut Input) -> bool {
    let candidates: Vec<String> = log_files(input).into_iter().take(5).collect();
    candidates.iter().any(|rel| {
        input.peek(rel, 8192).is_ok_and(|head| {
            let lines = decode_lines(&head);
            Style::of(&lines).is_some()
        })
    })
}

/// The files of the input that may be logs: `.log`, `.txt` and `.weechatlog` files, and
/// logs with a suffix after `.log` (eggdrop's `#chan.log.18Oct2024`, a rotated `#chan.log.1`).
fn log_files(input: &Input) -> Vec<String> {
    if let Some(file) = &input.selected {
        return vec![file.clone()];
    }
    input.files().filter(|f| is_log_name(f)).map(str::to_owned).collect()
}

fn is_log_name(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    super::has_extension(name, &["log", "txt", "weechatlog"])
        || name.contains(".log.") && !super::has_extension(name, &["gz", "bz2", "xz", "zip", "zst"])
}

/// The input's files that are neither logs nor notes (README, LICENSE): named in a warning,
/// since they may hold chat this importer does not read (a compressed log).
fn unread_files(input: &Input) -> Vec<String> {
    input.files().filter(|f| !is_log_name(f) && !super::is_note(f)).map(str::to_owned).collect()
}

/// What one file gave: its events with their times, and the lines it could not read.
struct Read {
    events: Vec<(Timestamp, Event)>,
    /// Lines that could not be placed in time (a file with no time at all), and the first
    /// of them (1-based).
    lost: usize,
    first_lost: Option<usize>,
    /// Lines whose time could not be read, kept at the time of the line before.
    retimed: usize,
}

/// Reads one file's lines in `style`, dated by `day` when its name or folder gives one. A
/// line without a time, or with an impossible one, takes the time of the line before (at
/// the top of a file, of the first line with one).
fn read_lines(lines: &[String], style: Style, zone: &TimeZone, day: Option<Date>) -> Read {
    let mut reader = Reader { style, zone, day, dated_by_name: day.is_some(), last: None };
    let mut read = Read { events: Vec::new(), lost: 0, first_lost: None, retimed: 0 };
    let mut previous: Option<Timestamp> = None;
    // Lines before the first time, by line number.
    let mut waiting: Vec<(usize, String)> = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (time, body) = match reader.line(line) {
            Line::Marker => continue,
            Line::Untimed if CLIENT_NOTE.is_match(line) => continue,
            Line::Timed(time, body) => (Some(time), body),
            Line::Untimed => (None, line.clone()),
            Line::Unreadable(body) => {
                read.retimed += 1;
                (None, body)
            }
        };
        if let Some(time) = time {
            for (_, early) in waiting.drain(..) {
                read.events.extend(event(style, &early).map(|e| (time, e)));
            }
            previous = Some(time);
        }
        match previous {
            Some(time) => read.events.extend(event(style, &body).map(|e| (time, e))),
            None => waiting.push((n, body)),
        }
    }
    read.lost = waiting.len();
    read.first_lost = waiting.first().map(|(n, _)| n + 1);
    read
}

/// Imports every log file of the input, reading wall-clock times in `zone`.
pub fn import(input: &mut Input, out: &mut Ingested, options: &Options) {
    let mut channels: BTreeMap<String, Channel> = BTreeMap::new();
    let mut seconds: BTreeMap<(String, i64), u32> = BTreeMap::new();
    let origin = input.origin();
    let unread = if input.selected.is_none() { unread_files(input) } else { Vec::new() };
    if let [first, ..] = unread.as_slice() {
        out.warnings.push(format!(
            "{}: {} file{} not read as IRC logs (not .log, .txt or .weechatlog), the first {first}",
            input.display("").trim_end_matches('/'),
            unread.len(),
            if unread.len() == 1 { "" } else { "s" },
        ));
    }
    for rel in log_files(input) {
        let Some(bytes) = out.read(input, &rel) else {
            continue;
        };
        let lines = decode_lines(&bytes);
        let shown = input.display(&rel);
        let Some(style) = Style::of(&lines) else {
            out.warnings.push(format!("{shown}: not an IRC log in a known style; skipped"));
            continue;
        };
        out.files_read += 1;
        let placed = input.placed(&rel);
        let day = date_from_path(&placed).or_else(|| date_from_path(&origin));
        let read = read_lines(&lines, style, &options.irc_timezone, day);
        report_losses(&read, &shown, style, out);
        let (name, public) = configured(&options.irc_channels, &placed)
            .unwrap_or_else(|| channel_name(&rel, &lines, &origin, &read.events));
        let channel = channels.entry(name.to_lowercase()).or_insert_with(|| new_channel(&name, public));
        for (time, event) in read.events {
            let second = time.as_second();
            let seq = seconds.entry((channel.id.clone(), second)).or_insert(0);
            let id = format!("{second}{seq:03}");
            *seq += 1;
            out.archive.users.entry(user_id(&event.nick)).or_insert_with(|| User {
                id: user_id(&event.nick),
                name: event.nick.clone(),
                handle: Some(event.nick.clone()),
                is_bot: false,
                deleted: false,
            });
            channel.messages.push(message(id, time, event));
        }
    }
    for channel in channels.into_values() {
        out.archive.add_channel(channel);
    }
}

/// Says what a file lost: lines kept at another time (a warning), lines that could not be
/// placed in time at all (the ledger's drops, which fail the build past its share).
fn report_losses(read: &Read, shown: &str, style: Style, out: &mut Ingested) {
    if read.retimed > 0 {
        out.warnings.push(format!(
            "{shown}: {} lines with an impossible time were kept at the time of the line before",
            read.retimed
        ));
    }
    if let Some(first) = read.first_lost {
        out.ledger.drop(
            format!(
                "IRC lines without a date or time (expected a line with a time in the file's style, \
                 {style:?}, and a date from the file name, its folder or a day marker)"
            ),
            Some(read.lost),
            format!("{shown}:{first}"),
        );
    }
}

fn message(id: String, time: Timestamp, event: Event) -> Message {
    Message {
        id,
        time,
        author: Author {
            user: Some(user_id(&event.nick).into()),
            name: event.nick.into(),
            is_bot: event.kind == MessageKind::Bot,
        },
        kind: event.kind,
        text: Text::plain(event.text),
        edited: None,
        reactions: ThinVec::new(),
        attachments: ThinVec::new(),
        files: ThinVec::new(),
        thread: Thread::None,
        pinned: false,
        reply_to: None,
    }
}

/// The channel `[[irc.channels]]` gives a log at `placed`: public, as the user named it.
fn configured(channels: &[(globset::GlobMatcher, String)], placed: &str) -> Option<(String, bool)> {
    let (_, name) = channels.iter().find(|(glob, _)| glob.is_match(placed))?;
    Some((name.trim_start_matches(['#', '&']).to_owned(), true))
}

fn new_channel(name: &str, public: bool) -> Channel {
    Channel {
        source: SOURCE,
        id: name.to_lowercase(),
        name: name.to_owned(),
        // A log not named after a `#channel` is a private query.
        visibility: if public { Visibility::Public } else { Visibility::Direct },
        shared: false,
        topic: None,
        purpose: None,
        created: None,
        archived: false,
        messages: Vec::new(),
    }
}

fn user_id(nick: &str) -> String {
    format!("{SOURCE}:{}", nick.to_lowercase())
}

/// Each line decoded on its own (UTF-8, else Windows-1252), without `\r` or mIRC codes.
fn decode_lines(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == b'\n')
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = match std::str::from_utf8(line) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(line).0,
            };
            strip_codes(&text)
        })
        .collect()
}

/// mIRC formatting: `\x03` with up to two colour numbers, and the other control characters
/// (bold, italic, reset…); tabs are kept, as WeeChat separates columns with them.
fn strip_codes(text: &str) -> String {
    static COLOUR: LazyLock<Regex> = LazyLock::new(|| re(r"\x03(?:\d{1,2}(?:,\d{1,2})?)?"));
    let text = COLOUR.replace_all(text, "");
    text.chars().filter(|&c| c == '\t' || !c.is_control()).collect()
}

/// The channel the file `rel` of an input logs, and whether it is a `#channel` (public)
/// rather than a query. `origin` is the input's name; `events`, what the file says.
fn channel_name(rel: &str, lines: &[String], origin: &str, events: &[(Timestamp, Event)]) -> (String, bool) {
    static HASH: LazyLock<Regex> = LazyLock::new(|| re(r"[#&]+([^\s#&/.,:;_]+(?:-[^\s#&/.,:;_]+)*)"));
    static DATED: LazyLock<Regex> = LazyLock::new(|| re(r"^[\d_.-]+(?:log|txt)?$"));
    static IN_FILE: LazyLock<Regex> = LazyLock::new(|| {
        re(r"(?:talking on|Talking on|joined|Topic for|Speaking now on|Session Ident:) [#&]+([^\s#&,:]+[^\s#&,:.])")
    });
    let mut parts: Vec<&str> = rel.split('/').collect();
    let file = parts.pop().unwrap_or(rel);
    if let Some(c) = HASH.captures(file) {
        return (c[1].to_owned(), true);
    }
    for dir in parts.iter().rev() {
        if let Some(c) = HASH.captures(dir) {
            return (c[1].to_owned(), true);
        }
    }
    if let Some(c) = lines.iter().take(SAMPLE_LINES * 4).find_map(|l| IN_FILE.captures(l)) {
        return (c[1].to_owned(), true);
    }
    let stem = file.split('.').next().unwrap_or(file);
    if !DATED.is_match(stem) {
        return (stem.to_owned(), false);
    }
    // A dated file in a folder (`ZNC: <network>/<window>/2016-06-03.log`) logs its folder, a
    // query when the folder is not a `#channel`.
    if let Some(dir) = parts.iter().rev().find(|d| !DATED.is_match(d) && d.parse::<u32>().is_err()) {
        return ((*dir).to_owned(), false);
    }
    // Only dates in the input: it is the log of one conversation, named after the input, a
    // channel if more than two people speak or people come and go.
    let mut speakers: Vec<&str> = Vec::new();
    let mut comings = false;
    for (_, e) in events {
        comings |= matches!(e.kind, MessageKind::Join | MessageKind::Leave);
        if matches!(e.kind, MessageKind::Normal | MessageKind::Action) && !speakers.contains(&e.nick.as_str()) {
            speakers.push(&e.nick);
        }
    }
    let named = if origin.is_empty() || DATED.is_match(origin) { stem } else { origin };
    (named.to_owned(), comings || speakers.len() > 2)
}

/// A date in the path: `2016-06-03`, `20160603`, `2019-10/05`, `2013/08/03`.
fn date_from_path(rel: &str) -> Option<Date> {
    static PATTERNS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
        [
            re(r"(?:^|[^\d])(\d{4})[-_.](\d{2})[-_.](\d{2})(?:[^\d]|$)"),
            re(r"(?:^|[^\d])(\d{4})[-/](\d{2})/(\d{2})(?:[^\d]|$)"),
            re(r"(?:^|[^\d])(\d{4})(\d{2})(\d{2})(?:[^\d]|$)"),
        ]
    });
    // eggdrop's default suffix: `.18Oct2024`.
    static EGGDROP: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|[^\d])(\d{1,2})([A-Za-z]{3})(\d{4})(?:[^\d]|$)"));
    PATTERNS
        .iter()
        .find_map(|p| {
            let c = p.captures(rel)?;
            Date::new(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?).ok()
        })
        .or_else(|| {
            let c = EGGDROP.captures(rel)?;
            Date::new(c[3].parse().ok()?, month(&c[2])?, c[1].parse().ok()?).ok()
        })
}

fn month(name: &str) -> Option<i8> {
    const NAMES: [[&str; 12]; 4] = [
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
        ["jan", "fév", "mar", "avr", "mai", "jui", "jul", "aoû", "sep", "oct", "nov", "déc"],
        ["jan", "feb", "mär", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "dez"],
    ];
    let lower = name.to_lowercase();
    NAMES
        .iter()
        .find_map(|names| names.iter().position(|m| *m == lower))
        .and_then(|i| i8::try_from(i + 1).ok())
}

/// Reads times: the day from the path or markers, the clock from each line.
struct Reader<'a> {
    style: Style,
    zone: &'a TimeZone,
    day: Option<Date>,
    /// The day came from the file name, so the file is that day alone.
    dated_by_name: bool,
    last: Option<Time>,
}

/// What a line is, as its time goes.
enum Line {
    /// A day marker: it sets the day.
    Marker,
    /// A line with a time, and its text after the time.
    Timed(Timestamp, String),
    /// A line without a time in the file's style.
    Untimed,
    /// A line whose time cannot be read (an impossible clock, no date known), and its text
    /// after the time.
    Unreadable(String),
}

impl Reader<'_> {
    /// A line's time and the text after its timestamp; markers update the day.
    fn line(&mut self, line: &str) -> Line {
        if let Some(c) = MARKER_DATE.captures(line) {
            if let (Some(m), Ok(d), Ok(y)) = (month(&c[1]), c[2].parse::<i8>(), c[3].parse::<i16>())
                && let Ok(date) = Date::new(y, m, d)
            {
                self.day = Some(date);
                self.dated_by_name = false;
                self.last = None;
            }
            return Line::Marker;
        }
        let Some(c) = self.style.regex().captures(line) else { return Line::Untimed };
        let parsed = match self.style {
            Style::Irssi | Style::Bracketed => self.clock(&c[1]).map(|t| (t, c[2].to_owned())),
            Style::Weechat => {
                let at = c[1].parse::<DateTime>().ok();
                at.map(|at| (self.instant(at), format!("{}\t{}", &c[2], &c[3])))
            }
            Style::Limnoria => c[1].parse::<DateTime>().ok().map(|at| (self.instant(at), c[2].to_owned())),
            Style::Hexchat => {
                let day = self.day.and_then(|d| {
                    let m = month(&c[1]).unwrap_or(d.month());
                    Date::new(d.year(), m, c[2].parse().ok()?).ok()
                });
                let time = c[3].parse::<Time>().ok();
                match (day, time) {
                    (Some(day), Some(time)) => Some((self.instant(day.to_datetime(time)), c[4].to_owned())),
                    _ => None,
                }
            }
            Style::Scrollback | Style::Dircproxy => c[1]
                .parse::<i64>()
                .ok()
                .and_then(|s| Timestamp::from_second(s).ok())
                .map(|t| (t, c[2].to_owned())),
        };
        let text = || c.iter().last().flatten().map_or_else(String::new, |m| m.as_str().to_owned());
        parsed.map_or_else(|| Line::Unreadable(text()), |(time, body)| Line::Timed(time, body))
    }

    /// A clock time on the current day; past midnight without a marker, the next day.
    fn clock(&mut self, text: &str) -> Option<Timestamp> {
        let time =
            if text.len() == 5 { format!("{text}:00") } else { text.to_owned() }.parse::<Time>().ok()?;
        let mut day = self.day?;
        if let Some(last) = self.last {
            // A jump back of more than 12 hours is midnight passing, in a log that spans days.
            if !self.dated_by_name && last.hour() >= 12 && time.hour() < 12 && last > time {
                day = day.tomorrow().ok()?;
                self.day = Some(day);
            }
        }
        self.last = Some(time);
        Some(self.instant(day.to_datetime(time)))
    }

    fn instant(&self, at: DateTime) -> Timestamp {
        self.zone.to_ambiguous_timestamp(at).compatible().unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// What a line says.
#[derive(Clone)]
struct Event {
    nick: String,
    kind: MessageKind,
    text: String,
}

/// `<@nick>` → `nick`; `nick!user@host` → `nick`.
fn bare(nick: &str) -> String {
    let nick = nick.trim().trim_start_matches(['~', '&', '@', '%', '+', '!']);
    nick.split('!').next().unwrap_or(nick).to_owned()
}

static SAY: LazyLock<Regex> = LazyLock::new(|| re(r"^<\s*([^>\s]+)\s*>[\t ]?(.*)$"));
static NOTICE: LazyLock<Regex> = LazyLock::new(|| re(r"^-(\S+?)-\s(.*)$"));

/// The event in a line's text, by style; `None` for client chatter that is no message.
fn event(style: Style, body: &str) -> Option<Event> {
    if style == Style::Dircproxy
        && let Some(event) = dircproxy(body)
    {
        return Some(event);
    }
    if style == Style::Weechat {
        let (prefix, text) = body.split_once('\t').unwrap_or(("", body));
        return match prefix.trim() {
            "-->" | "<--" | "--" | "=!=" => system(text),
            "*" => action(text),
            "" => None,
            nick => Some(Event { nick: bare(nick), kind: MessageKind::Normal, text: text.to_owned() }),
        };
    }
    let body = body.trim_start_matches(' ');
    if let Some(c) = SAY.captures(body) {
        return Some(Event { nick: bare(&c[1]), kind: MessageKind::Normal, text: c[2].to_owned() });
    }
    if let Some(rest) = ["-!- ", "*** ", "=== "].iter().find_map(|p| body.strip_prefix(p)) {
        return system(rest);
    }
    if let Some(event) = eggdrop(body) {
        return Some(event);
    }
    for prefix in ["-->", "<--", "---"] {
        if let Some(rest) = body.strip_prefix(prefix) {
            return system(rest.trim_start());
        }
    }
    if let Some(rest) = body.strip_prefix('*') {
        let rest = rest.trim_start_matches(['\t', ' ']);
        // `*` is both an action and, in XChat, a system line.
        return system(rest).filter(|e| e.kind != MessageKind::Event("info".into())).or_else(|| action(rest));
    }
    if let Some(c) = NOTICE.captures(body) {
        return Some(Event { nick: bare(&c[1]), kind: MessageKind::Bot, text: c[2].to_owned() });
    }
    // Anything else the client wrote (a topic's setter, connection notes) is kept as a note.
    info(body)
}

/// dircproxy's log line after its time: `message #chan nick!user@host text`; `None` when the
/// line is in its older form (`<nick!user@host> text`), read like any other client's.
fn dircproxy(body: &str) -> Option<Event> {
    static LINE: LazyLock<Regex> = LazyLock::new(|| {
        re(r"^(message|notice|action|ctcp|join|part|kick|quit|nick|mode|topic|client|server|error) \S+ (\S+) ?(.*)$")
    });
    let c = LINE.captures(body)?;
    let (nick, text) = (bare(&c[2]), c[3].trim().to_owned());
    let (kind, text) = match &c[1] {
        "message" => (MessageKind::Normal, text),
        "notice" => (MessageKind::Bot, text),
        "action" => (MessageKind::Action, text),
        "join" => (MessageKind::Join, format!("{nick} joined")),
        "part" | "quit" => (MessageKind::Leave, format!("{nick} left")),
        "topic" => (MessageKind::Topic, format!("{nick} changed the topic to: {text}")),
        // Modes, CTCPs, the proxy's and the server's notes: quiet notes.
        other => return info(&format!("{other} {text}")),
    };
    Some(Event { nick, kind, text })
}

/// eggdrop's log lines after their time: `nick (user@host) joined #chan.`, `… left #chan
/// (reason).`, `… left irc: reason`, `Nick change: old -> new`, `Action: nick does`, `Topic
/// changed on #chan by nick!user@host: topic`.
fn eggdrop(body: &str) -> Option<Event> {
    static RULES: LazyLock<[Regex; 5]> = LazyLock::new(|| {
        [
            re(r"^(\S+) \([^)]*\) joined [#&]\S*\.$"),
            re(r"^(\S+) \([^)]*\) left (?:[#&]\S*?\.?(?: \((.*)\)\.)?|irc: (.*))$"),
            re(r"^Nick change: (\S+) -> (\S+)$"),
            re(r"^Action: (\S+) (.*)$"),
            re(r"^Topic changed on [#&]\S+ by (\S+): (.*)$"),
        ]
    });
    let (rule, c) = RULES.iter().enumerate().find_map(|(i, r)| Some((i, r.captures(body)?)))?;
    let nick = bare(&c[1]);
    let extra = c.get(2).or_else(|| c.get(3)).map(|m| m.as_str().trim().to_owned()).filter(|s| !s.is_empty());
    let (kind, text) = match rule {
        0 => (MessageKind::Join, format!("{nick} joined")),
        1 => (MessageKind::Leave, with_reason(&format!("{nick} left"), extra.as_ref())),
        2 => (MessageKind::Event("nick".into()), format!("{nick} is now known as {}", extra.unwrap_or_default())),
        3 => (MessageKind::Action, extra.unwrap_or_default()),
        _ => (MessageKind::Topic, format!("{nick} changed the topic to: {}", extra.unwrap_or_default())),
    };
    Some(Event { nick, kind, text })
}

fn info(text: &str) -> Option<Event> {
    let text = text.trim();
    (!text.is_empty()).then(|| Event {
        nick: "*".to_owned(),
        kind: MessageKind::Event("info".into()),
        text: text.to_owned(),
    })
}

fn action(text: &str) -> Option<Event> {
    let (nick, rest) = text.split_once(' ').unwrap_or((text, ""));
    (!nick.is_empty()).then(|| Event { nick: bare(nick), kind: MessageKind::Action, text: rest.to_owned() })
}

/// Joins, parts, quits, nick and topic changes, in each client's wording; hostmasks dropped.
fn system(text: &str) -> Option<Event> {
    static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
        [
            (r"^Joins:? (\S+)", "join"),
            (r"^(\S+) (?:\S+ )?(?:\[[^\]]*\] |\([^)]*\) |<[^>]*> )?has joined", "join"),
            (r"^Parts:? (\S+)(?: \([^)@]*@[^)]*\))?(?: \((.*)\))?$", "part"),
            (r"^(\S+) (?:\[[^\]]*\] |\([^)]*\) |<[^>]*> )?has left \S+(?: \[(.*)\]| \((.*)\))?", "part"),
            (r"^Quits:? (\S+)(?: \([^)@]*@[^)]*\))?(?: \((.*)\))?$", "quit"),
            (r"^(\S+) (?:\[[^\]]*\] |\([^)]*\) |<[^>]*> )?has quit(?: IRC)?(?: \[(.*)\]| \((.*)\))?", "quit"),
            (r"^(\S+) is now known as (\S+)", "nick"),
            (r"^(\S+) (?:changed the topic of \S+ to:|changes topic to|has changed topic for \S+ to|has changed the topic to:) (.*)$", "topic"),
            (r"^(\S+) was kicked", "kick"),
        ]
        .into_iter()
        .map(|(p, k)| (re(p), k))
        .collect()
    });
    for (rule, kind) in RULES.iter() {
        let Some(c) = rule.captures(text) else { continue };
        let nick = bare(&c[1]);
        let extra =
            c.get(2).or_else(|| c.get(3)).map(|m| m.as_str().trim().to_owned()).filter(|s| !s.is_empty());
        let (kind, text) = match *kind {
            "join" => (MessageKind::Join, format!("{nick} joined")),
            "part" => (MessageKind::Leave, with_reason(&format!("{nick} left"), extra.as_ref())),
            "quit" => (MessageKind::Leave, with_reason(&format!("{nick} quit"), extra.as_ref())),
            "nick" => (
                MessageKind::Event("nick".into()),
                format!("{nick} is now known as {}", extra.unwrap_or_default()),
            ),
            "topic" => {
                let topic = extra.unwrap_or_default();
                let topic = topic.trim_matches(|c| c == '\'' || c == '"');
                (MessageKind::Topic, format!("{nick} changed the topic to: {topic}"))
            }
            _ => (MessageKind::Event("kick".into()), text.split(" [").next().unwrap_or(text).to_owned()),
        };
        return Some(Event { nick, kind, text });
    }
    // Modes, server and client notices: kept quietly, without an author.
    info(text)
}

fn with_reason(what: &str, reason: Option<&String>) -> String {
    match reason {
        Some(reason) => format!("{what} ({reason})"),
        None => what.to_owned(),
    }
}

/// This format's entry in [`super::IMPORTERS`].
pub static IMPORTER: Importer = Importer {
    name: "irc",
    reads: "IRC logs",
    root_markers: &[],
    detect,
    import: |input, options, out| import(input, out, options),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn says(style: Style, body: &str) -> (String, String, String) {
        let e = event(style, body).unwrap_or_else(|| panic!("nothing in {body:?}"));
        (e.nick, e.kind.css_name().to_owned(), e.text)
    }

    #[test]
    fn each_clients_wording_becomes_one_event() {
        let s = |nick: &str, kind: &str, text: &str| (nick.to_owned(), kind.to_owned(), text.to_owned());
        assert_eq!(says(Style::Irssi, "<+nemecy> hi"), s("nemecy", "normal", "hi"));
        assert_eq!(
            says(Style::Irssi, "-!- Guest4 [ident@host] has joined #chan"),
            s("Guest4", "join", "Guest4 joined")
        );
        assert_eq!(
            says(Style::Irssi, "-!- nick [ident@host] has quit [Quit: Bye]"),
            s("nick", "leave", "nick quit (Quit: Bye)")
        );
        assert_eq!(says(Style::Irssi, " * nick does something"), s("nick", "action", "does something"));
        assert_eq!(
            says(Style::Bracketed, "*** Joins: in1t3r (~LordShiva@host)"),
            s("in1t3r", "join", "in1t3r joined")
        );
        assert_eq!(
            says(Style::Bracketed, "*** Quits: in1t3r (~L@host) (Remote host closed the connection)"),
            s("in1t3r", "leave", "in1t3r quit (Remote host closed the connection)")
        );
        assert_eq!(
            says(Style::Bracketed, "*** demize- is now known as demize"),
            s("demize-", "event", "demize- is now known as demize")
        );
        assert_eq!(says(Style::Bracketed, "* zetok shrugs"), s("zetok", "action", "shrugs"));
        assert_eq!(
            says(Style::Bracketed, "-qtox-git-spam- notice text"),
            s("qtox-git-spam", "bot", "notice text")
        );
        assert_eq!(
            says(Style::Weechat, "-->\tbob (~bob@example.net) has joined #chan"),
            s("bob", "join", "bob joined")
        );
        assert_eq!(says(Style::Weechat, "@alice\tshipping"), s("alice", "normal", "shipping"));
        assert_eq!(
            says(Style::Weechat, "--\talice has changed topic for #chan to \"new topic\""),
            s("alice", "topic", "alice changed the topic to: new topic")
        );
        assert_eq!(
            says(Style::Hexchat, "<fpi>\tola plas-ing guys!"),
            s("fpi", "normal", "ola plas-ing guys!")
        );
        assert_eq!(
            says(Style::Hexchat, "*\tnick (ident@host) has joined #chan"),
            s("nick", "join", "nick joined")
        );
        assert_eq!(
            says(Style::Limnoria, "*** Ark74 <Ark74!~Luis@177.238.145.140> has joined #ltsp"),
            s("Ark74", "join", "Ark74 joined")
        );
        assert_eq!(says(Style::Limnoria, "*** ryzaja has quit IRC"), s("ryzaja", "leave", "ryzaja quit"));
    }

    #[test]
    fn styles_dates_and_channels_come_from_lines_and_names() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            Style::of(&lines("[13:22:14] <lugarius> hey!\n[13:28:11] * zetok shrugs")),
            Some(Style::Bracketed)
        );
        assert_eq!(
            Style::of(&lines("--- Log opened Tue Sep 20 00:01:49 2016\n01:17 <+nemecy> hi")),
            Some(Style::Irssi)
        );
        assert_eq!(Style::of(&lines("2005-01-08T23:34:46  <mgedmin> let's see")), Some(Style::Limnoria));
        assert_eq!(Style::of(&lines("just some notes\nabout nothing")), None);
        assert_eq!(date_from_path("qtox/2016/06/#qtox_20160603.log.txt"), Date::new(2016, 6, 3).ok());
        assert_eq!(date_from_path("ltsp/2019-10/05.txt"), Date::new(2019, 10, 5).ok());
        assert_eq!(date_from_path("net/#ops/2013-11-04.log"), Date::new(2013, 11, 4).ok());
        assert_eq!(date_from_path("logs/#egg.log.18Oct2024"), Date::new(2024, 10, 18).ok(), "eggdrop");
        assert!(is_log_name("logs/#egg.log.18Oct2024") && is_log_name("#ops.log.1"));
        assert!(!is_log_name("#ops.log.1.gz") && !is_log_name("notes.pdf"));
        assert_eq!(channel_name("qtox/#qtox_20160603.log.txt", &[], "logs", &[]), ("qtox".to_owned(), true));
        assert_eq!(channel_name("irc.libera.#test.weechatlog", &[], "logs", &[]), ("test".to_owned(), true));
        assert_eq!(channel_name("freenode/#parsec-ops/2013-11-04.log", &[], "logs", &[]), ("parsec-ops".to_owned(), true));
        assert_eq!(
            channel_name("freenode/alice/2013-11-04.log", &[], "logs", &[]),
            ("alice".to_owned(), false),
            "a query"
        );
        assert_eq!(strip_codes("\x0303green\x0f \x02bold\x02 \x1ditalic"), "green bold italic");
        assert_eq!(decode_lines(b"caf\xe9 \x80\x9a\nok"), ["café €š", "ok"], "Windows-1252, line by line");
        let said = |nick: &str, kind: MessageKind| {
            (Timestamp::UNIX_EPOCH, Event { nick: nick.to_owned(), kind, text: String::new() })
        };
        let two = [said("ann", MessageKind::Normal), said("bo", MessageKind::Normal)];
        assert_eq!(channel_name("2020/06/12.log", &[], "meetings", &two), ("meetings".to_owned(), false), "a query");
        let three = [two[0].clone(), two[1].clone(), said("cy", MessageKind::Action)];
        assert_eq!(channel_name("2020/06/12.log", &[], "meetings", &three), ("meetings".to_owned(), true));
        let comings = [two[0].clone(), said("cy", MessageKind::Join)];
        assert_eq!(channel_name("2024-10-18.log", &[], "ops", &comings), ("ops".to_owned(), true));
    }
}
