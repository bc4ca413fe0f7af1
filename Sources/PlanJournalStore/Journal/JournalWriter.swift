import Foundation
import PlanJournalCore

/// The single writer of a journal file: validates, hashes, chunks, compresses and catalogs
/// events inside the caller's transaction.
///
/// Not `Sendable`: ``Journal`` serializes access to it.
final class JournalWriter {
    let db: any SQLDatabase
    let config: JournalConfiguration
    let reader: JournalReader
    /// Folds staged events into their run's state (``stage(_:into:idempotent:chainedHead:)``).
    let projection = PlanProjection()
    /// Cursors of runs this writer has seen, valid while the catalog's head matches.
    var cache = RunKeyed<RunCursor>()
    /// The cursor of the last append refused at its first event, which changed nothing: put back
    /// in the cache when the append is rolled back (``forgetRolledBack(_:)``), so a run's state is
    /// not read again for each refused line.
    var refusedCursor: RunCursor?
    /// `PRAGMA data_version` when this writer's last transaction began: while it stays the same, no
    /// other connection has committed, so cached cursors are current without reading the catalog.
    private var seenDataVersion: Int64?
    /// Whether, in the current transaction, cached cursors may be used without reading the catalog.
    var cacheTrusted = false
    /// The dictionary new chunks are compressed against, and its training.
    var dictionaries: ChunkDictionaries
    /// During an ingest: compresses chunks off this thread, replacing repeated long strings by
    /// references (``RepeatedStrings``). Internal for the writer's extensions.
    var compressor: ChunkCompressor?
    /// The compressor of the last ingest, idle, for the next one: files ingested one after another
    /// by one command share its thread and its prepared dictionary state.
    var spareCompressor: ChunkCompressor?
    /// The long strings ingests stored, for the next chunks to reference: kept from one committed
    /// transaction to the next (the files of one command refer to each other's strings), dropped
    /// with a rollback.
    var repeats = RepeatedStrings()
    /// The chunks written in this ingest that reference each run's strings, by run (rid): what
    /// ``undo(_:)-(RunWrite.Undo)`` rewrites before it removes a run's events.
    var referrers: [Int64: [(rid: Int64, first: Int64)]] = [:]
    /// Compresses the tails of held runs (``held``) off this thread; their chunks are inserted
    /// before the window commits (``settleWindowChunks()``). Started on first use (by
    /// ``compactTail(_:offload:)``, hence settable within the module).
    var windowCompressor: ChunkCompressor?
    /// Checkpoints the WAL off this thread (SQLite only).
    private let checkpointer: Checkpointer?
    /// Acknowledged appends of the open write window (SQLite only).
    let appendLog: AppendLog?
    /// The database file as opened, checked before appends (at most every ``fileCheckInterval``:
    /// a `stat` per append would cost one writer about a tenth of its speed).
    private(set) var file: JournalFileIdentity?
    var lastFileCheck: ContinuousClock.Instant?
    static let fileCheckInterval = Duration.milliseconds(5)
    /// When the open write window began (`nil`: none is open); see ``commitWindow()``.
    var windowStart: ContinuousClock.Instant?
    /// Events appended in the open window.
    var windowEvents = 0
    /// Runs appended to in the open write window whose small chunk and catalog row are still in
    /// memory: written once per run when the window commits (``spillHeld()``), not per append.
    /// The append log holds every acknowledged append meanwhile. Empty while no window is open.
    var held = RunKeyed<HeldRun>()
    /// The journal's id, which the append log names (`nil` without a log).
    var journalID: String?
    /// Why acknowledged appends in the append log were not replayed when the journal opened
    /// (`nil` when there were none, or they were). Cleared by ``retryReplay()``.
    private(set) var unreplayedLog: String?
    /// Set when records of the append log could not be replayed (damaged, or another
    /// journal's): what was lost and where the log was kept, for a warning.
    var damagedLog: String?
    /// The format version of a journal an older planj wrote, which opening it upgraded.
    private(set) var upgradedFrom: Int?
    /// Why the last window's commit failed while its acknowledged appends are still only in the
    /// append log (a full disk); reads replay the log first, and fail with this until they can.
    var commitFailure: JournalError?
    /// The chunk ``checkStored(_:rid:head:)`` read last, split into lines: consecutive events of
    /// an input checked against the journal are mostly in the same chunk.
    var lastStoredLookup: (rid: Int64, chunk: ChunkRow, lines: [ArraySlice<UInt8>])?

    /// Replays the append log whose replay failed when the journal opened, if it still holds
    /// records; on success the log's exclusive lock goes, and other processes may open the journal.
    /// - Returns: whether no replay is pending any more.
    func retryReplay() -> Bool {
        guard unreplayedLog != nil, let log = appendLog, log.exclusive, windowStart == nil else { return true }
        do {
            try recoverAppendLog()
        } catch {
            return false
        }
        unreplayedLog = nil
        return true
    }

    init(path: String, config: JournalConfiguration) throws(JournalError) {
        let db = try JournalBackend.connect(path, configuration: config)
        // Before anything writes to the file (WAL mode, the checkpointer, the append log).
        if db.dialect == .sqlite { try Schema.refuseForeignTables(db) }
        self.db = db
        self.config = config
        let reader = JournalReader(db: db)
        self.reader = reader
        dictionaries = ChunkDictionaries(db: db, reader: reader, config: config)
        let sqlite = db as? SQLiteConnection
        checkpointer = sqlite.map { _ in Checkpointer(path: path) }
        // An immutable file is never written: no log (one left beside it is only reported).
        appendLog =
            sqlite.map { !$0.immutable } == true && config.commitWindowMicroseconds > 0
            ? AppendLog(journalPath: JournalFileName.resolved(path)) : nil
        if let sqlite {
            try sqlite.configure(durability: config.durability)
            // Savepoints' journals in memory: by default SQLite spills one past 64 KiB to a temp
            // file, created, written and unlinked each time (an append that compacts a tail
            // rewrites pages the window dirtied, and each is journaled first).
            try sqlite.execute("PRAGMA temp_store=MEMORY")
        }
        upgradedFrom = try Schema.migrate(db)
        try dictionaries.load()
        // A journal this process cannot write has no id made: its log is not replayed either.
        if appendLog != nil { journalID = try? Self.journalIdentity(db) }
        if let sqlite, !sqlite.immutable { file = JournalFileIdentity(path: JournalFileName.resolved(path)) }
        let logPath = AppendLog.path(journalPath: JournalFileName.resolved(path))
        do {
            try appendLog?.attach(waitingUpTo: .milliseconds(Int64(config.busyTimeoutMilliseconds))) { () throws(JournalError) in
                try self.replayLog()
            }
        } catch where error.code == .io && appendLog?.exclusive == true {
            // Replaying failed for want of space (or a lock held too long): the journal still
            // opens for reading. The log keeps its records and its exclusive lock, so that no
            // writer (of this process or another) commits past them: this process's next write
            // replays them first or fails as this did, and its reads try again
            // (``retryReplay()``), so the lock goes once they are in.
            unreplayedLog = "the append log \(logPath) holds acknowledged appends not in the journal yet: replaying them "
                + "failed (\(error.message)); they are added by the next read or write that can, and are not read until then"
        }
        if sqlite != nil, config.commitWindowMicroseconds > 0, appendLog == nil, AppendLog.hasRecords(at: logPath) {
            unreplayedLog = "the append log \(logPath) holds acknowledged appends not in the journal yet, and this user "
                + "cannot write it: they are not read until a user who can write the journal opens it"
        }
        // Earlier versions named the log after the name given, a symbolic link's too.
        let oldLogPath = AppendLog.path(journalPath: path)
        if sqlite != nil, oldLogPath != logPath, AppendLog.hasRecords(at: oldLogPath) {
            unreplayedLog = "an append log left beside the link \(path) by an older planj (\(oldLogPath)) holds acknowledged "
                + "appends not in the journal: move it to \(logPath) (with no planj running) to have them added"
        }
        guard let sqlite, let checkpointer else { return }
        sqlite.setWALHook { [unowned sqlite] pages in
            if pages >= Checkpointer.writerPages {
                // The background checkpoints lag behind a steady stream of appends: catch up here.
                _ = try? sqlite.checkpointPassive()
            } else if pages >= Checkpointer.backgroundPages {
                checkpointer.request()
            }
        }
    }

    deinit {
        try? commitWindow()
        windowCompressor?.stop()
        compressor?.stop()
        spareCompressor?.stop()
        checkpointer?.stop()
    }


    /// Forgets cached cursors and the dictionary (after a rollback).
    func dropCache() {
        cache.removeAll()
        refusedCursor = nil
        held.removeAll()
        _ = windowCompressor?.take(all: true)  // their chunks belonged to the rolled-back window
        seenDataVersion = nil
        cacheTrusted = false
        compressor?.stop()
        compressor = nil
        spareCompressor?.stop()  // it shares `repeats`, replaced below
        spareCompressor = nil
        referrers.removeAll()
        repeats = RepeatedStrings()  // it may know strings of the rolled-back transaction
        reader.referencedChunks.reset()
        try? dictionaries.load()
    }

    /// Forgets the cached cursor of one run (after a rolled-back append).
    func cacheDrop(_ run: String) { cache[run] = nil }

    // MARK: - Runs

    /// Where `run` stands now (inside the current transaction).
    /// - Parameter trustingCache: use a cached cursor without reading the catalog (the catalog
    ///   update of ``finish(_:mergeOlder:)`` then checks that the head did not move).
    func cursor(for run: String, trustingCache: Bool = false) throws(JournalError) -> RunCursor {
        // Taken out of the cache, so the write below owns the cursor's state (no copy on change);
        // finish puts it back.
        let cached = cache.removeValue(forKey: run)
        // A held run's catalog row is behind its cursor; the window's lock keeps other writers out.
        if cacheTrusted || trustingCache || held[run] != nil, let cached { return cached }
        guard let row = try reader.run(named: run) else { return RunCursor(newRun: run) }
        if var cached, cached.rid == row.rid, cached.headSeq == row.headSeq, cached.headHash == row.headHash {
            cached.row = row
            return cached
        }
        // The run's newest chunks may still be with the compressor (a run met again in a later
        // file of the same transaction).
        try settleChunks()
        let state = try reader.state(of: row)
        guard state.seq == row.headSeq else {
            throw JournalError(
                .corrupt, "the run's events end at seq \(state.seq) but its catalog row says \(row.headSeq)",
                context: .init(journalPath: db.path, run: run, seq: state.seq + 1))
        }
        return RunCursor(row: row, state: state)
    }

    /// Notes whether another connection committed since this writer's last transaction (call
    /// right after `BEGIN`): if not, cached cursors are used without reading the catalog.
    func checkDataVersion() throws(JournalError) {
        let version = try db.dataVersion()
        cacheTrusted = version == seenDataVersion
        seenDataVersion = version
    }

    /// Starts writing to `run` in the current transaction.
    func begin(_ run: String, trustingCache: Bool = false) throws(JournalError) -> RunWrite {
        RunWrite(try cursor(for: run, trustingCache: trustingCache))
    }

    /// Whether an append of events from `firstSeq` on may use the run's cached cursor without
    /// reading the catalog (PostgreSQL, where every read is a round trip): when it continues the
    /// cached head as `expecting` says. Heads only grow, so if another writer moved the head since,
    /// these seqs are taken and the head check of the catalog update fails: a conflict either way.
    func mayTrustCache(_ run: String, firstSeq: Int64?, expecting: ExpectedSeq) -> Bool {
        guard db.dialect == .postgres, let cached = cache[run], cached.rid != nil, let firstSeq,
            firstSeq == cached.headSeq + 1
        else { return false }
        switch expecting {
        case .any: return true
        case .exactly(let n): return n == cached.headSeq
        case .noRun: return false
        }
    }

    /// Writes what is left of the run's events, compacts small chunks, and updates the catalog.
    /// - Parameter mergeOlder: whether compaction may merge chunks written before this transaction
    ///   (only when a rollback, not ``undo(_:)``, would take it back).
    func finish(_ w: inout RunWrite, mergeOlder: Bool) throws(JournalError) {
        guard w.accepted > 0 else { return }
        try flushChunk(&w)
        let done = w.cursor.state.endedAt != nil
        if !mergeOlder, let t = w.cursor.tailFirstSeq, t <= w.start.headSeq {
            // Chunks from before this transaction stay as they are: undo could not restore a merge.
            w.cursor.tailFirstSeq = nil
            w.cursor.tailBytes = 0
        }
        let holding = windowStart != nil && db.dialect == .sqlite
        if w.cursor.tailFirstSeq != nil && (w.cursor.tailBytes >= Int64(config.chunkBytes) || done) {
            // Held: nothing after this can fail, so the merged chunk may be compressed meanwhile.
            try compactTail(&w, offload: holding)
        }
        var row = RunRow(
            rid: w.cursor.rid ?? 0, id: w.cursor.id, parent: w.cursor.parent, forkSeq: w.cursor.forkSeq,
            forkHash: w.cursor.row?.forkHash, headSeq: w.cursor.headSeq, headHash: w.cursor.headHash, goal: nil,
            status: "", startedAt: nil, endedAt: nil, inputTokens: 0, outputTokens: 0, costUSD: 0,
            rawBytes: w.cursor.rawBytes, tailFirstSeq: w.cursor.tailFirstSeq, tailBytes: w.cursor.tailBytes)
        row.summarize(w.cursor.state)
        if holding {
            // Nothing below can fail: a failed append leaves the held run as it was.
            hold(&w, row: row)
            remember(&w, row: row, done: done)
            return
        }
        let stored = try writeHead(row, replacing: (w.start.headSeq, w.start.headHash), chunk: w.deferredChunk)
        w.deferredChunk = nil
        guard stored else {
            // The catalog's head moved since this writer's cached cursor (another process appended):
            // the events' seqs are taken. Nothing was written by the update.
            cache[w.cursor.id] = nil
            let actual = try reader.run(named: w.cursor.id)?.headSeq
            throw AppendConflict(
                run: w.cursor.id, expected: w.expecting ?? .exactly(w.start.headSeq), actual: actual,
                firstSeq: w.start.headSeq + 1, expectedFromCache: true
            ).error
        }
        remember(&w, row: row, done: done)
    }

    /// Caches the run's cursor, now at `row`, for its next append (a completed run takes none).
    private func remember(_ w: inout RunWrite, row: RunRow, done: Bool) {
        w.cursor.row = row
        if cache.count > 4096 { cache.removeAll() }
        cache[w.cursor.id] = done ? nil : w.cursor
    }
}
