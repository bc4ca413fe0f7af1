import PlanJournalCore

/// Compares wire events value for value: object keys in any order, `ts` as the same instant.
public enum JSONComparison {
    /// `line` parsed, with object members sorted by key and the envelope's `ts` normalized.
    public static func normalized(_ line: String) throws -> JSONValue {
        var value = sorted(try JSONValue(parsing: line))
        if case .object(var members) = value, let k = members.firstIndex(where: { $0.key == "ts" }) {
            switch members[k].value {
            case .string(let s):
                if let t = Timestamp(rfc3339: Array(s.utf8)) { members[k].value = .string(t.description) }
            case .number(let n):
                if let us = Int64(n) { members[k].value = .string(Timestamp(microseconds: us).description) }
            default: break
            }
            value = .object(members)
        }
        return value
    }

    private static func sorted(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let members):
            return .object(members.map { .init($0.key, sorted($0.value)) }.sorted { $0.key < $1.key })
        case .array(let items):
            return .array(items.map(sorted))
        default:
            return v
        }
    }
}
