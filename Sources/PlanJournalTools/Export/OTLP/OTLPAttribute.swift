import PlanJournalCore

/// One OTLP `KeyValue`: a key and an `AnyValue` in OTLP/JSON form (`{"stringValue": …}`,
/// `{"intValue": "42"}` with 64-bit integers as decimal strings, `{"doubleValue": 0.5}`,
/// `{"boolValue": true}`).
struct OTLPAttribute {
    /// Strings longer than this many characters are cut (observations and answers can be large).
    static let maxStringLength = 4096

    let key: String
    let value: JSONValue

    static func string(_ key: String, _ value: String) -> OTLPAttribute {
        OTLPAttribute(key: key, value: .record(["stringValue": .string(clipped(value))]))
    }

    static func int(_ key: String, _ value: Int64) -> OTLPAttribute {
        OTLPAttribute(key: key, value: .record(["intValue": .string(String(value))]))
    }

    static func bool(_ key: String, _ value: Bool) -> OTLPAttribute {
        OTLPAttribute(key: key, value: .record(["boolValue": .bool(value)]))
    }

    /// A JSON value from an event: integers as `intValue`, other numbers as `doubleValue`, strings
    /// and Booleans as themselves, arrays and objects as their compact JSON text; `nil` for `null`
    /// and for numbers that are not finite doubles.
    static func from(_ key: String, _ json: JSONValue?) -> OTLPAttribute? {
        switch json {
        case nil, .null?: return nil
        case .bool(let b)?: return .bool(key, b)
        case .string(let s)?: return .string(key, s)
        case .number(let n)?:
            if let i = Int64(n) { return .int(key, i) }
            guard let d = Double(n), d.isFinite else { return nil }
            return OTLPAttribute(key: key, value: .record(["doubleValue": .double(d)]))
        case let other?: return .string(key, other.jsonText)
        }
    }

    /// The attributes of an object's members (prefixed with `prefix`), in order. OTLP keys are
    /// unique and not empty: `null` members and members with an empty name are left out, of a
    /// name given twice only the last counts (as for reading the event), and a name in `taken`
    /// (the attributes the exporter sets itself) gets a `data.` prefix.
    static func members(of json: JSONValue?, prefix: String = "", taken: Set<String> = []) -> [OTLPAttribute] {
        let members = json?.objectMembers ?? []
        var last: [String: Int] = [:]
        for (k, m) in members.enumerated() { last[m.key] = k }
        return members.enumerated().compactMap { (k, m) in
            guard !m.key.isEmpty, last[m.key] == k else { return nil }
            let key = prefix + m.key
            return from(taken.contains(key) ? "data." + key : key, m.value)
        }
    }

    var json: JSONValue { .record(["key": .string(key), "value": value]) }

    private static func clipped(_ s: String) -> String {
        s.count > maxStringLength ? String(s.prefix(maxStringLength)) + "…" : s
    }
}
