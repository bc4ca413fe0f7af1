extension JournalEvent {
    /// The longest run id accepted, in UTF-8 bytes.
    public static let maxRunIDBytes = 128

    /// What is wrong with `id` as a run id (`nil`: nothing): it must be 1 to ``maxRunIDBytes``
    /// bytes, none of them NUL (which C strings, and PostgreSQL's text, end at).
    public static func runIDProblem(_ id: String) -> String? {
        if id.isEmpty { return "must not be empty" }
        if id.utf8.count > maxRunIDBytes { return "is longer than \(maxRunIDBytes) bytes" }
        if id.utf8.contains(0) { return "must not contain U+0000" }
        return nil
    }

    /// Reads one wire-format JSON line and builds its canonical form.
    ///
    /// Checks JSON syntax, UTF-8 and the envelope (`run`, `seq`, `ts`, `kind`, `data` present with
    /// the right types). It does not check the event against its run: ``RunValidator`` does.
    /// - Parameter line: the line's bytes, without the newline.
    /// - Throws: ``JournalError`` `.syntax` or `.invalidEvent`, naming the field.
    public init(parsing line: [UInt8]) throws(JournalError) {
        var note: TimestampNote?
        try self.init(parsing: line, timestampNote: &note)
    }

    /// ``init(parsing:)`` that also says what is worth a note about `ts`, for ingest to report.
    package init(parsing line: [UInt8], timestampNote: inout TimestampNote?) throws(JournalError) {
        var p = EnvelopeParser(line)
        let replaced: [UInt8]
        do {
            defer { timestampNote = p.timestampNote }
            self = try p.parse()
            return
        } catch let e as JSONSyntaxError where e.reason == JSONLoneSurrogates.reason {
            guard let r = JSONLoneSurrogates.replaced(in: line) else {
                throw JournalError(.syntax, "not valid JSON: \(e)", context: .init(run: p.run, seq: p.seq))
            }
            replaced = r
        } catch let e as JSONSyntaxError {
            throw JournalError(.syntax, "not valid JSON: \(e)", context: .init(run: p.run, seq: p.seq))
        } catch let e as JournalError {
            throw e.adding(run: p.run, seq: p.seq)
        } catch {
            throw JournalError(.syntax, "\(error)")
        }
        // Written by Python's or JavaScript's serializer: read as U+FFFD (see JSONLoneSurrogates).
        try self.init(parsing: replaced, timestampNote: &timestampNote)
        // Not in the run id, though: `"x\ud800"` and `"x\udc00"` would both be `x\u{FFFD}`, and
        // the events of two runs would merge into one.
        var q = EnvelopeParser(replaced)
        _ = try? q.parse()
        if let token = q.runToken, !line[token].elementsEqual(replaced[token]) {
            // Named as written (`x\ud800`), which no valid run's id reads as: the line's rejection
            // must not take with it a valid run whose id is `x\u{FFFD}`.
            let written = String(decoding: line[(token.lowerBound + 1)..<(token.upperBound - 1)], as: UTF8.self)
            throw JournalError.invalid(
                "run", "holds an unpaired UTF-16 surrogate escape (such as \\ud800), which spells no character: "
                    + "a run id must be valid Unicode (read as U+FFFD, two different ids could name one run)"
            ).adding(run: written, seq: seq)
        }
    }

    /// Reads one wire-format JSON line given as text.
    public init(parsing line: String) throws(JournalError) {
        try self.init(parsing: Array(line.utf8))
    }

    /// Builds an event from its parts (for agents and tests written in Swift).
    /// - Throws: ``JournalError`` `.invalidEvent` when a part breaks the envelope rules.
    public init(
        run: String, seq: Int64, ts: Timestamp, kind: String, actor: String? = nil, cause: Int64? = nil,
        version: Int? = nil, data: JSONValue
    ) throws(JournalError) {
        if let event = Self.built(
            run: run, seq: seq, ts: ts, kind: kind, actor: actor, cause: cause, version: version, data: data)
        {
            self = event
            return
        }
        // Something breaks a rule: written out and parsed, which names what.
        var out: [UInt8] = []
        Self.appendEnvelope(run: run, seq: seq, ts: ts, kind: kind, actor: actor, cause: cause, version: version, to: &out)
        data.write(to: &out)
        out.append(UInt8(ascii: "}"))
        try self.init(parsing: out)
    }
}

/// Parses the envelope of one line while writing the canonical form.
private struct EnvelopeParser {
    var s: JSONCompactor
    var run: String?
    /// Where the run id's string token is in the line, once read.
    var runToken: Range<Int>?
    var seq: Int64?
    /// What is worth a note about `ts` (rounded down, or an integer near the epoch).
    var timestampNote: TimestampNote?

    init(_ line: [UInt8]) {
        s = JSONCompactor(line)
    }

    mutating func parse() throws -> JournalEvent {
        let src = s.src
        // A byte order mark starting the line: files saved by some editors start with one, and
        // concatenated (`cat a.jsonl b.jsonl`) they carry it into the middle of the input.
        if src.starts(with: LineBuffer.byteOrderMark) { s.i = LineBuffer.byteOrderMark.count }
        try s.expect(UInt8(ascii: "{"), "'{' to open the event")
        var v: (Int, Range<Int>)?
        var seqToken: Range<Int>?
        var ts: Timestamp?
        /// The `ts` token's text when it is already in the normalized form.
        var canonicalTS: Range<Int>?
        var kindToken: Range<Int>?
        var actorToken: Range<Int>?
        var causeToken: Range<Int>?
        var cause: Int64?
        var data: ArraySlice<UInt8>?
        var fields: [JournalEvent.DataField] = []
        var extras: [UInt8] = []
        var seenKnown: UInt8 = 0
        var seenOther: [String] = []

        if !s.consume(UInt8(ascii: "}")) {
            while true {
                let keyToken = try s.scanKey()
                let known = Self.knownKey(src, keyToken)
                let key = known.map { Self.envelopeKeys[$0].name } ?? JSONString.decode(src, keyToken)
                try s.expect(UInt8(ascii: ":"), "':'")
                s.skipWhitespace()
                guard s.i < src.count else { throw JSONSyntaxError("unexpected end of line, expected a value", at: s.i) }
                if let known {
                    guard seenKnown & (1 << known) == 0 else {
                        // Two runs named: not the first one's (ingest then blames the run of the plain
                        // `"run"` key, the one jq and Python read, and no other).
                        if key == "run" { run = nil }
                        throw Self.duplicate(key)
                    }
                    seenKnown |= 1 << known
                } else {
                    guard !seenOther.contains(key) else { throw Self.duplicate(key) }
                    seenOther.append(key)
                }
                let first = src[s.i]
                switch key {
                case "v":
                    let r = try valueToken()
                    if first == UInt8(ascii: "n") {
                        // null, as serializers write an absent optional: the default, kept as written.
                        v = (1, r)
                    } else {
                        guard let n = JSONNumber.int64(src[r]), n >= 1, n <= Int64(Int32.max) else {
                            throw JournalError.invalid("v", "must be a positive integer (or null: 1)")
                        }
                        v = (Int(n), r)
                    }
                case "run":
                    guard first == UInt8(ascii: "\"") else { throw typeError("run", "a string") }
                    let r = try s.scanString()
                    let id = JSONString.decode(src, r)
                    if let problem = JournalEvent.runIDProblem(id) { throw JournalError.invalid("run", problem) }
                    run = id
                    runToken = r
                case "seq":
                    let r = try valueToken()
                    guard let n = JSONNumber.int64(src[r]), n >= 1 else {
                        throw JournalError.invalid("seq", "must be an integer from 1")
                    }
                    seq = n
                    seqToken = r
                case "ts":
                    let r = try valueToken()
                    if first == UInt8(ascii: "\""), r.count > 2,
                        let t = Timestamp(canonical: src.span, (r.lowerBound + 1)..<(r.upperBound - 1))
                    {
                        // Already in the normalized form: its bytes are kept as they are.
                        ts = t
                        canonicalTS = (r.lowerBound + 1)..<(r.upperBound - 1)
                    } else if first == UInt8(ascii: "\"") {
                        // Escapes are decoded first: some encoders write `+` as `\u002B`.
                        let text =
                            src[r].contains(UInt8(ascii: "\\"))
                            ? Array(JSONString.decode(src, r).utf8) : Array(src[(r.lowerBound + 1)..<(r.upperBound - 1)])
                        guard let (t, rounded) = Timestamp.parse(rfc3339: text),
                            Timestamp.microsRange.contains(t.microseconds)
                        else {
                            throw JournalError.invalid("ts", "is not an RFC 3339 time such as 2026-11-24T10:00:00.123456Z")
                        }
                        ts = t
                        if rounded { timestampNote = .rounded }
                    } else if let n = JSONNumber.int64(src[r]), Timestamp.microsRange.contains(n) {
                        ts = Timestamp(microseconds: n)
                        if n < TimestampNote.nearEpoch { timestampNote = .integerNearEpoch }
                    } else if JSONNumber.int64(src[r]) != nil {
                        throw JournalError.invalid(
                            "ts", "is outside the years 0001-9999 (integer microseconds since the epoch, from "
                                + "\(Timestamp.microsRange.lowerBound) to \(Timestamp.microsRange.upperBound))")
                    } else {
                        throw JournalError.invalid("ts", "must be an RFC 3339 string or integer microseconds since the epoch")
                    }
                case "kind":
                    guard first == UInt8(ascii: "\"") else { throw typeError("kind", "a string") }
                    let r = try s.scanString()
                    guard r.count > 2 else { throw JournalError.invalid("kind", "must not be empty") }
                    kindToken = r
                case "actor":
                    let r = try valueToken()
                    guard first == UInt8(ascii: "\"") || first == UInt8(ascii: "n") else {
                        throw typeError("actor", "a string")
                    }
                    actorToken = r
                case "cause":
                    let r = try valueToken()
                    if first != UInt8(ascii: "n") {
                        guard let n = JSONNumber.int64(src[r]), n >= 0 else {
                            throw JournalError.invalid("cause", "must be null or the seq of an event")
                        }
                        cause = n
                    }
                    causeToken = r
                case "data":
                    guard first == UInt8(ascii: "{") else { throw typeError("data", "an object") }
                    (data, fields) = try readData()
                default:
                    if !extras.isEmpty { extras.append(UInt8(ascii: ",")) }
                    extras.append(contentsOf: src[keyToken])
                    extras.append(UInt8(ascii: ":"))
                    try s.copyValue(into: &extras)
                }
                if s.consume(UInt8(ascii: ",")) { continue }
                try s.expect(UInt8(ascii: "}"), "',' or '}'")
                break
            }
        }
        s.skipWhitespace()
        guard s.atEnd else { throw JSONSyntaxError("characters after the event object", at: s.i) }

        guard let runToken, let run else { throw JournalError.invalid("run", "is missing") }
        guard let seqToken, let seq else { throw JournalError.invalid("seq", "is missing") }
        guard let ts else { throw JournalError.invalid("ts", "is missing") }
        guard let kindToken else { throw JournalError.invalid("kind", "is missing") }
        guard let data else { throw JournalError.invalid("data", "is missing (use {} for none)") }

        // Canonical envelope.
        var out: [UInt8] = []
        out.reserveCapacity(data.count + extras.count + 160)
        out.append(UInt8(ascii: "{"))
        if let v {
            out.append(contentsOf: "\"v\":".utf8)
            out.append(contentsOf: src[v.1])
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: "\"run\":".utf8)
        out.append(contentsOf: src[runToken])
        out.append(contentsOf: ",\"seq\":".utf8)
        out.append(contentsOf: src[seqToken])
        out.append(contentsOf: ",\"ts\":\"".utf8)
        if let canonicalTS { out.append(contentsOf: src[canonicalTS]) } else { ts.appendRFC3339(to: &out) }
        out.append(contentsOf: "\",\"kind\":".utf8)
        out.append(contentsOf: src[kindToken])
        var actor: String?
        if let actorToken {
            out.append(contentsOf: ",\"actor\":".utf8)
            out.append(contentsOf: src[actorToken])
            if src[actorToken.lowerBound] == UInt8(ascii: "\"") { actor = JSONString.decode(src, actorToken) }
        }
        if let causeToken {
            out.append(contentsOf: ",\"cause\":".utf8)
            out.append(contentsOf: src[causeToken])
        }
        out.append(contentsOf: ",\"data\":".utf8)
        let base = out.count
        out.append(contentsOf: data)
        let dataRange = base..<out.count
        if !extras.isEmpty {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: extras)
        }
        out.append(UInt8(ascii: "}"))
        for k in fields.indices {
            fields[k].keyStart += base
            fields[k].value = (fields[k].value.lowerBound + base)..<(fields[k].value.upperBound + base)
        }
        return JournalEvent(
            bytes: out, run: run, seq: seq, ts: ts, kind: JSONString.decode(src, kindToken), actor: actor,
            cause: cause, version: v?.0 ?? 1, dataRange: dataRange, dataFields: fields)
    }

    private func typeError(_ field: String, _ expected: String) -> JournalError {
        JournalError.invalid(field, "must be \(expected)")
    }

    /// Validates the next value and returns its range; it must be compact (a scalar, or a
    /// container written without whitespace).
    private mutating func valueToken() throws -> Range<Int> {
        let start = s.i
        s.sawWhitespace = false
        var discard = DiscardingOutput()
        try s.copyValue(into: &discard)
        guard !s.sawWhitespace else {
            throw JournalError.invalid(nil, "envelope fields other than data must be scalars")
        }
        return start..<s.i
    }

    /// The envelope keys, matched on their bytes without decoding.
    private static let envelopeKeys: [(bytes: [UInt8], name: String)] = ["v", "run", "seq", "ts", "kind", "actor", "cause", "data"]
        .map { (Array("\"\($0)\"".utf8), $0) }

    /// The index in ``envelopeKeys`` of a known envelope key token, or `nil`.
    private static func knownKey(_ src: [UInt8], _ token: Range<Int>) -> Int? {
        for (index, k) in envelopeKeys.enumerated() where k.bytes.count == token.count && src[token].elementsEqual(k.bytes) {
            return index
        }
        // An escaped spelling (`"s\u0065q"`) is the same key: a repeat of it must be seen.
        guard src[token].contains(UInt8(ascii: "\\")) else { return nil }
        let decoded = JSONString.decode(src, token)
        return envelopeKeys.firstIndex { $0.name == decoded }
    }

    private static func duplicate(_ key: String) -> JournalError {
        JournalError.invalid(key, "the key \"\(key)\" appears twice in the envelope")
    }

    /// Reads the `data` object: its compact bytes and each top-level member's key and value range
    /// in them. Input that is already compact (the usual case) is validated without copying.
    private mutating func readData() throws -> (ArraySlice<UInt8>, [JournalEvent.DataField]) {
        let start = s.i
        s.sawWhitespace = false
        var discard = DiscardingOutput()
        let fields = try readData(into: &discard, offset: start)
        if !s.sawWhitespace { return (s.src[start..<s.i], fields) }
        s.i = start
        var out: [UInt8] = []
        out.reserveCapacity(s.src.count - start)
        let compactFields = try readData(into: &out, offset: 0)
        return (out[...], compactFields)
    }

    /// Reads the `data` object into `out`, recording each member; value ranges are positions in
    /// `out` when copying, else source positions counted from `offset`.
    private mutating func readData<Out: JSONOutput>(into out: inout Out, offset: Int) throws
        -> [JournalEvent.DataField]
    {
        let src = s.src
        let copying = Out.self != DiscardingOutput.self
        var fields: [JournalEvent.DataField] = []
        fields.reserveCapacity(12)
        s.i += 1
        out.append(UInt8(ascii: "{"))
        if s.consume(UInt8(ascii: "}")) {
            out.append(UInt8(ascii: "}"))
            return fields
        }
        while true {
            let key = try s.scanKey()
            let keyStart = copying ? out.count : key.lowerBound - offset
            out.append(contentsOf: src[key])
            try s.expect(UInt8(ascii: ":"), "':'")
            out.append(UInt8(ascii: ":"))
            s.skipWhitespace()
            let valueStart = copying ? out.count : s.i - offset
            try s.copyValue(into: &out, depth: 1)
            let valueEnd = copying ? out.count : s.i - offset
            fields.append(
                .init(
                    keyStart: keyStart, value: valueStart..<valueEnd,
                    keyEscaped: JournalEvent.DataField.escapes(src.span, key)))
            if s.consume(UInt8(ascii: ",")) {
                out.append(UInt8(ascii: ","))
                continue
            }
            try s.expect(UInt8(ascii: "}"), "',' or '}'")
            out.append(UInt8(ascii: "}"))
            return fields
        }
    }
}

/// What is worth a note about an event's `ts` on ingest (the event is accepted either way).
package enum TimestampNote: Sendable {
    /// It said more than microseconds (or a leap second), and was rounded down.
    case rounded
    /// Integer microseconds before 1973 (``nearEpoch``): most likely seconds or milliseconds since
    /// the epoch, which the contract does not take.
    case integerNearEpoch

    /// 1973-03-03T09:46:40Z in microseconds since the epoch; seconds or milliseconds of any time
    /// since 1973 read as microseconds fall before it.
    package static let nearEpoch: Int64 = 100_000_000_000_000
}
