//! Writes a synthetic Slack workspace export of ops chat, for benchmarks.
//!
//! ```sh
//! cargo run --release --example synth_export -- --messages 100000 --out target/bench/export-100k
//! cargo run --release --example synth_export -- --days 100 --out target/bench/export-100d
//! ```
//!
//! Deterministic (`--seed`, default 42): the same arguments give byte-identical files. Twenty
//! channels, about 50 messages per channel-day from 2014-01-01, each channel with its own mix
//! of monitoring alerts (threshold alerts, Alertmanager, `PagerDuty`), pasted nginx log lines
//! with `upstream=host:port`, deploy and CI bots, and human chatter: Zipf-distributed English
//! with ops vocabulary, hostnames from a 1,500-host fleet, metric names, numbers with units,
//! ticket ids, mentions and URLs. About 5% of messages are thread replies.

// Random numbers are cut down to indexes and counts all over; every value is small.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use std::fmt::Write as _;
use std::path::PathBuf;

const CHANNELS: &[(&str, [u32; 6])] = &[
    // weights: threshold alert, alertmanager, pagerduty, nginx log, deploy/ci, chatter
    ("ops", [12, 8, 6, 10, 4, 60]),
    ("alerts", [40, 35, 20, 0, 0, 5]),
    ("incidents", [10, 10, 15, 10, 0, 55]),
    ("kafka", [10, 5, 2, 0, 3, 80]),
    ("databases", [10, 5, 3, 0, 2, 80]),
    ("deploys", [0, 0, 0, 0, 70, 30]),
    ("random", [0, 0, 0, 0, 0, 100]),
    ("general", [0, 0, 0, 0, 0, 100]),
    ("api", [5, 5, 2, 20, 8, 60]),
    ("infra", [10, 10, 5, 5, 10, 60]),
    ("network", [8, 8, 4, 8, 2, 70]),
    ("storage", [10, 5, 3, 0, 2, 80]),
    ("frontend", [2, 2, 1, 5, 15, 75]),
    ("mobile", [1, 1, 1, 0, 15, 82]),
    ("billing", [3, 3, 2, 5, 10, 77]),
    ("search-team", [5, 5, 2, 5, 8, 75]),
    ("data", [5, 5, 2, 0, 8, 80]),
    ("oncall", [15, 15, 20, 5, 0, 45]),
    ("support", [0, 0, 2, 5, 0, 93]),
    ("builds", [0, 0, 0, 0, 85, 15]),
];

const ENGLISH: &str = "the of and to a in is it you that he was for on are with as I his they be at one have this from or had by hot but some what there we can out other were all your when up use word how said an each she which do their time if will way about many then them would write like so these her long make thing see him two has look more day could go come did my sound no most number who over know water than call first people may down side been now find any new work part take get place made live where after back little only round man year came show every good me give our under name very through just form much great think say help low line before turn cause same mean differ move right boy old too does tell sentence set three want air well also play small end put home read hand port large spell add even land here must big high such follow act why ask men change went light kind off need house picture try us again animal point mother world near build self earth father head stand own page should country found answer school grow study still learn plant cover food sun four thought let keep eye never last door between city tree cross since hard start might story saw far sea draw left late run while press close night real life few stop open seem together next white children begin got walk example ease paper often always music those both mark book letter until mile river car feet care second group carry took rain eat room friend began idea fish mountain north once base hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure state product black short numeral class wind question happen complete ship area half rock order fire south problem piece told knew pass farm top whole king size heard best hour better true during hundred am remember step early hold west ground interest reach fast five sing listen six table travel less morning ten simple several vowel toward war lay against pattern slow center love person money serve appear road map science rule govern pull cold notice voice fall power town fine certain fly unit lead cry dark machine note wait plan figure star box noun field rest correct able pound done beauty drive stood contain front teach week final gave green oh quick develop sleep warm free minute strong special mind behind clear tail produce fact street inch lot nothing course stay wheel full force blue object decide surface deep moon island foot yet busy test record boat common gold possible plane age dry wonder laugh thousand ago ran check game shape yes cool miss brought heat snow bed bring sit perhaps fill east weight language among";

const OPS: &str = "deploy rollback latency replica replication kafka consumer lag broker partition offset cluster node pod container kubernetes postgres mysql redis memcached cache nginx upstream timeout error errors exception stacktrace alert alerting pager oncall incident outage degraded healthy unhealthy restart restarted crash oom memory cpu disk iops throughput p99 p95 percentile dashboard grafana graph metric metrics query queries slow index vacuum autovacuum wal checkpoint failover primary standby leader follower election quorum network partition packet loss dns resolver tls certificate expiry load balancer haproxy backend frontend api endpoint request response status retry backoff circuit breaker queue worker job cron scheduler batch pipeline ingest rollup compaction retention shard rebalance snapshot backup restore migration schema config flag feature canary staging production rollout release hotfix patch version build ci jenkins github terraform ansible puppet ssh bastion vpn firewall ratelimit quota throttle saturation capacity headroom scaling autoscaling";

const ROLES: &[&str] = &[
    "metrics-web-prod",
    "api-prod",
    "kafka-broker-prod",
    "db-replica-prod",
    "cache-prod",
    "ingest-prod",
    "worker-prod",
    "search-prod",
    "metrics-web-staging",
    "api-staging",
];

const METRICS: &[&str] = &[
    "api.cache.metrics.mget.time",
    "api.request.time.p99",
    "api.request.5xx.rate",
    "kafka.consumer.lag",
    "kafka.producer.latency",
    "postgres.replication.lag_seconds",
    "postgres.connections.active",
    "system.disk.used_percent",
    "system.load.1",
    "system.memory.used_percent",
    "nginx.upstream.response_time",
    "memcached.evictions",
    "ingest.points.dropped",
    "rollup.compaction.duration",
];

const STATUSES: &[(u32, u32)] = &[
    (200, 70),
    (201, 5),
    (204, 3),
    (301, 2),
    (304, 4),
    (400, 3),
    (404, 4),
    (499, 2),
    (500, 2),
    (502, 3),
    (503, 1),
    (504, 1),
];

/// `SplitMix64`: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

/// Zipf(s = 1) sampling over a ranked list, by binary search on the cumulative weights.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n).map(|k| {
            total += 1.0 / k as f64;
            total
        });
        Zipf { cumulative: cumulative.collect() }
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let x =
            (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * self.cumulative.last().copied().unwrap_or(1.0);
        self.cumulative.partition_point(|c| *c < x).min(self.cumulative.len() - 1)
    }
}

struct World {
    words: Vec<&'static str>,
    word_zipf: Zipf,
    hosts: Vec<String>,
    host_zipf: Zipf,
    users: Vec<String>,
}

impl World {
    fn new() -> Self {
        // English by rank with the ops vocabulary interleaved at mid ranks.
        let english: Vec<&str> = ENGLISH.split_whitespace().collect();
        let ops: Vec<&str> = OPS.split_whitespace().collect();
        let mut words = Vec::new();
        let mut o = ops.iter();
        for (i, w) in english.iter().enumerate() {
            words.push(*w);
            if i >= 40 && i % 3 == 0 {
                words.extend(o.next());
            }
        }
        words.extend(o);
        // A 1,500-host fleet; popularity is Zipf over a fixed shuffle, with
        // metrics-web-prod-513 placed at rank 30.
        let mut hosts: Vec<String> =
            ROLES.iter().flat_map(|r| (1..=150).map(move |n| format!("{r}-{}", 400 + n))).collect();
        let mut rng = Rng::new(7);
        for i in (1..hosts.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            hosts.swap(i, j);
        }
        let special = hosts.iter().position(|h| h == "metrics-web-prod-513").expect("in the fleet");
        hosts.swap(special, 30);
        let users = (0..60).map(|i| format!("U{:08}", 1000 + i)).collect();
        World { word_zipf: Zipf::new(words.len()), words, host_zipf: Zipf::new(hosts.len()), hosts, users }
    }

    fn host(&self, rng: &mut Rng) -> &str {
        &self.hosts[self.host_zipf.sample(rng)]
    }

    fn chatter(&self, rng: &mut Rng) -> String {
        let len = 6 + rng.below(20) as usize;
        let mut text = String::new();
        for i in 0..len {
            if i > 0 {
                text.push(' ');
            }
            match rng.below(40) {
                0 => text.push_str(self.host(rng)),
                1 => text.push_str(rng.pick::<&str>(METRICS)),
                2 => {
                    let _ = write!(text, "{}{}", rng.below(900) + 10, rng.pick(&["ms", "s", "GB", "%", "k"]));
                }
                3 => {
                    let _ = write!(text, "OPS-{}", 1000 + rng.below(4000));
                }
                4 => {
                    let _ = write!(text, "<@{}>", rng.pick(&self.users));
                }
                5 => {
                    let _ = write!(
                        text,
                        "<https://grafana.example.com/d/{}/{}?from=now-6h|dashboard>",
                        rng.below(90_000) + 10_000,
                        rng.pick(METRICS)
                    );
                }
                _ => text.push_str(self.words[self.word_zipf.sample(rng)]),
            }
        }
        text
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

fn message(world: &World, rng: &mut Rng, channel: usize, ts: &str, thread: Option<&str>) -> String {
    let weights = CHANNELS[channel].1;
    let kind = if thread.is_some() { 5 } else { rng.weighted(&weights) };
    let when = {
        let secs: i64 = ts.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0);
        jiff::Timestamp::from_second(secs)
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    };
    let (user, bot, text) = match kind {
        0 => {
            let metric = rng.pick(METRICS);
            let text = format!(
                "Alert triggered at {when} UTC for '{metric}' with value {}.{} from {}",
                rng.below(5000),
                rng.below(100),
                world.host(rng)
            );
            (None, Some("Librato"), text)
        }
        1 => {
            let text = format!(
                "[FIRING:{}] {} instance={}:{} job={}",
                1 + rng.below(4),
                rng.pick(&[
                    "HighLatency",
                    "TargetDown",
                    "DiskFull",
                    "ReplicationLag",
                    "KafkaConsumerLag",
                    "High5xxRate"
                ]),
                world.host(rng),
                rng.pick(&[9100, 9187, 8081, 9308]),
                rng.pick(&["node", "nginx", "postgres", "kafka"])
            );
            (None, Some("Alertmanager"), text)
        }
        2 => {
            let text = format!(
                "{}: Incident #{} {} on {}",
                rng.pick(&["Triggered", "Acknowledged", "Resolved"]),
                1000 + rng.below(9000),
                rng.pick(&[
                    "API 5xx rate above 2%",
                    "Replication lag above 300s",
                    "Kafka consumer lag",
                    "Disk usage above 90%"
                ]),
                world.host(rng)
            );
            (None, Some("PagerDuty"), text)
        }
        3 => {
            let mut text = String::from("```");
            for i in 0..=rng.below(4) {
                if i > 0 {
                    text.push('\n');
                }
                let status = STATUSES[rng.weighted(&STATUSES.iter().map(|s| s.1).collect::<Vec<_>>())].0;
                let _ = write!(
                    text,
                    "{when} {} nginx: 10.0.{}.{} - - \"GET /v1/metrics/{} HTTP/1.1\" {status} {} upstream={}:{} rt={}.{:03}",
                    world.host(rng),
                    rng.below(8),
                    rng.below(250),
                    rng.pick(METRICS),
                    100 + rng.below(4000),
                    world.host(rng),
                    rng.pick(&[8080, 8081, 9000]),
                    rng.below(3),
                    rng.below(1000)
                );
            }
            text.push_str("```");
            (None, Some("Papertrail"), text)
        }
        4 => {
            let text = format!(
                "{} {} v{}.{}.{} to {} ({} hosts) {}",
                rng.pick(&["Deployed", "Rolling back", "Building"]),
                rng.pick(&["metrics-api", "ingest-gateway", "chart-renderer", "rollup", "billing-service"]),
                rng.below(4),
                rng.below(30),
                rng.below(100),
                rng.pick(&["production", "staging"]),
                1 + rng.below(40),
                rng.pick(&["finished", "failed", "started"])
            );
            (None, Some(*rng.pick(&["deploybot", "Jenkins", "GitHub"])), text)
        }
        _ => (Some(rng.pick(&world.users).clone()), None, world.chatter(rng)),
    };
    let mut json = String::from("{\"type\":\"message\"");
    match (user, bot) {
        (Some(user), _) => {
            let _ = write!(json, ",\"user\":\"{user}\"");
        }
        (None, Some(bot)) => {
            let _ = write!(
                json,
                ",\"subtype\":\"bot_message\",\"bot_id\":\"B{}\",\"username\":{}",
                bot.len(),
                json_string(bot)
            );
        }
        (None, None) => {}
    }
    let _ = write!(json, ",\"text\":{},\"ts\":\"{ts}\"", json_string(&text));
    if let Some(parent) = thread {
        let _ = write!(json, ",\"thread_ts\":\"{parent}\"");
    }
    json.push('}');
    json
}

fn main() -> anyhow::Result<()> {
    let mut messages: u64 = 100_000;
    let mut out = PathBuf::from("target/bench/export");
    let mut seed: u64 = 42;
    let mut days: Option<i64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--messages" => messages = args.next().unwrap_or_default().replace('_', "").parse()?,
            "--out" => out = PathBuf::from(args.next().unwrap_or_default()),
            "--seed" => seed = args.next().unwrap_or_default().parse()?,
            "--days" => days = Some(args.next().unwrap_or_default().parse()?),
            other => {
                anyhow::bail!(
                    "unknown argument {other:?}; expected --messages N | --days D, --out DIR [--seed S]"
                )
            }
        }
    }
    if out.exists() {
        fs_err::remove_dir_all(&out)?;
    }
    fs_err::create_dir_all(&out)?;
    let world = World::new();
    let channels: Vec<String> = CHANNELS
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("{{\"id\":\"C{:08}\",\"name\":\"{name}\",\"created\":1388534400,\"is_archived\":false,\"members\":[],\"topic\":{{\"value\":\"\"}},\"purpose\":{{\"value\":\"#{name}\"}}}}", 100 + i))
        .collect();
    fs_err::write(out.join("channels.json"), format!("[{}]\n", channels.join(",\n")))?;
    let users: Vec<String> = world
        .users
        .iter()
        .enumerate()
        .map(|(i, id)| format!("{{\"id\":\"{id}\",\"name\":\"user{i}\",\"real_name\":\"User {i}\",\"profile\":{{\"display_name\":\"user{i}\"}}}}"))
        .collect();
    fs_err::write(out.join("users.json"), format!("[{}]\n", users.join(",\n")))?;

    // Channel-days in order; each day has 25–75 messages until the total is reached, or for
    // `--days D`, every channel-day of D whole days. A day's messages depend only on the seed,
    // the day and the channel, so D + 1 days are D days plus one more.
    if days.is_some() {
        messages = u64::MAX;
    }
    let start = 1_388_534_400i64; // 2014-01-01T00:00:00Z
    let mut written = 0u64;
    let mut day = 0i64;
    while written < messages && days.is_none_or(|d| day < d) {
        for (c, (name, _)) in CHANNELS.iter().enumerate() {
            if written >= messages {
                break;
            }
            let mut rng =
                Rng::new(seed ^ ((day as u64) << 20) ^ (c as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
            let count = (25 + rng.below(51)).min(messages - written);
            let mut times: Vec<i64> =
                (0..count).map(|_| start + day * 86_400 + rng.below(86_400) as i64).collect();
            times.sort_unstable();
            let mut lines = Vec::with_capacity(count as usize);
            let mut roots: Vec<String> = Vec::new();
            for (i, t) in times.iter().enumerate() {
                let ts = format!("{t}.{:06}", i + 1);
                let thread = if !roots.is_empty() && rng.below(20) == 0 {
                    Some(rng.pick(&roots).clone())
                } else {
                    None
                };
                lines.push(message(&world, &mut rng, c, &ts, thread.as_deref()));
                if thread.is_none() && rng.below(10) == 0 {
                    roots.push(ts);
                }
            }
            written += count;
            let date = jiff::Timestamp::from_second(start + day * 86_400)?.strftime("%Y-%m-%d").to_string();
            let dir = out.join(name);
            fs_err::create_dir_all(&dir)?;
            fs_err::write(dir.join(format!("{date}.json")), format!("[\n{}\n]\n", lines.join(",\n")))?;
        }
        day += 1;
    }
    eprintln!("wrote {written} messages over {day} days in {} channels to {}", CHANNELS.len(), out.display());
    Ok(())
}
