import PlanJournalCore

/// One line a `cmd:` program wrote on its standard output, read as a reply as far as it can be:
/// a program's JSON library decides what it writes, and a reply planj cannot read must fail its
/// call rather than leave it waiting for ever.
enum ReplyLine {
    /// What the line holds.
    enum Reading: Equatable {
        /// A reply: the call's id and the whole reply object.
        case reply(id: Int, JSONValue)
        /// A reply that held the bare words `NaN`, `Infinity` or `-Infinity`, read as `null`.
        case replyWithNonFiniteNumbers(id: Int, JSONValue)
        /// A line that names a call's id but is not valid JSON (why is in the text), or is
        /// nested deeper than planj reads (`tooDeep`: asking again gets the same).
        case unreadable(id: Int, String, tooDeep: Bool)
        /// Not a reply at all (a log line, say).
        case other
    }

    /// Reads `line`. Bytes that are not UTF-8 read as U+FFFD, as do unpaired surrogate escapes
    /// (`JSON.stringify` of text cut inside an emoji); `NaN`, `Infinity` and `-Infinity` (which
    /// Python's `json.dumps` writes) read as `null`.
    static func read(_ line: ArraySlice<UInt8>) -> Reading {
        // A byte order mark (some runtimes write one at the start of their output).
        let line = LineBuffer.droppingByteOrderMark(line)
        let text = Array(String(decoding: line, as: UTF8.self).utf8)
        do {
            let value = try JSONValue(parsing: text)
            // A request written back (echoed, or logged as it came) is not its reply.
            if value["method"] != nil && value["result"] == nil && value["error"] == nil { return .other }
            return id(of: value["id"]).map { .reply(id: $0, value) } ?? .other
        } catch {
            if let lenient = withoutNonFiniteNumbers(text), let value = try? JSONValue(parsing: lenient),
                let id = id(of: value["id"])
            {
                return .replyWithNonFiniteNumbers(id: id, value)
            }
            // Only a line that is an object from its start may be a reply cut or garbled; text
            // before it (`INFO sent {"id": 3, ...`) makes it a log line.
            guard text.first(where: { !LineBuffer.isWhitespace($0) }) == UInt8(ascii: "{"), let id = salvagedID(text) else { return .other }
            return .unreadable(id: id, "\(error)", tooDeep: error.isNestingLimit)
        }
    }

    /// The id as sent, or as a string of it or a number with a fraction of zero (JSON-RPC
    /// libraries may echo ids so).
    static func id(of value: JSONValue?) -> Int? {
        if let n = value?.int64Value { return Int(n) }
        if let d = value?.doubleValue, d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        return value?.stringValue.flatMap { Int($0) }
    }

    /// `text` with the bare words `NaN`, `Infinity` and `-Infinity` outside strings written as
    /// `null`; `nil` when it has none.
    static func withoutNonFiniteNumbers(_ text: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var changed = false
        var inString = false
        var k = 0
        while k < text.count {
            let c = text[k]
            if inString {
                out.append(c)
                if c == UInt8(ascii: "\\"), k + 1 < text.count {
                    out.append(text[k + 1])
                    k += 2
                    continue
                }
                if c == UInt8(ascii: "\"") { inString = false }
                k += 1
                continue
            }
            if c == UInt8(ascii: "\"") { inString = true }
            var matched = false
            for word in nonFinite where text[k...].starts(with: word) {
                out.append(contentsOf: "null".utf8)
                k += word.count
                changed = true
                matched = true
                break
            }
            if !matched {
                out.append(c)
                k += 1
            }
        }
        return changed ? out : nil
    }

    private static let nonFinite: [[UInt8]] = ["-Infinity", "Infinity", "NaN"].map { Array($0.utf8) }

    /// The call id of a line that does not parse: the number (or string of digits) after the
    /// last `"id":` of the top-level object, where JSON-RPC libraries put it (first or last). An
    /// `"id"` inside the result (a record's) or inside a string is not it.
    static func salvagedID(_ text: [UInt8]) -> Int? {
        var found: Int?
        var depth = 0
        var inString = false
        var stringStart = 0
        var k = 0
        while k < text.count {
            let c = text[k]
            if inString {
                if c == UInt8(ascii: "\\") {
                    k += 2
                    continue
                }
                if c == UInt8(ascii: "\"") {
                    inString = false
                    // A key of the top-level object: `"id"` then `:`.
                    if depth == 1, text[stringStart..<(k + 1)].elementsEqual(#""id""#.utf8) {
                        found = number(in: text, after: k + 1) ?? found
                    }
                }
                k += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\""):
                inString = true
                stringStart = k
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
            k += 1
        }
        return found
    }

    /// The digits of `: 12` or `: "12"` at `k` (spaces allowed around the colon).
    /// The id a line names as its last key, `"id": N` in its last 4 KiB: for a line too long to
    /// be kept whole, whose middle is gone (a JSON library may write the id after the result).
    static func trailingID(_ line: ArraySlice<UInt8>) -> Int? {
        let tail = Array(line.suffix(LineBuffer.endBytes))
        let key = Array(#""id""#.utf8)
        var k = tail.count - key.count
        while k >= 0 {
            if tail[k..<(k + key.count)].elementsEqual(key), let id = number(in: tail, after: k + key.count) { return id }
            k -= 1
        }
        return nil
    }

    private static func number(in text: [UInt8], after k: Int) -> Int? {
        var k = k
        func skipSpaces() { while k < text.count && (text[k] == 0x20 || text[k] == 0x09) { k += 1 } }
        skipSpaces()
        guard k < text.count, text[k] == UInt8(ascii: ":") else { return nil }
        k += 1
        skipSpaces()
        if k < text.count && text[k] == UInt8(ascii: "\"") { k += 1 }
        let digits = text[k...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return digits.isEmpty || digits.count > 15 ? nil : Int(String(decoding: digits, as: UTF8.self))
    }
}
