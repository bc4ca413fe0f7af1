import PlanJournalCore

/// The bytes of the append log (``AppendLog``), written and parsed: nothing here touches a file.
///
/// A window's first line `@=<journal id>` (its *stamp*) names the journal it belongs to (the
/// random `journal_id` of its `meta` table). Then per append a header line `@<count> <bytes>`
/// and its `count` canonical event lines (`bytes` bytes, each line ending in a newline). (Logs of
/// older versions have no `@=` line.) An emptied log starts with `#`; a record cut short by a
/// crash is not one (``parse(_:count:)`` stops before it).
enum AppendLogFormat {
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
        let header = "@\(events.count) \(bytes)\n".utf8
        var record: [UInt8] = []
        record.reserveCapacity(header.count + bytes)
        record.append(contentsOf: header)
        for e in events {
            record.append(contentsOf: e.bytes)
            record.append(UInt8(ascii: "\n"))
        }
        return record
    }

    /// Whether a log's first byte starts a record (an emptied log starts otherwise).
    static func startsARecord(_ first: (some Sequence<UInt8>)?) -> Bool {
        first.map { Array($0) == [UInt8(ascii: "@")] } ?? false
    }

    /// The journal id of a log's first `read` bytes in `data` (`nil` without a stamp line), its
    /// complete records, oldest first (each append's event lines, without newlines), and where
    /// they end.
    /// - Complexity: O(`read`).
    static func parse(_ data: [UInt8], count read: Int) -> (journal: String?, records: [[[UInt8]]], end: Int) {
        var out: [[[UInt8]]] = []
        var i = 0
        var journal: String?
        if read > 1, data[0] == UInt8(ascii: "@"), data[1] == UInt8(ascii: "="),
            let nl = data[..<read].firstIndex(of: UInt8(ascii: "\n"))
        {
            journal = String(decoding: data[2..<nl], as: UTF8.self)
            i = nl + 1
        }
        while i < read, data[i] == UInt8(ascii: "@") {
            guard let nl = data[i..<read].firstIndex(of: UInt8(ascii: "\n")) else { break }
            let header = String(decoding: data[(i + 1)..<nl], as: UTF8.self).split(separator: " ")
            // A damaged header (a negative or huge length) ends the records as a torn one does.
            guard header.count == 2, let count = Int(header[0]), let bytes = Int(header[1]), count >= 0, bytes >= 0,
                bytes <= read - (nl + 1)
            else { break }
            let lines = data[(nl + 1)..<(nl + 1 + bytes)].split(separator: UInt8(ascii: "\n")).map { Array($0) }
            guard lines.count == count else { break }
            out.append(lines)
            i = nl + 1 + bytes
        }
        return (journal, out, i)
    }
}
