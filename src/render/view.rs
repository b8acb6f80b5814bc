//! What templates see. Templates never receive the model: every string here is either plain
//! text (autoescaped by tera) or a field named `*_html` that `markup` already made safe.
//! Links are relative to the page (`root` is the way back to the site root), so the site
//! works from any base path and from `file://`.

use serde::Serialize;

/// Shared by every page.
#[derive(Debug, Serialize)]
pub struct SiteView<'a> {
    /// Site title.
    pub title: &'a str,
    /// Relative path from this page to the site root (`""`, `"../../"`).
    pub root: String,
    /// Stylesheet path from the root.
    pub css: &'a str,
    /// Script path from the root.
    pub js: &'a str,
    /// The zone server-rendered times are in.
    pub timezone: &'a str,
    /// Canonical URL of this page, when `base_url` is configured.
    pub canonical: Option<String>,
    /// scrollback's version, for the footer.
    pub version: &'static str,
    /// The pages' Content Security Policy.
    pub csp: &'static str,
}

/// `/search/`.
#[derive(Debug, Serialize)]
pub struct SearchPage<'a> {
    /// Site-wide values.
    pub site: SiteView<'a>,
    /// The search client's path from the root.
    pub search_js: &'a str,
    /// Channel slugs for the channel filter.
    pub channels: Vec<String>,
}

/// A link with a label.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// Shown text.
    pub label: String,
    /// Relative URL.
    pub url: String,
}

/// `/`.
#[derive(Debug, Serialize)]
pub struct HomePage<'a> {
    /// Site-wide values.
    pub site: SiteView<'a>,
    /// Published channels, by name.
    pub channels: Vec<ChannelSummary>,
    /// Messages over all channels.
    pub total_messages: usize,
    /// First and last day with messages, over all channels.
    pub first_day: Option<String>,
    /// Last day with messages.
    pub last_day: Option<String>,
    /// The latest incidents.
    pub incidents: Vec<IncidentSummary>,
}

/// A channel as listed on the home page.
#[derive(Debug, Serialize)]
pub struct ChannelSummary {
    /// Name without `#`.
    pub name: String,
    /// Relative URL of the channel page.
    pub url: String,
    /// Messages including thread replies.
    pub messages: usize,
    /// First day with messages (`2014-01-12`).
    pub first_day: Option<String>,
    /// Last day with messages.
    pub last_day: Option<String>,
    /// Days with messages.
    pub days: usize,
    /// Topic or purpose, safe inline HTML.
    pub about_html: String,
    /// Archived in the source.
    pub archived: bool,
}

/// `/c/<channel>/`.
#[derive(Debug, Serialize)]
pub struct ChannelPage<'a> {
    /// Site-wide values.
    pub site: SiteView<'a>,
    /// The channel's name, counts and date range, as the home page lists it.
    pub channel: ChannelSummary,
    /// Purpose, safe inline HTML.
    pub purpose_html: String,
    /// Topic, safe inline HTML.
    pub topic_html: String,
    /// Months with messages, newest first.
    pub months: Vec<MonthView>,
}

/// One calendar month on a channel page.
#[derive(Debug, Serialize)]
pub struct MonthView {
    /// "January 2014".
    pub label: String,
    /// `2014-01`, for anchors.
    pub id: String,
    /// Messages this month.
    pub messages: usize,
    /// Weeks, Monday first; `None` pads days outside the month.
    pub weeks: Vec<[Option<DayCell>; 7]>,
}

/// One day in a month grid.
#[derive(Debug, Clone, Serialize)]
pub struct DayCell {
    /// Day of the month.
    pub day: i8,
    /// Messages that day (0: no page).
    pub messages: usize,
    /// Relative URL of the day page, when there are messages.
    pub url: Option<String>,
    /// `2014-01-12`, for `aria-label`s.
    pub date: String,
}

/// `/c/<channel>/<YYYY>/<MM>/<DD>/`.
#[derive(Debug, Serialize)]
pub struct DayPage<'a> {
    /// Site-wide values.
    pub site: SiteView<'a>,
    /// Channel name.
    pub channel: String,
    /// Relative URL of the channel page.
    pub channel_url: String,
    /// Topic, safe inline HTML.
    pub topic_html: String,
    /// `2014-01-12`.
    pub date: String,
    /// "Sunday, 12 January 2014".
    pub date_label: String,
    /// Previous day with messages.
    pub prev: Option<Link>,
    /// Next day with messages.
    pub next: Option<Link>,
    /// Top-level messages in order, each with its thread.
    pub messages: Vec<MessageView>,
    /// Messages on this page, replies included.
    pub message_count: usize,
    /// Which page of the day this is (1 for the day's own URL).
    pub page: u32,
    /// Every page of the day, when it has more than one.
    pub pages: Vec<PageLink>,
}

/// A link to one page of a day split into pages.
#[derive(Debug, Serialize)]
pub struct PageLink {
    /// 1, 2, …
    pub number: u32,
    /// Relative URL.
    pub url: String,
}

/// One message, ready to show.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Anchor id (`m-…`); empty for a second copy of a message (broadcast replies).
    pub anchor: String,
    /// Relative permalink (`#m-…`, or the page holding the original).
    pub permalink: String,
    /// `2014-01-12T07:27:13Z`.
    pub time_iso: String,
    /// `07:27` in the display zone (with the date when it differs from the page's day).
    pub time_label: String,
    /// Author's display name.
    pub author: String,
    /// `user`, `bot` or `system`.
    pub author_kind: &'static str,
    /// Message kind for CSS (`normal`, `join`, `bot`…).
    pub kind: String,
    /// A quiet system event.
    pub system: bool,
    /// Body, safe HTML.
    pub html: String,
    /// Edit time, when edited.
    pub edited: Option<String>,
    /// Pinned in the channel.
    pub pinned: bool,
    /// Reactions.
    pub reactions: Vec<ReactionView>,
    /// Rich attachments.
    pub attachments: Vec<AttachmentView>,
    /// Files.
    pub files: Vec<FileView>,
    /// Thread replies, in order.
    pub replies: Vec<MessageView>,
    /// Distinct reply authors as a sentence ("Li, Marcus and Peter"), for the thread summary.
    pub reply_authors: String,
    /// A reply that was also sent to the channel.
    pub broadcast: bool,
    /// For a broadcast reply shown in the channel: link to its thread.
    pub thread_link: Option<String>,
    /// The incident it belongs to.
    pub incident: Option<Link>,
    /// The message it replies to.
    pub reply: Option<ReplyView>,
}

/// A reaction.
#[derive(Debug, Clone, Serialize)]
pub struct ReactionView {
    /// The glyph, or `:name:` for custom emoji.
    pub emoji: String,
    /// The emoji as the tooltip names it: `:name:`, or the glyph when that is all there is.
    pub name: String,
    /// How many reacted.
    pub count: u32,
    /// Who reacted, as a sentence for the tooltip.
    pub who: String,
}

/// A rich attachment (bot card, unfurl).
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    /// Accent as a CSS class suffix (`red`, `green`…), never a raw colour: the CSP forbids
    /// inline styles.
    pub accent: &'static str,
    /// Safe HTML above the card.
    pub pretext_html: String,
    /// Author line.
    pub author: Option<Link>,
    /// Title, linked when the link is safe.
    pub title: Option<Link>,
    /// Body, safe HTML.
    pub text_html: String,
    /// Fields.
    pub fields: Vec<FieldView>,
    /// Footer text.
    pub footer: Option<String>,
    /// Service name for unfurls.
    pub service: Option<String>,
}

/// An attachment field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    /// Label.
    pub title: String,
    /// Value, safe inline HTML.
    pub value_html: String,
    /// Half-width.
    pub short: bool,
}

/// A shared file (metadata only until snapshots are archived).
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    /// File name.
    pub name: String,
    /// Title, when different from the name.
    pub title: Option<String>,
    /// "PNG image", "PDF", or the MIME type.
    pub kind: Option<String>,
    /// "1.2 MB".
    pub size: Option<String>,
    /// Deleted in the source.
    pub deleted: bool,
    /// Shown inline, when it is an image the site has.
    pub image: Option<ImageView>,
    /// Download link, when the site has the file but cannot show it.
    pub href: Option<String>,
    /// The live graph or source page (http/https only).
    pub link: Option<String>,
}

/// An image on a page.
#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    /// What to show (a thumbnail when the image is wide).
    pub src: String,
    /// The full image.
    pub full: String,
    /// Width of `src` in pixels.
    pub width: u32,
    /// Height of `src` in pixels.
    pub height: u32,
    /// Alternative text: the title, else the file name.
    pub alt: String,
}

/// An incident in lists (home, `/incidents/`, the feed).
#[derive(Debug, Clone, Serialize)]
pub struct IncidentSummary {
    /// Stable id.
    pub id: String,
    /// Relative URL of its page.
    pub url: String,
    /// Title.
    pub title: String,
    /// `resolved` or `ongoing`.
    pub status: &'static str,
    /// Severity, or `unset`.
    pub severity: String,
    /// Channel name.
    pub channel: String,
    /// When it started.
    pub start: Moment,
    /// How long it lasted ("1 h 35 min"), or how long it had run when the archive ends.
    pub duration: String,
    /// Year it started, for filtering.
    pub year: String,
}

/// A point in time shown with a link to the message that establishes it.
#[derive(Debug, Clone, Serialize)]
pub struct Moment {
    /// `2014-01-17T17:11:39Z`.
    pub iso: String,
    /// `2014-01-17 17:11 UTC` in the display zone.
    pub label: String,
    /// Relative permalink of the evidence, when there is a message.
    pub url: Option<String>,
}

/// `/incidents/`.
#[derive(Debug, Serialize)]
pub struct IncidentsPage<'a> {
    /// Site-wide values.
    pub site: SiteView<'a>,
    /// How many incidents there are in all.
    pub total: usize,
    /// Ongoing incidents, in all.
    pub ongoing: usize,
    /// The newest incidents (the rest are on the month pages).
    pub table: IncidentTable,
    /// Every year with incidents, newest first, month by month.
    pub months: Vec<IncidentYear>,
}

/// Incidents listed in a table, with the values its filters offer.
#[derive(Debug, Serialize)]
pub struct IncidentTable {
    /// Newest first.
    pub incidents: Vec<IncidentSummary>,
    /// Their severities, sorted.
    pub severities: Vec<String>,
    /// Their channels, sorted.
    pub channels: Vec<String>,
    /// Their years, newest first.
    pub years: Vec<String>,
}

/// A year of the incident index's table of months.
#[derive(Debug, Serialize)]
pub struct IncidentYear {
    /// `2020`.
    pub year: String,
    /// January to December.
    pub months: Vec<IncidentMonth>,
}

/// A month of the incident index's table.
#[derive(Debug, Serialize)]
pub struct IncidentMonth {
    /// `Jan`.
    pub label: &'static str,
    /// Incidents that started in it.
    pub count: usize,
    /// Its page, if it has incidents.
    pub url: Option<String>,
}

/// `/incidents/<YYYY>/<MM>/`: the incidents that started in one month.
#[derive(Debug, Serialize)]
pub struct IncidentMonthPage<'a> {
    /// Site-wide values.
    pub site: SiteView<'a>,
    /// `May 2020`.
    pub title: String,
    /// The month's incidents, with their filters.
    pub table: IncidentTable,
    /// Ongoing incidents among them.
    pub ongoing: usize,
    /// The month before with incidents.
    pub previous: Option<Link>,
    /// The month after with incidents.
    pub next: Option<Link>,
    /// Relative URL of the incident index.
    pub index: String,
}

/// `/incidents/<id>/`.
#[derive(Debug, Serialize)]
pub struct IncidentPage<'a> {
    /// Site-wide values.
    pub site: SiteView<'a>,
    /// The summary fields.
    pub incident: IncidentSummary,
    /// Relative URL of the channel page.
    pub channel_url: String,
    /// Acknowledged, if known.
    pub acknowledged: Option<Moment>,
    /// Resolved, if it is.
    pub resolved: Option<Moment>,
    /// The end was inferred from silence.
    pub inferred_end: bool,
    /// Time to acknowledge.
    pub time_to_acknowledge: Option<String>,
    /// When the impact was mitigated.
    pub mitigated: Option<Moment>,
    /// Time to mitigate.
    pub time_to_mitigate: Option<String>,
    /// Time to resolve.
    pub time_to_resolve: Option<String>,
    /// People who took part.
    pub participants: Vec<String>,
    /// Lead, if named.
    pub lead: Option<String>,
    /// Summary, if written.
    pub summary: Option<String>,
    /// Postmortem link (http/https only).
    pub postmortem: Option<String>,
    /// Declared in the configuration.
    pub declared: bool,
    /// Alert groups.
    pub alerts: Vec<AlertView>,
    /// Key moments.
    pub timeline: Vec<TimelineView>,
    /// Files and snapshots shared during it.
    pub files: Vec<FileView>,
    /// What was said in the channel meanwhile, a line per message, each linking to it on its
    /// channel-day page (the first 300 lines).
    pub conversation: Vec<TimelineView>,
    /// How many messages the incident spans.
    pub conversation_total: usize,
    /// Where the conversation goes on past its last line: the next message's permalink.
    pub conversation_more: Option<Link>,
    /// `OpenGraph` / Twitter card description.
    pub description: String,
}

/// A group of alerts on an incident page.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    /// Source family.
    pub source: String,
    /// What it is about.
    pub label: String,
    /// Messages.
    pub count: usize,
    /// First seen.
    pub first: Moment,
    /// Last seen.
    pub last: Moment,
    /// Recovered, if it did.
    pub resolved: Option<Moment>,
}

/// A timeline line.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineView {
    /// When and where.
    pub at: Moment,
    /// Kind, for the icon and CSS.
    pub kind: &'static str,
    /// Author.
    pub author: String,
    /// Text (plain).
    pub text: String,
}

/// The message a reply answers, shown above the reply.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyView {
    /// Its permalink, when it is in the archive.
    pub url: Option<String>,
    /// Who wrote it.
    pub author: String,
    /// Its first words.
    pub excerpt: String,
}
