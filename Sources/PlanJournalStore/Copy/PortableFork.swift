import PlanJournalCore

/// A fork recorded in a `.pjl` file: the file holds only the fork's own events (from
/// `forkSeq + 1`), and this record, in a skippable frame of magic `0x184D2A5B` (one JSON line
/// each), says which run and seq it continues.
///
/// `planj export` of a fork writes the parent's events only up to the fork point, and says so
/// with `"parent_partial": true`: a journal holding more of the parent already holds that part.
struct PortableFork: Hashable {
    /// The magic of the skippable LZ4 frame holding a file's fork records.
    static let frameMagic: UInt32 = 0x184D_2A5B

    var run: String
    var parent: String
    var forkSeq: Int64
    /// The file holds the parent's events only up to ``forkSeq``.
    var parentPartial = false

    /// `{"fork_seq":N,"parent":"P","run":"F"}`, with `"parent_partial":true` when it holds.
    var record: [UInt8] {
        let value = JSONValue.record([
            "run": .string(run), "parent": .string(parent), "fork_seq": .int(forkSeq),
            "parent_partial": parentPartial ? .bool(true) : nil,
        ])
        return Array(value.jsonText.utf8)
    }

    init(run: String, parent: String, forkSeq: Int64, parentPartial: Bool = false) {
        self.run = run
        self.parent = parent
        self.forkSeq = forkSeq
        self.parentPartial = parentPartial
    }

    /// Parses one record line.
    init(record line: ArraySlice<UInt8>) throws(JournalError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Array(line))
        } catch {
            throw JournalError(.badInput, "a fork record of the file is not JSON")
        }
        guard let run = value["run"]?.stringValue, let parent = value["parent"]?.stringValue,
            let seq = value["fork_seq"]?.int64Value, seq >= 1
        else {
            throw JournalError(.badInput, "a fork record of the file lacks run, parent or fork_seq")
        }
        self.init(run: run, parent: parent, forkSeq: seq, parentPartial: value["parent_partial"]?.boolValue == true)
    }
}
