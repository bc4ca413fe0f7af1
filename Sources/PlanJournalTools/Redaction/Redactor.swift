import PlanJournalCore

/// Applies redaction rules to every string of every event (envelope and data, field names and
/// values, at any depth), so no export format can carry what the rules hide.
public struct Redactor: Sendable {
    /// What a redaction changed: values replaced per rule, and events touched.
    public struct Tally: Sendable, Hashable, Codable {
        public var replacements: [String: Int] = [:]
        public var events = 0

        public init() {}

        /// Values replaced by all rules together.
        public var total: Int { replacements.values.reduce(0, +) }

        /// Adds what another tally counted (of other events).
        public mutating func add(_ other: Tally) {
            replacements.merge(other.replacements, uniquingKeysWith: +)
            events += other.events
        }
    }

    public let rules: [RedactionRule]
    private let triggers: TriggerIndex

    /// A redactor with the built-in rules followed by `extra` ones.
    public init(extra: [RedactionRule] = []) {
        self.init(rules: RedactionRule.builtIn + extra)
    }

    /// A redactor with exactly `rules`.
    public init(rules: [RedactionRule]) {
        self.rules = rules
        triggers = TriggerIndex(rules)
    }

    /// `events` with secrets replaced; events with nothing to hide come back unchanged, byte for
    /// byte.
    public func redact(_ events: [JournalEvent], tally: inout Tally) -> [JournalEvent] {
        events.map { redact($0, tally: &tally) }
    }

    /// `e` with secrets replaced; unchanged, byte for byte, when it has nothing to hide.
    public func redact(_ e: JournalEvent, tally: inout Tally) -> JournalEvent {
        guard let value = try? JSONValue(parsing: e.bytes) else { return e }
        var changed = 0
        let redacted = redact(value, tally: &tally, changed: &changed)
        guard changed > 0 else { return e }
        var bytes: [UInt8] = []
        redacted.write(to: &bytes)
        guard let event = try? JournalEvent(parsing: bytes) else { return e }
        tally.events += 1
        return event
    }

    /// `text` with every rule applied.
    public func redact(_ text: String, tally: inout Tally) -> String {
        var text = text
        let candidates = triggers.candidates(in: text)
        for (rule, candidate) in zip(rules, candidates) where candidate && !rule.matchesFieldNames {
            let (out, count) = rule.apply(text)
            if count > 0 {
                text = out
                tally.replacements[rule.name, default: 0] += count
            }
        }
        return text
    }

    private func redact(_ value: JSONValue, tally: inout Tally, changed: inout Int, envelope: Bool = true) -> JSONValue {
        switch value {
        case .string(let s):
            let out = redact(s, tally: &tally)
            if out != s { changed += 1 }
            return .string(out)
        case .array(let items):
            return .array(items.map { redact($0, tally: &tally, changed: &changed, envelope: false) })
        case .object(let members):
            var seen = Set(members.map(\.key))
            return .object(
                members.map { m in
                    // The envelope's own fields keep their names, and `ts` its form.
                    if envelope && (m.key == "ts" || m.key == "seq" || m.key == "v") { return m }
                    var key = m.key
                    if !envelope {
                        let out = redact(key, tally: &tally)
                        if out != key && !seen.contains(out) {
                            seen.insert(out)
                            key = out
                            changed += 1
                        }
                    }
                    // A field named like a secret is hidden whole, whatever it holds: a number
                    // (a PIN), an object of credentials, an array of keys.
                    if !envelope, m.value != .null,
                        let rule = rules.first(where: { $0.hides(field: m.key) })
                    {
                        guard m.value != .string(rule.template) else { return .init(key, m.value) }
                        tally.replacements[rule.name, default: 0] += 1
                        changed += 1
                        return .init(key, .string(rule.template))
                    }
                    return .init(key, redact(m.value, tally: &tally, changed: &changed, envelope: false))
                })
        case .null, .bool, .number:
            return value
        }
    }
}
