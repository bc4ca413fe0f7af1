extension JournalEvent {
    /// Builds the canonical form of an event made from its parts directly, without writing it out
    /// and reading it back: the runner makes several events per step, and parsing them again cost
    /// about as much as everything else the runner does with them.
    ///
    /// - Returns: `nil` when a part breaks an envelope rule or `data` holds something only the
    ///   parser can judge (a number literal that is not JSON, deep nesting); the caller then builds
    ///   the event through ``init(parsing:)``, which reports the error.
    static func built(
        run: String, seq: Int64, ts: Timestamp, kind: String, actor: String?, cause: Int64?, version: Int?,
        data: JSONValue
    ) -> JournalEvent? {
        guard runIDProblem(run) == nil, seq >= 1, !kind.isEmpty,
            Timestamp.microsRange.contains(ts.microseconds), version.map({ $0 >= 1 && $0 <= Int(Int32.max) }) ?? true,
            (cause ?? 0) >= 0, case .object(let members) = data
        else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        appendEnvelope(run: run, seq: seq, ts: ts, kind: kind, actor: actor, cause: cause, version: version, to: &out)
        out.append(UInt8(ascii: "{"))
        let dataStart = out.count - 1
        var fields: [DataField] = []
        fields.reserveCapacity(members.count)
        for (k, m) in members.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            let keyStart = out.count
            JSONString.appendQuoted(m.key, to: &out)
            out.append(UInt8(ascii: ":"))
            let valueStart = out.count
            guard m.value.write(to: &out, checkingFrom: 1) else { return nil }
            fields.append(
                DataField(
                    keyStart: keyStart, value: valueStart..<out.count,
                    keyEscaped: DataField.escapes(out.span, keyStart..<(valueStart - 1))))
        }
        out.append(UInt8(ascii: "}"))
        let dataRange = dataStart..<out.count
        out.append(UInt8(ascii: "}"))
        return JournalEvent(
            bytes: out, run: run, seq: seq, ts: ts, kind: kind, actor: actor, cause: cause, version: version ?? 1,
            dataRange: dataRange, dataFields: fields)
    }
}

extension JournalEvent {
    /// Appends the canonical envelope of an event made from its parts: from `{` to `"data":`.
    static func appendEnvelope(
        run: String, seq: Int64, ts: Timestamp, kind: String, actor: String?, cause: Int64?, version: Int?,
        to out: inout [UInt8]
    ) {
        out.append(UInt8(ascii: "{"))
        if let version { out.append(contentsOf: "\"v\":\(version),".utf8) }
        out.append(contentsOf: "\"run\":".utf8)
        JSONString.appendQuoted(run, to: &out)
        out.append(contentsOf: ",\"seq\":\(seq),\"ts\":\"".utf8)
        ts.appendRFC3339(to: &out)
        out.append(contentsOf: "\",\"kind\":".utf8)
        JSONString.appendQuoted(kind, to: &out)
        if let actor {
            out.append(contentsOf: ",\"actor\":".utf8)
            JSONString.appendQuoted(actor, to: &out)
        }
        if let cause { out.append(contentsOf: ",\"cause\":\(cause)".utf8) }
        out.append(contentsOf: ",\"data\":".utf8)
    }
}

extension JSONValue {
    /// Whether `text` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func isNumberLiteral(_ text: String) -> Bool {
        var it = text.utf8.makeIterator()
        var c = it.next()
        func digits() -> Int {
            var count = 0
            while let d = c, JSONCompactor.isDigit(d) {
                count += 1
                c = it.next()
            }
            return count
        }
        if c == UInt8(ascii: "-") { c = it.next() }
        if c == UInt8(ascii: "0") {
            c = it.next()
        } else if digits() == 0 {
            return false
        }
        if c == UInt8(ascii: ".") {
            c = it.next()
            guard digits() > 0 else { return false }
        }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            c = it.next()
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
            guard digits() > 0 else { return false }
        }
        return c == nil
    }
}
