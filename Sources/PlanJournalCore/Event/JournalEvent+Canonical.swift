extension JournalEvent {
    /// Reads a line in the canonical form this library writes (compact, validated when it was
    /// stored), skipping the checks ``init(parsing:)`` makes: reading back stored events is then
    /// several times faster. A line that is not in that form goes through ``init(parsing:)``.
    /// - Throws: what ``init(parsing:)`` throws, for lines that are not canonical.
    public init(canonical line: [UInt8]) throws(JournalError) {
        var reader = CanonicalReader(line)
        if let event = reader.read() {
            self = event
        } else {
            try self.init(parsing: line)
        }
    }
}

/// Finds the envelope fields and `data`'s members of a compact JSON line by skipping values
/// without checking them. Never traps: any surprise returns `nil`.
private struct CanonicalReader {
    let b: [UInt8]
    var i = 0

    init(_ bytes: [UInt8]) {
        b = bytes
    }

    mutating func read() -> JournalEvent? {
        guard next(UInt8(ascii: "{")) else { return nil }
        var version = 1
        var run: String?
        var seq: Int64?
        var ts: Timestamp?
        var kind: String?
        var actor: String?
        var cause: Int64?
        var dataRange: Range<Int>?
        var fields: [JournalEvent.DataField] = []
        while true {
            guard let key = stringToken(), next(UInt8(ascii: ":")) else { return nil }
            let valueStart = i
            guard skipValue() else { return nil }
            let value = valueStart..<i
            switch b[key.lowerBound + 1..<key.upperBound - 1].count {
            case 1 where b[key.lowerBound + 1] == UInt8(ascii: "v"):
                guard let n = JSONNumber.int64(b[value]) else { return nil }
                version = Int(n)
            case 3 where keyIs(key, "run"):
                guard b[value.lowerBound] == UInt8(ascii: "\"") else { return nil }
                run = JSONString.decode(b, value)
            case 3 where keyIs(key, "seq"):
                seq = JSONNumber.int64(b[value])
            case 2 where keyIs(key, "ts"):
                guard value.count > 2 else { return nil }
                ts = Timestamp(rfc3339: b[(value.lowerBound + 1)..<(value.upperBound - 1)])
            case 4 where keyIs(key, "kind"):
                guard b[value.lowerBound] == UInt8(ascii: "\"") else { return nil }
                kind = JSONString.decode(b, value)
            case 5 where keyIs(key, "actor"):
                if b[value.lowerBound] == UInt8(ascii: "\"") { actor = JSONString.decode(b, value) }
            case 5 where keyIs(key, "cause"):
                cause = JSONNumber.int64(b[value])
            case 4 where keyIs(key, "data"):
                guard let members = dataMembers(value) else { return nil }
                dataRange = value
                fields = members
            default:
                break
            }
            if next(UInt8(ascii: ",")) { continue }
            guard next(UInt8(ascii: "}")), i == b.count else { return nil }
            break
        }
        guard let run, let seq, let ts, let kind, let dataRange else { return nil }
        return JournalEvent(
            bytes: b, run: run, seq: seq, ts: ts, kind: kind, actor: actor, cause: cause, version: version,
            dataRange: dataRange, dataFields: fields)
    }

    private func keyIs(_ key: Range<Int>, _ name: StaticString) -> Bool {
        let body = (key.lowerBound + 1)..<(key.upperBound - 1)
        guard body.count == name.utf8CodeUnitCount else { return false }
        var k = 0
        for p in body {
            if b[p] != name.utf8Start[k] { return false }
            k += 1
        }
        return true
    }

    private mutating func next(_ byte: UInt8) -> Bool {
        guard i < b.count, b[i] == byte else { return false }
        i += 1
        return true
    }

    /// The string token at `i` (quotes included), moving past it.
    private mutating func stringToken() -> Range<Int>? {
        let start = i
        guard next(UInt8(ascii: "\"")) else { return nil }
        let array = b
        let bytes = array.span
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return start..<i
            }
            i += c == UInt8(ascii: "\\") ? 2 : 1
        }
        return nil
    }

    /// Moves past one value.
    private mutating func skipValue() -> Bool {
        guard i < b.count else { return false }
        switch b[i] {
        case UInt8(ascii: "\""):
            return stringToken() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            let array = b
            let bytes = array.span
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") {
                    guard stringToken() != nil else { return false }
                    continue
                }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return true
                    }
                }
                i += 1
            }
            return false
        default:
            let start = i
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { break }
                i += 1
            }
            return i > start
        }
    }

    /// The members of the object at `range`, with value ranges in the line.
    private func dataMembers(_ range: Range<Int>) -> [JournalEvent.DataField]? {
        var r = CanonicalReader(b)
        r.i = range.lowerBound
        guard r.next(UInt8(ascii: "{")) else { return nil }
        var fields: [JournalEvent.DataField] = []
        if r.next(UInt8(ascii: "}")) { return fields }
        while true {
            guard let key = r.stringToken(), r.next(UInt8(ascii: ":")) else { return nil }
            let start = r.i
            guard r.skipValue() else { return nil }
            fields.append(.init(key: JSONString.decode(b, key), value: start..<r.i))
            if r.next(UInt8(ascii: ",")) { continue }
            guard r.next(UInt8(ascii: "}")), r.i == range.upperBound else { return nil }
            return fields
        }
    }
}
