#!/usr/bin/env python3
"""Writes sample-logs/: a small, realistic Slack workspace export (sample-logs/slack/) for
scrollback's demo and tests, with its graphs (scripts/sample_snapshots.py) and the same team's
older IRC logs (sample-logs/irc/, scripts/sample_irc.py).

The workspace is an ops team at a metrics company, 10-18 January 2014. Two stories run through
#ops: on Sunday 12 January an API latency spike with 502s on two web hosts turns out to be a
four-minute network partition; on Friday 17 January (the middle of the night for the on-call
DBA in Melbourne) replication on read replica rr16 breaks and the replica is replaced. Around
them: alerts from a monitoring bot (threshold alerts, log-search hits, pager escalations,
exception reports), deploys, everyday chatter, threads, reactions, an edited message, a
private channel and a DM that must never be published.

Everything is deterministic: run it again and the files are byte-identical.
Usage: python3 scripts/sample_logs.py [OUT_DIR]   (default: sample-logs)
"""

import json
import zlib
import os
import random
import re
import shutil
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

ROOT = sys.argv[1] if len(sys.argv) > 1 else "sample-logs"
OUT = os.path.join(ROOT, "slack")
PACIFIC = ZoneInfo("America/Los_Angeles")  # Slack buckets day files by Pacific date.

USERS = [
    # id, handle, real name, display name, title, email, phone, tz
    ("U024BE7LH", "peter", "Peter Novak", "peter", "SRE", "peter.novak@parsec-metrics.example", "+1 415 555 0134", "Europe/Prague"),
    ("U024BE7LJ", "anna", "Anna Lindqvist", "anna", "Backend engineer", "anna@parsec-metrics.example", "", "Europe/Stockholm"),
    ("U024BE7LK", "marcus", "Marcus Oyelaran", "Marcus O.", "DBA", "marcus.o@parsec-metrics.example", "(555) 010-7788", "Australia/Melbourne"),
    ("U024BE7LL", "sofia", "Sofia Ramos", "sofia", "Network engineer", "sofia@parsec-metrics.example", "", "America/Los_Angeles"),
    ("U024BE7LM", "li", "Li Wei", "Li", "Engineering manager", "li.wei@parsec-metrics.example", "", "America/Los_Angeles"),
    ("U024BE7LN", "jonas", "Jonas Berg", "", "SRE", "jonas@parsec-metrics.example", "", "Europe/Berlin"),
]
BOTS = [
    # bot user id, bot id, name
    ("U02BOTLIB", "B02LIBRAT", "Librato"),
    ("U02BOTPAP", "B02PAPERT", "Papertrail"),
    ("U02BOTPGD", "B02PGDUTY", "PagerDuty"),
    ("U02BOTHBR", "B02HONEYB", "Honeybadger"),
    ("U02BOTDPL", "B02DEPLOY", "deploybot"),
]
CHANNELS = {
    # name: (id, purpose, topic, members)
    "general": ("C024BE91L", "Company-wide announcements and work-based matters", "Parsec Metrics: all hands Thursdays 17:00 UTC", None),
    "ops": ("C024BE91M", "Alerts, incidents and everything production", "On call: @peter (EU) / @marcus (APAC) | runbooks pinned", None),
    "deploys": ("C024BE91N", "Deploy notifications and release chatter", "", None),
    "random": ("C024BE91P", "Non-work banter and water cooler conversation", "", None),
}
PRIVATE = {"ops-private": ("G024BE92A", "Vendor contracts and on-call pay: not for the archive", "")}
DM_ID = "D024BE93A"
MPIM = ("G024BE94B", "mpdm-peter--anna--li-1")

USER_IDS = {h: uid for uid, h, *_ in USERS}
CHANNEL_IDS = {n: c[0] for n, c in CHANNELS.items()}
CHANNEL_IDS.update({n: c[0] for n, c in PRIVATE.items()})

messages = {}  # conversation folder -> list of message dicts
_seq = {}


def ts_of(day, hms, exact=None):
    """Slack ts for 2014-01-<day> <hms> UTC: seconds plus a per-second sequence fraction."""
    if exact:
        return exact
    dt = datetime(2014, 1, day, *map(int, hms.split(":")), tzinfo=timezone.utc)
    sec = int(dt.timestamp())
    _seq[sec] = _seq.get(sec, 0) + 1
    return f"{sec}.{_seq[sec]:06d}"


def mrkdwn(text):
    """`@handle` → `<@U…>`, `#channel` → `<#C…|channel>`; plain `&<>` must be pre-escaped."""
    text = re.sub(r"(?<![\w<|/])@(\w+)", lambda m: f"<@{USER_IDS[m.group(1)]}>" if m.group(1) in USER_IDS else m.group(0), text)
    text = re.sub(r"(?<![\w&<|/])#([a-z][\w-]*)", lambda m: f"<#{CHANNEL_IDS[m.group(1)]}|{m.group(1)}>" if m.group(1) in CHANNEL_IDS else m.group(0), text)
    return text


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post(folder, day, hms, who, text, exact=None, **extra):
    msg = {"type": "message", "user": USER_IDS[who], "text": mrkdwn(text), "ts": ts_of(day, hms, exact)}
    msg.update(extra)
    messages.setdefault(folder, []).append(msg)
    return msg


def bot(folder, day, hms, name, text="", attachments=None, exact=None):
    bot_user, bot_id, _ = next(b for b in BOTS if b[2] == name)
    msg = {"type": "message", "subtype": "bot_message", "bot_id": bot_id, "username": name,
           "text": mrkdwn(text), "ts": ts_of(day, hms, exact)}
    if attachments:
        msg["attachments"] = attachments
    messages.setdefault(folder, []).append(msg)
    return msg


def system(folder, day, hms, who, subtype, text, **extra):
    msg = {"type": "message", "subtype": subtype, "user": USER_IDS[who],
           "text": f"<@{USER_IDS[who]}|{who}> {text}", "ts": ts_of(day, hms)}
    msg.update(extra)
    messages.setdefault(folder, []).append(msg)
    return msg


def reply(parent, folder, day, hms, who, text, broadcast=False, **extra):
    msg = post(folder, day, hms, who, text, **extra)
    msg["thread_ts"] = parent["ts"]
    msg["parent_user_id"] = parent.get("user", "")
    if broadcast:
        msg["subtype"] = "thread_broadcast"
    parent.setdefault("replies", []).append({"user": msg["user"], "ts": msg["ts"]})
    parent["thread_ts"] = parent["ts"]
    parent["reply_count"] = len(parent["replies"])
    return msg


def upload(file_id, name, title, who):
    """A Slack file object: the export carries its metadata and a token URL; the body is in
    __uploads/ (slackdump's layout), written by scripts/sample_snapshots.py."""
    token = "?t=xoxe-1234567890-12345678901-12345678901-0123456789"
    return {"id": file_id, "created": 1389500000, "timestamp": 1389500000, "name": name, "title": title,
            "mimetype": "image/png", "filetype": "png", "pretty_type": "PNG", "user": USER_IDS[who], "size": 0,
            "mode": "hosted", "original_w": 720, "original_h": 300,
            "url_private": f"https://files.slack.com/files-pri/T024BE7LD-{file_id}/{name}{token}",
            "url_private_download": f"https://files.slack.com/files-pri/T024BE7LD-{file_id}/download/{name}{token}",
            "permalink": f"https://parsec-metrics.slack.com/files/{USER_IDS[who]}/{file_id}/{name}"}


def react(msg, name, *who):
    msg.setdefault("reactions", []).append({"name": name, "users": [USER_IDS[w] for w in who], "count": len(who)})


def librato_alert(folder, day, hms, metric, value, source, threshold, exact=None):
    when = f"2014-01-{day:02d} {hms} UTC"
    return bot(folder, day, hms, "Librato", exact=exact, attachments=[{
        "fallback": f"Alert triggered at {when} for '{metric}' with value {value} from {source}",
        "color": "danger",
        "pretext": f"Alert triggered at {when} for '{metric}' with value {value} from {source}",
        "title": f"{metric} > {threshold}",
        "title_link": f"https://metrics.librato.com/alerts/{zlib.crc32(metric.encode()) % 90000 + 10000}",
        "fields": [
            {"title": "Metric", "value": metric, "short": True},
            {"title": "Source", "value": source, "short": True},
            {"title": "Value", "value": str(value), "short": True},
            {"title": "Threshold", "value": str(threshold), "short": True},
        ],
        "mrkdwn_in": ["pretext"],
    }])


def librato_clear(folder, day, hms, metric, source):
    return bot(folder, day, hms, "Librato", attachments=[{
        "fallback": f"Alert cleared for '{metric}' from {source}",
        "color": "good",
        "text": f"Alert cleared at 2014-01-{day:02d} {hms} UTC for '{metric}' from {source}",
    }])


def papertrail(folder, day, hms, search, count, lines):
    body = "```" + "\n".join(esc(l) for l in lines) + "```"
    return bot(folder, day, hms, "Papertrail", attachments=[{
        "fallback": f"\"{search}\" search found {count} matches",
        "color": "warning",
        "title": f"\"{search}\" search found {count} matches",
        "title_link": "https://papertrailapp.com/searches/1830562",
        "text": body,
        "mrkdwn_in": ["text"],
    }])


def pager(folder, day, hms, state, number, summary, who=None, exact=None):
    color = {"triggered": "danger", "acknowledged": "warning", "resolved": "good"}[state]
    by = f" by {who}" if who else ""
    text = f"{state.capitalize()}: Incident #{number}{by}: {summary}"
    return bot(folder, day, hms, "PagerDuty", exact=exact, attachments=[{
        "fallback": text, "color": color,
        "title": f"#{number}: {summary}",
        "title_link": f"https://parsec.pagerduty.com/incidents/P{number}QX",
        "text": f"*{state.capitalize()}*{by}", "mrkdwn_in": ["text"],
        "fields": [{"title": "Service", "value": "metrics-api production", "short": True},
                   {"title": "Escalation", "value": "Primary on-call", "short": True}],
    }])


def honeybadger(folder, day, hms, error, message, where, count):
    return bot(folder, day, hms, "Honeybadger", attachments=[{
        "fallback": f"[metrics-api/production] {error}: {message}",
        "color": "danger",
        "author_name": "Honeybadger",
        "title": f"[metrics-api/production] {error}: {message}",
        "title_link": "https://app.honeybadger.io/projects/31337/faults/4471202",
        "text": f"{esc(where)}\nOccurred {count} times in the last 5 minutes.",
        "fields": [{"title": "Environment", "value": "production", "short": True}],
    }])


def deploy(day, hms, who, app, version, hosts, status="finished"):
    color = "good" if status == "finished" else "danger"
    return bot("deploys", day, hms, "deploybot", text=f"@{who} deployed *{app}* {version} to production",
               attachments=[{"fallback": f"{app} {version} deploy {status}", "color": color,
                             "fields": [{"title": "Hosts", "value": hosts, "short": True},
                                        {"title": "Status", "value": status, "short": True}]}])


# ---------------------------------------------------------------------------------------------
# Before the stories: a normal week.

system("general", 10, "08:02:11", "jonas", "channel_join", "has joined the channel")
post("general", 10, "08:05:40", "li", "Please welcome @jonas, who joins the SRE team today :wave: Jonas comes from a CDN background, so expect opinions about caches.")
m = post("general", 10, "08:06:02", "peter", "Welcome Jonas! Your first on-call shadow shift starts next week, I'll send you the runbooks.")
react(m, "wave", "anna", "sofia", "jonas")
post("general", 10, "08:11:30", "jonas", "Thanks all! Happy to be here. Coffee machine location is the first runbook I need :coffee:")
system("ops", 10, "08:12:45", "jonas", "channel_join", "has joined the channel")
system("deploys", 10, "08:12:50", "jonas", "channel_join", "has joined the channel")
system("random", 10, "08:12:58", "jonas", "channel_join", "has joined the channel")

runbook = post("ops", 10, "08:20:03", "peter", "Runbooks live at <https://wiki.parsec-metrics.example/ops/runbooks|wiki/ops/runbooks>. The two you need first: _API 5xx_ and _Postgres replica lag_.")
system("ops", 10, "08:20:30", "peter", "pinned_item", "pinned a message to this channel.", attachments=[{"fallback": "Runbooks live at wiki/ops/runbooks", "text": "Runbooks live at wiki/ops/runbooks", "author_name": "peter"}])
deploy(10, "09:14:22", "anna", "metrics-api", "v2.14.2", "metrics-web-prod-511..518")
post("deploys", 10, "09:15:03", "anna", "v2.14.2 is the batch writer fix for the duplicate points bug. Watching `api.ingest.points.dropped` for a bit.")
post("deploys", 10, "09:41:17", "anna", "Looks good, dropped points back to zero :tada:")
librato_alert("ops", 10, "11:02:47", "kafka.consumer.lag", 48210, "metrics-rollup-prod-2", 20000)
k = post("ops", 10, "11:04:05", "anna", "Kafka lag on the rollup consumer again. It's the Friday compaction job, it'll catch up.")
reply(k, "ops", 10, "11:06:40", "jonas", "Is there a way to tell compaction lag from a stuck consumer? Asking for my future 3am self.")
reply(k, "ops", 10, "11:09:02", "anna", "Check `kafka.consumer.offset.rate`: if it's flat, the consumer is stuck. If it's high and lag is dropping, it's catching up. Compaction also shows as a disk IO spike on the brokers.")
reply(k, "ops", 10, "11:10:15", "jonas", "Perfect, adding that to my notes :pray:")
librato_clear("ops", 10, "11:31:05", "kafka.consumer.lag", "metrics-rollup-prod-2")
post("random", 10, "12:30:12", "sofia", "Lunch poll: ramen or the taco truck? React with :ramen: or :taco:")
poll = messages["random"][-1]
react(poll, "ramen", "peter", "jonas")
react(poll, "taco", "sofia", "anna", "li")
post("random", 10, "12:31:40", "peter", "Ramen. It's January.")
post("random", 10, "12:33:05", "anna", "Tacos win, democracy has spoken :taco:")
post("general", 10, "16:58:00", "li", "Reminder: all hands moved to Thursday 17:00 UTC from next week.")
edited = post("random", 10, "17:45:21", "jonas", "Anyone up for climbing on Saturday? The gym near the office has a new bouldering wall.",
              edited={"user": USER_IDS["jonas"], "ts": "1389376200.000000"})
react(edited, "+1", "sofia")
post("random", 10, "17:47:02", "sofia", "I'm in! 10am?")
post("random", 10, "17:48:30", "jonas", "10am works. I'll bring the chalk.")

post("general", 11, "09:12:44", "marcus", "Morning from Melbourne (well, evening). It's 38°C here, send snow.")
m = post("general", 11, "09:14:02", "peter", "Prague has plenty of snow to spare :snowflake:")
react(m, "joy", "marcus", "anna")
post("random", 11, "10:02:10", "sofia", "Climbing report: Jonas flashed the yellow V3, I fell off it four times :sweat_smile:")
post("random", 11, "10:05:55", "jonas", "Beginner's luck. The overhang one defeated me completely.")

# ---------------------------------------------------------------------------------------------
# Story 1: Sunday 12 January, API latency spike with 502s on two hosts = short network partition.

a1 = librato_alert("ops", 12, "07:27:13", "api.cache.metrics.mget.time", 2314.5, "metrics-web-prod-513", 1000)
librato_alert("ops", 12, "07:27:41", "api.cache.metrics.mget.time", 1987.2, "metrics-web-prod-514", 1000)
papertrail("ops", 12, "07:28:02", "status=502", 148, [
    'Jan 12 07:27:58 metrics-web-prod-513 nginx: 10.0.1.22 - - [12/Jan/2014:07:27:58 +0000] "GET /v1/metrics/api.cache.metrics.mget.time?resolution=60 HTTP/1.1" 502 166 upstream=metrics-web-prod-513:8081 upstream_response_time=30.001',
    'Jan 12 07:27:59 metrics-web-prod-514 nginx: 10.0.1.23 - - [12/Jan/2014:07:27:59 +0000] "POST /v1/metrics HTTP/1.1" 502 166 upstream=metrics-web-prod-514:8081 upstream_response_time=30.000',
    'Jan 12 07:28:01 metrics-web-prod-513 nginx: 10.0.1.22 - - [12/Jan/2014:07:28:01 +0000] "GET /v1/charts/4411 HTTP/1.1" 502 166 upstream=metrics-web-prod-513:8081 upstream_response_time=30.002',
])
pager("ops", 12, "07:29:10", "triggered", 4711, "API 5xx rate above 2% on metrics-web-prod-513, metrics-web-prod-514")
p1 = post("ops", 12, "07:30:02", "peter", "Ack, looking. It's only 513 and 514, the other web hosts are fine.")
pager("ops", 12, "07:30:05", "acknowledged", 4711, "API 5xx rate above 2% on metrics-web-prod-513, metrics-web-prod-514", who="Peter Novak")
post("ops", 12, "07:31:20", "peter", "Both hosts are timing out on memcached `mget`, 30s upstream timeouts. Load is normal, CPU idle. Something between them and the cache tier.")
post("ops", 12, "07:32:44", "peter", "```$ echo stats | nc -w 2 10.0.3.7 11211\n(no response after 2s)\n$ ping -c 3 10.0.3.7\n3 packets transmitted, 0 received, 100% packet loss```")
post("ops", 12, "07:33:10", "peter", "@sofia are you around? 513/514 can't reach memcached on 10.0.3.7, but 515 can. Smells like network.")
honeybadger("ops", 12, "07:33:48", "Dalli::RingError", "No server available", "app/models/metric_cache.rb:88 in `fetch_multi'", 312)
post("ops", 12, "07:35:02", "sofia", "Here. Checking the rack 3 switch, 513 and 514 are the only web hosts in r3.")
post("ops", 12, "07:36:30", "sofia", "Yep: `r3-tor-1` lost its uplink to the cache VLAN at 07:26:51, LACP flapped. The other port is carrying traffic again as of 07:31.")
post("ops", 12, "07:37:15", "peter", "That matches, mget times are dropping now. 502s stopped at 07:31:40 in Papertrail.",
     files=[upload("F024BE9G1", "mget-time-p99.png", "api.cache.metrics.mget.time p99, metrics-web-prod-513 and -514", "peter")])
post("ops", 12, "07:38:30", "peter", "And the 5xx rate, only r3 hosts:", subtype="file_share",
     files=[upload("F024BE9G2", "api-5xx-rate.png", "API 5xx rate by host", "peter")])
p2 = post("ops", 12, "07:38:02", "anna", "Morning. Saw the page. Anything need doing on the app side? We could lower the Dalli socket timeout so a dead cache fails fast instead of tying up unicorns for 30s.")
reply(p2, "ops", 12, "07:39:40", "peter", "Yes please, 30s is absurd for a cache read. Something like 250ms and fall through to the DB?")
reply(p2, "ops", 12, "07:41:05", "anna", "250ms socket timeout plus `down_retry_delay` 5s. I'll open a PR tomorrow: OPS-2231.")
reply(p2, "ops", 12, "07:41:30", "li", "+1, and let's put a partial-outage alert on per-host 5xx so we notice a single rack faster.", broadcast=True)
librato_clear("ops", 12, "07:42:10", "api.cache.metrics.mget.time", "metrics-web-prod-513")
librato_clear("ops", 12, "07:42:31", "api.cache.metrics.mget.time", "metrics-web-prod-514")
post("ops", 12, "07:44:50", "sofia", "Root cause: a flapping LACP member on `r3-tor-1` partitioned rack 3 from the cache VLAN for about four and a half minutes (07:26:51 to 07:31:20). I've disabled the flapping port and opened a ticket with the DC to replace the optic.")
pager("ops", 12, "07:52:00", "resolved", 4711, "API 5xx rate above 2% on metrics-web-prod-513, metrics-web-prod-514", who="Peter Novak")
ac = post("ops", 12, "07:52:30", "peter", "All clear. Short network partition in rack 3, ~4.5 minutes of 502s on 513/514 (roughly 1.9% of API requests). Follow-ups: OPS-2231 (fail fast on cache timeouts), OPS-2232 (per-host 5xx alert), DC ticket for the optic.")
react(ac, "+1", "sofia", "anna", "li", "marcus")
react(ac, "white_check_mark", "li")
post("ops", 12, "07:55:12", "jonas", "Shadowing this was very educational. Is there a postmortem template?")
post("ops", 12, "07:56:40", "peter", "<https://wiki.parsec-metrics.example/ops/postmortems/template|Postmortem template> :point_left: I'll write this one up Monday, you can review.")
system("ops", 12, "08:03:00", "sofia", "channel_topic", "set the channel topic: On call: @peter (EU) / @marcus (APAC) | runbooks pinned | r3-tor-1 optic swap pending", topic="On call: <@U024BE7LH> (EU) / <@U024BE7LK> (APAC) | runbooks pinned | r3-tor-1 optic swap pending")

post("random", 12, "15:20:04", "anna", "Sunday pager + Sunday baking: cardamom buns turned out great anyway")
post("random", 12, "15:22:30", "jonas", "Recipe or it didn't happen")
post("random", 12, "15:25:10", "anna", "<https://www.example.org/recipes/kardemummabullar|Kardemummabullar>, I use 50% more cardamom than it says")

# Monday 13: follow-ups, deploys.
post("ops", 13, "08:45:22", "peter", "Postmortem for Sunday is up: <https://wiki.parsec-metrics.example/ops/postmortems/2014-01-12-rack3-partition|2014-01-12 rack 3 partition>. @jonas please review.")
post("ops", 13, "09:30:11", "jonas", "Reviewed. One question: should the Dalli timeout change have an alert of its own? If the cache goes away entirely we'd fall through to Postgres for every read.")
post("ops", 13, "09:33:40", "peter", "Good catch. Falling through is fine for a few minutes, but the read replicas would feel it. Added a note about replica headroom.")
deploy(13, "14:02:50", "anna", "metrics-api", "v2.14.3", "metrics-web-prod-511..518")
post("deploys", 13, "14:03:30", "anna", "v2.14.3 = OPS-2231, cache reads now time out after 250ms. `api.cache.metrics.mget.time` p99 should cap around 250.")
post("deploys", 13, "14:40:12", "peter", "p99 `api.cache.metrics.mget.time` is 31ms, nothing near the cap. :ok_hand:")
librato_alert("ops", 13, "16:12:00", "api.request.5xx.rate.per_host", 2.4, "metrics-web-prod-517", 2)
post("ops", 13, "16:13:05", "peter", "That's the new per-host 5xx alert from OPS-2232 firing during the canary restart on 517. Tuning it to ignore the first 60s after a restart.")
librato_clear("ops", 13, "16:14:30", "api.request.5xx.rate.per_host", "metrics-web-prod-517")

post("general", 14, "09:00:05", "li", "Q1 planning doc is up for comments until Friday. The big items: read replica upgrade to 9.3, Kafka 0.8.1, and the new chart renderer.")
t = post("general", 14, "09:10:40", "marcus", "On the replica upgrade: I'd like to do rr15 and rr16 first, they're the oldest and rr16 has been weird about WAL replay lately.")
reply(t, "general", 14, "09:14:02", "li", "Weird how?")
reply(t, "general", 14, "09:20:31", "marcus", "Replication lag spikes to a few minutes during the nightly vacuum on the primary, then recovers. Nothing alarming yet but I'm watching it.")
reply(t, "general", 14, "09:22:10", "peter", "We have the lag alert at 300s on all replicas, so we'd hear about it.")
post("random", 14, "12:12:12", "sofia", "The DC swapped the optic on r3-tor-1. The tech sent a photo of the old one, it has a visible crack :camera_with_flash:",
     files=[{"id": "F024BE9ZZ", "name": "r3-tor-1-optic.jpg", "title": "Cracked SFP+ from r3-tor-1", "mimetype": "image/jpeg", "filetype": "jpg",
             "size": 284113, "mode": "hosted",
             "url_private": "https://files.slack.com/files-pri/T024BE7LD-F024BE9ZZ/r3-tor-1-optic.jpg?t=xoxe-1234567890-12345678901-12345678901-0123456789",
             "url_private_download": "https://files.slack.com/files-pri/T024BE7LD-F024BE9ZZ/download/r3-tor-1-optic.jpg?t=xoxe-1234567890-12345678901-12345678901-0123456789"}],
     subtype="file_share")
post("random", 14, "12:15:40", "jonas", "That's the most satisfying root cause photo I've ever seen")
deploy(14, "15:30:44", "peter", "chart-renderer", "v0.9.0", "metrics-chart-prod-1..2")
post("deploys", 14, "15:31:20", "peter", "First production deploy of the new chart renderer behind a flag. Only staff accounts get it.")
deploy(15, "10:05:12", "anna", "metrics-api", "v2.15.0", "metrics-web-prod-511..518", status="failed")
post("deploys", 15, "10:06:01", "anna", "Failed on 515: `bundle install` timed out fetching from rubygems. Retrying.")
deploy(15, "10:14:40", "anna", "metrics-api", "v2.15.0", "metrics-web-prod-511..518")
post("deploys", 15, "10:15:05", "anna", "v2.15.0 is out: annotations API, and the batch endpoint accepts gzip now.")
system("random", 15, "11:00:00", "li", "me_message", "is out Thursday afternoon for the dentist, ping @peter for anything urgent")
messages["random"][-1]["text"] = "is out Thursday afternoon for the dentist, ping <@U024BE7LH> for anything urgent"
post("random", 15, "16:20:30", "peter", "Friday board game night is on. Bringing Power Grid, which is basically capacity planning with dice.")
post("general", 16, "17:00:00", "li", "All hands notes: <https://wiki.parsec-metrics.example/company/all-hands/2014-01-16|2014-01-16 all hands>. Thanks everyone for the quick response on Sunday's partition.")
post("ops", 16, "18:32:10", "marcus", "Heads up: rr16 lag spiked to 210s during tonight's vacuum again. Under the alert, but it's getting worse. I'll look at it tomorrow (my) morning.")

# ---------------------------------------------------------------------------------------------
# Story 2: Friday 17 January 17:11 UTC (04:11 in Melbourne): replication on read replica rr16 breaks.

a2 = librato_alert("ops", 17, "17:11:39", "postgres.replication.lag_seconds", 1843, "db-rr16", 300, exact="1389978699.000123")
pager("ops", 17, "17:12:05", "triggered", 4721, "Replication lag above 300s on db-rr16 (read replica)")
honeybadger("ops", 17, "17:13:20", "ActiveRecord::StatementInvalid", "PG::Error: ERROR: canceling statement due to conflict with recovery", "app/models/chart_query.rb:41 in `execute'", 57)
post("ops", 17, "17:16:45", "marcus", "Ack. 4am here, coffee is brewing. Looking at rr16.")
pager("ops", 17, "17:16:50", "acknowledged", 4721, "Replication lag above 300s on db-rr16 (read replica)", who="Marcus Oyelaran")
post("ops", 17, "17:19:02", "marcus", "Replication on rr16 has stopped, not just lagging:\n```LOG:  started streaming WAL from primary at 2F1/93000000 on timeline 1\nFATAL:  could not receive data from WAL stream: ERROR:  requested WAL segment 00000001000002F100000093 has already been removed```")
post("ops", 17, "17:19:40", "marcus", "The primary recycled the WAL segment rr16 needed. `wal_keep_segments` is 256 and tonight's vacuum plus the backfill job generated more than that.")
post("ops", 17, "17:21:10", "peter", "I'm here too. rr16 is still in the read pool, so charts are serving stale data and queries get cancelled. Pulling it out of pgbouncer now.")
post("ops", 17, "17:23:33", "peter", "Removed rr16 from `pgbouncer.ini` on the app hosts and reloaded. Reads now spread over rr14, rr15, rr17. Read replica load went from 35% to 48% each, fine for now: <https://metrics.librato.com/s/spaces/replicas?duration=3600|replica load>")
honeybadger("ops", 17, "17:24:02", "ActiveRecord::StatementInvalid", "PG::Error: ERROR: canceling statement due to conflict with recovery", "app/models/chart_query.rb:41 in `execute'", 3)
rr = post("ops", 17, "17:25:50", "marcus", "rr16 can't catch up without the missing WAL, and the archive only has 24h of segments for that timeline. Fastest fix: build a replacement read replica from tonight's base backup. rr18 from snapshot, ~40 minutes.")
reply(rr, "ops", 17, "17:27:05", "li", "Go for it. Anything we can do to make this impossible next time?")
reply(rr, "ops", 17, "17:29:30", "marcus", "Replication slots would pin the WAL on the primary until the replica has it. We're on 9.2 though, slots need 9.4. For now: raise `wal_keep_segments` to 1024 and let replicas fall back to the WAL archive with `restore_command`.")
reply(rr, "ops", 17, "17:30:12", "peter", "And an alert on WAL archive age, so we know the fallback works.")
post("ops", 17, "17:34:00", "marcus", "rr18 provisioning from the 16:00 base backup. Restoring 412 GB.")
post("ops", 17, "17:58:41", "jonas", "Watching along from Berlin. Is rr16 going to be rebuilt or retired?")
post("ops", 17, "18:01:15", "marcus", "Retired. It's the oldest box we have and the 9.3 upgrade was going to replace it anyway.")
post("ops", 17, "18:16:32", "marcus", "rr18 restored, replaying WAL from the archive. Lag 2400s and falling fast.",
     files=[upload("F024BE9G3", "replication-lag.png", "postgres.replication.lag_seconds, db-rr16 and db-rr18", "marcus")])
librato_alert("ops", 17, "18:20:00", "postgres.replication.lag_seconds", 2102, "db-rr18", 300)
post("ops", 17, "18:20:40", "marcus", "^ expected, that's rr18 catching up. Ignore until it's under 300.")
post("ops", 17, "18:41:05", "marcus", "rr18 caught up, lag under 1s. Running the replica consistency check before it goes into the pool.")
post("ops", 17, "18:52:20", "marcus", "Consistency check passed. Adding rr18 to `pgbouncer.ini` on the app hosts.")
post("ops", 17, "18:55:02", "peter", "rr18 is taking reads. Read replica load back to 36%.")
librato_clear("ops", 17, "18:57:30", "postgres.replication.lag_seconds", "db-rr18")
pager("ops", 17, "19:02:10", "resolved", 4721, "Replication lag above 300s on db-rr16 (read replica)", who="Marcus Oyelaran")
ac2 = post("ops", 17, "19:03:00", "marcus", "All clear :+1: rr16 out of service (replication broken: WAL segment recycled on the primary), replaced by rr18 from the base backup. Stale charts for ~12 minutes, ~380 cancelled queries. Follow-ups: OPS-2240 `wal_keep_segments` 1024 + `restore_command` on replicas, OPS-2241 WAL archive age alert, OPS-2242 decommission rr16. Going back to bed.")
react(ac2, "+1", "peter", "li", "jonas", "anna")
react(ac2, "sleeping", "peter")
react(ac2, "clap::skin-tone-3", "li", "sofia")
post("ops", 17, "19:04:30", "li", "Thank you Marcus, sleep well. Postmortem Monday, no rush.")
post("ops", 18, "10:15:00", "peter", "Applied OPS-2240 on all replicas (`wal_keep_segments = 1024`, `restore_command` pointing at the archive). Tested by pausing rr17's WAL receiver for 20 minutes: it caught up from the archive.")
post("ops", 18, "10:16:44", "marcus", "Lovely. rr16 is powered off, OPS-2242 can close once the DC collects it.")

post("random", 18, "11:02:00", "sofia", "Board game night verdict: Peter won Power Grid by buying every nuclear plant. Capacity planning indeed.")
post("random", 18, "11:05:30", "peter", "Redundancy is a strategy :nerd_face:")

# Filler chatter over the week (deterministic), so channels feel lived-in.
rng = random.Random(20140110)
CHATTER = [
    ("anna", "Does anyone know why the staging Kafka cluster has three brokers and prod has five? Docs say six."),
    ("peter", "Ops review notes are on the wiki, tl;dr fewer pages this week than last."),
    ("sofia", "Reminder that the office network maintenance is Saturday 02:00 UTC. Wi-Fi only, no prod impact."),
    ("jonas", "TIL `pg_stat_replication` shows `replay_location` per replica. Much nicer than comparing xlog positions by hand."),
    ("marcus", "Vacuum on the primary finished in 41 minutes tonight, best in weeks."),
    ("li", "If you haven't filled in the on-call survey yet, please do, it takes 3 minutes."),
    ("anna", "The chart renderer flag is now on for 10% of customers. Latency p95 is 180ms vs 420ms on the old one :rocket:"),
    ("peter", "Disk on metrics-rollup-prod-1 at 78%, expanding the volume this afternoon."),
    ("sofia", "New BGP session to the second transit provider is up in the Ashburn DC."),
    ("jonas", "Is the memcached cluster sized for the new read patterns from the chart renderer? Hit rate is 92% on 10.0.3.7 and 10.0.3.8."),
    ("marcus", "Reminder: no schema migrations on Fridays after 15:00 UTC."),
    ("anna", "Kafka latency from the ingest tier is up a bit after the partition reassignment, p99 produce latency 45ms. Watching."),
    ("li", "Hiring update: two SRE candidates onsite next week, sign up for interview slots please."),
    ("peter", "Who owns the `metrics-export` cron? It has been failing quietly since Tuesday."),
    ("anna", "Me, sorry. S3 credentials rotated and the cron had the old ones. Fixed now."),
    ("jonas", "Finished the shadow shift handbook draft, comments welcome before I send it around."),
    ("sofia", "Traceroutes from Frankfurt to the API look clean again after yesterday's transit blip."),
    ("marcus", "rr14 and rr15 are at 61% disk. Ordering bigger SSDs for the 9.3 upgrade boxes."),
    ("li", "Friendly reminder to log your time on the incident follow-ups so we can see what they cost."),
    ("peter", "Rotated the TLS cert on api.parsec-metrics.example, new expiry is January 2015."),
    ("anna", "The annotations API has its first external user already, a customer graphing their deploys."),
    ("jonas", "Does the `the` in our status page copy need to be capitalised? Asking for a friend with opinions."),
    ("sofia", "Packet loss alarms on the Ashburn uplink were a monitoring bug, the probes were rate limited."),
    ("marcus", "Slow query of the week: the chart listing does a sequential scan on `annotations`. Index coming."),
    ("peter", "Anyone else seeing `ssh` slowness to the bastion? Looks like DNS reverse lookups timing out."),
    ("sofia", "Bastion DNS fixed, it was pointing at the old resolver 10.0.0.2."),
    ("li", "Coffee machine is fixed. Jonas's first runbook can be marked as complete."),
    ("anna", "Reading replica metrics: rr17 serves 40% of chart reads, it's the only one with the new SSDs."),
    ("jonas", "Built a small dashboard for per-host 5xx rates, link in the ops wiki."),
    ("marcus", "Friendly PSA: `pg_dump` of the metrics database takes 3 hours now, schedule accordingly."),
    ("peter", "Deploy freeze for the chart renderer until Monday, the flag is off for everyone."),
    ("anna", "Unfroze the chart renderer, fix for the legend overlap is out."),
    ("sofia", "Re-cabled rack 3 during the maintenance window, both LACP members on new optics."),
    ("li", "Great week everyone. Two incidents, both handled calmly, both with follow-ups already moving."),
    ("jonas", "Latency on the Kafka ingest path is back to normal, p99 produce latency 12ms."),
]
for i, (who, text) in enumerate(CHATTER):
    day = 10 + (i * 7) % 9
    folder = "general" if i % 3 == 0 else ("ops" if i % 3 == 1 else "random")
    hh = 9 + rng.randrange(0, 8)
    mm = rng.randrange(0, 60)
    ss = rng.randrange(0, 60)
    m = post(folder, day, f"{hh:02d}:{mm:02d}:{ss:02d}", who, text)
    if rng.random() < 0.3:
        react(m, rng.choice(["+1", "eyes", "tada", "100"]), *rng.sample(["peter", "anna", "sofia", "jonas", "li", "marcus"], 2))

for i in range(40):
    day = 10 + i % 9
    hh, mm = 6 + (i * 5) % 14, (i * 17) % 60
    app, hosts = [("metrics-api", "metrics-web-prod-511..518"), ("metrics-rollup", "metrics-rollup-prod-1..3"),
                  ("chart-renderer", "metrics-chart-prod-1..2"), ("ingest-gateway", "ingest-prod-1..4")][i % 4]
    who = ["anna", "peter", "jonas", "marcus"][i % 4]
    deploy(day, f"{hh:02d}:{mm:02d}:{(i * 13) % 60:02d}", who, app, f"v{1 + i % 3}.{i % 7}.{i}", hosts)

# Routine alerts that clear on their own, a couple a day, as in any real #ops.
ROUTINE = [("system.disk.used_percent", 85, "metrics-rollup-prod-{}", 91.2),
           ("system.load.1", 8, "metrics-web-prod-51{}", 11.4),
           ("kafka.consumer.lag", 20000, "metrics-rollup-prod-{}", 26710),
           ("api.request.time.p99", 1500, "metrics-web-prod-51{}", 1712.9)]
for day in range(10, 19):
    for k in range(2):
        metric, threshold, host, value = ROUTINE[(day + k) % len(ROUTINE)]
        host = host.format(1 + (day * 3 + k) % 3)
        hh, mm = 2 + k * 9 + day % 4, (day * 11 + k * 23) % 60
        librato_alert("ops", day, f"{hh:02d}:{mm:02d}:05", metric, value, host, threshold)
        librato_clear("ops", day, f"{hh:02d}:{min(mm + 7, 59):02d}:35", metric, host)
fail = messages["deploys"][next(i for i, m in enumerate(messages["deploys"]) if "failed" in json.dumps(m))]
reply(fail, "deploys", 15, "10:07:30", "peter", "rubygems.org had a blip, status page says resolved. Maybe we should vendor gems on the deploy hosts?")
reply(fail, "deploys", 15, "10:09:12", "anna", "Agreed, `bundle package` into the release tarball. Adding it to OPS-2236.")

# ---------------------------------------------------------------------------------------------
# What must never be published: a private channel, a DM, a group DM.
post("ops-private", 13, "10:00:00", "li", "The new transit contract is signed, €4,200/month. Please keep the number out of public channels.")
post("ops-private", 13, "10:02:11", "peter", "Noted. Also on-call pay goes up 10% from February.")
post("ops-private", 17, "19:10:00", "li", "Marcus's overtime for tonight: please log it, contact me at li.wei@parsec-metrics.example or +1 415 555 0199 if the form breaks.")
post(DM_ID, 12, "08:10:00", "peter", "Thanks for jumping on the switch so fast this morning.")
post(DM_ID, 12, "08:12:30", "sofia", "Anytime. The DC login is in the vault as usual, not pasting it here.")
post(MPIM[1], 15, "13:00:00", "anna", "Surprise cake for Li's 5 year anniversary on Thursday? Don't tell Li.")
post(MPIM[1], 15, "13:02:00", "peter", "Yes! I'll order from the bakery on the corner.")


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=4, ensure_ascii=False)
        f.write("\n")


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    members = [u[0] for u in USERS]
    created = "1389340800"  # 2014-01-10 08:00 UTC; strings, like 2016-era exports
    channels = []
    for name, (cid, purpose, topic, _) in CHANNELS.items():
        ch = {"id": cid, "name": name, "created": created, "creator": USER_IDS["li"], "is_archived": False,
              "is_general": name == "general", "members": members,
              "topic": {"value": mrkdwn(topic), "creator": USER_IDS["li"], "last_set": created},
              "purpose": {"value": purpose, "creator": USER_IDS["li"], "last_set": created}}
        if name == "ops":
            ch["pins"] = [{"id": runbook["ts"], "type": "C", "user": USER_IDS["peter"], "owner": USER_IDS["peter"], "created": "1389342030"}]
        channels.append(ch)
    write_json(f"{OUT}/channels.json", channels)
    write_json(f"{OUT}/groups.json", [{"id": cid, "name": name, "created": created, "creator": USER_IDS["li"], "is_archived": False,
                                        "members": [USER_IDS["li"], USER_IDS["peter"], USER_IDS["marcus"]],
                                        "topic": {"value": "", "creator": "", "last_set": "0"},
                                        "purpose": {"value": purpose, "creator": USER_IDS["li"], "last_set": created}}
                                       for name, (cid, purpose, _t) in PRIVATE.items()])
    write_json(f"{OUT}/dms.json", [{"id": DM_ID, "created": 1389340800, "members": [USER_IDS["peter"], USER_IDS["sofia"]]}])
    write_json(f"{OUT}/mpims.json", [{"id": MPIM[0], "name": MPIM[1], "created": 1389340800, "creator": USER_IDS["anna"], "is_archived": False,
                                       "is_mpim": True, "members": [USER_IDS["peter"], USER_IDS["anna"], USER_IDS["li"]],
                                       "topic": {"value": "", "creator": "", "last_set": 0},
                                       "purpose": {"value": "Group messaging with: @peter @anna @li", "creator": USER_IDS["anna"], "last_set": 1389340800}}])
    users = []
    for uid, handle, real, display, title, email, phone, tz in USERS:
        users.append({"id": uid, "team_id": "T024BE7LD", "name": handle, "deleted": False, "real_name": real, "tz": tz,
                      "is_bot": False, "is_admin": handle == "li",
                      "profile": {"title": title, "phone": phone, "skype": "", "real_name": real, "display_name": display,
                                  "email": email, "first_name": real.split()[0], "last_name": real.split()[-1],
                                  "image_72": f"https://avatars.slack-edge.com/2014-01-01/{uid}_72.png"}})
    for uid, bot_id, name in BOTS:
        users.append({"id": uid, "team_id": "T024BE7LD", "name": name.lower(), "deleted": False, "real_name": name,
                      "is_bot": True, "profile": {"real_name": name, "display_name": "", "bot_id": bot_id}})
    write_json(f"{OUT}/users.json", users)
    write_json(f"{OUT}/integration_logs.json", [{"user_id": USER_IDS["peter"], "user_name": "peter", "date": "1389340900",
                                                  "change_type": "added", "service_id": "2210", "service_type": name, "reason": ""}
                                                 for _, _, name in BOTS])
    for folder, msgs in messages.items():
        msgs.sort(key=lambda m: tuple(int(p) for p in m["ts"].split(".")))
        by_day = {}
        for m in msgs:
            sec = int(m["ts"].split(".")[0])
            day = datetime.fromtimestamp(sec, PACIFIC).strftime("%Y-%m-%d")
            by_day.setdefault(day, []).append(m)
        for day, day_msgs in by_day.items():
            write_json(f"{OUT}/{folder}/{day}.json", day_msgs)
    total = sum(len(m) for m in messages.values())
    print(f"wrote {OUT}: {total} messages in {len(messages)} conversations")
    import importlib.util
    for script, out in [("sample_snapshots", OUT), ("sample_irc", os.path.join(ROOT, "irc"))]:
        spec = importlib.util.spec_from_file_location(script, os.path.join(os.path.dirname(__file__), f"{script}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.argv = [sys.argv[0], out]
        module.main()


main()
