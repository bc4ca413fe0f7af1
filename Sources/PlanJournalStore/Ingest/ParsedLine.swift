import PlanJournalCore

/// One input line after parsing (done off the writer's thread).
enum ParsedLine: Sendable {
    /// `note`: what is worth a note about the line's `ts`.
    case event(JournalEvent, line: Int, note: TimestampNote?)
    /// A line that is not a valid event; `run` is its run when the line still names one.
    case invalid(JournalError, line: Int, run: String?)
    case blank(line: Int)

    /// Parses line `number`; `truncatedFrom` is set when the line was longer than `maxLineBytes`
    /// and only its start is given.
    static func parse(_ line: [UInt8], number: Int, truncatedFrom length: Int?, maxLineBytes: Int) -> ParsedLine {
        if let length {
            let error = JournalError(
                .syntax, "the line is \(length) bytes, over the \(maxLineBytes)-byte limit for one event (--max-line-bytes raises it)")
            return .invalid(error, line: number, run: salvageRunID(line))
        }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .blank(line: number) }
        do {
            var note: TimestampNote?
            let event = try JournalEvent(parsing: line, timestampNote: &note)
            return .event(event, line: number, note: note)
        } catch {
            return .invalid(error, line: number, run: error.context.run ?? salvageRunID(line))
        }
    }

    /// The run id of a line that does not parse, when the line still shows one (`"run":"..."`).
    static func salvageRunID(_ line: [UInt8]) -> String? {
        let key = Array("\"run\"".utf8)
        guard line.count >= key.count else { return nil }
        var i = 0
        let limit = min(line.count, 4096)
        while i + key.count <= limit {
            if line[i] == key[0] && Array(line[i..<(i + key.count)]) == key {
                var j = i + key.count
                while j < line.count && (line[j] == 0x20 || line[j] == UInt8(ascii: ":")) { j += 1 }
                guard j < line.count, line[j] == UInt8(ascii: "\"") else { return nil }
                var k = j + 1
                while k < line.count && line[k] != UInt8(ascii: "\"") {
                    if line[k] == UInt8(ascii: "\\") { return nil }
                    k += 1
                }
                guard k < line.count, k > j + 1 else { return nil }
                let id = String(decoding: line[(j + 1)..<k], as: UTF8.self)
                return id.utf8.elementsEqual(line[(j + 1)..<k]) ? id : nil
            }
            i += 1
        }
        return nil
    }
}
