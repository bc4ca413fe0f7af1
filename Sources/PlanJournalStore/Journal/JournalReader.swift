import Crypto
import Foundation
import PlanJournalCore

/// Reads runs, chunks, events and snapshots over one connection.
struct JournalReader {
    let db: any SQLDatabase
    let dictionaries: DictionaryCache
    var path: String { db.path }

    init(db: any SQLDatabase) {
        self.db = db
        dictionaries = DictionaryCache(db: db)
    }

    func run(named id: String) throws(JournalError) -> RunRow? {
        let s = try db.statement("SELECT \(RunRow.columns) FROM runs WHERE id = ?").bind(.text(id))
        defer { s.reset() }
        return try s.step() ? RunRow(s) : nil
    }

    func run(rid: Int64) throws(JournalError) -> RunRow? {
        let s = try db.statement("SELECT \(RunRow.columns) FROM runs WHERE rid = ?").bind(.int(rid))
        defer { s.reset() }
        return try s.step() ? RunRow(s) : nil
    }

    func requireRun(_ id: String) throws(JournalError) -> RunRow {
        guard let row = try run(named: id) else {
            throw JournalError(
                .notFound, "no run with this id in the journal (list them with `planj runs`)",
                context: .init(journalPath: path, run: id))
        }
        return row
    }

    /// Every run, newest first.
    func allRuns() throws(JournalError) -> [RunRow] {
        let s = try db.statement("SELECT \(RunRow.columns) FROM runs ORDER BY started_at DESC, rid DESC")
        defer { s.reset() }
        var rows: [RunRow] = []
        while try s.step() { rows.append(RunRow(s)) }
        return rows
    }

    /// The run's own chunks that hold any seq in `from...to`, in order (the first `limit` of them).
    func chunks(rid: Int64, from: Int64, to: Int64, limit: Int = .max) throws(JournalError) -> [ChunkRow] {
        let s = try db.statement(
            """
            SELECT cid, first_seq, last_seq, codec, raw_len, hash, body_sum, dict, body FROM chunks
            WHERE rid = ? AND last_seq >= ? AND first_seq <= ? ORDER BY first_seq LIMIT ?
            """
        ).bind(.int(rid), .int(from), .int(to), .int(Int64(limit)))
        defer { s.reset() }
        var out: [ChunkRow] = []
        while try s.step() {
            out.append(
                ChunkRow(
                    cid: s.int(0), firstSeq: s.int(1), lastSeq: s.int(2), codec: s.int(3), rawLength: Int(s.int(4)),
                    hash: s.blob(5), bodySum: s.blob(6), dictionary: s.optionalInt(7), body: s.blob(8)))
        }
        return out
    }

    /// Calls `body` with each event of `row` in `from...to`, reading the part before a fork
    /// through the parent run.
    func forEachEvent(
        of row: RunRow, from: Int64 = 1, to: Int64 = .max, _ body: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        let upper = min(to, row.headSeq)
        guard from <= upper else { return }
        if let parent = row.parent, let forkSeq = row.forkSeq, from <= forkSeq {
            guard let parentRow = try run(rid: parent) else {
                throw JournalError(.corrupt, "the parent of this fork is missing", context: .init(run: row.id))
            }
            try forEachEvent(of: parentRow, from: from, to: min(upper, forkSeq), body)
        }
        let ownFrom = max(from, row.firstOwnSeq)
        guard ownFrom <= upper else { return }
        // A batch of chunks at a time: memory stays bounded however long the run.
        var next = ownFrom
        while next <= upper {
            let batch = try chunks(rid: row.rid, from: next, to: upper, limit: Self.chunksPerBatch)
            guard let last = batch.last else { return }
            try forEachEvent(in: batch, of: row.id, from: ownFrom, to: upper, body)
            next = last.lastSeq + 1
        }
    }

    /// Chunks read from the database at once by ``forEachEvent(of:from:to:_:)``.
    static let chunksPerBatch = 32

    /// Calls `body` with each event of `chunks` in `from...to`, decoding them in parallel when that pays.
    private func forEachEvent(
        in chunks: [ChunkRow], of run: String, from: Int64, to: Int64, _ body: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        guard ChunkPipeline.worthIt(chunks: chunks.count) else {
            for chunk in chunks {
                try chunk.forEachEvent(
                    run: run, from: from, to: to, journal: path,
                    dictionary: try chunk.dictionary.map(dictionaries.dictionary), body)
            }
            return
        }
        // Load the dictionaries here: the workers have no connection.
        var loaded: [Int64: CompressionDictionary] = [:]
        for id in Set(chunks.compactMap(\.dictionary)) { loaded[id] = try dictionaries.dictionary(id) }
        let (journal, found) = (path, loaded)
        try ChunkPipeline.forEachEvent(in: chunks, decode: { (chunk) throws(JournalError) in
            try chunk.events(
                run: run, from: from, to: to, journal: journal, dictionary: chunk.dictionary.flatMap { found[$0] })
        }, body)
    }

    /// The latest snapshot of `row` at or before `seq` (looking through the parent of a fork).
    func snapshot(of row: RunRow, atOrBefore seq: Int64) throws(JournalError) -> PlanState? {
        let s = try db.statement(
            "SELECT seq, codec, raw_len, checksum, body FROM snapshots WHERE rid = ? AND seq <= ? ORDER BY seq DESC LIMIT 1"
        ).bind(.int(row.rid), .int(seq))
        if try s.step() {
            let snapSeq = s.int(0)
            let codec = s.int(1)
            let rawLength = Int(s.int(2))
            let checksum = s.blob(3)
            let body = s.blob(4)
            s.reset()
            return try SnapshotCodec.decode(
                codec: codec, rawLength: rawLength, checksum: checksum, body: body, run: row.id, seq: snapSeq,
                journal: path)
        }
        s.reset()
        if let parent = row.parent, let forkSeq = row.forkSeq, let parentRow = try run(rid: parent),
            var state = try snapshot(of: parentRow, atOrBefore: min(seq, forkSeq))
        {
            state.run = row.id
            return state
        }
        return nil
    }

    /// The plan state of `row` after event `seq` (the head when `nil`), from the nearest snapshot.
    func state(of row: RunRow, at seq: Int64? = nil) throws(JournalError) -> PlanState {
        let target = min(seq ?? row.headSeq, row.headSeq)
        let projection = PlanProjection()
        var state = try snapshot(of: row, atOrBefore: target) ?? projection.initial(run: row.id)
        try forEachEvent(of: row, from: state.seq + 1, to: target) { (e) throws(JournalError) in
            projection.apply(&state, e)
        }
        state.run = row.id
        return state
    }

    /// The chain hash of `row` after event `seq` (for forks).
    func chainHash(of row: RunRow, at seq: Int64) throws(JournalError) -> [UInt8] {
        if seq == row.headSeq { return row.headHash }
        if let parent = row.parent, let forkSeq = row.forkSeq, seq <= forkSeq {
            guard let parentRow = try self.run(rid: parent) else {
                throw JournalError(.corrupt, "the parent of this fork is missing", context: .init(run: row.id))
            }
            return try chainHash(of: parentRow, at: seq)
        }
        // Start from the hash at the end of the chunk before the one holding `seq`.
        let s = try db.statement(
            "SELECT last_seq, hash FROM chunks WHERE rid = ? AND last_seq < ? ORDER BY last_seq DESC LIMIT 1"
        ).bind(.int(row.rid), .int(seq))
        var chain: HashChain
        var from: Int64
        if try s.step() {
            from = s.int(0) + 1
            chain = HashChain(head: s.blob(1))
        } else {
            from = row.firstOwnSeq
            chain = HashChain(head: row.forkHash ?? HashChain.genesis)
        }
        s.reset()
        for chunk in try chunks(rid: row.rid, from: from, to: seq) {
            let lines = try chunk.lines(run: row.id, journal: path, dictionaries: dictionaries)
            for (k, line) in lines.enumerated() where chunk.firstSeq + Int64(k) <= seq {
                chain.append(line)
            }
        }
        return chain.head
    }
}
