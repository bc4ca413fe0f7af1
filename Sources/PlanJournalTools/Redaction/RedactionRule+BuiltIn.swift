import PlanJournalCore

extension RedactionRule {
    /// The rules reports and traces apply unless `--no-redact` (jsonl and pjl with `--redact`): private key blocks, fields named like
    /// secrets, authorization headers and bearer tokens, API keys (OpenAI/Anthropic `sk-…`, GitHub,
    /// Slack, Google, Stripe, Hugging Face, GitLab, npm, PyPI), AWS keys, JWTs, passwords in URLs, `password=…`
    /// assignments and e-mail addresses. Order matters: a password in a URL goes before e-mail
    /// addresses would see `pass@host`.
    public static let builtIn: [RedactionRule] = [
        // A block cut before its end (a truncated output) is hidden to the end of its text.
        rule(
            "private-key", #"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)"#,
            "[REDACTED:private-key]", ["-----begin"]),
        field(
            "secret-field",
            // Names that hold a secret anywhere in them (db_password, OPENAI_API_KEY, webhook_secret,
            // x-goog-api-key, set-cookie), or end as a token does (github_token, HF_TOKEN,
            // x-auth-token; not input_tokens, whose values are counts anyway).
            #"(?i)(password|passwd|passphrase|secret|credential|cookie|authorization|api[_-]?key|apikey|(access|private|encryption|signing|master|ssh)[_-]?key|session[_-]?id|token$|(^|[_-])pwd$)"#),
        // Names as environments and configurations spell them too: HTTP_AUTHORIZATION=, DB_PASSWORD=,
        // "refresh_token": (a `_` before the name is no word boundary, so `\b` missed them all).
        rule("authorization", #"(?i)(?<![A-Za-z0-9])([A-Za-z0-9_-]*?authorization(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)(?:(?:basic|bearer|token)\s+)?[A-Za-z0-9\-._~+/]{8,}=*"#, "$1[REDACTED:token]", ["authorization"], .assignment),
        rule("bearer-token", #"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{16,}=*"#, "$1 [REDACTED:token]", ["bearer"]),
        rule(
            "api-key",
            #"\b(?:sk-[A-Za-z0-9_\-]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|xox[abposr]-[A-Za-z0-9\-]{10,}|AIza[0-9A-Za-z_\-]{35}|[rs]k_(?:live|test)_[0-9A-Za-z]{16,}|hf_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_\-]{20,}|npm_[A-Za-z0-9]{36,}|pypi-AgE[A-Za-z0-9_\-]{50,}|ya29\.[0-9A-Za-z_\-]{20,})"#,
            "[REDACTED:api-key]",
            ["sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "aiza", "k_live_", "k_test_", "hf_", "glpat-", "npm_", "pypi-age", "ya29."]),
        rule("aws-access-key", #"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"#, "[REDACTED:aws-key]", ["akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"]),
        rule("aws-secret-key", #"(?i)(aws_?secret_?access_?key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}"#, "$1[REDACTED:aws-secret]", ["aws_secret", "awssecret"]),
        rule("jwt", #"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"#, "[REDACTED:jwt]", ["eyj"]),
        rule("url-password", #"\b([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*):[^/\s@]+@"#, "$1:[REDACTED]@", ["://"], .urlPassword),
        rule(
            "password-assignment",
            // A value quoted with escaped quotes too: JSON inside a JSON string (a model's tool-call
            // `arguments`, a logged request body) writes `{\"password\": \"…\"}`.
            #"(?i)((?<![A-Za-z0-9])[A-Za-z0-9_-]*?(?:password|passwd|passphrase|secret|api[_-]?key|access[_-]?token|client[_-]?secret|account[_-]?key|token)|(?<![A-Za-z0-9_-])pwd)((?:\\?["'])?\s*[:=]\s*)(?:\\"[^"\n]{4,}?\\"|"[^"\n]{4,}"|'[^'\n]{4,}'|[^\s"',;&]{4,})"#,
            "$1$2[REDACTED]",
            [
                "password", "passwd", "passphrase", "pwd", "secret", "apikey", "api_key", "api-key", "accesstoken", "access_token", "access-token",
                "accountkey", "account_key", "account-key", "token",
            ],
            .assignment),
        // A password given as a command's option (`psql --password X`, `curl -u user:pass`).
        rule("password-option", #"(?i)((?<![A-Za-z0-9_-])--?(?:password|passwd|pass|pwd)\s+)[^\s"'\\]{3,}"#, "$1[REDACTED]", ["-pass", "-pwd"]),
        rule("user-password-option", #"(\bcurl\b[^\n]*?\s(?:-u ?|--user[= ])[^\s:"'\\]+:)[^\s"'\\]+"#, "$1[REDACTED]", ["curl"]),
        // Cookies in a header written out (an HTTP dump in a tool's output).
        rule("cookie", #"(?i)(\b(?:set-)?cookie(?:\\?["'])?\s*:\s*(?:\\?["'])?)[^\r\n"'\\]{4,}"#, "$1[REDACTED]", ["cookie"]),
        rule("slack-webhook", #"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+"#, "[REDACTED:webhook]", ["hooks.slack.com"]),
        rule("email", #"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"#, "[REDACTED:email]", ["@"], .email),
    ]

    private static func rule(
        _ name: String, _ pattern: String, _ template: String, _ triggers: [String], _ check: TriggerCheck = .none
    ) -> RedactionRule {
        try! RedactionRule(name: name, pattern: pattern, template: template, matchesFieldNames: false, triggers: triggers, check: check)
    }

    private static func field(_ name: String, _ pattern: String) -> RedactionRule {
        try! RedactionRule(name: name, pattern: pattern, template: "[REDACTED]", matchesFieldNames: true, triggers: nil)
    }
}
