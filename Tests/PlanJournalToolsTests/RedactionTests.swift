import PlanJournalCore
import PlanJournalTestSupport
import PlanJournalTools
import Testing

/// The built-in rules hide each kind of secret and leave ordinary agent text alone.
@Suite struct RedactionTests {
    private func redact(_ text: String) -> String {
        var tally = Redactor.Tally()
        return Redactor().redact(text, tally: &tally)
    }

    @Test func eachBuiltInRuleHidesItsSecret() {
        #expect(redact("use sk-ant-api03-abcdefghijklmnop now") == "use [REDACTED:api-key] now")
        #expect(redact("Authorization: Bearer abc.def-ghi_jkl~mno123") == "Authorization: [REDACTED:token]")
        #expect(redact("curl -H 'bearer 0123456789abcdef0123'") == "curl -H 'bearer [REDACTED:token]'")
        #expect(redact("id AKIAIOSFODNN7EXAMPLE.") == "id [REDACTED:aws-key].")
        #expect(redact("https://bob:pa55word@git.example.org/repo") == "https://bob:[REDACTED]@git.example.org/repo")
        #expect(redact("mail carol.d+ops@mail.example.co.uk today") == "mail [REDACTED:email] today")
        #expect(redact("password=hunter22 next") == "password=[REDACTED] next")
        // Names as environments and JSON spell them: a `_` before the name is no word boundary.
        #expect(redact("DB_PASSWORD=hunter22 AWS_SESSION_TOKEN=abcd1234 X_API_KEY='k3y-value'")
            == "DB_PASSWORD=[REDACTED] AWS_SESSION_TOKEN=[REDACTED] X_API_KEY=[REDACTED]")
        #expect(redact(#"{"refresh_token": "rt-0123456789", "max_tokens": 4096}"#)
            == #"{"refresh_token": [REDACTED], "max_tokens": 4096}"#)
        #expect(redact("HTTP_AUTHORIZATION=Bearer abc.def-ghi_jkl~mno123") == "HTTP_AUTHORIZATION=[REDACTED:token]")
        #expect(redact("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----") == "[REDACTED:private-key]")
        #expect(redact("cat id_rsa\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA (output cut") == "cat id_rsa\n[REDACTED:private-key]")
        #expect(redact("GITLAB=glpat-xT3s9aK2LmQ8vW1zYb4R npm: npm_" + String(repeating: "a1B2", count: 9))
            == "GITLAB=[REDACTED:api-key] npm: [REDACTED:api-key]")
        #expect(redact("TWINE_PASSWORD? no: pypi-AgEIcHlwaS5vcmc" + String(repeating: "x", count: 50) + " end") == "TWINE_PASSWORD? no: [REDACTED:api-key] end")
    }

    /// Secrets in the shapes agents' logs hold them: JSON inside a JSON string (escaped quotes),
    /// headers in an HTTP dump, PGP key blocks, command options, account keys, webhooks.
    @Test func secretsInLoggedShapesAreHidden() {
        #expect(redact(#"{\"password\": \"Hunter2-DB-Passw0rd\", \"user\": \"bo\"}"#) == #"{\"password\": [REDACTED], \"user\": \"bo\"}"#)
        #expect(redact(#"{\"Authorization\": \"Basic dXNlcjpwYXNzd29yZA==\"}"#) == #"{\"Authorization\": \"[REDACTED:token]\"}"#)
        #expect(redact("HTTP/1.1 200 OK\nSet-Cookie: SessCookie-7f3a9b2c1d; Path=/\nCookie: a=b1234\n") == "HTTP/1.1 200 OK\nSet-Cookie: [REDACTED]\nCookie: [REDACTED]\n")
        #expect(redact("-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----\nok") == "[REDACTED:private-key]\nok")
        #expect(redact("psql --password Pg-Secret-9 -h db") == "psql --password [REDACTED] -h db")
        #expect(redact("curl -u admin:Adm1n-pw https://x.example") == "curl -u admin:[REDACTED] https://x.example")
        #expect(redact("docker run -u 1000:1000 img; git push -u origin:main") == "docker run -u 1000:1000 img; git push -u origin:main")
        #expect(redact("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=abcd1234efgh==;") == "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[REDACTED];")
        #expect(redact("post to https://hooks.slack.com/services/T000/B000/XXXXabcd now") == "post to [REDACTED:webhook] now")
        #expect(redact("token ya29.a0AfH6SMBx3-abcdefghijklmnopqrstuv end") == "token [REDACTED:api-key] end")
    }

    /// A header or variable written as a name and a value has its value hidden when the name is
    /// a secret's.
    @Test func aSecretNamedByANameValuePairIsHidden() throws {
        let e = try JournalEvent(
            parsing: Array(
                #"{"run":"r","seq":1,"ts":"2026-11-25T10:00:00Z","kind":"x.t","data":{"headers":[{"name":"Authorization","value":"Basic dXNlcjpwYXNz"},{"name":"X-Api-Key","value":"k-123456"},{"name":"Accept","value":"text/html"}],"env":[{"key":"DB_PASSWORD","value":"pw-9"}]}}"#.utf8))
        var tally = Redactor.Tally()
        let out = String(decoding: Redactor().redact([e], tally: &tally)[0].bytes, as: UTF8.self)
        for secret in ["dXNlcjpwYXNz", "k-123456", "pw-9"] { #expect(!out.contains(secret), "\(out)") }
        #expect(out.contains(#"{"name":"Accept","value":"text/html"}"#), "\(out)")
    }

    @Test func ordinaryTextIsLeftAlone() {
        for text in [
            "the token limit was exceeded after 4096 tokens", "basic functionality works", "Bearer of bad news",
            "rotate the api key next week", "see user@localhost", "2026-11-25T10:00:00.123456Z", "sk-short",
            "password reset flow documented", "https://example.com/a:b@c", "fetch_rocksdb_archive completed in 0.4s",
            "max_tokens=4096 input_tokens: 512", "OLDPWD=/home/ana/src",
        ] {
            #expect(redact(text) == text)
        }
    }

    @Test func fieldsNamedLikeSecretsAreHiddenWhateverTheirValue() throws {
        let e = try JournalEvent(parsing: #"{"run":"r","seq":1,"ts":"2026-11-25T10:00:00Z","kind":"x.t","data":{"headers":{"X-Api-Key":"plain","accept":"json"},"api_key":"v"}}"#)
        var tally = Redactor.Tally()
        let out = Redactor().redact([e], tally: &tally)
        #expect(out[0].data("headers")?["X-Api-Key"]?.stringValue == "[REDACTED]")
        #expect(out[0].data("headers")?["accept"]?.stringValue == "json")
        #expect(out[0].dataString("api_key") == "[REDACTED]")
        #expect(tally.replacements == ["secret-field": 2] && tally.events == 1)
        // A number, an object of credentials and an array of keys are hidden whole; null stays.
        let other = try JournalEvent(
            parsing: #"{"run":"r","seq":2,"ts":"2026-11-25T10:00:00Z","kind":"x.t","data":{"password":4321,"credentials":{"user":"bob","pass":"hunter2hunter2"},"aws_secret":["k1","k2"],"api_key":null,"password_changed":true,"n":7}}"#)
        tally = Redactor.Tally()
        let hidden = Redactor().redact([other], tally: &tally)[0]
        for name in ["password", "credentials", "aws_secret"] { #expect(hidden.dataString(name) == "[REDACTED]", "\(name)") }
        #expect(hidden.data("api_key") == .null && hidden.dataInt("n") == 7 && hidden.data("password_changed") == .bool(true))
        #expect(!String(decoding: hidden.bytes, as: UTF8.self).contains("hunter2"))
        #expect(tally.replacements == ["secret-field": 3])
    }

    /// Secret names as configurations and environments spell them, and names that only look so.
    @Test func fieldNamesThatHoldASecretAnywhereAreHidden() throws {
        let secret = ["db_password", "OPENAI_API_KEY", "aws_secret_access_key", "github_token", "HF_TOKEN", "x-auth-token",
                      "X-Goog-Api-Key", "webhook_secret", "encryption_key", "passphrase", "credentials", "set-cookie", "sessionid"]
        let plain = ["input_tokens", "max_tokens", "tokens_used", "key", "author", "description", "tokenizer"]
        let members = (secret + plain).map { #""\#($0)":"value-of-it""# }.joined(separator: ",")
        let e = try JournalEvent(parsing: #"{"run":"r","seq":1,"ts":"2026-11-25T10:00:00Z","kind":"x.t","data":{"config":{\#(members)}}}"#)
        var tally = Redactor.Tally()
        let config = try #require(Redactor().redact([e], tally: &tally)[0].data("config"))
        for name in secret { #expect(config[name]?.stringValue == "[REDACTED]", "\(name)") }
        for name in plain { #expect(config[name]?.stringValue == "value-of-it", "\(name)") }
        // A quoted value is hidden whole, and a token in a query string.
        #expect(redact(#"pwd="two words" next"#) == "pwd=[REDACTED] next")
        #expect(redact("https://api.example.com/v1?token=abcd1234&x=1") == "https://api.example.com/v1?token=[REDACTED]&x=1")
    }

    /// Many keys hidden alike are numbered in order, each once, among keys already named like
    /// their numbers (each key counted from `#2` again made 20,000 of them take 48 s).
    @Test func manyKeysHiddenAlikeAreNumberedInOrder() throws {
        let keys = (0..<3000).map { "\"sk-\(String(repeating: "0", count: 20 - String($0).count))\($0)\":\($0)" }
        let data = "{" + #""[REDACTED:api-key]#3":"taken","# + keys.joined(separator: ",") + "}"
        let e = try JournalEvent(parsing: Array(#"{"run":"r","seq":1,"ts":"2026-11-25T10:00:00Z","kind":"x.t","data":"#.utf8) + Array(data.utf8) + [UInt8(ascii: "}")])
        var tally = Redactor.Tally()
        let names = try #require(Redactor().redact([e], tally: &tally)[0].data.objectMembers?.map(\.key))
        #expect(Set(names).count == names.count && names.count == 3001)
        #expect(Array(names.prefix(5)) == ["[REDACTED:api-key]#3", "[REDACTED:api-key]", "[REDACTED:api-key]#2", "[REDACTED:api-key]#4", "[REDACTED:api-key]#5"])
        #expect(names.last == "[REDACTED:api-key]#3001")
    }

    @Test func eventsWithNothingToHideStayByteForByte() throws {
        let events = try RunBuilder.complete(run: "clean", steps: 4).events
        var tally = Redactor.Tally()
        #expect(Redactor().redact(events, tally: &tally) == events)
        #expect(tally.total == 0)
    }

    @Test func userRulesComeFromAFileWithReplacementsAndGroups() throws {
        let rule = try RedactionRule(name: "u", pattern: #"(customer_id=)\d+"#, template: "$1[id]")
        var tally = Redactor.Tally()
        #expect(Redactor(extra: [rule]).redact("customer_id=12345 ok", tally: &tally) == "customer_id=[id] ok")
        #expect(tally.replacements == ["u": 1])
    }

    /// Redaction fails closed: a run id it makes too long becomes a stand-in (the same for each
    /// event of the run), keys hidden alike stay apart, a top-level field named like a secret is
    /// hidden, and the deepest event the journal takes is redacted (each of them came out in
    /// clear before).
    @Test func redactionFailsClosed() throws {
        let run = "ci-" + String(repeating: "x", count: 112) + " owner a@b.co"
        #expect(run.utf8.count == JournalEvent.maxRunIDBytes)
        func event(_ seq: Int, _ data: String, extra: String = "") throws -> JournalEvent {
            try JournalEvent(
                parsing: Array(#"{"run":"\#(run)","seq":\#(seq),"ts":"2026-11-25T10:00:00Z","kind":"x.t"\#(extra),"data":\#(data)}"#.utf8))
        }
        let keys = "sk-" + String(repeating: "A", count: 20)
        let events = [
            try event(1, #"{"goal":"password=hunter22"}"#),
            try event(2, #"{"\#(keys)1":1,"\#(keys)2":2}"#, extra: #","api_key":"top-secret-value""#),
        ]
        var tally = Redactor.Tally()
        let out = Redactor().redact(events, tally: &tally)
        #expect(out.map(\.run) == [out[0].run, out[0].run] && out[0].run.hasPrefix("redacted-"))
        let text = out.map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
        for secret in ["hunter22", "a@b.co", keys, "top-secret-value"] { #expect(!text.contains(secret), "\(secret)") }
        #expect(out[1].data.objectMembers?.map(\.key) == ["[REDACTED:api-key]", "[REDACTED:api-key]#2"])

        // As deep as ingest takes (the compactor's limit, and the reader's, are the same).
        func nested(_ depth: Int) -> String {
            #"{"blob":"# + String(repeating: "[", count: depth) + #""password=hunter22""# + String(repeating: "]", count: depth) + "}"
        }
        var depth = 150
        while (try? event(3, nested(depth + 1))) != nil { depth += 1 }
        #expect(depth > 190)
        let redacted = Redactor().redact(try event(3, nested(depth)), tally: &tally)
        #expect(!String(decoding: redacted.bytes, as: UTF8.self).contains("hunter22"))
        #expect(redacted.data["blob"] != nil, "redacted field by field, not withheld whole")
    }
}
