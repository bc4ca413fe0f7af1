import Crypto
import Foundation
import PlanJournalCore

/// Reads runs, chunks, events and snapshots over one connection.
struct JournalReader {
    let db: any SQLDatabase
    let dictionaries: DictionaryCache
    /// Chunks that string references were resolved from lately.
    let referencedChunks = ReferencedChunks()
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

    /// The run `row` was forked from, `nil` for a run that is not a fork.
    /// - Throws: `.corrupt` when the parent is missing or is not an earlier run (a parent is always
    ///   written before its forks: a damaged catalog could otherwise send readers round a cycle).
    func parentRow(of row: RunRow) throws(JournalError) -> RunRow? {
        guard let parent = row.parent else { return nil }
        guard parent < row.rid, let parentRow = try run(rid: parent) else {
            throw JournalError(
                .corrupt, parent < row.rid ? "the parent of this fork is missing" : "the parent of this fork is not an earlier run",
                context: .init(journalPath: path, run: row.id))
        }
        return parentRow
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
        try runs(status: nil, limit: nil)
    }

    /// The runs with `status` (any when `nil`), newest first, at most `limit` of them.
    func runs(status: String?, limit: Int?) throws(JournalError) -> [RunRow] {
        try runs(RunFilter(status: status), limit: limit)
    }

    /// The runs that pass `filter`, newest first, at most `limit` of them: the database filters
    /// and stops (but for the goal's text, compared here), so the first few of a large journal
    /// come at once. Runs that started at the same time (a fork and its parent) come in the order
    /// of their ids' bytes, the same in every journal that holds them, however the runs got there.
    /// - Throws: `.notFound` when the filter keeps the forks of a run the journal does not hold.
    func runs(_ filter: RunFilter, limit: Int?) throws(JournalError) -> [RunRow] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let status = filter.status {
            conditions.append("status = ?")
            values.append(.text(status))
        }
        if let since = filter.since {
            conditions.append("(started_at IS NULL OR started_at >= ?)")
            values.append(.int(since.microseconds))
        }
        switch filter.forks {
        case .included: break
        case .excluded: conditions.append("parent IS NULL")
        case .of(let run):
            conditions.append("parent = ?")
            values.append(.int(try requireRun(run).rid))
        }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let byID = db.dialect == .postgres ? "id COLLATE \"C\" DESC" : "id DESC"
        let sqlLimit = filter.goal == nil ? limit : nil
        let s = try db.statement("SELECT \(RunRow.columns) FROM runs\(whereClause) ORDER BY started_at DESC, \(byID) LIMIT ?")
            .bindAll(values + [.int(Int64(sqlLimit ?? Int(Int64.max)))])
        defer { s.reset() }
        var rows: [RunRow] = []
        while rows.count < limit ?? .max, try s.step() {
            let row = RunRow(s)
            if filter.admits(goal: row.goal) { rows.append(row) }
        }
        return rows
    }

    /// The run's own chunks that hold any seq in `from...to`, in order: the first `limit` of them,
    /// or fewer once their bodies come to `maxBytes` (chunks of events of megabytes each).
    func chunks(rid: Int64, from: Int64, to: Int64, limit: Int = .max, maxBytes: Int = .max) throws(JournalError) -> [ChunkRow] {
        let s = try db.statement(
            "SELECT \(Self.chunkColumns) FROM chunks WHERE rid = ? AND last_seq >= ? AND first_seq <= ? ORDER BY first_seq LIMIT ?"
        ).bind(.int(rid), .int(from), .int(to), .int(Int64(limit)))
        defer { s.reset() }
        var out: [ChunkRow] = []
        var bytes = 0
        while bytes < maxBytes, try s.step() {
            out.append(Self.chunk(s))
            bytes += out[out.count - 1].body.count
        }
        return out
    }

    /// The columns ``chunk(_:)`` reads, in its order.
    private static let chunkColumns = "cid, first_seq, last_seq, codec, raw_len, hash, body_sum, dict, body"

    /// The chunk on the current row of a statement that selected ``chunkColumns``.
    private static func chunk(_ s: any SQLStatement) -> ChunkRow {
        ChunkRow(
            cid: s.int(0), firstSeq: RunRow.bounded(s.int(1)), lastSeq: RunRow.bounded(s.int(2)), codec: s.int(3),
            rawLength: Int(s.int(4)),
            hash: s.blob(5), bodySum: s.blob(6), dictionary: s.optionalInt(7), body: s.blob(8))
    }

    /// The bodies of the chunks stored last, newest first, decompressed (references to repeated
    /// strings left as they are), about `bytes` in all: samples to train a dictionary on. A chunk
    /// that does not decode, or is larger than `bytes` alone (an event of megabytes), is left out.
    func recentChunkBodies(upTo bytes: Int) throws(JournalError) -> [[UInt8]] {
        let s = try db.statement("SELECT \(Self.chunkColumns) FROM chunks WHERE raw_len <= ? ORDER BY cid DESC LIMIT 256")
            .bind(.int(Int64(bytes)))
        defer { s.reset() }
        var out: [[UInt8]] = []
        var total = 0
        while total < bytes, try s.step() {
            let chunk = Self.chunk(s)
            let body: [UInt8]
            do {
                body = try chunk.stored(run: "", journal: path, dictionary: try chunk.dictionary.map(dictionaries.dictionary))
            } catch {
                continue
            }
            total += body.count
            out.append(body)
        }
        return out
    }

    /// Calls `body` with each event of `row` in `from...to`, reading the part before a fork
    /// through the parent run.
    func forEachEvent(
        of row: RunRow, from: Int64 = 1, to: Int64 = .max, _ body: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        // The runs a fork reads through hold every seq of the range between them.
        var next = max(from, 1)
        for segment in try lineage(of: row, from: from, to: to) {
            guard segment.from <= next else { throw missing(next, of: row) }
            try forEachOwnEvent(of: segment.row, from: segment.from, to: segment.to, body)
            next = max(next, segment.to + 1)
        }
        if next <= min(to, row.headSeq) { throw missing(next, of: row) }
    }

    /// Which run stores each event of `row` in `from...to`: the ancestors a fork reads through,
    /// oldest first, each with the seqs it stores of the range. A loop, not a recursion: a chain
    /// of thousands of forks must not exhaust the stack.
    func lineage(of row: RunRow, from: Int64, to: Int64) throws(JournalError) -> [(row: RunRow, from: Int64, to: Int64)] {
        var segments: [(row: RunRow, from: Int64, to: Int64)] = []
        var current = row
        var upper = min(to, row.headSeq)
        while from <= upper {
            if let forkSeq = current.forkSeq, forkSeq < 0 || forkSeq > current.headSeq || current.parent == nil {
                throw JournalError(
                    .corrupt,
                    current.parent == nil
                        ? "the catalog says the run was forked at seq \(forkSeq) but names no parent"
                        : "the catalog says the run was forked at seq \(forkSeq), past its end at seq \(current.headSeq)",
                    context: .init(journalPath: path, run: current.id))
            }
            let ownFrom = max(from, current.firstOwnSeq)
            if ownFrom <= upper { segments.append((current, ownFrom, upper)) }
            guard let forkSeq = current.forkSeq, from <= forkSeq, let parent = try parentRow(of: current) else { break }
            upper = min(upper, forkSeq, parent.headSeq)
            current = parent
        }
        return segments.reversed()
    }

    /// Calls `body` with each event `row` stores itself in `ownFrom...upper`, once each, in order.
    private func forEachOwnEvent(
        of row: RunRow, from ownFrom: Int64, to upper: Int64, _ each: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        // Chunks are read a batch at a time, each batch as of its own commit: a writer may merge
        // the small chunks at the run's end in between, and the next batch then starts with the
        // merged chunk, which holds events already read.
        var last = ownFrom - 1
        let body = { (event: JournalEvent) throws(JournalError) in
            guard event.seq > last else { return }
            guard event.seq == last + 1 else { throw missing(last + 1, of: row) }
            last = event.seq
            try each(event)
        }
        var source = ChunkSource(reader: self, run: row.id, rid: row.rid, from: ownFrom, to: upper)
        if try ChunkPipeline.worthIt(chunks: source.count(upTo: 3)) {
            let (run, journal) = (row.id, path)
            try ChunkPipeline.forEachEvent(
                next: { () throws(JournalError) in try source.next() },
                decode: { (chunk, dictionary) throws(JournalError) in
                    try chunk.events(run: run, from: ownFrom, to: upper, journal: journal, dictionary: dictionary)
                }, body)
        } else {
            while let (chunk, dictionary) = try source.next() {
                try chunk.forEachEvent(run: row.id, from: ownFrom, to: upper, journal: path, dictionary: dictionary, body)
            }
        }
        // The catalog counts the run's events: one the chunks do not hold is lost, not shorter.
        if last < upper { throw missing(last + 1, of: row) }
    }

    /// The error for a seq of `row` that none of its chunks holds.
    private func missing(_ seq: Int64, of row: RunRow) -> JournalError {
        JournalError(
            .corrupt, "the journal holds no event at seq \(seq), though the run has \(row.headSeq) ('planj verify' checks it all)",
            context: .init(journalPath: path, run: row.id, seq: seq))
    }

    /// A run's chunks in `from...to`, read from the database a batch at a time as they are taken
    /// (memory stays bounded however long the run), each with its dictionary loaded.
    struct ChunkSource {
        let reader: JournalReader
        let run: String
        let rid: Int64
        var from: Int64
        let to: Int64
        private var batch: [ChunkRow] = []
        private var taken = 0
        private var exhausted = false

        /// Chunks read from the database at once: this many, or fewer of more bytes in all.
        static let batchSize = 32
        static let batchBytes = 8 << 20

        init(reader: JournalReader, run: String, rid: Int64, from: Int64, to: Int64) {
            self.reader = reader
            self.run = run
            self.rid = rid
            self.from = from
            self.to = to
        }

        /// How many chunks are left, or `limit` when there are more.
        mutating func count(upTo limit: Int) throws(JournalError) -> Int {
            if taken == batch.count { try refill() }
            return min(limit, batch.count - taken)
        }

        /// The next chunk and the dictionary it was compressed against, its string references
        /// resolved (``ChunkRow/expanded``); `nil` after the last.
        mutating func next() throws(JournalError) -> (ChunkRow, CompressionDictionary?)? {
            guard var chunk = try nextChunk() else { return nil }
            if chunk.hasReferences { chunk.expanded = try reader.expandedBody(of: chunk, run: run) }
            return (chunk, try chunk.dictionary.map(reader.dictionaries.dictionary))
        }

        /// The next chunk, its dictionary not loaded; `nil` after the last.
        mutating func nextChunk() throws(JournalError) -> ChunkRow? {
            if taken == batch.count { try refill() }
            guard taken < batch.count else { return nil }
            taken += 1
            return batch[taken - 1]
        }

        private mutating func refill() throws(JournalError) {
            batch = []
            taken = 0
            guard !exhausted, from <= to else { return }
            batch = try reader.chunks(rid: rid, from: from, to: to, limit: Self.batchSize, maxBytes: Self.batchBytes)
            if let last = batch.last { from = last.lastSeq + 1 }
            exhausted = batch.isEmpty || (batch.count < Self.batchSize && batch.reduce(0) { $0 + $1.body.count } < Self.batchBytes)
        }
    }

    /// The latest snapshot of `row` at or before `seq` (looking through the parent of a fork).
    func snapshot(of row: RunRow, atOrBefore seq: Int64) throws(JournalError) -> PlanState? {
        var current = row
        var limit = seq
        while true {
            if let stored = try storedSnapshot(of: current, atOrBefore: limit) {
                // A stale one (an earlier planj's) is not used: the events are folded from the start.
                // So is one whose state is not of the seq it is stored at (damage verify reports).
                guard var state = stored.state, state.seq == stored.seq else { return nil }
                state.run = row.id
                return state
            }
            guard let forkSeq = current.forkSeq, let parent = try parentRow(of: current) else { return nil }
            limit = min(limit, forkSeq)
            current = parent
        }
    }

    /// The run's own last snapshot at or before `seq`, checked against its checksum: its seq, and
    /// its state unless it is stale (``SnapshotCodec/decode(codec:rawLength:checksum:body:run:seq:journal:)``).
    func storedSnapshot(of row: RunRow, atOrBefore seq: Int64) throws(JournalError) -> (seq: Int64, state: PlanState?)? {
        let s = try db.statement(
            "SELECT seq, codec, raw_len, checksum, body FROM snapshots WHERE rid = ? AND seq <= ? ORDER BY seq DESC LIMIT 1"
        ).bind(.int(row.rid), .int(seq))
        defer { s.reset() }
        guard try s.step() else { return nil }
        let snapSeq = s.int(0)
        let state = try SnapshotCodec.decode(
            codec: s.int(1), rawLength: Int(s.int(2)), checksum: s.blob(3), body: s.blob(4), run: row.id, seq: snapSeq,
            journal: path)
        return (snapSeq, state)
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
        // The run that stores `seq` (a loop through the ancestors, however many).
        var row = row
        while seq != row.headSeq, let forkSeq = row.forkSeq, seq <= forkSeq, let parent = try parentRow(of: row) {
            row = parent
        }
        if seq == row.headSeq { return row.headHash }
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
        // On PostgreSQL each statement sees the journal as of its own start: another writer may
        // have merged the chunk `from` begins into the one before it meanwhile, so only events
        // from `from` on are hashed.
        for chunk in try chunks(rid: row.rid, from: from, to: seq) {
            let lines = try chunk.lines(run: row.id, reader: self)
            for (k, line) in lines.enumerated() where (from...seq).contains(chunk.firstSeq + Int64(k)) {
                chain.append(line)
            }
        }
        return chain.head
    }
}
