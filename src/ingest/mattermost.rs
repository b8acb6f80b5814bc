//! Mattermost bulk export (formats.md §3): JSON Lines (`import.jsonl` from `mmctl export`, in a
//! zip with the attachments under `data/`), one `{"type": T, T: {…}}` object per line.
//!
//! Nothing in the format has an id: teams, channels and users are named, DMs are known only by
//! their member set (in any order), and replies are nested in their root post, unsorted. So a
//! channel's id is `<team>/<name>`, a DM's its sorted members, and a post's id its creation time
//! in milliseconds plus its author (plus a hash of its text in the rare case of a tie), which
//! is stable across exports. Private channels and DMs are unpublished by default.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Deserialize;

use super::{Bodies, Ingested, Input, mimetype_of, parse_json};
use crate::model::{
    Attachment, AttachmentField, Author, Channel, File, Message, MessageKind, Reaction, Text, Thread, User,
    Visibility,
};

/// The importer's name in the model.
pub const SOURCE: &str = "mattermost";

/// Whether the input holds a bulk export: a `.jsonl` or `.json` file whose first line is the
/// `version` object every export starts with.
pub fn detect(input: &mut Input) -> bool {
    let candidates: Vec<String> = export_files(input).into_iter().take(5).collect();
    candidates.iter().any(|rel| {
        input.peek(rel, 4096).is_ok_and(|head| {
            let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
            serde_json::from_slice::<serde_json::Value>(first).is_ok_and(|v| v["type"] == "version")
        })
    })
}

/// The files to import: the one named, or every `.jsonl` (and `.json`) file in the input.
fn export_files(input: &Input) -> Vec<String> {
    if let Some(file) = &input.selected {
        return vec![file.clone()];
    }
    let with = |ext: &str| -> Vec<String> {
        input.files().filter(|f| super::has_extension(f, &[ext])).map(str::to_owned).collect()
    };
    let jsonl = with("jsonl");
    if jsonl.is_empty() { with("json") } else { jsonl }
}

/// Imports every export file of the input.
pub fn import(input: &mut Input, out: &mut Ingested) {
    let mut importer =
        Importer { channels: BTreeMap::new(), bodies: Bodies::default(), taken: BTreeSet::new(), moved: BTreeMap::new() };
    for rel in export_files(input) {
        let Some(bytes) = out.read(input, &rel) else {
            continue;
        };
        out.files_read += 1;
        let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
        let shown = input.display(&rel);
        for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_json::<Line>(&shown, line, "one {\"type\": …} object per line") {
                Ok(parsed) => importer.line(
                    parsed,
                    &mut Files { input, folder: &folder, warnings: &mut out.warnings },
                    &mut out.archive.users,
                ),
                Err(e) => out.problems.push(e.at_line(index + 1)),
            }
        }
    }
    for ((named, put), posts) in &importer.moved {
        out.warnings.push(format!(
            "{}: {posts} post{} the channel {named}, which its team does not own; shown in {put}, \
             the only channel of that name",
            input.display("").trim_end_matches('/'),
            if *posts == 1 { " names" } else { "s name" }
        ));
    }
    for channel in importer.channels.into_values() {
        out.archive.add_channel(channel);
    }
}

struct Importer {
    channels: BTreeMap<String, Channel>,
    bodies: Bodies,
    /// Message ids given so far, to tell apart posts by one person in the same millisecond.
    taken: BTreeSet<(String, String)>,
    /// Posts that named a channel their team does not own, by the `team/channel` they named
    /// and the one they were put in.
    moved: BTreeMap<(String, String), usize>,
}

/// Where attachments are read from.
struct Files<'a> {
    input: &'a mut Input,
    folder: &'a str,
    warnings: &'a mut Vec<String>,
}

impl Importer {
    fn line(&mut self, line: Line, files: &mut Files, users: &mut BTreeMap<String, User>) {
        match line {
            Line::Channel { channel } => {
                let id = format!("{}/{}", channel.team, channel.name);
                let visibility = if channel.kind == "P" { Visibility::Private } else { Visibility::Public };
                let entry = self
                    .channels
                    .entry(id.clone())
                    .or_insert_with(|| empty_channel(id, &channel.name, visibility));
                entry.visibility = visibility;
                entry.topic = nonempty(channel.header).map(Text::markdown);
                entry.purpose = nonempty(channel.purpose).map(Text::markdown);
                entry.archived = channel.deleted_at.unwrap_or(0) > 0;
            }
            Line::DirectChannel { direct_channel } => {
                let members: Vec<String> = direct_channel
                    .members
                    .into_iter()
                    .flatten()
                    .chain(direct_channel.participants.into_iter().flatten().map(|p| p.username))
                    .collect();
                self.direct(&members);
            }
            Line::User { user } => {
                let full =
                    format!("{} {}", user.first_name.unwrap_or_default(), user.last_name.unwrap_or_default());
                let name = nonempty(user.nickname)
                    .or_else(|| nonempty(Some(full.trim().to_owned())))
                    .unwrap_or_else(|| user.username.clone());
                users.insert(
                    user_id(&user.username),
                    User {
                        id: user_id(&user.username),
                        name,
                        handle: Some(user.username),
                        is_bot: false,
                        deleted: user.delete_at.unwrap_or(0) > 0,
                    },
                );
            }
            Line::Bot { bot } => {
                let name = nonempty(bot.display_name).unwrap_or_else(|| bot.username.clone());
                users.insert(
                    user_id(&bot.username),
                    User {
                        id: user_id(&bot.username),
                        name,
                        handle: Some(bot.username),
                        is_bot: true,
                        deleted: bot.delete_at.unwrap_or(0) > 0,
                    },
                );
            }
            Line::Post { post } => {
                let key = self.channel_of(&post.team, &post.channel);
                self.post(&key, post.body, files, users);
            }
            Line::DirectPost { direct_post } => {
                let key = self.direct(&direct_post.channel_members);
                self.post(&key, direct_post.body, files, users);
            }
            Line::Other => {}
        }
    }

    /// The channel a post names. Exports have posts that name the wrong team; a channel of
    /// that name in one other team is the one. One the export does not describe at all is
    /// private until known.
    fn channel_of(&mut self, team: &str, name: &str) -> String {
        let key = format!("{team}/{name}");
        if self.channels.contains_key(&key) {
            return key;
        }
        let elsewhere: Vec<&String> =
            self.channels.keys().filter(|k| k.rsplit_once('/').is_some_and(|(_, n)| n == name)).collect();
        if let [only] = elsewhere.as_slice() {
            let only = (*only).clone();
            *self.moved.entry((key, only.clone())).or_default() += 1;
            return only;
        }
        self.channels.insert(key.clone(), empty_channel(key.clone(), name, Visibility::Private));
        key
    }

    /// The DM channel of a member set, created on first sight.
    fn direct(&mut self, members: &[String]) -> String {
        let set: BTreeSet<&str> = members.iter().map(String::as_str).collect();
        let names: Vec<&str> = set.into_iter().collect();
        let key = format!("dm:{}", names.join(","));
        let visibility = if names.len() > 2 { Visibility::GroupDirect } else { Visibility::Direct };
        self.channels
            .entry(key.clone())
            .or_insert_with(|| empty_channel(key.clone(), &format!("dm-{}", names.join("-")), visibility));
        key
    }

    fn post(&mut self, channel: &str, body: RawPost, files: &mut Files, users: &BTreeMap<String, User>) {
        let replies = body.replies.clone().unwrap_or_default();
        let root = self.message(channel, body, Thread::None, files, users);
        let parent = root.id.clone();
        let mut messages = vec![root];
        for reply in replies {
            let thread = Thread::Reply { parent: parent.clone(), broadcast: false };
            messages.push(self.message(channel, reply, thread, files, users));
        }
        self.channels.get_mut(channel).expect("created before its posts").messages.extend(messages);
    }

    fn message(
        &mut self,
        channel: &str,
        raw: RawPost,
        thread: Thread,
        files: &mut Files,
        users: &BTreeMap<String, User>,
    ) -> Message {
        let time = Timestamp::from_millisecond(raw.create_at).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut id = format!("{}-{}", raw.create_at, raw.user);
        if !self.taken.insert((channel.to_owned(), id.clone())) {
            id = format!("{id}-{}", &blake3::hash(raw.message.as_bytes()).to_hex()[..8]);
            self.taken.insert((channel.to_owned(), id.clone()));
        }
        let props = raw.props.unwrap_or_default();
        let webhook = props.from_webhook.as_deref() == Some("true");
        let account = users.get(&user_id(&raw.user));
        let is_bot = webhook || account.is_some_and(|u| u.is_bot);
        let name = props
            .override_username
            .clone()
            .filter(|n| webhook && !n.is_empty())
            .or_else(|| account.map(|u| u.name.clone()))
            .unwrap_or_else(|| raw.user.clone());
        let kind = kind_of(raw.kind.as_deref().unwrap_or(""), &raw.message, is_bot);
        let text = if kind.is_system() { Text::plain(raw.message) } else { Text::markdown(raw.message) };
        Message {
            id,
            time,
            author: Author { user: Some(user_id(&raw.user).into()), name: name.into(), is_bot },
            kind,
            text,
            edited: raw.edit_at.filter(|&t| t > 0).map(|t| Timestamp::from_millisecond(t).ok()),
            reactions: reactions(raw.reactions.unwrap_or_default()).into(),
            attachments: props.attachments.unwrap_or_default().iter().map(card).collect(),
            files: raw
                .attachments
                .unwrap_or_default()
                .into_iter()
                .map(|a| self.file(&a.path, files))
                .collect(),
            thread,
            pinned: raw.is_pinned.unwrap_or(false),
            reply_to: None,
        }
    }

    /// An attachment: its path is relative to the export, with or without `data/` before it.
    fn file(&mut self, path: &str, files: &mut Files) -> File {
        let name = path.rsplit('/').next().unwrap_or(path).to_owned();
        let join = |p: String| if files.folder.is_empty() { p } else { format!("{}/{p}", files.folder) };
        let found =
            [path.to_owned(), format!("data/{path}")].into_iter().map(join).find(|p| files.input.has(p));
        let body = found.and_then(|p| self.bodies.read(files.input, &p, files.warnings));
        File {
            id: None,
            mimetype: mimetype_of(&name).map(str::to_owned),
            size: body.as_ref().map(|b| b.bytes.len() as u64),
            title: None,
            deleted: false,
            body,
            link: None,
            name,
        }
    }
}

fn empty_channel(id: String, name: &str, visibility: Visibility) -> Channel {
    Channel {
        source: SOURCE,
        id,
        name: name.to_owned(),
        visibility,
        shared: false,
        topic: None,
        purpose: None,
        created: None,
        archived: false,
        messages: Vec::new(),
    }
}

fn user_id(username: &str) -> String {
    format!("{SOURCE}:{username}")
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// Reactions grouped by emoji, in order of first use.
fn reactions(raw: Vec<RawReaction>) -> Vec<Reaction> {
    let mut out: Vec<Reaction> = Vec::new();
    for r in raw {
        match out.iter_mut().find(|x| x.name == r.emoji_name) {
            Some(x) => {
                x.count += 1;
                x.users.push(user_id(&r.user));
            }
            None => out.push(Reaction { name: r.emoji_name, count: 1, users: vec![user_id(&r.user)] }),
        }
    }
    out
}

/// A webhook's Slack-style attachment (alerts from Grafana, Alertmanager and the like).
fn card(raw: &RawCard) -> Attachment {
    Attachment {
        color: raw.color.clone().filter(|c| c.starts_with('#')).map(|c| c.to_ascii_lowercase()),
        pretext: nonempty(raw.pretext.clone()).map(Text::markdown),
        author_name: nonempty(raw.author_name.clone()),
        author_link: nonempty(raw.author_link.clone()),
        title: nonempty(raw.title.clone()),
        title_link: nonempty(raw.title_link.clone()),
        text: nonempty(raw.text.clone()).map(Text::markdown),
        fields: raw
            .fields
            .iter()
            .flatten()
            .map(|f| AttachmentField {
                title: f.title.clone().unwrap_or_default(),
                value: Text::markdown(f.value.as_ref().map(value_text).unwrap_or_default()),
                short: f.short.unwrap_or(false),
            })
            .collect(),
        footer: nonempty(raw.footer.clone()),
        fallback: nonempty(raw.fallback.clone()),
        from_url: None,
        service_name: None,
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// System posts have a `system_*` type in newer exports; older ones wrote them as ordinary
/// posts ("harry joined the channel.").
fn kind_of(kind: &str, message: &str, bot: bool) -> MessageKind {
    match kind {
        "system_join_channel" | "system_join_team" | "system_add_to_channel" | "system_add_to_team" => {
            MessageKind::Join
        }
        "system_leave_channel"
        | "system_leave_team"
        | "system_remove_from_channel"
        | "system_remove_from_team" => MessageKind::Leave,
        "system_header_change" => MessageKind::Topic,
        "system_purpose_change" => MessageKind::Purpose,
        "system_displayname_change" => MessageKind::Rename,
        k if k.starts_with("system_") => {
            MessageKind::Event(k.trim_start_matches("system_").replace('_', "-"))
        }
        _ if is_join_text(message) => MessageKind::Join,
        _ if bot => MessageKind::Bot,
        _ => MessageKind::Normal,
    }
}

/// `<user> joined the channel.`, `<user> joined the team.`, `<user> added to the channel by <user>.`
fn is_join_text(message: &str) -> bool {
    let mut words = message.split(' ');
    let _user = words.next();
    let rest: Vec<&str> = words.collect();
    matches!(
        rest.as_slice(),
        ["joined", "the", "channel." | "team."] | ["added", "to", "the", "channel", "by", _]
    )
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Channel {
        channel: RawChannel,
    },
    DirectChannel {
        direct_channel: RawDirectChannel,
    },
    User {
        user: RawUser,
    },
    Bot {
        bot: RawBot,
    },
    Post {
        post: RawTeamPost,
    },
    DirectPost {
        direct_post: RawDirectPost,
    },
    /// `version`, `team`, `role`, `scheme`, `emoji`: nothing to archive.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct RawChannel {
    team: String,
    name: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    header: Option<String>,
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    deleted_at: Option<i64>,
}

#[derive(Deserialize)]
struct RawDirectChannel {
    #[serde(default)]
    members: Option<Vec<String>>,
    #[serde(default)]
    participants: Option<Vec<RawParticipant>>,
}

#[derive(Deserialize)]
struct RawParticipant {
    username: String,
}

/// Names only: e-mail, position and the rest are never read.
#[derive(Deserialize)]
struct RawUser {
    username: String,
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    delete_at: Option<i64>,
}

#[derive(Deserialize)]
struct RawBot {
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    delete_at: Option<i64>,
}

#[derive(Deserialize)]
struct RawTeamPost {
    team: String,
    channel: String,
    #[serde(flatten)]
    body: RawPost,
}

#[derive(Deserialize)]
struct RawDirectPost {
    channel_members: Vec<String>,
    #[serde(flatten)]
    body: RawPost,
}

#[derive(Deserialize, Clone)]
struct RawPost {
    user: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    props: Option<RawProps>,
    create_at: i64,
    #[serde(default)]
    edit_at: Option<i64>,
    #[serde(default)]
    reactions: Option<Vec<RawReaction>>,
    #[serde(default)]
    replies: Option<Vec<RawPost>>,
    #[serde(default)]
    attachments: Option<Vec<RawAttachment>>,
    #[serde(default)]
    is_pinned: Option<bool>,
}

#[derive(Deserialize, Clone, Default)]
struct RawProps {
    #[serde(default)]
    attachments: Option<Vec<RawCard>>,
    #[serde(default)]
    from_webhook: Option<String>,
    #[serde(default)]
    override_username: Option<String>,
}

#[derive(Deserialize, Clone)]
struct RawCard {
    #[serde(default)]
    fallback: Option<String>,
    #[serde(default)]
    color: Option<String>,
    #[serde(default)]
    pretext: Option<String>,
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    author_link: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    title_link: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    fields: Option<Vec<RawCardField>>,
    #[serde(default)]
    footer: Option<String>,
}

#[derive(Deserialize, Clone)]
struct RawCardField {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    short: Option<bool>,
}

#[derive(Deserialize, Clone)]
struct RawReaction {
    user: String,
    emoji_name: String,
}

#[derive(Deserialize, Clone)]
struct RawAttachment {
    path: String,
}

/// This format's entry in [`super::IMPORTERS`].
pub static IMPORTER: super::Importer = super::Importer {
    name: "mattermost",
    reads: "a Mattermost bulk export (JSON Lines)",
    root_markers: &[],
    detect,
    import: |input, _, out| import(input, out),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_exports_write_joins_as_text() {
        assert_eq!(kind_of("", "harry joined the channel.", false), MessageKind::Join);
        assert_eq!(kind_of("", "ron added to the channel by harry.", false), MessageKind::Join);
        assert_eq!(kind_of("", "harry joined the channel. Hi all", false), MessageKind::Normal);
        assert_eq!(kind_of("system_header_change", "x", false), MessageKind::Topic);
        assert_eq!(kind_of("system_fake_thing", "x", false), MessageKind::Event("fake-thing".into()));
    }

    #[test]
    fn reactions_group_by_emoji() {
        let raw = |u: &str, e: &str| RawReaction { user: u.into(), emoji_name: e.into() };
        let grouped = reactions(vec![raw("a", "tick"), raw("b", "rocket"), raw("c", "tick")]);
        assert_eq!(
            grouped.iter().map(|r| (r.name.as_str(), r.count)).collect::<Vec<_>>(),
            [("tick", 2), ("rocket", 1)]
        );
    }
}
