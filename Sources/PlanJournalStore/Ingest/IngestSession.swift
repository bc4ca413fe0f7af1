import PlanJournalCore

/// Ingests JSON Lines into the journal inside one transaction: each run is validated as its
/// events arrive; a run with a bad event is undone and rejected whole while the other runs go on.
///
/// Memory stays flat in the input's size: a run's events are flushed in chunks, a completed run
/// keeps only a few numbers, and the events that open runs hold back are bounded
/// (``IngestOptions/bufferedBytes``).
final class IngestSession {
    private let writer: JournalWriter
    private(set) var report: IngestReport

    /// A run being written, changed in place (a value in the dictionary would be copied out and
    /// back, with its buffers and folded state, on every event).
    private final class ActiveRun {
        var write: RunWrite
        init(_ write: RunWrite) { self.write = write }
    }

    private enum RunSlot {
        case active(ActiveRun)
        /// Completed in this ingest: enough to undo it if a later line breaks it, and its head (a
        /// repeat of one of its events is skipped).
        case finished(RunWrite.Undo, head: Int64)
        case rejected(Int)  // index into report.rejected
    }

    private var runs = RunKeyed<RunSlot>()
    /// The first line that names no run (a cut or garbled line, a line that is not an object);
    /// its `ignoredLines` counts the others.
    private var unattributed: IngestReport.Rejection?
    /// The runs that were open when such a line came, each with the first such line: the line
    /// may be one of their events, so they are rejected whole. Runs completed before it, and runs
    /// that start after it, cannot own it (their seq would show a gap) and still land.
    private var suspects = RunKeyed<IngestReport.Rejection>()
    /// Whether a run began since the open runs were last made suspects (an input of many lines
    /// that name no run would otherwise scan every run for each of them).
    private var runsBegunSinceScan = false

    /// Whether each run is locked (``SQLDatabase/lockRun(_:)``) before it is first read.
    private let lockingRuns: Bool

    /// Bytes of events in the buffers of active runs in memory, and the most they may hold.
    private var buffered = 0
    private let bufferedLimit: Int
    /// Where buffers go past the limit (made when first needed).
    private var spillFile: SpillFile?
    /// Cleared when the spill file cannot be made or written: buffers then stay in memory.
    private var canSpill = true

    init(writer: JournalWriter, source: String, lockingRuns: Bool, bufferedBytes: Int) {
        self.writer = writer
        self.lockingRuns = lockingRuns
        self.bufferedLimit = bufferedBytes
        self.report = IngestReport(source: source)
    }

    /// Takes one parsed line.
    func consume(_ parsed: consuming ParsedLine) throws(JournalError) {
        switch consume parsed {
        case .blank(let number):
            report.lines = number
        case .event(let event, let number, let note):
            report.lines = number
            switch note {
            case .rounded?: report.timestampsRounded += 1
            case .integerNearEpoch?:
                report.timestampsNearEpoch += 1
                if report.firstTimestampNearEpoch == nil { report.firstTimestampNearEpoch = number }
            case nil: break
            }
            if event.knownKind == nil && EventKind.isUnknown(event.kind) {
                report.countUnknownKind(event.kind, line: number)
            } else if event.knownKind == .callModel {
                let uncounted = event.uncountedMeasures
                if !uncounted.isEmpty {
                    report.measuresUncounted += 1
                    if report.firstMeasureUncounted == nil { (report.firstMeasureUncounted, report.firstMeasuresUncounted) = (number, uncounted) }
                }
            }
            try consume(event, number: number)
        case .torn(let torn):
            report.lines = torn.line
            report.tornLine = torn
        case .invalid(let error, let number, let run):
            report.lines = number
            try reject(
                run: run, line: number, seq: error.context.seq, field: error.context.field, code: error.code,
                message: error.message)
        }
    }

    private func consume(_ event: JournalEvent, number: Int) throws(JournalError) {
        let id = event.run
        let active: ActiveRun
        switch runs[id] {
        case .rejected(let k)?:
            report.rejected[k].ignoredLines += 1
            return
        case .finished(let undo, let head)? where event.seq <= head:
            do {
                try writer.checkStored(event, rid: undo.rid, head: head)
                report.eventsSkipped += 1
            } catch where error.code == .conflict {
                try reject(
                    run: id, line: number, seq: event.seq, field: error.context.field, code: error.code,
                    message: error.message)
            }
            return
        case .finished?:
            try reject(
                run: id, line: number, seq: event.seq, field: "kind", code: .invalidEvent,
                message: "\(event.kind) after run.completed: a completed run takes no more events")
            return
        case .active(let a)?:
            active = a
        case nil:
            if lockingRuns { try writer.db.lockRun(id) }
            active = ActiveRun(try writer.begin(id))
            runs[id] = .active(active)
            runsBegunSinceScan = true
            report.runsWritten.append(id)
        }
        let before = active.write.buffer.count
        do {
            switch try writer.stage(event, into: &active.write, idempotent: true) {
            case .accepted: report.eventsWritten += 1
            case .duplicate: report.eventsSkipped += 1
            }
        } catch where error.code == .invalidEvent || error.code == .conflict {
            try reject(
                run: id, line: number, seq: event.seq, field: error.context.field, code: error.code,
                message: error.message)
            return
        }
        buffered += active.write.buffer.count - before
        if active.write.cursor.state.endedAt != nil && active.write.accepted > 0 {
            buffered -= active.write.buffer.count
            try writer.finish(&active.write, mergeOlder: false)
            runs[id] = .finished(active.write.undoRecord, head: active.write.cursor.headSeq)
        } else if buffered > bufferedLimit {
            spillLargestBuffers()
        }
    }

    /// Moves the buffers of the runs that hold the most to the spill file, until the buffers of
    /// all active runs hold half of ``bufferedLimit`` in memory: many runs open at once would
    /// otherwise keep up to a chunk each. A temporary directory that cannot be written only costs
    /// memory: the ingest goes on.
    private func spillLargestBuffers() {
        guard canSpill, let file = spillFile ?? (try? SpillFile()) else {
            canSpill = false
            return
        }
        spillFile = file
        var holding: [ActiveRun] = []
        for case .active(let a) in runs.values where !a.write.buffer.isEmpty { holding.append(a) }
        holding.sort { $0.write.buffer.count > $1.write.buffer.count }
        for a in holding where buffered > bufferedLimit / 2 {
            let count = a.write.buffer.count
            do {
                try a.write.spill(to: file)
            } catch {
                canSpill = false
                return
            }
            buffered -= count
            report.spilledBytes += Int64(count)
        }
    }

    /// Records a rejection and undoes what the run wrote in this transaction.
    /// - Throws: what undoing throws (the whole ingest then fails and is rolled back, rather than
    ///   commit a run it reports rejected).
    private func reject(
        run: String?, line: Int, seq: Int64?, field: String?, code: JournalError.Code, message: String
    ) throws(JournalError) {
        let rejection = IngestReport.Rejection(
            run: run, line: line, seq: seq, field: field, code: code.name, message: message)
        guard let run else {
            if unattributed == nil { unattributed = rejection } else { unattributed?.ignoredLines += 1 }
            guard runsBegunSinceScan else { return }
            runsBegunSinceScan = false
            for (id, slot) in runs {
                // A run already completed (in the journal, the input repeating it) takes no more.
                if case .active(let a) = slot, a.write.cursor.state.endedAt == nil, suspects[id] == nil {
                    suspects[id] = rejection
                }
            }
            return
        }
        switch runs[run] {
        case .rejected(let k)?:
            report.rejected[k].ignoredLines += 1
            return
        case .active(let a)?:
            buffered -= a.write.buffer.count
            try writer.undo(a.write)
            a.write.clearBuffer()
            report.eventsWritten -= a.write.accepted
        case .finished(let undo, _)?:
            try writer.undo(undo)
            report.eventsWritten -= undo.accepted
        case nil:
            report.runsWritten.append(run)
        }
        report.rejected.append(rejection)
        runs[run] = .rejected(report.rejected.count - 1)
    }

    /// Writes what is left of every run. Throws what the database throws; rejections are in the report.
    func finish() throws(JournalError) -> IngestReport {
        for (id, line) in suspects {
            guard let slot = runs[id] else { continue }
            switch slot {
            case .active(let a):
                try writer.undo(a.write)
                a.write.clearBuffer()
                report.eventsWritten -= a.write.accepted
            case .finished(let undo, _):
                try writer.undo(undo)
                report.eventsWritten -= undo.accepted
            case .rejected: continue
            }
            var r = line
            r.run = id
            r.seq = nil
            r.field = nil
            r.message =
                "rejected because line \(line.line), which names no run, came while it was open "
                + "(it may be one of its events): \(line.message)"
            report.rejected.append(r)
            runs[id] = nil
        }
        if let unattributed { report.rejected.insert(unattributed, at: 0) }
        for (id, slot) in runs {
            guard case .active(let a) = slot else { continue }
            try writer.finish(&a.write, mergeOlder: false)
            runs[id] = .finished(a.write.undoRecord, head: a.write.cursor.headSeq)
        }
        buffered = 0
        // Runs rejected, and runs the journal already held every event of, received nothing.
        var unwritten = Set(report.rejected.compactMap { $0.run.map(ExactString.init) })
        for (id, slot) in runs {
            if case .finished(let undo, _) = slot, undo.accepted == 0 { unwritten.insert(ExactString(id)) }
        }
        report.runsWritten.removeAll { unwritten.contains(ExactString($0)) }
        return report
    }
}
