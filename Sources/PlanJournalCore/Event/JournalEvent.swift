/// One event of a run in its canonical form: the compact JSON line that is hashed, stored and
/// exported, with the envelope fields decoded.
///
/// The canonical bytes are the envelope keys in the order `v, run, seq, ts, kind, actor, cause,
/// data` (each only when the writer gave it), then any envelope keys PlanJournal does not know, in
/// the writer's order; whitespace between tokens removed; `ts` normalized to RFC 3339 UTC with
/// microseconds. Strings and numbers keep the exact text they were written with, so `data` holds
/// the same values it was given, unknown fields included.
public struct JournalEvent: Sendable, Hashable {
    /// The canonical JSON line, without a newline.
    public let bytes: [UInt8]
    /// The run id.
    public let run: String
    /// The position in the run, from 1.
    public let seq: Int64
    /// When it happened.
    public let ts: Timestamp
    /// The kind, e.g. `step.started`, `x.acme.heartbeat`.
    public let kind: String
    /// The kind as a known ``EventKind``; `nil` for `x.*` and kinds of newer versions.
    public let knownKind: EventKind?
    /// Who acted (`planner`, `executor`, `human:ana`, ...), when given.
    public let actor: String?
    /// The seq of the causing event, when given.
    public let cause: Int64?
    /// The payload schema version (`v`), 1 when absent.
    public let version: Int
    /// Where `data` sits in ``bytes``.
    let dataRange: Range<Int>
    /// Each top-level member of `data`: where its key and value sit in ``bytes``.
    let dataFields: [DataField]

    /// A member of `data`, by position only (no string is made for its key: reading a long run
    /// back makes millions of these).
    struct DataField: Sendable, Hashable {
        /// Where the key's string token (quotes included) starts; in the canonical form it ends
        /// just before the colon that precedes the value.
        var keyStart: Int
        var value: Range<Int>
        /// Whether the key's token holds an escape sequence (its bytes are not its text).
        var keyEscaped: Bool

        /// Whether the string token at `token` in `bytes` holds an escape sequence.
        static func escapes(_ bytes: Span<UInt8>, _ token: Range<Int>) -> Bool {
            for k in token where bytes[k] == UInt8(ascii: "\\") { return true }
            return false
        }

        /// The key's string token, quotes included.
        var keyToken: Range<Int> { keyStart..<(value.lowerBound - 1) }
    }

    init(
        bytes: [UInt8], run: String, seq: Int64, ts: Timestamp, kind: String, actor: String?, cause: Int64?,
        version: Int, dataRange: Range<Int>, dataFields: [DataField]
    ) {
        self.init(
            bytes: bytes, run: run, seq: seq, ts: ts, kind: kind, knownKind: EventKind(rawValue: kind), actor: actor,
            cause: cause, version: version, dataRange: dataRange, dataFields: dataFields)
    }

    /// The memberwise form, for readers that already know `knownKind` (it must be `EventKind(rawValue: kind)`).
    init(
        bytes: [UInt8], run: String, seq: Int64, ts: Timestamp, kind: String, knownKind: EventKind?, actor: String?,
        cause: Int64?, version: Int, dataRange: Range<Int>, dataFields: [DataField]
    ) {
        self.bytes = bytes
        self.run = run
        self.seq = seq
        self.ts = ts
        self.kind = kind
        self.knownKind = knownKind
        self.actor = actor
        self.cause = cause
        self.version = version
        self.dataRange = dataRange
        self.dataFields = dataFields
    }


    /// The canonical line as text.
    public var jsonLine: String { String(decoding: bytes, as: UTF8.self) }

    /// The whole `data` object.
    public var data: JSONValue {
        (try? JSONValue(parsing: Array(bytes[dataRange]))) ?? .object([])
    }

    /// The compact JSON text of `data`.
    public var dataBytes: ArraySlice<UInt8> { bytes[dataRange] }

    /// The top-level keys of `data`, in order.
    public var dataKeys: [String] { dataFields.map { JSONString.decode(bytes, $0.keyToken) } }

    /// The raw JSON of the top-level member `key` of `data`, if present.
    public func rawData(_ key: String) -> ArraySlice<UInt8>? {
        guard let f = field(key) else { return nil }
        return bytes[f.value]
    }

    /// The last top-level member of `data` named `key` (as ``JSONValue/subscript(key:)`` picks).
    private func field(_ key: String) -> DataField? {
        let count = key.utf8.count
        var n = dataFields.count
        while n > 0 {
            n -= 1
            let f = dataFields[n]
            if f.keyEscaped {
                if JSONString.decode(bytes, f.keyToken) == key { return f }
            } else if f.keyToken.count - 2 == count && sameBytes(at: f.keyStart + 1, as: key) {
                return f
            }
        }
        return nil
    }

    /// Whether ``bytes`` hold `key`'s UTF-8 at `start`.
    private func sameBytes(at start: Int, as key: String) -> Bool {
        let s = bytes.span
        let same = key.utf8.withContiguousStorageIfAvailable { k in
            var i = 0
            while i < k.count && s[start + i] == k[i] { i += 1 }
            return i == k.count
        }
        return same ?? bytes[start..<(start + key.utf8.count)].elementsEqual(key.utf8)
    }

    /// The top-level member `key` of `data`, parsed, if present.
    public func data(_ key: String) -> JSONValue? {
        guard let raw = rawData(key) else { return nil }
        return try? JSONValue(parsing: Array(raw))
    }

    /// `data.key` when it is a string.
    public func dataString(_ key: String) -> String? {
        guard let f = field(key), bytes[f.value.lowerBound] == UInt8(ascii: "\"")
        else { return nil }
        return JSONString.decode(bytes, f.value)
    }

    /// `data.key` when it is an integer that fits 64 bits.
    public func dataInt(_ key: String) -> Int64? {
        guard let raw = rawData(key) else { return nil }
        return JSONNumber.int64(raw)
    }

    /// `data.key` when it is a number a `Double` holds (`1e400` is not).
    public func dataDouble(_ key: String) -> Double? {
        guard let raw = rawData(key), let first = raw.first, first == UInt8(ascii: "-") || JSONCompactor.isDigit(first)
        else { return nil }
        return Double(String(decoding: raw, as: UTF8.self)).flatMap { $0.isFinite ? $0 : nil }
    }

    /// `data.key` when it is a Boolean.
    public func dataBool(_ key: String) -> Bool? {
        guard let raw = rawData(key), let first = raw.first else { return nil }
        switch first {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: return nil
        }
    }

    /// `data.key.member` when `data.key` is an object and that member an integer that fits 64 bits
    /// (the last member of that name, as ``JSONValue/subscript(key:)`` picks), read without parsing
    /// the object into a ``JSONValue``.
    package func dataMemberInt(_ key: String, _ member: String) -> Int64? {
        guard let raw = rawData(key), raw.first == UInt8(ascii: "{") else { return nil }
        let s = bytes.span
        var i = raw.startIndex + 1
        var found: Range<Int>?
        guard i < raw.endIndex else { return nil }
        if s[i] == UInt8(ascii: "}") { return nil }
        while i < raw.endIndex {
            guard s[i] == UInt8(ascii: "\""), let keyEnd = CanonicalScan.string(s, from: i) else { return nil }
            let keyToken = i..<keyEnd
            i = keyEnd
            guard i < raw.endIndex, s[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            guard let end = CanonicalScan.value(s, from: i) else { return nil }
            if JSONString.decode(bytes, keyToken) == member { found = i..<end }
            i = end
            guard i < raw.endIndex else { return nil }
            if s[i] == UInt8(ascii: "}") { break }
            guard s[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return found.flatMap { JSONNumber.int64(bytes[$0]) }
    }

    /// Whether `data.key` is present and not `null`.
    public func hasData(_ key: String) -> Bool {
        guard let raw = rawData(key) else { return false }
        return raw.first != UInt8(ascii: "n")
    }
}

/// Fast reads of JSON number tokens.
enum JSONNumber {
    /// The token as an `Int64` when it is an integer: an integer literal that fits, or a number
    /// with a fraction or exponent whose value is a whole number up to 2^53 (`2.0`, `1e3`), as
    /// JSON Schema's `integer` takes it (JSON has one number type; some encoders write every
    /// number as a float).
    static func int64(_ raw: ArraySlice<UInt8>) -> Int64? {
        if let v = integerLiteral(raw) { return v }
        guard isWholeNumber(raw), let d = Double(String(decoding: raw, as: UTF8.self)), abs(d) <= 9_007_199_254_740_992
        else { return nil }
        return Int64(d)
    }

    /// Whether a number written with a fraction or an exponent is a whole number, read from its
    /// digits (`1.0000000000000001` is not, though a `Double` rounds it to 1).
    private static func isWholeNumber(_ raw: ArraySlice<UInt8>) -> Bool {
        var i = raw.startIndex
        if i < raw.endIndex && raw[i] == UInt8(ascii: "-") { i += 1 }
        var digits: [UInt8] = []
        var point: Int?
        while i < raw.endIndex {
            let b = raw[i]
            if JSONCompactor.isDigit(b) {
                digits.append(b)
            } else if b == UInt8(ascii: "."), point == nil {
                point = digits.count
            } else {
                break
            }
            i += 1
        }
        var exponent = 0
        if i < raw.endIndex {
            guard raw[i] == UInt8(ascii: "e") || raw[i] == UInt8(ascii: "E") else { return false }
            var rest = raw[(i + 1)...]
            if rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() }
            guard let e = Int(String(decoding: rest, as: UTF8.self)), abs(e) <= 400 else { return false }
            exponent = e
        } else if point == nil {
            return false
        }
        guard !digits.isEmpty else { return false }
        // Digits from this index on are the fraction; all must be zeros.
        let whole = (point ?? digits.count) + exponent
        return digits[max(0, min(whole, digits.count))...].allSatisfy { $0 == UInt8(ascii: "0") }
    }

    private static func integerLiteral(_ raw: ArraySlice<UInt8>) -> Int64? {
        var it = raw.startIndex
        guard it < raw.endIndex else { return nil }
        var negative = false
        if raw[it] == UInt8(ascii: "-") {
            negative = true
            it += 1
        }
        guard it < raw.endIndex, raw.endIndex - it <= 19 else { return nil }
        var v: Int64 = 0
        while it < raw.endIndex {
            let b = raw[it]
            guard JSONCompactor.isDigit(b) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(b - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            v = s
            it += 1
        }
        return negative ? -v : v
    }
}
