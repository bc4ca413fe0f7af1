/// The measures of an event as sums and timelines use them: whatever numbers an agent wrote, they
/// fold without trapping (the event keeps the numbers as written).
extension JournalEvent {
    /// A model call's `usage.input_tokens` and `usage.output_tokens`; a count that is absent,
    /// negative or not an integer counts 0.
    public var usageTokens: (input: Int64, output: Int64) {
        (Swift.max(0, dataMemberInt("usage", "input_tokens") ?? 0), Swift.max(0, dataMemberInt("usage", "output_tokens") ?? 0))
    }

    /// `data.cost_usd` when it is a number, else 0.
    public var costUSD: Double { dataDouble("cost_usd") ?? 0 }

    /// The measures of a `call.model` that are there but count 0: a `cost_usd` that is no number
    /// (`"5.0"`, the usual way to write a `Decimal`), a token count that is no integer of 64
    /// bits (`10.7`, `"12"`). Ingest reports them: a budget or a cost report would be silently wrong.
    public var uncountedMeasures: [String] {
        guard knownKind == .callModel else { return [] }
        var out: [String] = []
        if let raw = rawData("cost_usd"), !raw.elementsEqual("null".utf8), dataDouble("cost_usd") == nil { out.append("cost_usd") }
        // Both counts read (the usual case): no need to look at the object member by member.
        if rawData("usage") != nil, dataMemberInt("usage", "input_tokens") == nil || dataMemberInt("usage", "output_tokens") == nil,
            case .object(let members)? = data("usage")
        {
            for m in members where ["input_tokens", "output_tokens"].contains(m.key) && m.value != .null && m.value.int64Value == nil {
                out.append("usage." + m.key)
            }
        }
        return out
    }

    /// `data.key` as a duration in milliseconds: a number from 0 up to 10^12 (about 31 years),
    /// else `nil`.
    public func dataMilliseconds(_ key: String) -> Double? {
        dataDouble(key).flatMap { $0 >= 0 && $0 <= 1e12 ? $0 : nil }
    }
}
