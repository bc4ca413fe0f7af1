import Crypto
import Foundation
import PlanJournalCore

/// Applies redaction rules to every string of every event (envelope and data, field names and
/// values, at any depth), so no export format can carry what the rules hide.
public struct Redactor: Sendable {
    /// What a redaction changed: values replaced per rule, and events touched.
    public struct Tally: Sendable, Hashable, Codable {
        /// Values replaced, by rule name (`unredactable-event` counts events withheld whole).
        public var replacements: [String: Int] = [:]
        /// Events changed, or withheld whole.
        public var events = 0

        /// An empty tally.
        public init() {}

        /// Values replaced by all rules together.
        public var total: Int { replacements.values.reduce(0, +) }

        /// Adds what another tally counted (of other events).
        public mutating func add(_ other: Tally) {
            replacements.merge(other.replacements, uniquingKeysWith: +)
            events += other.events
        }
    }

    /// The envelope's fields (DESIGN §2): their names are the contract's, never a secret's.
    private static let envelopeFields: Set<String> = ["v", "run", "seq", "ts", "kind", "actor", "cause", "data"]

    /// The rules applied (with ``init(extra:)``: the built-in ones first).
    public let rules: [RedactionRule]
    private let triggers: TriggerIndex
    private let fieldRules: FieldRuleCache

    /// A redactor with the built-in rules followed by `extra` ones.
    public init(extra: [RedactionRule] = []) {
        self.init(rules: RedactionRule.builtIn + extra)
    }

    /// A redactor with exactly `rules`.
    public init(rules: [RedactionRule]) {
        self.rules = rules
        triggers = TriggerIndex(rules)
        fieldRules = FieldRuleCache(rules)
    }

    /// `events` with secrets replaced; events with nothing to hide come back unchanged, byte for
    /// byte.
    public func redact(_ events: [JournalEvent], tally: inout Tally) -> [JournalEvent] {
        events.map { redact($0, tally: &tally) }
    }

    /// `e` with secrets replaced; unchanged, byte for byte, when it has nothing to hide.
    ///
    /// Fails closed: a run id that redaction makes invalid (longer than a run id may be, or
    /// empty) becomes `redacted-` and a hash of it, the same for every event of the run; an event
    /// that cannot be redacted field by field (it should not happen: anything the journal holds
    /// parses) keeps only its seq, time and kind, never its text.
    public func redact(_ e: JournalEvent, tally: inout Tally) -> JournalEvent {
        guard let value = try? JSONValue(parsing: e.bytes) else { return withheld(e, tally: &tally) }
        var changed = 0
        var redacted = redact(value, tally: &tally, changed: &changed)
        guard changed > 0 else { return e }
        if case .object(var members) = redacted, let k = members.firstIndex(where: { $0.key == "run" }),
            case .string(let run) = members[k].value, run != e.run, JournalEvent.runIDProblem(run) != nil
        {
            members[k] = .init("run", .string(Self.standIn(forRun: e.run)))
            redacted = .object(members)
        }
        var bytes: [UInt8] = []
        redacted.write(to: &bytes)
        guard let event = try? JournalEvent(parsing: bytes) else { return withheld(e, tally: &tally) }
        tally.events += 1
        return event
    }

    /// The run id `run`'s redacted events carry: the id with secrets replaced, or its stand-in
    /// when that is no valid run id (see ``redact(_:tally:)-(JournalEvent,_)``).
    public func redact(runID run: String, tally: inout Tally) -> String {
        let redacted = redact(run, tally: &tally)
        return redacted == run || JournalEvent.runIDProblem(redacted) == nil ? redacted : Self.standIn(forRun: run)
    }

    /// A run id for a run whose redacted id is not a valid one: the same for every event of it.
    static func standIn(forRun run: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(run.utf8))
        return "redacted-" + hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// `e` with nothing of its text: its run (redacted as other events of it are), seq, time and
    /// kind (when the rules leave the kind alone), and a note saying why.
    private func withheld(_ e: JournalEvent, tally: inout Tally) -> JournalEvent {
        var scratch = Tally()
        let run = redact(runID: e.run, tally: &scratch)
        let kind = redact(e.kind, tally: &scratch) == e.kind ? e.kind : "x.redacted"
        tally.replacements["unredactable-event", default: 0] += 1
        tally.events += 1
        let event = try? JournalEvent(
            run: run, seq: e.seq, ts: e.ts,
            kind: kind, data: .record(["redacted": .string("this event could not be redacted field by field, so none of it is shown")]))
        // Every part of it was checked above; a valid event with no text is always possible.
        return event ?? (try! JournalEvent(run: Self.standIn(forRun: e.run), seq: e.seq, ts: e.ts, kind: "x.redacted", data: .record([:])))
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
            // The next number to try per hidden name: counting from 2 again for each key made
            // an object of many keys hidden alike quadratic.
            var nextNumber: [String: Int] = [:]
            // A header or variable written as a pair (HAR, Postman, Kubernetes env:
            // `{"name": "Authorization", "value": "…"}`): its value is hidden as a field of that
            // name would be.
            let pairName = members.first { ["name", "key"].contains($0.key.lowercased()) }?.value.stringValue
            let pairRule = envelope ? nil : pairName.flatMap { fieldRules.rule(hiding: $0) }
            return .object(
                members.map { m in
                    // The envelope's own fields keep their names, and `ts` its form.
                    if envelope && (m.key == "ts" || m.key == "seq" || m.key == "v") { return m }
                    let own = envelope && Self.envelopeFields.contains(m.key)
                    var key = m.key
                    if !envelope {
                        var out = redact(key, tally: &tally)
                        if out != key {
                            // Two keys hidden alike stay two keys: numbered, never left as they were.
                            let base = out
                            var n = nextNumber[base] ?? 2
                            while seen.contains(out) {
                                out = "\(base)#\(n)"
                                n += 1
                            }
                            nextNumber[base] = n
                            seen.insert(out)
                            key = out
                            changed += 1
                        }
                    }
                    // A field named like a secret is hidden whole, whatever it holds: a number
                    // (a PIN), an object of credentials, an array of keys (not a Boolean, such as
                    // password_changed, which holds none); at the top level too, but for the
                    // envelope's own fields.
                    if !own, m.value != .null, m.value.boolValue == nil,
                        let rule = fieldRules.rule(hiding: m.key) ?? (m.key.lowercased() == "value" ? pairRule : nil)
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
