/// Builds a compression dictionary from sample JSON Lines: the text segments (string values, and
/// the lines of longer strings: prompt paragraphs, plan lines, code and log lines) that recur most,
/// weighted by the bytes they would save, packed into at most 64 KiB.
struct DictionaryTrainer {
    /// LZ4 uses at most the last 64 KiB of a dictionary.
    static let maxSize = 64 * 1024
    /// Segments shorter than this are left to in-chunk matching.
    static let minSegment = 24

    private var counts: [ArraySlice<UInt8>: Int] = [:]
    /// Sample bytes seen so far.
    private(set) var sampled = 0

    /// Adds sample JSON Lines.
    mutating func add(_ jsonl: [UInt8]) {
        sampled += jsonl.count
        var start = 0
        var i = 0
        let n = jsonl.count
        while i < n {
            let b = jsonl[i]
            // A segment ends at a newline between events, at a quote (so whole string values are
            // segments) or at a `\n` escape inside a string (so are their lines).
            let escapedNewline = b == UInt8(ascii: "\\") && i + 1 < n && jsonl[i + 1] == UInt8(ascii: "n")
            if escapedNewline || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\"") {
                if i - start >= Self.minSegment { counts[jsonl[start..<i], default: 0] += 1 }
                i += escapedNewline ? 2 : 1
                start = i
            } else {
                i += 1
            }
        }
    }

    /// The dictionary: the segments that recur, most valuable last (nearest the data), each
    /// followed by the `\n` escape it was cut at.
    func build() -> [UInt8] {
        let ranked = counts.filter { $0.value > 1 }
            .map { (segment: $0.key, score: ($0.value - 1) * $0.key.count) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.segment.lexicographicallyPrecedes($1.segment) }
        var chosen: [ArraySlice<UInt8>] = []
        var size = 0
        for r in ranked where size + r.segment.count + 2 <= Self.maxSize {
            chosen.append(r.segment)
            size += r.segment.count + 2
        }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        for segment in chosen.reversed() {
            out.append(contentsOf: segment)
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        }
        return out
    }
}
