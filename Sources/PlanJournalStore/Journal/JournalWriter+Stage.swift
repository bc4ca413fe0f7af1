import Foundation
import PlanJournalCore

/// Staging events: validating each as its run's next one, chaining and buffering it, and
/// recognising events the journal already holds (idempotent ingest).
extension JournalWriter {
    /// What ``stage(_:into:idempotent:)`` did with an event.
    enum Staged {
        case accepted
        /// The journal already held this very event.
        case duplicate
    }

    /// Validates `event` as the run's next one and buffers it, writing a chunk when the buffer is full.
    /// - Parameters:
    ///   - idempotent: an event at a seq the run already holds (stored before, or written earlier
    ///     in this transaction) is skipped when its bytes are the same (and a conflict when not),
    ///     instead of failing validation.
    ///   - chainedHead: the chain head after `event`, computed ahead from the run's current head
    ///     (``PrecomputedChain``); `nil`: hash it here.
    /// - Throws: `.invalidEvent`, or `.conflict` for a different event at a held seq.
    func stage(
        _ event: JournalEvent, into w: inout RunWrite, idempotent: Bool, chainedHead: [UInt8]? = nil
    ) throws(JournalError) -> Staged {
        if idempotent && event.seq <= w.cursor.headSeq {
            do throws(JournalError) {
                if let line = try w.bufferedLine(event.seq) {
                    guard line.elementsEqual(event.bytes) else { throw Self.different(event, head: w.cursor.headSeq) }
                } else {
                    try checkStored(event, rid: w.cursor.rid, head: w.cursor.headSeq)
                }
            } catch where error.code == .conflict && event.seq > w.start.headSeq {
                // Not the journal's event: an earlier line of the same input.
                throw JournalError(
                    .invalidEvent, "seq \(event.seq) comes twice in the input, as two different events",
                    context: .init(run: event.run, seq: event.seq, field: "seq"))
            }
            w.skipped += 1
            return .duplicate
        }
        let revision: PlanRevision?
        do {
            revision = try w.cursor.validator.validate(event)
        } catch where w.cursor.rid == nil && w.cursor.headSeq == 0 && error.context.field == "seq" {
            throw try namingSpelling(of: event.run, in: error)
        }
        projection.apply(&w.cursor.state, event, revision: revision)
        if let chainedHead {
            w.cursor.headHash = chainedHead
        } else {
            var chain = HashChain(head: w.cursor.headHash)
            chain.append(event.bytes)
            w.cursor.headHash = chain.head
        }
        w.cursor.headSeq = event.seq
        w.buffer(event)
        w.accepted += 1
        if config.snapshotInterval > 0, event.seq % config.snapshotInterval == 0,
            SnapshotSpacing.isDue(
                seq: event.seq, interval: config.snapshotInterval, state: w.cursor.state,
                eventBytes: w.cursor.rawBytes + Int64(w.bufferedBytes))
        {
            w.pendingSnapshots.append(w.cursor.state)
        }
        if w.bufferedBytes >= config.chunkBytes { try flushChunk(&w) }
        return .accepted
    }

    /// `error` (a new run's first event is not seq 1) saying so when the journal holds the run
    /// under another Unicode spelling of its id: ids are compared byte for byte, and `café`
    /// composed (NFC) and decomposed (NFD) are two runs.
    private func namingSpelling(of run: String, in error: JournalError) throws(JournalError) -> JournalError {
        for other in Set([run.precomposedStringWithCanonicalMapping, run.decomposedStringWithCanonicalMapping])
        where other.utf8.elementsEqual(run.utf8) == false {
            guard let row = try reader.run(named: other) else { continue }
            var named = error
            named.message += "; the journal holds a run whose id looks the same in another Unicode spelling ("
                + (other.utf8.count < run.utf8.count ? "composed, NFC" : "decomposed, NFD")
                + ", at seq \(row.headSeq)): run ids are compared byte for byte, so write the id as that run has it"
            return named
        }
        return error
    }

    /// Throws a conflict unless the run `rid` (at `head`) holds exactly `event` at its seq, in the
    /// tables (written before or in this transaction).
    func checkStored(_ event: JournalEvent, rid: Int64?, head: Int64) throws(JournalError) {
        guard let rid else { throw Self.different(event, head: head) }
        try settleChunks()
        var line: ArraySlice<UInt8>?
        if let last = lastStoredLookup, last.rid == rid, last.chunk.firstSeq <= event.seq, event.seq <= last.chunk.lastSeq {
            line = last.lines[Int(event.seq - last.chunk.firstSeq)]
        } else if let chunk = try reader.chunks(rid: rid, from: event.seq, to: event.seq).first {
            let lines = try chunk.lines(run: event.run, reader: reader)
            lastStoredLookup = (rid, chunk, lines)
            line = lines[Int(event.seq - chunk.firstSeq)]
        } else if let row = try reader.run(rid: rid) {
            var found: [UInt8]?
            try reader.forEachEvent(of: row, from: event.seq, to: event.seq) { e in found = e.bytes }
            line = found.map { $0[...] }
        }
        guard let line, line.elementsEqual(event.bytes) else { throw Self.different(event, head: head) }
    }

    /// The conflict of `event` with a different event the run (at `head`) holds at its seq.
    private static func different(_ event: JournalEvent, head: Int64) -> JournalError {
        JournalError(
            .conflict,
            "the journal already holds a different event at this seq (head is \(head)); events cannot be replaced",
            context: .init(run: event.run, seq: event.seq))
    }
}
