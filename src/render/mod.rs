//! Rendering: tera templates fed by view structs, written into the staging directory.
//!
//! Where each page and message goes is decided by `layout`; this module turns that layout
//! into HTML: home, channel calendars, channel-day pages with threads, and the assets.

pub mod headers;
mod incidents;
mod inputs;
mod theme;
pub mod view;

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rayon::prelude::*;
use serde::Serialize;

use inputs::{DayInputs, EntryInputs, MessageInputs, Reply};
pub use theme::{Theme, ThemeError};
use view::{
    AttachmentView, ChannelPage, ChannelSummary, DayCell, DayPage, FieldView, FileView, HomePage, ImageView,
    Link, MessageView, MonthView, PageLink, ReactionView, ReplyView, SearchPage, SiteView,
};

/// How much of a replied-to message a reply shows.
const EXCERPT_CHARS: usize = 100;

use crate::config::Config;
use crate::incidents::Places;
use crate::layout::{ChannelLayout, Layout, Page, day_path, page_path};
use crate::markup::{self, ChannelLink, Context};
use crate::model::{Archive, Attachment, Channel, File, Incident, MessageKind, Text, Thread};
use crate::output::{OutputError, Staging};
use crate::snapshots::{Media, Stored, THUMBNAIL_WIDTH};

/// Problems while rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed; tera's error chain says where.
    #[error("rendering {page} with template {template}")]
    Template {
        /// The page being rendered.
        page: String,
        /// The template that failed.
        template: &'static str,
        /// tera's error.
        #[source]
        source: tera::Error,
    },
    /// Writing a page failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Counts for the build summary.
#[derive(Debug, Default, Clone, Copy)]
pub struct RenderStats {
    /// Pages written.
    pub pages: usize,
    /// Channel-day pages among them.
    pub day_pages: usize,
}

/// The theme's shared files as written into the site: their content-hashed paths.
pub struct Assets {
    css: String,
    js: String,
    search_js: String,
}

/// Writes the theme's stylesheet and scripts into `out`, and the hosts' `_headers`.
pub fn write_assets(theme: &Theme, out: &Staging) -> Result<Assets, RenderError> {
    out.write(headers::FILE, headers::netlify().as_bytes())?;
    Ok(Assets {
        css: out.write_asset("style", "css", theme.asset("style.css"))?,
        js: out.write_asset("scrollback", "js", theme.asset("scrollback.js"))?,
        search_js: out.write_asset("search", "js", theme.asset("search.js"))?,
    })
}

/// Renders the incident index, its month pages and its feed; returns how many pages. Their
/// views hold every incident between them, so the build renders them on their own, before
/// the search index and the other pages take their memory. They show no media and mark no
/// messages.
pub fn render_incident_index(
    archive: &Archive,
    layout: &Layout,
    found: &[Incident],
    config: &Config,
    theme: &Theme,
    assets: &Assets,
    out: &Staging,
) -> Result<usize, RenderError> {
    let (none, nowhere) = (Media::default(), Places::default());
    let shown = Shown { incidents: &[], places: &nowhere, contents: &[] };
    let renderer = Renderer::new(archive, layout, shown, &none, config, theme, assets);
    renderer.render_incident_index(found, layout, out)
}

/// What the pages show of the incidents: the incidents, which of them shows each message,
/// and each message's digest ([`crate::model::Message::digest`]) for the pages' keys.
#[derive(Clone, Copy)]
pub struct Shown<'a> {
    /// Every incident.
    pub incidents: &'a [Incident],
    /// Which incident shows each message.
    pub places: &'a Places,
    /// Each message's digest, per channel and message (none: pages without keys).
    pub contents: &'a [Vec<[u8; 16]>],
}

/// Renders every other page of the site into `out`.
#[allow(clippy::too_many_arguments, reason = "the parts of one build, each borrowed for the call")]
pub fn render_site(
    archive: &Archive,
    layout: &Layout,
    shown: Shown<'_>,
    media: &Media,
    config: &Config,
    theme: &Theme,
    assets: &Assets,
    out: &Staging,
) -> Result<RenderStats, RenderError> {
    let renderer = Renderer::new(archive, layout, shown, media, config, theme, assets);
    let mut stats = RenderStats::default();
    let found = shown.incidents;
    let incident_pages = renderer.render_incident_pages(found, layout, out)?;
    // Day pages are most of the work: channels render on every core, each page written as soon
    // as it is rendered, so no more than one page per thread is held in memory.
    let day_pages = layout.channels.par_iter().enumerate().map(|(index, plan)| {
        let (channel, slug) = (plan.channel, plan.slug.as_str());
        let days = renderer.render_days(index, channel, slug, plan, out)?;
        renderer.render_channel_page(channel, slug, plan, out)?;
        Ok::<_, RenderError>(days)
    });
    stats.day_pages = day_pages.collect::<Result<Vec<usize>, _>>()?.iter().sum();
    let mut summaries: Vec<_> =
        layout.channels.iter().map(|p| renderer.summary(p.channel, &p.slug, p, HOME_ROOT)).collect();
    summaries.sort_by(|a, b| a.name.cmp(&b.name));
    renderer.render_home(summaries, renderer.latest_incidents(found, layout, 5), out)?;
    let mut channels: Vec<String> = layout.channels.iter().map(|c| c.slug.clone()).collect();
    channels.sort();
    let view =
        SearchPage { site: renderer.site(SEARCH_ROOT, "search/"), search_js: &assets.search_js, channels };
    renderer.page("search.html", "search/", &view, out)?;
    // Home and search (the incident index is `render_incident_index`'s).
    stats.pages = stats.day_pages + archive.channels.len() + 2 + incident_pages;
    Ok(stats)
}

struct Renderer<'a> {
    config: &'a Config,
    theme: &'a Theme,
    tz: TimeZone,
    css: String,
    js: String,
    archive: &'a Archive,
    links: &'a BTreeMap<String, ChannelLink>,
    /// The incidents, which shows each message (its badge on day pages), and each message's
    /// digest, standing for it in page keys.
    shown: Shown<'a>,
    media: &'a Media,
    /// What every page is made of besides its own content (see `inputs`).
    shared: [u8; 32],
}

/// Paths from a page back to the site root.
const HOME_ROOT: &str = "";
const CHANNEL_ROOT: &str = "../../";
const SEARCH_ROOT: &str = "../";
const DAY_ROOT: &str = "../../../../../";
/// From a day's second page on (`c/<slug>/<yyyy>/<mm>/<dd>/<n>/`) to the site root.
const PAGE_ROOT: &str = "../../../../../../";

impl<'a> Renderer<'a> {
    /// A renderer for pages that show the incidents and messages as `shown` says.
    fn new(
        archive: &'a Archive,
        layout: &'a Layout,
        shown: Shown<'a>,
        media: &'a Media,
        config: &'a Config,
        theme: &'a Theme,
        assets: &Assets,
    ) -> Renderer<'a> {
        Renderer {
            config,
            theme,
            tz: config.time_zone(),
            css: assets.css.clone(),
            js: assets.js.clone(),
            archive,
            links: &layout.links,
            shown,
            media,
            shared: inputs::site_inputs(config, (&assets.css, &assets.js), archive, layout),
        }
    }
}

impl Renderer<'_> {
    fn site(&self, root: &str, path: &str) -> SiteView<'_> {
        SiteView {
            title: &self.config.title,
            root: root.to_owned(),
            css: &self.css,
            js: &self.js,
            timezone: &self.config.display_timezone,
            canonical: self.config.base_url.as_ref().map(|b| format!("{}/{path}", b.trim_end_matches('/'))),
            version: env!("CARGO_PKG_VERSION"),
            csp: headers::CSP,
        }
    }

    fn context<'c>(&'c self, source: &'c str, root: &'c str) -> Context<'c> {
        Context { users: &self.archive.users, channels: self.links, source, root }
    }

    /// Renders `view` (dropped as soon as the template's context is made from it: a big
    /// page's view and context are not held together with its HTML).
    fn page(
        &self,
        template: &'static str,
        path: &str,
        view: impl Serialize,
        out: &Staging,
    ) -> Result<(), RenderError> {
        let key = self.theme.page_key(template, &view);
        self.keyed_page(template, path, key, || view, out)
    }

    /// Renders the view `make` gives unless the previous site has this page from the same
    /// `key`.
    fn keyed_page<V: Serialize>(
        &self,
        template: &'static str,
        path: &str,
        key: Option<String>,
        make: impl FnOnce() -> V,
        out: &Staging,
    ) -> Result<(), RenderError> {
        out.write_page(&format!("{path}index.html"), key, || {
            self.theme.render(template, make()).map_err(|source| RenderError::Template {
                page: format!("/{path}"),
                template,
                source,
            })
        })
    }

    fn render_home(
        &self,
        channels: Vec<ChannelSummary>,
        incidents: Vec<view::IncidentSummary>,
        out: &Staging,
    ) -> Result<(), RenderError> {
        let view = HomePage {
            incidents,
            site: self.site(HOME_ROOT, ""),
            total_messages: channels.iter().map(|c| c.messages).sum(),
            first_day: channels.iter().filter_map(|c| c.first_day.clone()).min(),
            last_day: channels.iter().filter_map(|c| c.last_day.clone()).max(),
            channels,
        };
        self.page("index.html", "", &view, out)
    }

    fn summary(&self, channel: &Channel, slug: &str, plan: &ChannelLayout, root: &str) -> ChannelSummary {
        let ctx = self.context(channel.source, root);
        let about = channel.purpose.as_ref().or(channel.topic.as_ref());
        ChannelSummary {
            name: channel.name.clone(),
            url: format!("{root}c/{slug}/"),
            messages: plan.message_count(),
            first_day: plan.days.keys().next().map(ToString::to_string),
            last_day: plan.days.keys().next_back().map(ToString::to_string),
            days: plan.days.len(),
            about_html: about.map(|t| markup::to_inline_html(t, &ctx)).unwrap_or_default(),
            archived: channel.archived,
        }
    }

    fn render_channel_page(
        &self,
        channel: &Channel,
        slug: &str,
        plan: &ChannelLayout,
        out: &Staging,
    ) -> Result<(), RenderError> {
        let ctx = self.context(channel.source, CHANNEL_ROOT);
        let inline =
            |t: &Option<Text>| t.as_ref().map(|t| markup::to_inline_html(t, &ctx)).unwrap_or_default();
        let path = format!("c/{slug}/");
        let view = ChannelPage {
            site: self.site(CHANNEL_ROOT, &path),
            channel: self.summary(channel, slug, plan, CHANNEL_ROOT),
            purpose_html: inline(&channel.purpose),
            topic_html: inline(&channel.topic),
            months: months(plan, slug),
        };
        self.page("channel.html", &path, &view, out)
    }

    fn render_days(
        &self,
        index: usize,
        channel: &Channel,
        slug: &str,
        plan: &ChannelLayout,
        out: &Staging,
    ) -> Result<usize, RenderError> {
        let dates: Vec<Date> = plan.days.keys().copied().collect();
        let day_ctx = self.context(channel.source, DAY_ROOT);
        let topic_html =
            channel.topic.as_ref().map(|t| markup::to_inline_html(t, &day_ctx)).unwrap_or_default();
        let mut rendered = 0;
        for (i, (&date, entries)) in plan.days.iter().enumerate() {
            let around = (i.checked_sub(1).map(|p| dates[p]), dates.get(i + 1).copied());
            let pages = plan.day_pages(entries);
            for (at, entries) in pages.iter().enumerate() {
                let page = Page { date, number: u32::try_from(at + 1).unwrap_or(u32::MAX) };
                let day = DayInputs { index, plan, page, pages: pages.len(), around, entries };
                // Keyed by its inputs: an unchanged page's view is never built.
                let view = || self.day_view(&day, &topic_html);
                self.keyed_page("day.html", &page_path(slug, page), self.day_key(&day), view, out)?;
                rendered += 1;
            }
        }
        Ok(rendered)
    }

    /// A day page's view; `topic_html` is the channel's topic as a day's first page shows it.
    fn day_view(&self, day: &DayInputs, topic_html: &str) -> DayPage<'_> {
        let DayInputs { plan, page, pages, around: (prev, next), .. } = *day;
        let (channel, slug) = (plan.channel, plan.slug.as_str());
        // A day's later pages are a level deeper than its first.
        let root = if page.number > 1 { PAGE_ROOT } else { DAY_ROOT };
        let ctx = self.context(channel.source, root);
        let day_link = |d: Date| Link {
            label: d.strftime("%a %-d %b %Y").to_string(),
            url: format!("{root}{}", day_path(slug, d)),
        };
        let messages: Vec<MessageView> = day
            .entries
            .iter()
            .map(|e| self.entry_view(self.entry_inputs(day.index, plan, e), page, slug, &ctx))
            .collect();
        let page_link = |n: usize| {
            let number = u32::try_from(n).unwrap_or(u32::MAX);
            PageLink { number, url: format!("{root}{}", page_path(slug, Page { date: page.date, number })) }
        };
        DayPage {
            site: self.site(root, &page_path(slug, page)),
            channel: channel.name.clone(),
            channel_url: format!("{root}c/{slug}/"),
            topic_html: match (&channel.topic, page.number) {
                (Some(t), 2..) => markup::to_inline_html(t, &ctx),
                _ => topic_html.to_owned(),
            },
            date: page.date.to_string(),
            date_label: page.date.strftime("%A, %-d %B %Y").to_string(),
            prev: prev.map(day_link),
            next: next.map(day_link),
            messages,
            message_count: plan.day_message_count(day.entries),
            page: page.number,
            pages: if pages > 1 { (1..=pages).map(page_link).collect() } else { Vec::new() },
        }
    }

    /// A day page's view of an entry on `page`, with its replies and the incident badges of
    /// both.
    fn entry_view(&self, entry: EntryInputs, page: Page, slug: &str, ctx: &Context) -> MessageView {
        let day = page.date;
        match entry {
            EntryInputs::Broadcast { message, parent, thread_page } => {
                // A reply also sent to the channel: the original sits in its thread.
                let mut view = self.message_view(&message, day, slug, ctx);
                let thread_page = thread_page.unwrap_or(page);
                let there = if thread_page == page {
                    String::new()
                } else {
                    format!("{}{}", ctx.root, page_path(slug, thread_page))
                };
                view.anchor = String::new();
                view.permalink = format!("{there}#m-{}", message.message.id);
                view.thread_link = Some(format!("{there}#m-{parent}"));
                view
            }
            EntryInputs::Root { message, replies } => {
                let mut view = self.message_view(&message, day, slug, ctx);
                self.attach_replies(&mut view, &replies, day, slug, ctx);
                view
            }
            EntryInputs::MissingRoot { id, first_reply, replies } => {
                let mut view = self.message_view(&first_reply, day, slug, ctx);
                view.anchor = format!("m-{id}");
                view.permalink = format!("#m-{id}");
                view.author.clear();
                view.author_kind = "system";
                MessageKind::MissingParent.css_name().clone_into(&mut view.kind);
                view.system = true;
                "<p>The start of this thread is not in the archive.</p>".clone_into(&mut view.html);
                view.edited = None;
                view.pinned = false;
                view.incident = None;
                view.reactions.clear();
                view.attachments.clear();
                view.files.clear();
                self.attach_replies(&mut view, &replies, day, slug, ctx);
                view
            }
        }
    }

    fn attach_replies(
        &self,
        view: &mut MessageView,
        replies: &[MessageInputs],
        day: Date,
        slug: &str,
        ctx: &Context,
    ) {
        if replies.is_empty() {
            return;
        }
        let mut authors: Vec<&str> = Vec::new();
        for reply in replies {
            let m = reply.message;
            if !authors.contains(&&*m.author.name) {
                authors.push(&m.author.name);
            }
            let mut reply_view = self.message_view(reply, day, slug, ctx);
            reply_view.broadcast = matches!(m.thread, Thread::Reply { broadcast: true, .. });
            view.replies.push(reply_view);
        }
        view.reply_authors = sentence(&authors);
    }

    /// The view of a message shown on `day`'s page of the channel at `slug`.
    fn message_view(&self, shown: &MessageInputs, day: Date, slug: &str, ctx: &Context) -> MessageView {
        let m = shown.message;
        let zoned = m.time.to_zoned_datetime(self.tz.clone());
        let time_label = if zoned.date() == day {
            zoned.strftime("%H:%M").to_string()
        } else {
            zoned.strftime("%Y-%m-%d %H:%M").to_string()
        };
        let system = m.kind.is_system();
        MessageView {
            anchor: format!("m-{}", m.id),
            permalink: format!("#m-{}", m.id),
            time_iso: iso(m.time),
            time_label,
            // A deleted message's "author" is whoever Slack credits the tombstone to.
            author: if m.kind == MessageKind::Deleted { String::new() } else { m.author.name.to_string() },
            author_kind: if system {
                "system"
            } else if m.author.is_bot {
                "bot"
            } else {
                "user"
            },
            kind: m.kind.css_name().to_owned(),
            system,
            html: markup::to_html(&m.text, ctx),
            edited: m
                .edited
                .map(|t| t.map_or_else(|| "edited".to_owned(), |t| format!("edited {}", self.label(t)))),
            pinned: m.pinned,
            reactions: m.reactions.iter().map(|r| Self::reaction_view(r, ctx)).collect(),
            attachments: m.attachments.iter().map(|a| attachment_view(a, ctx)).collect(),
            files: shown.files.iter().map(|&(f, stored)| file_view(f, stored, ctx.root)).collect(),
            replies: Vec::new(),
            reply_authors: String::new(),
            broadcast: false,
            thread_link: None,
            incident: shown.badge.map(|badge| Link {
                label: badge.title.to_owned(),
                url: format!("{}incidents/{}/", ctx.root, badge.id),
            }),
            reply: reply_view(shown.reply, slug, ctx),
        }
    }

    fn label(&self, t: Timestamp) -> String {
        t.to_zoned_datetime(self.tz.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string()
    }

    fn reaction_view(r: &crate::model::Reaction, ctx: &Context) -> ReactionView {
        let (base, tone) = match r.name.split_once("::skin-tone-") {
            Some((base, tone)) => (base, tone.chars().next()),
            None => (r.name.as_str(), None),
        };
        // Sources that store the glyph itself (Matrix, Discord's Unicode emoji) show it as is.
        let emoji = if base.is_ascii() {
            markup::emoji(base, tone).unwrap_or_else(|| format!(":{base}:"))
        } else {
            base.to_owned()
        };
        let mut names: Vec<String> = r
            .users
            .iter()
            .map(|u| ctx.users.get(u).map_or_else(|| "someone".to_owned(), |u| u.name.clone()))
            .collect();
        let others = (r.count as usize).saturating_sub(names.len());
        if others > 0 {
            names.push(format!("{others} other{}", if others == 1 { "" } else { "s" }));
        }
        let name = if base.is_ascii() { format!(":{base}:") } else { base.to_owned() };
        ReactionView { emoji, name, count: r.count, who: sentence(&names) }
    }
}

/// What a reply answers: author and first words, linked when it is in the archive.
fn reply_view(reply: Reply, slug: &str, ctx: &Context) -> Option<ReplyView> {
    let (target, page) = match reply {
        Reply::Nothing => return None,
        Reply::To(target, page) => (target, page),
        Reply::Missing => {
            return Some(ReplyView {
                url: None,
                author: String::new(),
                excerpt: "a message not in the archive".to_owned(),
            });
        }
    };
    let text = markup::to_plain(&target.text, ctx);
    let first_line = text.lines().next().unwrap_or("");
    let mut excerpt: String = first_line.chars().take(EXCERPT_CHARS).collect();
    if excerpt.len() < text.len() {
        excerpt.push('…');
    }
    Some(ReplyView {
        url: Some(format!("{}{}#m-{}", ctx.root, page_path(slug, page), target.id)),
        author: target.author.name.to_string(),
        excerpt,
    })
}

/// "a", "a and b", "a, b and c".
fn sentence(items: &[impl AsRef<str>]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn months(plan: &ChannelLayout, slug: &str) -> Vec<MonthView> {
    let mut by_month: BTreeMap<(i16, i8), Vec<(Date, usize)>> = BTreeMap::new();
    for (date, entries) in &plan.days {
        by_month
            .entry((date.year(), date.month()))
            .or_default()
            .push((*date, plan.day_message_count(entries)));
    }
    by_month
        .into_iter()
        .rev()
        .map(|((year, month), days)| {
            let counts: HashMap<i8, usize> = days.iter().map(|(d, n)| (d.day(), *n)).collect();
            let first = Date::new(year, month, 1).expect("a valid month");
            let lead = usize::from(first.weekday().to_monday_zero_offset().unsigned_abs());
            let mut cells: Vec<Option<DayCell>> = vec![None; lead];
            for day in 1..=first.days_in_month() {
                let date = Date::new(year, month, day).expect("day within month");
                let messages = counts.get(&day).copied().unwrap_or(0);
                let url = (messages > 0).then(|| format!("{CHANNEL_ROOT}{}", day_path(slug, date)));
                cells.push(Some(DayCell { day, messages, url, date: date.to_string() }));
            }
            while !cells.len().is_multiple_of(7) {
                cells.push(None);
            }
            let weeks = cells.chunks(7).map(|w| std::array::from_fn(|i| w[i].clone())).collect();
            MonthView {
                label: first.strftime("%B %Y").to_string(),
                id: format!("{year:04}-{month:02}"),
                messages: days.iter().map(|(_, n)| n).sum(),
                weeks,
            }
        })
        .collect()
}

fn attachment_view(a: &Attachment, ctx: &Context) -> AttachmentView {
    let html = |t: &Option<Text>| t.as_ref().map(|t| markup::to_html(t, ctx)).unwrap_or_default();
    let safe_link = |label: &Option<String>, url: &Option<String>| {
        label.as_ref().map(|label| Link {
            label: label.clone(),
            url: url
                .as_deref()
                .filter(|u| markup::is_safe_url(u))
                .map(markup::strip_url_tokens)
                .unwrap_or_default(),
        })
    };
    let mut text_html = html(&a.text);
    let title = safe_link(&a.title, &a.title_link);
    if text_html.is_empty() && title.is_none() && a.fields.is_empty() {
        // Cards with nothing else still have a fallback line (unfurls, old integrations).
        text_html =
            a.fallback.as_ref().map(|f| markup::to_html(&Text::plain(f.clone()), ctx)).unwrap_or_default();
    }
    AttachmentView {
        accent: accent(a.color.as_deref()),
        pretext_html: html(&a.pretext),
        author: safe_link(&a.author_name, &a.author_link),
        title,
        text_html,
        fields: a
            .fields
            .iter()
            .map(|f| FieldView {
                title: f.title.clone(),
                value_html: markup::to_inline_html(&f.value, ctx),
                short: f.short,
            })
            .collect(),
        footer: a.footer.clone(),
        service: a.service_name.clone(),
    }
}

/// Buckets a `#rrggbb` accent into a named hue, since the CSP allows no inline styles.
fn accent(color: Option<&str>) -> &'static str {
    let Some(hex) = color.and_then(|c| c.strip_prefix('#')) else {
        return "none";
    };
    let expand = |s: &str| u8::from_str_radix(s, 16).ok().map(f32::from);
    let (r, g, b) = match hex.len() {
        6 => (expand(&hex[0..2]), expand(&hex[2..4]), expand(&hex[4..6])),
        3 => (expand(&hex[0..1].repeat(2)), expand(&hex[1..2].repeat(2)), expand(&hex[2..3].repeat(2))),
        _ => return "none",
    };
    let (Some(r), Some(g), Some(b)) = (r, g, b) else {
        return "none";
    };
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max - min < 24.0 {
        return "gray";
    }
    let hue = if (max - r).abs() < f32::EPSILON {
        60.0 * (((g - b) / (max - min)).rem_euclid(6.0))
    } else if (max - g).abs() < f32::EPSILON {
        60.0 * ((b - r) / (max - min) + 2.0)
    } else {
        60.0 * ((r - g) / (max - min) + 4.0)
    };
    match hue {
        h if !(15.0..345.0).contains(&h) => "red",
        h if h < 45.0 => "orange",
        h if h < 70.0 => "yellow",
        h if h < 170.0 => "green",
        h if h < 260.0 => "blue",
        _ => "purple",
    }
}

/// A file as shown: inline when it is an image the site has, a download when it is another
/// file the site has, else its name with "not archived".
fn file_view(f: &File, stored: Option<&Stored>, root: &str) -> FileView {
    let (image, href) = match stored {
        Some(Stored::Image { full, thumbnail, width, height }) => {
            let (src, w, h) = match thumbnail {
                Some(t) => (
                    t,
                    THUMBNAIL_WIDTH,
                    // Narrower than the original, so the scaled height fits.
                    u32::try_from(u64::from(*height) * u64::from(THUMBNAIL_WIDTH) / u64::from(*width).max(1))
                        .unwrap_or(*height),
                ),
                None => (full, *width, *height),
            };
            let alt = f.title.clone().unwrap_or_else(|| f.name.clone());
            let view = ImageView {
                src: format!("{root}{src}"),
                full: format!("{root}{full}"),
                width: w,
                height: h,
                alt,
            };
            (Some(view), None)
        }
        Some(Stored::File { path }) => (None, Some(format!("{root}{path}"))),
        None => (None, None),
    };
    FileView {
        name: f.name.clone(),
        title: f.title.clone(),
        kind: f.mimetype.as_deref().map(file_kind),
        size: f
            .size
            .or_else(|| f.body.as_ref().map(|b| b.bytes.len() as u64))
            .filter(|s| *s > 0)
            .map(human_size),
        deleted: f.deleted,
        image,
        href,
        link: f.link.clone().filter(|l| markup::is_safe_url(l)).map(|l| markup::strip_url_tokens(&l)),
    }
}

fn file_kind(mime: &str) -> String {
    match mime.split_once('/') {
        Some(("image", sub)) => format!("{} image", sub.trim_start_matches("x-").to_uppercase()),
        Some(("application", "pdf")) => "PDF".to_owned(),
        Some(("text", "plain")) => "Text".to_owned(),
        Some((kind @ ("video" | "audio"), sub)) => {
            format!("{} {kind}", sub.trim_start_matches("x-").to_uppercase())
        }
        _ => mime.to_owned(),
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    #[allow(clippy::cast_precision_loss)]
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{size:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_bucket_by_hue() {
        assert_eq!(accent(Some("#a30200")), "red");
        assert_eq!(accent(Some("#2eb886")), "green");
        assert_eq!(accent(Some("#daa038")), "orange");
        assert_eq!(accent(Some("#439fe0")), "blue");
        assert_eq!(accent(Some("#777777")), "gray");
        assert_eq!(accent(None), "none");
    }

    #[test]
    fn sizes_and_sentences() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_234_567), "1.2 MB");
        assert_eq!(sentence(&["a", "b", "c"]), "a, b and c");
    }
}
