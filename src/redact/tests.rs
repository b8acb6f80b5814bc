use super::RedactionRule;
use super::*;

fn redactor() -> Redactor {
    Redactor::new(&Redaction::default()).unwrap()
}

fn redacted_by(r: &Redactor, s: &str) -> (String, Tally) {
    let mut s = s.to_owned();
    let mut tally = Tally::new();
    r.redact(&mut s, Scope::Text, &mut tally);
    (s, tally)
}

fn redacted(s: &str) -> String {
    static DEFAULT: std::sync::LazyLock<Redactor> = std::sync::LazyLock::new(redactor);
    redacted_by(&DEFAULT, s).0
}

/// Test secrets are assembled at run time so the source holds no token-shaped string.
fn token(prefix: &str, alphabet: &str, len: usize) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let body: String = (0..len).map(|i| chars[(i * 7 + i / 3) % chars.len()]).collect();
    format!("{prefix}{body}")
}

const ALNUM: &str = "aB3dE5fG7hJ9kLmN2pQ4rS6tU8vWxYz0c1";
const HEX: &str = "0123456789abcdef";

#[test]
fn every_kind_of_secret_is_replaced_and_counted() {
    let cases = [
        ("aws-access-token", format!("key {} in env", token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))),
        ("github-pat", format!("export GH={}", token("ghp_", ALNUM, 36))),
        ("github-fine-grained-pat", format!("{} leaked", token("github_pat_", ALNUM, 82))),
        ("gitlab-pat", format!("token {}", token("glpat-", ALNUM, 20))),
        ("slack-bot-token", format!("SLACK_TOKEN={}", token("xoxb-1234567890-1234567890-", ALNUM, 24))),
        ("slack-webhook-url", format!("post to https://hooks.slack.com/services/{}", token("T0", ALNUM, 40))),
        ("stripe-access-token", format!("use {} for tests", token("sk_live_", ALNUM, 24))),
        ("gcp-api-key", format!("maps key {} ok", token("AIza", ALNUM, 35))),
        ("npm-access-token", format!("//registry/:_authToken={}", token("npm_", ALNUM, 36))),
        ("grafana-service-account-token", format!("{} ", token("glsa_", ALNUM, 32) + "_0a1b2c3d")),
        (
            "jwt",
            format!(
                "Authorization: Bearer {}.{}.{}",
                token("eyJ", ALNUM, 30),
                token("eyJ", ALNUM, 40),
                token("", ALNUM, 43)
            ),
        ),
        ("datadog-access-token", format!("datadog_api_key = {}", token("", "abcdef0123456789xyz", 40))),
        ("url-password", "db postgres://app:s3cret-Pw@db1:5432/x".to_owned()),
        ("password-assignment", "try password=hunter2 on the box".to_owned()),
        ("password-assignment", r#"{"client_secret": "9f8e7d6c5b4a"}"#.to_owned()),
        ("curl-auth-user", "curl -u deploy:Tr0ub4dor&3 https://ci.example.net/api".to_owned()),
        ("email", "mail jo@ex.com".to_owned()),
        ("phone", "call (555) 010-1234".to_owned()),
    ];
    let r = redactor();
    for (rule, text) in cases {
        let (out, tally) = redacted_by(&r, &text);
        assert_eq!(tally.get(rule), Some(&1), "{rule} in {text:?} → {out:?} ({tally:?})");
        assert!(out.contains("redacted]"), "{rule}: {out}");
    }
}

#[test]
fn only_the_secret_is_replaced() {
    assert_eq!(
        redacted("db postgres://app:s3cret-Pw@db1:5432/x"),
        "db postgres://app:[password redacted]@db1:5432/x"
    );
    assert_eq!(redacted("try password=hunter2 on the box"), "try password=[password redacted] on the box");
    assert_eq!(redacted("curl -u deploy:Tr0ub4dor&3 https://x"), "curl -u [credentials redacted] https://x");
    assert_eq!(
        redacted("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\nthanks"),
        "[private key redacted]\nthanks"
    );
    assert_eq!(
        redacted("pasted half a key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA"),
        "pasted half a key: [private key redacted]"
    );
    assert_eq!(
        redacted("mail <mailto:jo@ex.com|jo@ex.com>"),
        "mail <mailto:[email redacted]|[email redacted]>"
    );
    assert_eq!(
        redacted("call (555) 010-1234 or +44 20 7946 0958"),
        "call [phone redacted] or [phone redacted]"
    );
}

#[test]
fn look_alikes_are_left_alone() {
    let keep = [
        // Ops chat: addresses, ports, epochs, dates, versions, identifiers.
        "502 from 10.0.3.7 upstream=metrics-web-prod-513:8081 at 1389978699.000123 on 2014-01-17 12:34:56 v1.2.3 rr16",
        // AWS's documentation key.
        "key AKIAIOSFODNN7EXAMPLE",
        // Placeholders and prose after the keyword.
        "password: ask ops",
        "password=${DB_PASSWORD}",
        "set secret: <your-secret>",
        "password: ********",
        "curl -u $USER:$TOKEN https://x",
        "curl -u user:password https://x",
        "postgres://app:${PW}@db1/x",
        // Words that merely contain a keyword.
        "the monkey ate the tokens; keyspace_misses=12",
        "JWT-ish but low entropy eyJaaaaaaaaaaaaaaaaaaaaa.eyJaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaa",
        "sk_live is the prefix for live keys",
        "xoxb tokens start with xoxb-",
    ];
    for text in keep {
        assert_eq!(redacted(text), text);
    }
}

#[test]
fn user_rules_run_in_their_scope_with_templates() {
    let config = Redaction {
        disable: vec!["phone".into()],
        rules: vec![
            RedactionRule {
                name: "customer".into(),
                pattern: r"CUST-(\d{2})\d{4}".into(),
                replacement: "CUST-${1}xxxx".into(),
                scope: vec![Scope::Text],
            },
            RedactionRule {
                name: "codename".into(),
                pattern: "(?i)bluebird".into(),
                replacement: "[codename]".into(),
                scope: vec![Scope::Files, Scope::Names],
            },
        ],
    };
    let r = Redactor::new(&config).unwrap();
    let (out, tally) = redacted_by(&r, "CUST-123456 called (555) 010-1234 about Bluebird");
    assert_eq!(out, "CUST-12xxxx called (555) 010-1234 about Bluebird");
    assert_eq!(tally, Tally::from([("customer".to_owned(), 1)]));
    let mut name = "bluebird-plan.pdf".to_owned();
    let mut tally = Tally::new();
    r.redact(&mut name, Scope::Files, &mut tally);
    assert_eq!(name, "[codename]-plan.pdf");
}

#[test]
fn bad_rules_are_named() {
    let bad = |rules, disable| Redactor::new(&Redaction { disable, rules }).err().unwrap();
    let rule = |pattern: &str| RedactionRule {
        name: "mine".into(),
        pattern: pattern.into(),
        replacement: "[x]".into(),
        scope: vec![Scope::All],
    };
    assert!(bad(vec![rule("(unclosed")], vec![]).starts_with("rule \"mine\": "));
    assert!(bad(vec![rule("a*")], vec![]).contains("matches empty text"));
    assert!(bad(vec![], vec!["phones".into()]).contains("no built-in rule named \"phones\""));
}

#[test]
fn entropy_tells_tokens_from_words() {
    assert!(entropy("aaaaaaaa") < 0.01);
    assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    assert!(entropy(&token("", ALNUM, 40)) > 4.0);
    assert!(entropy(&token("", HEX, 40)) > 3.5);
}
