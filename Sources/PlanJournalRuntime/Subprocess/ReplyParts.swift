import PlanJournalCore

/// The optional parts of a `cmd:` program's reply (`calls`, `tool_calls`), read as far as they
/// can be: what cannot be used is ignored, and said in one note for the reply (``report(agent:method:)``)
/// rather than dropped without a word.
struct ReplyParts {
    /// The reply's `result`.
    let result: JSONValue
    /// What was ignored, and why, in the order found.
    private(set) var ignored: [String] = []

    init(_ result: JSONValue) {
        self.result = result
    }

    /// The model calls of `calls` (named after `purpose` when they do not say theirs). An entry
    /// that is not an object with a `model` name is left out; token counts that are not whole
    /// numbers count as 0, and a cost or latency that is not a number as unknown.
    mutating func calls(purpose: String) -> [ModelCall] {
        guard let entries = list("calls") else { return [] }
        return entries.enumerated().compactMap { k, entry in
            guard entry["model"]?.stringValue != nil else {
                ignored.append("calls[\(k)] has no \"model\" (not journaled)")
                return nil
            }
            for key in ["input_tokens", "output_tokens"] {
                if let n = entry["usage"]?[key], n != .null, n.int64Value == nil {
                    ignored.append("calls[\(k)].usage.\(key) is \(Self.shown(n)), not a whole number (counted as 0)")
                }
            }
            for key in ["cost_usd", "latency_ms"] {
                if let n = entry[key], n != .null, n.doubleValue == nil {
                    ignored.append("calls[\(k)].\(key) is \(Self.shown(n)), not a number (unknown)")
                }
            }
            return ModelCall(wire: entry, purpose: purpose)
        }
    }

    /// The entries of `tool_calls` that are objects naming their `tool`.
    mutating func toolCalls() -> [JSONValue] {
        guard let entries = list("tool_calls") else { return [] }
        return entries.enumerated().compactMap { k, entry in
            if entry["tool"]?.stringValue != nil { return entry }
            ignored.append("tool_calls[\(k)] has no \"tool\" (not journaled)")
            return nil
        }
    }

    /// Says what was ignored, if anything, in one note about the program.
    func report(agent: String, method: String) {
        guard !ignored.isEmpty else { return }
        SubprocessChannel.report("\(agent): the \(method) reply's \(ignored.joined(separator: "; "))")
    }

    /// The list under `key`: `nil` when there is none (absent or null), or when it is not a list
    /// (ignored).
    private mutating func list(_ key: String) -> [JSONValue]? {
        guard let value = result[key], value != .null else { return nil }
        guard let entries = value.arrayValue else {
            ignored.append("\(key) is \(Self.shown(value)), not a list (ignored)")
            return nil
        }
        return entries
    }

    /// `value` in a note: its type, with a string's start.
    private static func shown(_ value: JSONValue) -> String {
        if let s = value.stringValue { return "a string (\"\(s.prefix(40))\")" }
        return value == .null ? "null" : "a \(value.typeName)"
    }
}
