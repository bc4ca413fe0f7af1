import PlanJournalCore

/// Ingests JSON Lines into the journal inside one transaction: each run is validated as its
/// events arrive; a run with a bad event is undone and rejected whole while the other runs go on.
///
/// Memory stays flat in the input's size: a run's events are flushed in chunks, and a completed
/// run keeps only a few numbers.
final class IngestSession {
    private let writer: JournalWriter
    private(set) var report: IngestReport
    private let maxLineBytes: Int

    private enum RunSlot {
        case active(RunWrite)
        /// Completed in this ingest: enough to undo it if a later line breaks it.
        case finished(RunWrite.Undo)
        case rejected(Int)  // index into report.rejected
    }

    private var runs: [String: RunSlot] = [:]
    /// A line that names no run could not be attributed: every run of the input is rejected.
    private var unattributed: IngestReport.Rejection?

    init(writer: JournalWriter, source: String, maxLineBytes: Int) {
        self.writer = writer
        self.report = IngestReport(source: source)
        self.maxLineBytes = maxLineBytes
    }

    /// Takes one line (without its newline). `truncatedFrom` is set when the line was longer than
    /// the limit and only its start is given.
    func consume(_ line: [UInt8], number: Int, truncatedFrom length: Int? = nil) throws(JournalError) {
        report.lines = number
        if let length {
            reject(
                run: Self.salvageRunID(line), line: number, seq: nil, field: nil, code: .syntax,
                message: "the line is \(length) bytes, over the \(maxLineBytes)-byte limit for one event")
            return
        }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        let event: JournalEvent
        do {
            event = try JournalEvent(parsing: line)
        } catch {
            let run = error.context.run ?? Self.salvageRunID(line)
            reject(
                run: run, line: number, seq: error.context.seq, field: error.context.field, code: error.code,
                message: error.message)
            return
        }
        try consume(event, number: number)
    }

    private func consume(_ event: JournalEvent, number: Int) throws(JournalError) {
        let id = event.run
        var write: RunWrite
        switch runs[id] {
        case .rejected(let k)?:
            report.rejected[k].ignoredLines += 1
            return
        case .finished?:
            reject(
                run: id, line: number, seq: event.seq, field: "kind", code: .invalidEvent,
                message: "\(event.kind) after run.completed: a completed run takes no more events")
            return
        case .active(let w)?:
            write = w
            runs[id] = nil  // drop the slot's copy so the buffer is not copied on write
        case nil:
            write = try writer.begin(id)
            report.runsWritten.append(id)
        }
        do {
            switch try writer.stage(event, into: &write, idempotent: true) {
            case .accepted: report.eventsWritten += 1
            case .duplicate: report.eventsSkipped += 1
            }
        } catch where error.code == .invalidEvent || error.code == .conflict {
            runs[id] = .active(write)
            reject(
                run: id, line: number, seq: event.seq, field: error.context.field, code: error.code,
                message: error.message)
            return
        }
        if write.cursor.state.endedAt != nil && write.accepted > 0 {
            try writer.finish(&write, mergeOlder: false)
            runs[id] = .finished(write.undoRecord)
        } else {
            runs[id] = .active(write)
        }
    }

    private func reject(
        run: String?, line: Int, seq: Int64?, field: String?, code: JournalError.Code, message: String
    ) {
        let rejection = IngestReport.Rejection(
            run: run, line: line, seq: seq, field: field, code: code.name, message: message)
        guard let run else {
            if unattributed == nil { unattributed = rejection }
            return
        }
        switch runs[run] {
        case .rejected(let k)?:
            report.rejected[k].ignoredLines += 1
            return
        case .active(let w)?:
            try? writer.undo(w)
            report.eventsWritten -= w.accepted
        case .finished(let undo)?:
            try? writer.undo(undo)
            report.eventsWritten -= undo.accepted
        case nil:
            report.runsWritten.append(run)
        }
        report.rejected.append(rejection)
        runs[run] = .rejected(report.rejected.count - 1)
    }

    /// Writes what is left of every run. Throws what the database throws; rejections are in the report.
    func finish() throws(JournalError) -> IngestReport {
        if let unattributed {
            // A line we cannot attribute may belong to any run: reject them all.
            for (id, slot) in runs {
                switch slot {
                case .active(let w):
                    try writer.undo(w)
                    report.eventsWritten -= w.accepted
                case .finished(let undo):
                    try writer.undo(undo)
                    report.eventsWritten -= undo.accepted
                case .rejected: continue
                }
                var r = unattributed
                r.run = id
                r.message = "rejected because line \(unattributed.line) names no run: \(unattributed.message)"
                report.rejected.append(r)
            }
            report.rejected.insert(unattributed, at: 0)
            runs = [:]
        }
        for (id, slot) in runs {
            guard case .active(var w) = slot else { continue }
            try writer.finish(&w, mergeOlder: false)
            runs[id] = .finished(w.undoRecord)
        }
        let rejectedRuns = Set(report.rejected.compactMap(\.run))
        report.runsWritten.removeAll { rejectedRuns.contains($0) }
        return report
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
