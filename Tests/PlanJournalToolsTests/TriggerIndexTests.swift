import Foundation
import Testing

@testable import PlanJournalTools

/// The trigger index only skips work: wherever a built-in rule's expression matches, the index
/// names the rule as a candidate.
@Suite struct TriggerIndexTests {
    /// Fragments that make (and nearly make) each rule's secrets when strung together.
    private static let fragments = [
        "password", "PassWd", "pwd", "secret", "client_secret", "api-key", "ApiKey", "access_token", "AccessToken",
        "authorization", "Authorization", "bearer", "Bearer ", "basic ", "token ", "=", ":", " = ", ": ", "\t", "\n", "\u{00A0}",
        "\"", "'", "https://", "git+ssh://", "ftp://", "bob", "pa55:w0rd", "@", "@@", "user@", "example.com", "mail.example.co.uk",
        "x.io", ".", "-", "/", "/path", " ", "localhost", "AWS_SECRET_ACCESS_KEY", "aws_secret_access_key=",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAIOSFODNN7EXAMPLE", "sk-", "sk-ant-api03-abcdefghijklmnop",
        "ghp_0123456789abcdefghijklmnopqrstuvwxyz", "eyJhbGciOiJIUzI1NiJ9", ".eyJzdWIiOiIxMjM0NTY3ODkwIn0", ".SflKxwRJSMeKKF2QT4fwpM",
        // A whole token too: its three parts in a row are too rare among random fragments for
        // every run of the test to meet one.
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM",
        "0123456789abcdef0123456789", "hunter22", "é", "日本", "-----BEGIN RSA PRIVATE KEY-----", "MIIEow", "-----END RSA PRIVATE KEY-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----", "\\\"", "\\'", "AccountKey", "account_key", "--password ", "-pwd ", "--pass",
        "curl -u ", "curl ", "--user=", "admin:", "\\", "Set-Cookie", "cookie", "https://hooks.slack.com/services/", "T000/B000", "ya29.",
    ]

    @Test func everyMatchIsACandidate() {
        let rules = RedactionRule.builtIn
        let index = TriggerIndex(rules)
        var generator = SystemRandomNumberGenerator()
        var matched = Set<String>()
        for _ in 0..<20_000 {
            let count = Int.random(in: 1...9, using: &generator)
            let text = (0..<count).map { _ in Self.fragments.randomElement(using: &generator)! }.joined()
            let candidates = index.candidates(in: text)
            for (k, rule) in rules.enumerated() where !rule.matchesFieldNames {
                let found = rule.expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                if found { matched.insert(rule.name) }
                #expect(!found || candidates[k], "\(rule.name) matches \(text.debugDescription) but was skipped")
            }
        }
        // Every text rule was exercised.
        #expect(matched == Set(rules.filter { !$0.matchesFieldNames }.map(\.name)))
    }

    @Test func textThatOnlyMentionsATriggerIsSkipped() {
        let rules = RedactionRule.builtIn
        let index = TriggerIndex(rules)
        func skipped(_ text: String, _ name: String) -> Bool {
            !index.candidates(in: text)[rules.firstIndex { $0.name == name }!]
        }
        #expect(skipped("fetched https://example.org/a?b=c:d@e", "url-password"))
        #expect(skipped("@dataclass\nclass A: pass", "email"))
        #expect(skipped("never reveal secrets or passwords", "password-assignment"))
        #expect(skipped("the secret of the aws docs", "aws-secret-key"))
        #expect(!skipped("https://bob:pw@host", "url-password"))
        #expect(!skipped("mail bo@x.io", "email"))
        #expect(!skipped("secret: x", "password-assignment"))
    }
}
