import PlanJournalCore

/// One input line after parsing (done off the writer's thread).
package enum ParsedLine: Sendable {
    /// `note`: what is worth a note about the line's `ts`.
    case event(JournalEvent, line: Int, note: TimestampNote?)
    /// A line that is not a valid event; `run` is its run when the line still names one.
    case invalid(JournalError, line: Int, run: String?)
    case blank(line: Int)
    /// The input's last line, with no newline after it and not valid JSON: what a writer that
    /// stopped in the middle of a line leaves, left out instead of rejecting its run.
    case torn(IngestReport.TornLine)

    /// The error for a line that does not parse because it holds events separated by carriage
    /// returns alone (classic Mac OS line ends: the whole input reads as one line); `nil` for others.
    package static func carriageReturnsAlone(_ line: [UInt8]) -> JournalError? {
        guard let cr = line.firstIndex(of: 0x0D), line[(cr + 1)...].first == UInt8(ascii: "{") else { return nil }
        return JournalError(
            .syntax,
            "the line holds events separated by carriage returns alone: JSON Lines end with \\n (or \\r\\n); "
                + "convert the input with tr '\\r' '\\n'")
    }

    /// Parses line `number`; `truncatedFrom` is set when the line was longer than `maxLineBytes`
    /// and only its start is given, `unterminated` when it is the input's last line and no
    /// newline ends it.
    static func parse(
        _ line: [UInt8], number: Int, truncatedFrom length: Int?, unterminated: Bool = false, maxLineBytes: Int
    ) -> ParsedLine {
        if let length {
            var error = JournalError(
                .syntax, "the line is \(length) bytes, over the \(maxLineBytes)-byte limit for one event (--max-line-bytes raises it)")
            error.context.seq = salvageSeq(line)
            return .invalid(error, line: number, run: salvageRunID(line))
        }
        if LineBuffer.isBlank(line) { return .blank(line: number) }
        if number == 1 && line.starts(with: [0x04, 0x22, 0x4D, 0x18]) {
            return .invalid(
                JournalError(.syntax, "the input is an LZ4 frame (a .pjl file), not JSON Lines: load it with planj import"),
                line: number, run: nil)
        }
        do {
            var note: TimestampNote?
            let event = try JournalEvent(parsing: line, timestampNote: &note)
            return .event(event, line: number, note: note)
        } catch {
            if error.code == .syntax, var error = carriageReturnsAlone(line) {
                error.context.seq = salvageSeq(line)
                return .invalid(error, line: number, run: salvageRunID(line))
            }
            if error.code == .syntax, let opened = openedObjectOnly(line) {
                return .invalid(JournalError(.syntax, error.message + opened), line: number, run: nil)
            }
            if unterminated && error.code == .syntax {
                return .torn(.init(line: number, bytes: line.count, run: salvageRunID(line), reason: error.message))
            }
            var error = error
            // An error found before the envelope's seq was read (a bad `v` or `ts` written first).
            if error.context.seq == nil { error.context.seq = salvageSeq(line) }
            return .invalid(error, line: number, run: error.context.run ?? salvageRunID(line))
        }
    }

    /// Advice for a line that opens an object and ends there (`{`, or `{"run": "r1",`): pretty-
    /// printed JSON, whose events span several lines; `nil` for other lines.
    package static func openedObjectOnly(_ line: [UInt8]) -> String? {
        let text = line.drop(while: LineBuffer.isWhitespace)
        guard text.first == UInt8(ascii: "{"), let last = text.last(where: { !LineBuffer.isWhitespace($0) }),
            last == UInt8(ascii: "{") || last == UInt8(ascii: ",")
        else { return nil }
        return " (each event must be one line: JSON written pretty, over several lines, is not JSON Lines; write it compact)"
    }

    /// The run id of a line that does not parse, when the line still shows one: a `"run"` key of
    /// the outer object with a string value (a `"run"` inside `data` or inside a string is not the
    /// envelope's, and must not get another run rejected), escapes read (`"agent-\u00fc"`, as
    /// Python's `json.dumps` writes it). An id no event may have (empty, too long, holding U+0000)
    /// is one too: the line is rejected as that run, which no valid line can belong to, and
    /// other runs still land.
    package static func salvageRunID(_ line: [UInt8]) -> String? {
        guard let j = topLevelValue(line, key: "run"), line[j] == UInt8(ascii: "\""), let close = stringEnd(line, from: j)
        else { return nil }
        return (try? JSONValue(parsing: Array(line[j...close])))?.stringValue
    }

    /// The seq of a line that does not parse, when its outer object shows an integer one.
    package static func salvageSeq(_ line: [UInt8]) -> Int64? {
        guard let j = topLevelValue(line, key: "seq") else { return nil }
        var end = j
        while end < line.count && ((0x30...0x39).contains(line[end]) || line[end] == UInt8(ascii: "-")) { end += 1 }
        return Int64(String(decoding: line[j..<end], as: UTF8.self)).flatMap { $0 >= 1 ? $0 : nil }
    }

    /// Where the value of `key` in the line's outer object starts, if the line shows it.
    private static func topLevelValue(_ line: [UInt8], key: String) -> Int? {
        let name = Array(key.utf8)
        var depth = 0
        var i = 0
        while i < line.count {
            switch line[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: "\""):
                guard let end = stringEnd(line, from: i) else { return nil }
                if depth == 1, line[(i + 1)..<end].elementsEqual(name) {
                    var j = end + 1
                    while j < line.count && (line[j] == 0x20 || line[j] == 0x09) { j += 1 }
                    if j < line.count && line[j] == UInt8(ascii: ":") {
                        j += 1
                        while j < line.count && (line[j] == 0x20 || line[j] == 0x09) { j += 1 }
                        return j < line.count ? j : nil
                    }
                }
                i = end
            default: break
            }
            i += 1
        }
        return nil
    }

    /// The index of the quote that closes the string opening at `start`, if the line has it.
    private static func stringEnd(_ line: [UInt8], from start: Int) -> Int? {
        var k = start + 1
        while k < line.count {
            if line[k] == UInt8(ascii: "\\") {
                k += 2
                continue
            }
            if line[k] == UInt8(ascii: "\"") { return k }
            k += 1
        }
        return nil
    }
}
