//! The redaction corpus: secrets in the shapes secret scanners test their rules with
//! (gitleaks' true positives: every token family, assignments in config and code syntax,
//! CSV and escaped JSON), each placed in every way chat publishes a value (after punctuation
//! and markup, in link targets and labels, in file names, as reaction names, split by
//! invisible characters, percent-encoded, beside a no-break space), must come out with no
//! secret left. Look-alikes (gitleaks' false positives and everyday ops text) are counted.
//!
//! Secrets are made at run time from a fixed seed, so the source holds no token-shaped string.

use super::Redaction;
use super::view::View;
use super::{Redactor, Scope, Tally};

/// A deterministic stream of characters from an alphabet (xorshift).
struct Draw(u64);

impl Draw {
    fn chars(&mut self, alphabet: &str, len: usize) -> String {
        let alphabet: Vec<char> = alphabet.chars().collect();
        (0..len)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                alphabet[usize::try_from(self.0 % alphabet.len() as u64).expect("small")]
            })
            .collect()
    }
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &str = "0123456789abcdef";
const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// One planted secret: the text that carries it, and the value that must not survive.
struct Planted {
    text: String,
    secret: String,
}

fn token(text: String) -> Planted {
    Planted { secret: text.clone(), text }
}

fn assigned(text: &str, secret: String) -> Planted {
    Planted { text: text.replace("{s}", &secret), secret }
}

/// Secrets of every family the rules know, alone and in gitleaks' sample syntaxes.
fn secrets() -> Vec<Planted> {
    let mut d = Draw(0x5EC2_E7C0_2B05);
    let access_key = format!("AKIA{}", d.chars(UPPER32, 16));
    let aws_secret = d.chars(BASE64, 40);
    let mut planted = vec![
        token(access_key.clone()),
        token(format!("ASIA{}", d.chars(UPPER32, 16))),
        token(format!("ghp_{}", d.chars(ALNUM, 36))),
        token(format!("gho_{}", d.chars(ALNUM, 36))),
        token(format!("ghs_{}", d.chars(ALNUM, 36))),
        token(format!("github_pat_{}", d.chars(&format!("{ALNUM}_"), 82))),
        token(format!("glpat-{}", d.chars(URLSAFE, 20))),
        token(format!(
            "xoxb-{}-{}-{}",
            d.chars("0123456789", 12),
            d.chars("0123456789", 13),
            d.chars(ALNUM, 24)
        )),
        token(format!(
            "xoxp-{}-{}-{}-{}",
            d.chars("0123456789", 12),
            d.chars("0123456789", 12),
            d.chars("0123456789", 13),
            d.chars(HEX, 32)
        )),
        token(format!("xapp-1-A{}-{}-{}", d.chars(ALNUM, 10), d.chars("0123456789", 13), d.chars(HEX, 64))),
        token(format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            d.chars(ALNUM, 8),
            d.chars(ALNUM, 8),
            d.chars(ALNUM, 24)
        )),
        token(format!("sk_live_{}", d.chars(ALNUM, 24))),
        token(format!("AIza{}", d.chars(URLSAFE, 35))),
        token(format!("npm_{}", d.chars(ALNUM, 36))),
        token(format!("SG.{}.{}", d.chars(URLSAFE, 22), d.chars(URLSAFE, 43))),
        token(format!("SK{}", d.chars(HEX, 32))),
        token(format!("sk-proj-{}T3BlbkFJ{}", d.chars(URLSAFE, 74), d.chars(URLSAFE, 74))),
        token(format!("sk-ant-api03-{}AA", d.chars(URLSAFE, 93))),
        token(format!("glsa_{}_{}", d.chars(ALNUM, 32), d.chars(HEX, 8))),
        token(format!("glc_{}", d.chars(ALNUM, 40))),
        token(format!("sntryu_{}", d.chars(HEX, 64))),
        token(format!("HRKU-AA{}", d.chars(URLSAFE, 58))),
        token(format!("eyJ{}.eyJ{}.{}", d.chars(ALNUM, 30), d.chars(ALNUM, 60), d.chars(URLSAFE, 43))),
        assigned("datadog_api_key = {s}", d.chars("abcdefghijklmnopqrstuvwxyz0123456789", 40)),
        assigned("SENTRY_AUTH = {s}", d.chars(HEX, 64)),
        assigned(
            "telegram_bot_token: {s}",
            format!("{}:AA{}", d.chars("0123456789", 10), d.chars(URLSAFE, 33)),
        ),
        assigned("heroku_api_key={s}", uuid(&mut d)),
        assigned("postgres://deploy:{s}@db1:5432/app", format!("{}9!", d.chars(ALNUM, 14))),
        assigned("password: {s}", format!("{}#7", d.chars(ALNUM, 12))),
        assigned("token: {s}", d.chars(HEX, 32)),
        assigned("API_KEY={s}", d.chars(ALNUM, 24)),
        assigned("export VENDOR_ACCESS_KEY=\"{s}\"", d.chars(ALNUM, 30)),
        assigned("curl -u deploy:{s} https://ci.example.net/api", d.chars(ALNUM, 16)),
        // The secret access key, findable only beside its partner.
        assigned(&format!("key {access_key} with secret {{s}}"), aws_secret.clone()),
        assigned("aws_secret_access_key = {s}", d.chars(BASE64, 40)),
        assigned("the secret is {s} for now", d.chars(BASE64, 40)),
        assigned("AWS creds: id {s}", d.chars(BASE64, 40)),
    ];
    // gitleaks' sample syntaxes (`GenerateSampleSecrets`) around a token.
    let gcp = format!("AIza{}", d.chars(URLSAFE, 35));
    for syntax in [
        "gcpToken=\"{s}\"",
        "gcpToken = {s}",
        "{\n    \"gcp_token\": \"{s}\"\n}",
        "\\{\n    \\\"gcp_token\\\": \\\"{s}\\\"\n\\}",
        "<gcpToken>{s}</gcpToken>",
        "gcp_token: |\n  {s}",
        "string gcpToken = \"{s}\";",
        "gcpToken := `{s}`",
        "$gcpToken .= \"{s}\"",
        "gcpToken,{s},",
        "  \"gcpToken\" => \"{s}\"",
        "GCP_TOKEN ?= \"{s}\"",
    ] {
        planted.push(assigned(syntax, gcp.clone()));
    }
    planted.push(Planted {
        text: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----".to_owned(),
        secret: "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ".to_owned(),
    });
    planted
}

fn uuid(d: &mut Draw) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        d.chars(HEX, 8),
        d.chars(HEX, 4),
        d.chars(HEX, 4),
        d.chars(HEX, 4),
        d.chars(HEX, 12)
    )
}

/// Every way a value reaches a page around the carrying text `t`.
fn placements(t: &str) -> Vec<String> {
    let mut placed: Vec<String> =
        [".", ",", "!", "?", ":", "+", "=", "#", "&", ";", ")", "/", "\u{A0}", "'", "\"", "…"]
            .iter()
            .map(|after| format!("see {t}{after} thanks"))
            .collect();
    placed.extend([
        t.to_owned(),
        format!("\u{A0}{t}\u{A0}"),
        format!("_{t}_"),
        format!("*{t}*"),
        format!("~{t}~"),
        format!("**{t}**"),
        format!("||{t}||"),
        format!("`{t}`"),
        format!("```\n{t}\n```"),
        format!("> {t}"),
        format!("({t})"),
        format!("<https://ci.example.net/api/{t}/status|build>"),
        format!("<https://ci.example.net/api/status|{t}>"),
        format!("<https://ci.example.net/hook?token={t}&ref=main>"),
        format!("[build](https://ci.example.net/{t}/log)"),
        format!("https://ci.example.net/{t}/"),
        format!("{t}.txt"),
        format!("backup-{t}.tar.gz"),
        format!(":{t}:"),
        format!("line one\r\n{t}\r\nline three"),
        // What hides a secret from a pattern and not from a reader.
        split(t, "\u{200B}"),
        split(t, "\u{2060}"),
        split(t, "\u{AD}"),
        t.replace('_', "%5F"),
        t.replace('_', "\\_"),
    ]);
    placed
}

/// `t` with `mark` inside its longest word.
fn split(t: &str, mark: &str) -> String {
    let word = t.split(|c: char| !c.is_ascii_alphanumeric()).max_by_key(|w| w.len()).unwrap_or("");
    let at = t.find(word).unwrap_or(0) + word.len() / 2;
    format!("{}{mark}{}", &t[..at], &t[at..])
}

fn redact(redactor: &Redactor, text: &str) -> (String, Tally) {
    let mut out = text.to_owned();
    let mut tally = Tally::new();
    redactor.redact(&mut out, Scope::Text, &mut tally);
    (out, tally)
}

#[test]
fn no_planted_secret_survives_in_any_placement() {
    let redactor = Redactor::new(&Redaction::default()).unwrap();
    let (mut published, mut total) = (Vec::new(), 0);
    for planted in secrets() {
        for text in placements(&planted.text) {
            total += 1;
            let (out, _) = redact(&redactor, &text);
            // As a reader sees it: no invisible characters, escapes undone.
            if View::of(&out).text().contains(&planted.secret) || out.contains(&planted.secret) {
                published.push(format!("{text:?} -> {out:?}"));
            }
        }
    }
    eprintln!("planted: {total} placements, {} published", published.len());
    assert!(total > 1500, "the corpus is whole: {total} placements");
    assert!(published.is_empty(), "{} of {total} published:\n{}", published.len(), published.join("\n"));
}

/// Text that looks like a secret and is not: gitleaks' documented false positives and what
/// ops chat is full of. Each changed one is a false positive; a few are tolerated.
#[test]
fn look_alikes_are_few_false_positives() {
    let redactor = Redactor::new(&Redaction::default()).unwrap();
    let mut d = Draw(0xFA15E);
    let sha = d.chars(HEX, 40);
    let look_alikes = [
        "key = AKIAXXXXXXXXXXXXXXXX".to_owned(),
        "aws_access_key: AKIAIOSFODNN7EXAMPLE".to_owned(),
        "TODAYINASIAASACKOFRICEFELLOVER".to_owned(),
        format!("{}AIza{}", d.chars(ALNUM, 20), d.chars(ALNUM, 35)),
        format!("AIza{}abcd123", d.chars(ALNUM, 35)),
        "apiKey: \"AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"".to_owned(),
        "AIZASYCO2CXRMC9ELSKLHLHRMBSWDEVEDZTLO2O".to_owned(),
        format!("the key commit is {sha}, reverted in {}", d.chars(HEX, 40)),
        format!("secret rotation landed in {sha}"),
        format!("image sha256:{} pulled", d.chars(HEX, 64)),
        format!("request id {} failed", uuid(&mut d)),
        "ssh key fingerprint SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8".to_owned(),
        format!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} ops@bastion", d.chars(BASE64, 43)),
        "pod api-7d9f8b6c5d-x2x9z restarted, key rotation next".to_owned(),
        "the secret is in vault at secret/data/prod/postgres".to_owned(),
        "s3://ops-logs/key/2024/03/02/api-server-access.log.gz".to_owned(),
        "password: ask ops".to_owned(),
        "password=${DB_PASSWORD}".to_owned(),
        "token: <your-token-here>".to_owned(),
        "sk_live is the prefix for live keys".to_owned(),
        "xoxb tokens start with xoxb-".to_owned(),
        "502 from 10.0.3.7 upstream=metrics-web-prod-513:8081 at 1389978699.000123 on 2014-01-17".to_owned(),
        "keyspace_misses=12 evicted_keys=0 used_memory_human=1.21G".to_owned(),
        "https://grafana.example.net/d/000000012/api-latency?orgId=1&from=now-6h&to=now".to_owned(),
        "/var/lib/postgresql/14/main/pg_wal/000000010000000A000000FF".to_owned(),
        "JWT-ish but low entropy eyJaaaaaaaaaaaaaaaaaaaaa.eyJaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaa".to_owned(),
        "the monkey ate the tokens; we keep secrets out of chat".to_owned(),
        "deploy 3f2a9c1 to prod-eu-west-1, then key-value store migration".to_owned(),
        "key: metrics.web.prod.latency_p99 threshold: 250ms".to_owned(),
        "token: release-2024-03-02 api: v1.2.3".to_owned(),
        "auth: ldap://ldap.example.net:389/ou=people".to_owned(),
        "api: https://api.example.net/v2/status".to_owned(),
        format!("access: granted at 2024-03-02T10:00:00Z by {}", uuid(&mut d)),
        "the key=value store has keys like user:1234:session".to_owned(),
    ];
    let changed: Vec<String> = look_alikes
        .iter()
        .filter_map(|text| {
            let (out, tally) = redact(&redactor, text);
            (out != *text).then(|| format!("{text:?} -> {out:?} {tally:?}"))
        })
        .collect();
    eprintln!("false positives: {} of {}", changed.len(), look_alikes.len());
    assert!(changed.is_empty(), "false positives:\n{}", changed.join("\n"));
}
