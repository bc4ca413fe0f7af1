/// The `data` keys of the wire contract (DESIGN §2), so reading them back shares these strings
/// instead of decoding each one.
enum DataKeys {
    private static let names: [String] = [
        "goal", "agent", "planner", "executor", "tools", "config", "tags", "summary", "constraints",
        "success_criteria", "version", "steps", "rationale", "verdict", "reviewer", "score", "comments", "step_id",
        "reason", "approvers", "decision", "comment", "attempt", "tool", "inputs", "purpose", "model", "prompt",
        "response", "usage", "latency_ms", "cost_usd", "call_id", "args", "ok", "content", "content_type", "bytes",
        "truncated", "duration_ms", "matches_expected", "output", "output_ref", "error", "retryable", "details",
        "base_version", "added", "removed", "changed", "status", "final_answer", "totals",
    ]

    /// An open-addressing table of the names, by ``slot(_:_:)``.
    private struct Table {
        /// The names' bytes one after another (no per-name array to retain while searching).
        var flat: [UInt8] = []
        /// Per slot: 0 when empty, else 1 + the index of a name in ``names``.
        var slots = [Int](repeating: 0, count: DataKeys.slotCount)
        /// Where each name starts in ``flat``, and where the last one ends.
        var starts: [Int] = [0]
    }

    private static let slotCount = 256

    private static let table: Table = {
        var t = Table()
        for (k, name) in names.enumerated() {
            let bytes = Array(name.utf8)
            t.flat.append(contentsOf: bytes)
            t.starts.append(t.flat.count)
            var slot = hash(count: bytes.count, first: bytes[0], last: bytes[bytes.count - 1])
            while t.slots[slot] != 0 { slot = (slot + 1) & (slotCount - 1) }
            t.slots[slot] = k + 1
        }
        return t
    }()

    @inline(__always)
    private static func hash(count: Int, first: UInt8, last: UInt8) -> Int {
        (count &* 31 &+ Int(first) &* 7 &+ Int(last) &* 13) & (slotCount - 1)
    }

    /// The known key whose bytes are at `range` (the token without its quotes), if any.
    static func lookup(_ s: Span<UInt8>, _ range: Range<Int>) -> String? {
        let count = range.count
        guard count > 0 else { return nil }
        let t = table
        let flat = t.flat.span
        let slots = t.slots.span
        let starts = t.starts.span
        var slot = hash(count: count, first: s[range.lowerBound], last: s[range.upperBound - 1])
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            let a = starts[entry - 1]
            if starts[entry] - a == count {
                var k = 0
                while k < count && flat[a + k] == s[range.lowerBound + k] { k += 1 }
                if k == count { return names[entry - 1] }
            }
            slot = (slot + 1) & (slotCount - 1)
        }
    }
}

extension EventKind {
    /// Each kind with its UTF-8 name.
    private static let names: [(EventKind, [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// The known kind whose name is the bytes at `range` (no escapes), if any.
    static func lookup(_ s: Span<UInt8>, _ range: Range<Int>) -> EventKind? {
        for (kind, name) in names where name.count == range.count {
            var k = 0
            var same = true
            for p in range {
                if s[p] != name[k] {
                    same = false
                    break
                }
                k += 1
            }
            if same { return kind }
        }
        return nil
    }
}
