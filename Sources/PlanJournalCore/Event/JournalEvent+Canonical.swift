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
                        // Not spelt as a known kind: it may still be one written with escapes
                        // (`run.c\u006fmpleted`), which validation took as the kind it means.
                        let decoded = JSONString.decode(buffer, value)
                        kind = decoded
                        known = EventKind(rawValue: decoded)
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
            fields.append(
                .init(
                    keyStart: key.lowerBound - base, value: (i - base)..<(end - base),
                    keyEscaped: JournalEvent.DataField.escapes(s, key)))
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
