//! The built-in rule set: secrets (after gitleaks' default rules, with a
//! few families it lacks) and personal data. Order matters: a rule sees the text as the rules
//! before it left it, so whole blocks (private keys) go first and catch-alls last.

/// Where a token ends: at any character that cannot continue it (punctuation, markup, a
/// space of any kind), or at the end. Secret scanners end tokens at a delimiter
/// (gitleaks' `[\x60'"\s;]`); chat puts `.`, `,`, `!`, `)`, `*` or `_` right after one.
const END: &str = r"(?:[^0-9A-Za-z]|$)";

/// Where a token starts: at the start, or after any character that cannot be part of it,
/// including `_` (italic markup) where `\b` would see one word.
const START: &str = r"(?:^|[^0-9A-Za-z])";

/// `key = value`, `key: value`, `key => value`… between a keyword and its secret (gitleaks).
const ASSIGN: &str =
    r#"(?:[ \t0-9A-Za-z_.-]{0,20})[ \t'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'" \t=]{0,5}"#;

/// One built-in rule, as data.
pub struct Builtin {
    /// Report name (gitleaks' id where there is one).
    pub name: &'static str,
    /// The pattern (Rust `regex` syntax).
    pub pattern: String,
    /// Capture group holding the secret; 0 is the whole match.
    pub group: usize,
    /// What the secret becomes.
    pub marker: &'static str,
    /// Lowercase strings one of which must occur for the rule to run (empty: always runs).
    pub keywords: &'static [&'static str],
    /// Minimum Shannon entropy (bits per byte) of the secret; 0 accepts any.
    pub entropy: f64,
    /// Secrets matching this are left alone (documentation examples, placeholders).
    pub allow: Option<&'static str>,
    /// A last check on the secret itself.
    pub check: fn(&str) -> bool,
}

fn rule(name: &'static str, pattern: impl Into<String>, marker: &'static str) -> Builtin {
    Builtin {
        name,
        pattern: pattern.into(),
        group: 0,
        marker,
        keywords: &[],
        entropy: 0.0,
        allow: None,
        check: |_| true,
    }
}

impl Builtin {
    fn keywords(mut self, keywords: &'static [&'static str]) -> Self {
        self.keywords = keywords;
        self
    }

    fn entropy(mut self, bits: f64) -> Self {
        self.entropy = bits;
        self
    }

    fn group(mut self, group: usize) -> Self {
        self.group = group;
        self
    }

    fn allow(mut self, pattern: &'static str) -> Self {
        self.allow = Some(pattern);
        self
    }

    fn check(mut self, check: fn(&str) -> bool) -> Self {
        self.check = check;
        self
    }
}

/// A plain word after `password:` is prose ("password: ask ops"); a password has a digit or
/// a symbol, or is long.
fn not_a_plain_word(value: &str) -> bool {
    value.len() >= 12 || value.chars().any(|c| !c.is_alphabetic())
}

/// Random keys mix upper and lower case with digits or symbols; hashes and words do not.
fn mixed_alphabet(value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_uppercase())
        && value.bytes().any(|b| b.is_ascii_lowercase())
        && value.bytes().any(|b| !b.is_ascii_alphabetic())
}

/// Generated values have a long run that mixes letters and digits; names, paths, versions
/// and dates do not (`metrics.web.prod.latency_p99`, `release-2024-03-02`).
fn random_looking(value: &str) -> bool {
    value.split(|c: char| !c.is_ascii_alphanumeric()).any(|run| {
        run.len() >= 8
            && run.bytes().any(|b| b.is_ascii_digit())
            && run.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

/// A gitleaks "keyword, assignment, value" rule: `datadog_api_key = <40 hex>`.
fn assigned(name: &'static str, keyword: &str, value: &str, keywords: &'static [&'static str]) -> Builtin {
    rule(name, format!(r"(?i)(?:{keyword}){ASSIGN}({value}){END}"), TOKEN).group(1).keywords(keywords)
}

/// A token with a distinctive prefix, on its own between [`START`] and [`END`].
fn prefixed(name: &'static str, token: &str, keywords: &'static [&'static str]) -> Builtin {
    rule(name, format!(r"{START}({token}){END}"), TOKEN).group(1).keywords(keywords)
}

const TOKEN: &str = "[token redacted]";
const PASSWORD: &str = "[password redacted]";

/// Values after `password:` that are not passwords (a `[` opens a placeholder, or the marker
/// an earlier rule left).
const PLACEHOLDER: &str = r"(?i)^(?:\[.*|.+EXAMPLE|\*+|x{3,}|\.{3}|\$.*|<.*>|\{\{.*|%.*|none|null|nil|true|false|redacted|required|optional|changeme|password|example|your_?password|secret|empty|unset)$";

/// Every built-in rule, in the order they run.
pub fn builtins() -> Vec<Builtin> {
    vec![
        rule(
            "private-key",
            r"(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|\z)",
            "[private key redacted]",
        )
        .keywords(&["-----begin"]),
        rule("putty-private-key", r"PuTTY-User-Key-File-[23]:[\s\S]*?(?:Private-MAC: *[0-9a-f]+|\z)", "[private key redacted]")
            .keywords(&["putty-user-key-file"]),
        rule(
            "slack-webhook-url",
            r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_]{20,80}",
            "[webhook redacted]",
        )
        .keywords(&["hooks.slack.com"]),
        rule("slack-config-access-token", r"(?i)xoxe\.xox[bp]-\d-[A-Z0-9]{163,166}", TOKEN)
            .keywords(&["xoxe.xoxb-", "xoxe.xoxp-"]),
        rule("slack-config-refresh-token", r"(?i)xoxe-\d-[A-Z0-9]{146}", TOKEN).keywords(&["xoxe-"]),
        rule("slack-bot-token", r"xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*", TOKEN).keywords(&["xoxb"]),
        rule("slack-user-token", r"xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}", TOKEN)
            .keywords(&["xoxp-", "xoxe-"]),
        rule("slack-app-token", r"(?i)xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+", TOKEN).keywords(&["xapp"]),
        rule("slack-legacy-token", r"xox[os]-\d+-\d+-\d+-[a-fA-F\d]+", TOKEN).keywords(&["xoxo", "xoxs"]),
        // Also catches the shorter and older token shapes the rules above leave (detect-secrets).
        prefixed("slack-token", r"xox[abeoprs]-(?:\d+-)*[A-Za-z0-9-]{8,}", &["xox"]),
        prefixed("github-pat", r"ghp_[0-9a-zA-Z]{36}", &["ghp_"]),
        prefixed("github-oauth", r"gho_[0-9a-zA-Z]{36}", &["gho_"]),
        prefixed("github-app-token", r"(?:ghu|ghs)_[0-9a-zA-Z]{36}", &["ghu_", "ghs_"]),
        prefixed("github-refresh-token", r"ghr_[0-9a-zA-Z]{36}", &["ghr_"]),
        prefixed("github-fine-grained-pat", r"github_pat_[0-9A-Za-z_]{82}", &["github_pat_"]),
        prefixed("gitlab-pat", r"glpat-[0-9A-Za-z_-]{20,}", &["glpat-"]),
        prefixed("gitlab-runner-token", r"glrt-[0-9A-Za-z_-]{20,}", &["glrt-"]),
        // A secret access key is 40 characters that only its company tells from any other
        // string: an access key id, or the words, before it on its line.
        rule(
            "aws-secret-access-key",
            format!(r"(?i)(?:a3t|akia|asia|abia|acca|aws|secret|key|passw|credential|token)[^\n]{{0,80}}?[^A-Za-z0-9/+]((?-i:[A-Za-z0-9/+]{{40}})){END}"),
            TOKEN,
        )
        .group(1)
        .keywords(&["a3t", "akia", "asia", "abia", "acca", "aws", "secret", "key", "passw", "credential", "token"])
        .entropy(4.0)
        .check(mixed_alphabet),
        prefixed("aws-access-token", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}", &[
            "a3t", "akia", "asia", "abia", "acca",
        ])
        .entropy(3.0)
        .allow(r".EXAMPLE$"),
        assigned(
            "aws-secret-key",
            r"aws_?secret_?(?:access_?)?key|secret_?access_?key",
            r"[A-Za-z0-9/+=]{40}",
            &["secret"],
        )
        .entropy(3.5),
        prefixed("gcp-api-key", r"AIza[0-9A-Za-z_-]{35}", &["aiza"]).entropy(3.5),
        prefixed("stripe-access-token", r"(?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99}", &[
            "sk_test", "sk_live", "sk_prod", "rk_test", "rk_live", "rk_prod",
        ]),
        prefixed("npm-access-token", r"(?i)npm_[a-z0-9]{36}", &["npm_"]),
        prefixed("sendgrid-api-token", r"SG\.(?i)[a-z0-9=_\-\.]{66}", &["sg."]),
        prefixed("twilio-api-key", r"SK[0-9a-fA-F]{32}", &["sk"]).entropy(3.0),
        prefixed(
            "openai-api-key",
            r"sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}",
            &["t3blbkfj"],
        ),
        prefixed("anthropic-api-key", r"sk-ant-(?:api03|admin01)-[a-zA-Z0-9_\-]{93}AA", &["sk-ant-"]),
        prefixed("grafana-api-key", r"(?i)eyJrIjoi[A-Za-z0-9]{70,400}={0,3}", &["eyjrijoi"]),
        prefixed("grafana-cloud-api-token", r"(?i)glc_[A-Za-z0-9+/]{32,400}={0,3}", &["glc_"]),
        prefixed("grafana-service-account-token", r"(?i)glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", &["glsa_"]),
        prefixed("sentry-user-token", r"sntryu_[a-f0-9]{64}", &["sntryu_"]),
        prefixed("heroku-api-key-v2", r"HRKU-AA[0-9a-zA-Z_-]{58}", &["hrku-"]),
        prefixed(
            "jwt",
            r"ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9/\\_-]{17,}\.(?:[a-zA-Z0-9/\\_-]{10,}={0,2})?",
            // Every match holds `.ey`; `ey` alone is in most English text.
            &[".ey"],
        )
        .entropy(3.0),
        assigned("datadog-access-token", "datadog", r"[a-z0-9]{40}", &["datadog"]),
        assigned("sentry-access-token", "sentry", r"[a-f0-9]{64}", &["sentry"]),
        assigned("new-relic-key", "new-relic|newrelic|new_relic", r"NRJS-[a-f0-9]{19}|NRII-[a-z0-9-]{32}|NRAK-[a-z0-9]{27}|[a-z0-9]{64}", &[
            "new-relic", "newrelic", "new_relic",
        ]),
        assigned(
            "heroku-api-key",
            "heroku",
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            &["heroku"],
        ),
        assigned("discord-api-token", "discord", r"[a-f0-9]{64}", &["discord"]),
        assigned(
            "telegram-bot-api-token",
            "telegr",
            r"[0-9]{5,16}:(?-i:A)[a-z0-9_\-]{34}",
            &["telegr"],
        ),
        rule(
            "curl-auth-user",
            r#"curl\b[^\n]*?[ \t](?:-u|--user)(?:=|[ \t]{1,5})["']?([^\s"':]{2,}:[^\s"']{3,})"#,
            "[credentials redacted]",
        )
        .group(1)
        .keywords(&["curl"])
        .allow(r"(?i):(?:\$\w+|\$\{.*|<.*>|\{\{.*|changeme|password|pass|secret)$|^\$|^<"),
        // Passwords in URLs (detect-secrets' BasicAuth, trufflehog's URI): any scheme.
        rule(
            "url-password",
            r"[a-zA-Z][a-zA-Z0-9+.-]{1,10}://[^\s:/@<>|]{1,64}:([^\s@<>|/]{3,64})@",
            PASSWORD,
        )
        .group(1)
        .keywords(&["://"])
        .allow(r"^(?:\$.*|\*+|<.*>|\{\{.*|x{3,}|pass(?:word)?)$"),
        // `password=…`, `secret: …`, `"client_secret": "…"`: the value, unless it is a placeholder
        // or a plain word (a real password has a digit or a symbol, or is long).
        rule(
            "password-assignment",
            r#"(?i)(?:password|passwd|pwd|passphrase|secret|client_secret|api_?key|access_?key|auth_?token|access_?token|private_?token)["']?[ \t]*(?:=|:=|:|=>)[ \t]*["'\x60]?([^\s"'\x60,;<>]{4,128})"#,
            PASSWORD,
        )
        .group(1)
        .keywords(&["pass", "pwd", "secret", "key", "token"])
        .allow(PLACEHOLDER)
        .entropy(2.0)
        .check(not_a_plain_word),
        // gitleaks' generic-api-key: a random-looking value (letters and digits, high entropy)
        // assigned to any word that names a credential, `token: 8f7d…` or `API_KEY=…`.
        rule(
            "generic-api-key",
            r#"(?i)(?:access|auth|api|credential|creds|key|passw(?:or)?d|secret|token)[\w.-]{0,20}["']?[ \t]{0,5}(?:=|:=|:|=>)[ \t]{0,5}["'\x60]?([\w.=+/-]{10,150})"#,
            TOKEN,
        )
        .group(1)
        .keywords(&["access", "auth", "api", "credential", "creds", "key", "passw", "secret", "token"])
        .allow(PLACEHOLDER)
        .entropy(3.5)
        .check(random_looking),
        rule(
            "email",
            r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            "[email redacted]",
        )
        .keywords(&["@"]),
        // Deliberately narrow: ops chat is full of numbers that are not phones (IPs, ports,
        // epoch times, versions, durations).
        rule(
            "phone",
            r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)[ .-]?|\b\d{3}[.-])\d{3}[ .-]\d{4}\b|\+\d{1,3}(?: \d{2,5}){2,4}\b",
            "[phone redacted]",
        ),
    ]
}
