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

    /// `data.key` as a duration in milliseconds: a number from 0 up to 10^12 (about 31 years),
    /// else `nil`.
    public func dataMilliseconds(_ key: String) -> Double? {
        dataDouble(key).flatMap { $0 >= 0 && $0 <= 1e12 ? $0 : nil }
    }
}
