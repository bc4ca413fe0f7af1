extension JournalEvent {
    /// Reads a line in the canonical form this library writes (compact, validated when it was
    /// stored), skipping the checks ``init(parsing:)`` makes: reading back stored events is then
    /// several times faster. A line that is not in that form goes through ``init(parsing:)``.
    /// - Throws: what ``init(parsing:)`` throws, for lines that are not canonical.
    public init(canonical line: [UInt8]) throws(JournalError) {
        let reader = CanonicalLineReader(runHint: nil)
        if let (event, end) = reader.read(line, at: 0), end == line.count {
            self = event
        } else {
            try self.init(parsing: line)
        }
    }
}

/// Reads canonical events out of a buffer of JSON Lines (a decoded chunk) in one pass over the
/// bytes: each line's envelope and `data` members are located by skipping values without
/// checking them, and only the envelope strings are decoded. Never traps: any surprise makes
/// ``read(_:at:)`` return `nil`, and the caller parses that line with ``JournalEvent/init(parsing:)``.
package struct CanonicalLineReader {
    /// The run id the events are expected to carry: when a line names it, the event shares this
    /// string instead of decoding its own.
    private let runHint: String?
    private let runHintBytes: [UInt8]

    /// - Parameter runHint: the run the lines most likely belong to, if known.
    package init(runHint: String?) {
        self.runHint = runHint
        runHintBytes = runHint.map { Array($0.utf8) } ?? []
    }

    /// Reads the canonical event that starts at `start` in `buffer`.
    /// - Returns: the event and the index just past its closing brace (the caller checks what
    ///   follows: the end of a line), or `nil` when the bytes there are not in canonical form.
    package func read(_ buffer: [UInt8], at start: Int) -> (JournalEvent, Int)? {
        let s = buffer.span
        var i = start
        guard i < s.count, s[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var version = 1
        var run: String?
        var seq: Int64?
        var ts: Timestamp?
        var kind: String?
        var known: EventKind?
        var actor: String?
        var cause: Int64?
        var dataRange: Range<Int>?
        var fields: [JournalEvent.DataField] = []
        while true {
            guard i < s.count, s[i] == UInt8(ascii: "\""), let keyEnd = CanonicalScan.string(s, from: i) else { return nil }
            let key = (i + 1)..<(keyEnd - 1)
            i = keyEnd
            guard i < s.count, s[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            let valueStart = i
            if CanonicalScan.equals(s, key, "data") {
                guard let (members, end) = Self.members(s, buffer, from: i, base: start) else { return nil }
                fields = members
                i = end
                dataRange = (valueStart - start)..<(end - start)
            } else {
                guard let end = CanonicalScan.value(s, from: i) else { return nil }
                i = end
                let value = valueStart..<end
                switch key.count {
                case 1 where s[key.lowerBound] == UInt8(ascii: "v"):
                    guard let n = JSONNumber.int64(buffer[value]) else { return nil }
                    version = Int(n)
                case 3 where CanonicalScan.equals(s, key, "run"):
                    guard s[value.lowerBound] == UInt8(ascii: "\"") else { return nil }
                    run = decodeRun(s, buffer, value)
                case 3 where CanonicalScan.equals(s, key, "seq"):
                    seq = JSONNumber.int64(buffer[value])
                case 2 where CanonicalScan.equals(s, key, "ts"):
                    guard value.count > 2 else { return nil }
                    let body = (value.lowerBound + 1)..<(value.upperBound - 1)
                    ts = Timestamp(canonical: s, body) ?? Timestamp(rfc3339: buffer[body])
                case 4 where CanonicalScan.equals(s, key, "kind"):
                    guard s[value.lowerBound] == UInt8(ascii: "\"") else { return nil }
                    let body = (value.lowerBound + 1)..<(value.upperBound - 1)
                    if let k = EventKind.lookup(s, body) {
                        known = k
                        kind = k.rawValue
                    } else {
                        kind = JSONString.decode(buffer, value)
                    }
                case 5 where CanonicalScan.equals(s, key, "actor"):
                    if s[value.lowerBound] == UInt8(ascii: "\"") { actor = JSONString.decode(buffer, value) }
                case 5 where CanonicalScan.equals(s, key, "cause"):
                    cause = JSONNumber.int64(buffer[value])
                default:
                    break
                }
            }
            guard i < s.count else { return nil }
            if s[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard s[i] == UInt8(ascii: "}") else { return nil }
            i += 1
            break
        }
        guard let run, let seq, let ts, let kind, let dataRange else { return nil }
        let bytes = start == 0 && i == buffer.count ? buffer : Array(buffer[start..<i])
        let event = JournalEvent(
            bytes: bytes, run: run, seq: seq, ts: ts, kind: kind, knownKind: known, actor: actor, cause: cause,
            version: version, dataRange: dataRange, dataFields: fields)
        return (event, i)
    }

    /// The run id of the string token at `token`: the hint itself when the bytes are the same.
    private func decodeRun(_ s: Span<UInt8>, _ buffer: [UInt8], _ token: Range<Int>) -> String {
        if let runHint, token.count == runHintBytes.count + 2 {
            var k = 0
            var same = true
            let hint = runHintBytes.span
            while k < hint.count {
                if s[token.lowerBound + 1 + k] != hint[k] {
                    same = false
                    break
                }
                k += 1
            }
            if same { return runHint }
        }
        return JSONString.decode(buffer, token)
    }

    /// The members of the object at `from` (key and value range relative to `base`), and the index
    /// past its closing brace.
    private static func members(_ s: Span<UInt8>, _ buffer: [UInt8], from: Int, base: Int)
        -> ([JournalEvent.DataField], Int)?
    {
        var i = from
        guard i < s.count, s[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var fields: [JournalEvent.DataField] = []
        fields.reserveCapacity(8)
        guard i < s.count else { return nil }
        if s[i] == UInt8(ascii: "}") { return (fields, i + 1) }
        while true {
            guard i < s.count, s[i] == UInt8(ascii: "\""), let keyEnd = CanonicalScan.string(s, from: i) else { return nil }
            let key = i..<keyEnd
            i = keyEnd
            guard i < s.count, s[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            guard let end = CanonicalScan.value(s, from: i) else { return nil }
            let name = DataKeys.lookup(s, (key.lowerBound + 1)..<(key.upperBound - 1)) ?? JSONString.decode(buffer, key)
            fields.append(.init(key: name, value: (i - base)..<(end - base)))
            i = end
            guard i < s.count else { return nil }
            if s[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard s[i] == UInt8(ascii: "}") else { return nil }
            return (fields, i + 1)
        }
    }
}

/// Skipping compact JSON values without checking them, within one line.
package enum CanonicalScan {
    /// The index past the closing quote of the string token at `start` (which holds the opening
    /// quote); `nil` when the line ends first.
    @inline(__always)
    static func string(_ s: Span<UInt8>, from start: Int) -> Int? {
        var k = start + 1
        let n = s.count
        while true {
            // Eight bytes at a time while none of them is a quote, a backslash or a newline.
            while k <= n &- 8 && !hasSpecial(word(s, at: k)) { k &+= 8 }
            // The next special byte is within eight bytes (or the line ends).
            while k < n {
                let c = s[k]
                if c == UInt8(ascii: "\"") { return k + 1 }
                if c == UInt8(ascii: "\\") {
                    k += 2
                    break
                }
                if c == UInt8(ascii: "\n") { return nil }
                k += 1
            }
            if k >= n { return nil }
        }
    }

    /// The eight bytes at `k` (little-endian), `k + 8 <= s.count`.
    @inline(__always)
    static func word(_ s: Span<UInt8>, at k: Int) -> UInt64 {
        UInt64(s[k]) | UInt64(s[k &+ 1]) << 8 | UInt64(s[k &+ 2]) << 16 | UInt64(s[k &+ 3]) << 24
            | UInt64(s[k &+ 4]) << 32 | UInt64(s[k &+ 5]) << 40 | UInt64(s[k &+ 6]) << 48 | UInt64(s[k &+ 7]) << 56
    }

    /// Whether any byte of `w` is `"`, `\` or a newline (the zero-byte test of each XOR is exact
    /// about whether there is one).
    @inline(__always)
    static func hasSpecial(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let q = w ^ (ones &* 0x22)
        let b = w ^ (ones &* 0x5C)
        let nl = w ^ (ones &* 0x0A)
        return (((q &- ones) & ~q) | ((b &- ones) & ~b) | ((nl &- ones) & ~nl)) & highs != 0
    }

    /// Whether any byte of `w` is a newline.
    @inline(__always)
    static func hasNewline(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let nl = w ^ (ones &* 0x0A)
        return (nl &- ones) & ~nl & 0x8080_8080_8080_8080 != 0
    }

    /// The index of the first newline in `bytes` at or after `start`, if any.
    package static func firstNewline(in bytes: [UInt8], from start: Int) -> Int? {
        let s = bytes.span
        let n = s.count
        var k = max(0, start)
        while k <= n &- 8 && !hasNewline(word(s, at: k)) { k &+= 8 }
        while k < n {
            if s[k] == UInt8(ascii: "\n") { return k }
            k += 1
        }
        return nil
    }

    /// The index past the value at `start`; `nil` when the line ends first.
    static func value(_ s: Span<UInt8>, from start: Int) -> Int? {
        let n = s.count
        guard start < n else { return nil }
        switch s[start] {
        case UInt8(ascii: "\""):
            return string(s, from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var k = start
            while k < n {
                let c = s[k]
                switch c {
                case UInt8(ascii: "\""):
                    guard let end = string(s, from: k) else { return nil }
                    k = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return k + 1 }
                case UInt8(ascii: "\n"):
                    return nil
                default:
                    break
                }
                k += 1
            }
            return nil
        default:
            var k = start
            while k < n {
                let c = s[k]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == UInt8(ascii: "\n") {
                    break
                }
                k += 1
            }
            return k > start ? k : nil
        }
    }

    /// Whether the bytes at `range` are `name`.
    @inline(__always)
    static func equals(_ s: Span<UInt8>, _ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        var k = 0
        for p in range {
            if s[p] != name.utf8Start[k] { return false }
            k += 1
        }
        return true
    }
}

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

extension Timestamp {
    /// Reads the canonical form `YYYY-MM-DDTHH:MM:SS.ffffffZ` at `range`; `nil` for any other
    /// form (which ``init(rfc3339:)`` then reads).
    init?(canonical s: Span<UInt8>, _ range: Range<Int>) {
        guard range.count == 27 else { return nil }
        let b = range.lowerBound
        guard s[b + 4] == UInt8(ascii: "-"), s[b + 7] == UInt8(ascii: "-"), s[b + 10] == UInt8(ascii: "T"),
            s[b + 13] == UInt8(ascii: ":"), s[b + 16] == UInt8(ascii: ":"), s[b + 19] == UInt8(ascii: "."),
            s[b + 26] == UInt8(ascii: "Z")
        else { return nil }
        guard let y = Self.digits(s, b, 4), let mo = Self.digits(s, b + 5, 2), let d = Self.digits(s, b + 8, 2),
            let h = Self.digits(s, b + 11, 2), let mi = Self.digits(s, b + 14, 2), let sec = Self.digits(s, b + 17, 2),
            let micros = Self.digits(s, b + 20, 6), (1...12).contains(mo), d >= 1,
            d <= Self.daysIn(month: mo, year: y), h <= 23, mi <= 59, sec <= 59
        else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        self.init(microseconds: (days * 86_400 + h * 3600 + mi * 60 + sec) * 1_000_000 + micros)
    }

    /// The decimal number of the `width` digits at `at`, if they are all digits.
    @inline(__always)
    private static func digits(_ s: Span<UInt8>, _ at: Int, _ width: Int) -> Int64? {
        var v: Int64 = 0
        var k = at
        while k < at + width {
            let d = s[k] &- UInt8(ascii: "0")
            guard d <= 9 else { return nil }
            v = v &* 10 &+ Int64(d)
            k += 1
        }
        return v
    }
}
