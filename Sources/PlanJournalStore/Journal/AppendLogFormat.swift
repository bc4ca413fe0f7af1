import PlanJournalCore

/// The bytes of the append log (``AppendLog``), written and parsed: nothing here touches a file.
///
/// A window's first line `@=<journal id>` (its *stamp*) names the journal it belongs to (the
/// random `journal_id` of its `meta` table). Then per append a header line
/// `@<count> <bytes> <xxh64>` and its `count` canonical event lines (`bytes` bytes, each line
/// ending in a newline); `xxh64` is the lines' XXH64 (seed 0) in 16 hex digits, so that a changed
/// byte is found even where it leaves the lines valid JSON. (Logs of older versions have no `@=`
/// line and no checksum.) An emptied log starts with `#`; a record cut short by a crash is not
/// one (``parse(_:count:)`` stops before it).
enum AppendLogFormat {
    /// One record of a log: an append's event lines (without newlines), and whether they are the
    /// bytes the writer wrote (their checksum matches, or the record is of a version without one).
    struct Record {
        var lines: [[UInt8]]
        var intact: Bool
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The byte an emptied log starts with (anything but `@` would do).
    static let emptiedMark = UInt8(ascii: "#")

    /// The stamp line naming the journal `id` a window's records belong to.
    static func stamp(_ id: String) -> String.UTF8View {
        "@=\(id)\n".utf8
    }

    /// The record of one append's events: its header line, then the events' lines.
    /// (A pure function of the events: ``AppendRequest`` builds it on the submitting thread.)
    static func record(of events: [JournalEvent]) -> [UInt8] {
        let bytes = events.jsonLinesByteCount
        // The header's length is known before its checksum: the lines go right after it, and
        // the checksum's 16 digits are written in last.
        let header = "@\(events.count) \(bytes) ".utf8
        var record: [UInt8] = []
        record.reserveCapacity(header.count + 17 + bytes)
        record.append(contentsOf: header)
        record.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 16))
        record.append(UInt8(ascii: "\n"))
        let start = record.count
        for e in events {
            record.append(contentsOf: e.bytes)
            record.append(UInt8(ascii: "\n"))
        }
        var sum = XXH64.hash(record.span.bytes.extracting(start...), seed: 0)
        for k in stride(from: start - 2, through: start - 17, by: -1) {
            record[k] = hexDigits[Int(sum & 15)]
            sum >>= 4
        }
        return record
    }

    /// Whether a log's first byte starts a record (an emptied log starts otherwise).
    static func startsARecord(_ first: (some Sequence<UInt8>)?) -> Bool {
        first.map { Array($0) == [UInt8(ascii: "@")] } ?? false
    }

    /// What follows a log's complete records.
    enum Tail: Equatable {
        /// Nothing: the records end where the log does (or an emptied log's bytes follow).
        case none
        /// A record that runs past the bytes written (its header has no end, or its lines are
        /// fewer than its length says): a crash cut its write short, so it was never
        /// acknowledged and is no loss.
        case cutOff
        /// A record whose header or lines are damaged where the log's bytes go on.
        case damaged
    }

    /// The journal id of a log's first `read` bytes in `data` (`nil` without a stamp line), its
    /// complete records, oldest first, where they end, and what follows them. A record whose
    /// lines fail their checksum is one all the same (its framing holds): it is returned not
    /// ``Record/intact``.
    /// - Complexity: O(`read`).
    static func parse(_ data: [UInt8], count read: Int) -> (journal: String?, records: [Record], end: Int, tail: Tail) {
        var out: [Record] = []
        var i = 0
        var journal: String?
        // The bytes written: a log's file is zeroes past them (event lines never hold a zero byte).
        var written = read
        while written > 0 && data[written - 1] == 0 { written -= 1 }
        if read > 1, data[0] == UInt8(ascii: "@"), data[1] == UInt8(ascii: "="),
            let nl = data[..<read].firstIndex(of: UInt8(ascii: "\n"))
        {
            journal = String(decoding: data[2..<nl], as: UTF8.self)
            i = nl + 1
        }
        while i < read, data[i] == UInt8(ascii: "@") {
            guard let nl = data[i..<written].firstIndex(of: UInt8(ascii: "\n")) else { return (journal, out, i, .cutOff) }
            let header = String(decoding: data[(i + 1)..<nl], as: UTF8.self).split(separator: " ")
            // A damaged header (a negative length, say) ends the records.
            guard header.count == 2 || header.count == 3, let count = Int(header[0]), let bytes = Int(header[1]), count >= 0, bytes >= 0
            else { return (journal, out, i, .damaged) }
            guard bytes <= written - (nl + 1) else { return (journal, out, i, .cutOff) }
            let body = (nl + 1)..<(nl + 1 + bytes)
            var intact = true
            if header.count == 3 {
                guard header[2].utf8.count == 16, let sum = UInt64(header[2], radix: 16) else { return (journal, out, i, .damaged) }
                intact = XXH64.hash(data.span.bytes.extracting(body), seed: 0) == sum
            }
            let lines = data[body].split(separator: UInt8(ascii: "\n")).map { Array($0) }
            guard lines.count == count else { return (journal, out, i, .damaged) }
            out.append(Record(lines: lines, intact: intact))
            i = body.upperBound
        }
        return (journal, out, i, .none)
    }
}
