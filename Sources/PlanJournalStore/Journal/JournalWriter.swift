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
    private let projection = PlanProjection()
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
    private let codec = LZ4DictionaryCodec()
    /// The dictionary new chunks are compressed against; `nil` until one is trained.
    var dictionary: CompressionDictionary?
    /// Samples chunks until there is enough to train a dictionary.
    private var trainer: DictionaryTrainer?
    /// No dictionary yet: the first chunk written starts a trainer with the chunks stored last.
    private var trainsOnStoredChunks = false
    /// The runs whose chunks the trainer sampled since the last commit: an ingest may still reject
    /// them, and nothing of a rejected run may stay in the journal (``untrain(_:)``).
    private var sampledRuns: Set<Int64> = []
    /// The dictionary this transaction stored, if any.
    private var storedDictionary: Int64?
    /// During an ingest: compresses chunks off this thread, replacing repeated long strings by
    /// references (``RepeatedStrings``).
    private var compressor: ChunkCompressor?
    /// The compressor of the last ingest, idle, for the next one: files ingested one after another
    /// by one command share its thread and its prepared dictionary state.
    private var spareCompressor: ChunkCompressor?
    /// The long strings ingests stored, for the next chunks to reference: kept from one committed
    /// transaction to the next (the files of one command refer to each other's strings), dropped
    /// with a rollback.
    private var repeats = RepeatedStrings()
    /// The chunks written in this ingest that reference each run's strings, by run (rid): what
    /// ``undo(_:)-(RunWrite.Undo)`` rewrites before it removes a run's events.
    private var referrers: [Int64: [(rid: Int64, first: Int64)]] = [:]
    /// Compresses the tails of held runs (``held``) off this thread; their chunks are inserted
    /// before the window commits (``settleWindowChunks()``). Started on first use.
    private(set) var windowCompressor: ChunkCompressor?
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
        reader = JournalReader(db: db)
        let sqlite = db as? SQLiteConnection
        checkpointer = sqlite.map { _ in Checkpointer(path: path) }
        // An immutable file is never written: no log (one left beside it is only reported).
        appendLog =
            sqlite.map { !$0.immutable } == true && config.commitWindowMicroseconds > 0
            ? AppendLog(journalPath: JournalFileName.resolved(path)) : nil
        if let sqlite {
            try Self.configure(sqlite, durability: config.durability)
            // Savepoints' journals in memory: by default SQLite spills one past 64 KiB to a temp
            // file, created, written and unlinked each time (an append that compacts a tail
            // rewrites pages the window dirtied, and each is journaled first).
            try sqlite.execute("PRAGMA temp_store=MEMORY")
        }
        try Schema.migrate(db)
        try loadDictionary()
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

    func loadDictionary() throws(JournalError) {
        reader.dictionaries.reset()
        dictionary = try reader.dictionaries.latestIntact()
        trainer = nil
        trainsOnStoredChunks = dictionary == nil && config.dictionaryTrainingBytes > 0
        committedTraining()
    }

    /// What was sampled and stored so far is committed: no rejection can take it back.
    func committedTraining() {
        sampledRuns.removeAll()
        storedDictionary = nil
    }

    /// Starts training afresh from what the journal stores when the trainer sampled chunks since
    /// the last commit (an append rolled back may have been among them).
    func forgetSamples() {
        guard !sampledRuns.isEmpty else { return }
        sampledRuns.removeAll()
        trainer = nil
        trainsOnStoredChunks = dictionary == nil && config.dictionaryTrainingBytes > 0
    }

    /// Takes the run `rid`, about to be removed, out of dictionary training: a dictionary this
    /// transaction trained on its chunks is withdrawn (the chunks compressed with it are compressed
    /// again without one), and training starts afresh on the chunks written from now on. Call
    /// with every chunk inserted (``settleChunks(wait:)``).
    private func untrain(_ rid: Int64) throws(JournalError) {
        guard sampledRuns.contains(rid) else { return }
        trainer = DictionaryTrainer()
        trainsOnStoredChunks = false
        sampledRuns.removeAll()
        guard let id = storedDictionary else { return }
        storedDictionary = nil
        dictionary = nil
        let trained = try reader.dictionaries.dictionary(id)
        var compressed: [(rid: Int64, first: Int64)] = []
        let s = try db.statement("SELECT rid, first_seq FROM chunks WHERE dict = ?").bind(.int(id))
        while try s.step() { compressed.append((s.int(0), s.int(1))) }
        s.reset()
        for (r, first) in compressed {
            guard let chunk = try reader.chunks(rid: r, from: first, to: first).first, chunk.firstSeq == first else { continue }
            let stored = try chunk.stored(run: "#\(r)", journal: db.path, dictionary: trained)
            let (c, body) = Codec.encode(stored, level: config.compressionLevel, dictionary: nil, codec: codec)
            try db.statement("UPDATE chunks SET codec = ?, body_sum = ?, dict = NULL, body = ? WHERE rid = ? AND first_seq = ?")
                .bind(
                    .int(c.rawValue | (chunk.codec & ChunkRow.referencesFlag)), .blob(ChunkRow.checksum(body)), .blob(body),
                    .int(r), .int(first)
                ).run()
        }
        try reader.dictionaries.withdraw(id)
    }

    /// The dictionary to compress `raw` with, training one from the first chunks written.
    private func dictionary(for raw: [UInt8], rid: Int64) throws(JournalError) -> CompressionDictionary? {
        if trainsOnStoredChunks {
            // What the journal already stores is sampled too: a journal written a little at a time
            // (a process per run, a runner's appends) would otherwise train on one process's writes,
            // often one run, whose text recurs little, or never write enough to train at all.
            // Sampled at the first chunk written, not on opening: a reader never pays for it.
            trainsOnStoredChunks = false
            var t = DictionaryTrainer()
            for body in (try? reader.recentChunkBodies(upTo: config.dictionaryTrainingBytes)) ?? [] { t.add(body) }
            trainer = t
        }
        if dictionary == nil, trainer != nil {
            trainer?.add(raw)
            sampledRuns.insert(rid)
            if let t = trainer, t.sampled >= config.dictionaryTrainingBytes {
                trainer = nil
                // Another writer (an ingest beside this one, on PostgreSQL) may have stored one
                // meanwhile: use it rather than add a second. Two writers training at once each
                // store their own (ids never repeat); each chunk names the one it was compressed with.
                if let stored = try reader.dictionaries.latestIntact() {
                    dictionary = stored
                } else {
                    let bytes = t.build()
                    if bytes.count >= 256 {
                        dictionary = try reader.dictionaries.insert(bytes)
                        storedDictionary = dictionary?.id
                    }
                }
            }
        }
        return dictionary
    }

    /// Compresses a chunk here and now.
    private func encodeChunk(_ raw: [UInt8], rid: Int64) throws(JournalError) -> (Codec, [UInt8], Int64?) {
        let dictionary = try dictionary(for: raw, rid: rid)
        let (c, body) = Codec.encode(raw, level: config.compressionLevel, dictionary: dictionary, codec: codec)
        return (c, body, c == .lz4Dictionary ? dictionary?.id : nil)
    }

    // MARK: - Compressing off the writer's thread

    /// Compresses chunks on a second thread until ``endBackgroundCompression()``.
    func beginBackgroundCompression() {
        // A transaction begins: what the last one sampled is committed (or was rolled back).
        committedTraining()
        if dictionary == nil && trainer == nil && !trainsOnStoredChunks { trainsOnStoredChunks = config.dictionaryTrainingBytes > 0 }
        if let spare = spareCompressor {
            spare.beginTransaction()
            compressor = spare
            spareCompressor = nil
        } else {
            compressor = ChunkCompressor(repeats: repeats)
        }
    }

    /// Inserts every chunk still being compressed; the idle compressor is kept for the next ingest.
    func endBackgroundCompression() throws(JournalError) {
        try settleChunks()
        spareCompressor = compressor
        compressor = nil
        referrers.removeAll()
    }

    /// Inserts the chunks compressed so far (with `wait`, every queued one: do this before reading
    /// or deleting chunks).
    func settleChunks(wait: Bool = true) throws(JournalError) {
        try insertCompressed(by: compressor, wait: wait)
    }

    /// Inserts the chunks `compressor` has compressed (with `wait`, every queued one).
    private func insertCompressed(by compressor: ChunkCompressor?, wait: Bool) throws(JournalError) {
        guard let compressor else { return }
        for d in compressor.take(all: wait) {
            try insertChunk(
                rid: d.job.rid, first: d.job.first, last: d.job.last, codec: d.codec, references: d.targets != nil,
                rawLength: d.storedLength, hash: d.job.hash,
                dictionary: d.codec == .lz4Dictionary ? d.job.dictionary?.id : nil, body: d.body, bodySum: d.bodySum)
            for target in d.targets ?? [] { referrers[target, default: []].append((d.job.rid, d.job.first)) }
        }
    }

    /// WAL mode and the sync level; shared with readers' connections.
    static func configure(_ db: SQLiteConnection, durability: JournalConfiguration.Durability) throws(JournalError) {
        // Read as it is: nothing to switch, and nothing will be written.
        guard !db.immutable else { return }
        // Switching a new file to WAL needs an exclusive lock, and SQLite reports "busy" at once
        // (without its busy handler) when other processes open the same new journal together.
        var attempt = 0
        while true {
            do {
                try db.execute("PRAGMA journal_mode=WAL")
                break
            } catch where error.isLockTimeout && attempt < 600 {
                attempt += 1
                usleep(useconds_t(5_000 + Int.random(in: 0..<20_000)))
            }
        }
        try db.execute(durability == .full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        // 4 MB: appends touch the right edge of each table and the tails of a few runs. 16 MB
        // held 14 MB more at the end of a 106 MB ingest (memory that grew with the input) for no
        // measurable speed.
        try db.execute("PRAGMA cache_size=-4000")
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
        try? loadDictionary()
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

    private var lastStoredLookup: (rid: Int64, chunk: ChunkRow, lines: [ArraySlice<UInt8>])?

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

    private static func different(_ event: JournalEvent, head: Int64) -> JournalError {
        JournalError(
            .conflict,
            "the journal already holds a different event at this seq (head is \(head)); events cannot be replaced",
            context: .init(run: event.run, seq: event.seq))
    }

    /// Writes the buffered events as one chunk.
    func flushChunk(_ w: inout RunWrite) throws(JournalError) {
        guard w.bufferedBytes > 0 else { return }
        let raw = try w.bufferedLines()
        let rid = try ensureRow(&w)
        let small = raw.count < config.chunkBytes / 2
        if !small && w.cursor.tailFirstSeq != nil {
            // A full chunk closes the run of small ones before it: merge them now, as chunks cover
            // consecutive seqs. (Ingest leaves chunks older than its transaction alone: see finish.)
            if compressor == nil {
                try compactTail(&w)
            } else {
                w.cursor.tailFirstSeq = nil
                w.cursor.tailBytes = 0
            }
        }
        try insertDeferredChunk(&w)
        if small && compressor == nil {
            // A few events appended at a time: stored as they are, and compressed once, with their
            // neighbours, when the tail is compacted. Held back until the catalog update, which
            // writes it in the same statement (one round trip fewer on PostgreSQL).
            w.deferredChunk = RunWrite.DeferredChunk(
                first: w.bufferFirstSeq, last: w.cursor.headSeq, hash: w.cursor.headHash, body: raw)
        } else if let compressor {
            compressor.submit(
                .init(
                    rid: rid, first: w.bufferFirstSeq, last: w.cursor.headSeq, raw: raw, hash: w.cursor.headHash,
                    dictionary: try dictionary(for: raw, rid: rid), level: config.compressionLevel, replacingRepeats: true))
            try settleChunks(wait: false)
        } else {
            let (codec, body, dict) = try encodeChunk(raw, rid: rid)
            try insertChunk(
                rid: rid, first: w.bufferFirstSeq, last: w.cursor.headSeq, codec: codec, rawLength: raw.count,
                hash: w.cursor.headHash, dictionary: dict, body: body)
        }
        w.lastChunkFirstSeq = w.bufferFirstSeq
        w.cursor.rawBytes += Int64(raw.count)
        if small {
            if w.cursor.tailFirstSeq == nil { w.cursor.tailFirstSeq = w.bufferFirstSeq }
            w.cursor.tailBytes += Int64(raw.count)
        }
        w.clearBuffer()
        for state in w.pendingSnapshots {
            let snap = try SnapshotCodec.encode(state)
            try db.statement(
                """
                INSERT INTO snapshots(rid, seq, codec, raw_len, checksum, body) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(rid, seq) DO UPDATE SET codec = excluded.codec, raw_len = excluded.raw_len,
                  checksum = excluded.checksum, body = excluded.body
                """
            ).bind(
                .int(rid), .int(state.seq), .int(snap.codec.rawValue), .int(Int64(snap.rawLength)), .blob(snap.checksum),
                .blob(snap.body)
            ).run()
        }
        w.pendingSnapshots.removeAll()
    }

    /// Inserts the small chunk ``flushChunk(_:)`` held back, if any.
    func insertDeferredChunk(_ w: inout RunWrite) throws(JournalError) {
        guard let chunk = w.deferredChunk, let rid = w.cursor.rid else { return }
        w.deferredChunk = nil
        try insertChunk(chunk, rid: rid)
    }

    /// Inserts a small chunk held back from ``flushChunk(_:)``, stored raw.
    func insertChunk(_ chunk: RunWrite.DeferredChunk, rid: Int64) throws(JournalError) {
        try insertChunk(
            rid: rid, first: chunk.first, last: chunk.last, codec: .raw, rawLength: chunk.body.count, hash: chunk.hash,
            dictionary: nil, body: chunk.body)
    }

    /// Inserts a chunk row; `bodySum` is the body's ``ChunkRow/checksum(_:)`` when already computed;
    /// `references`: the body holds ``StringReference``s.
    func insertChunk(
        rid: Int64, first: Int64, last: Int64, codec: Codec, references: Bool = false, rawLength: Int, hash: [UInt8],
        dictionary: Int64?, body: [UInt8], bodySum: [UInt8]? = nil
    ) throws(JournalError) {
        try db.statement(
            """
            INSERT INTO chunks(rid, first_seq, last_seq, codec, raw_len, hash, body_sum, dict, body)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).bind(
            .int(rid), .int(first), .int(last), .int(codec.rawValue | (references ? ChunkRow.referencesFlag : 0)),
            .int(Int64(rawLength)), .blob(hash), .blob(bodySum ?? ChunkRow.checksum(body)),
            dictionary.map { .int($0) } ?? .null, .blob(body)
        ).run()
    }

    private func ensureRow(_ w: inout RunWrite) throws(JournalError) -> Int64 {
        if let rid = w.cursor.rid { return rid }
        let s = try db.statement("INSERT INTO runs(id, head_seq, head_hash) VALUES (?, 0, ?) RETURNING rid")
            .bind(.text(w.cursor.id), .blob(HashChain.genesis))
        defer { s.reset() }
        guard try s.step() else {
            throw JournalError(.io, "the run was not added to the catalog", context: .init(run: w.cursor.id))
        }
        let rid = s.int(0)
        w.cursor.rid = rid
        return rid
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

    /// Keeps what ``finish(_:mergeOlder:)`` would write for the run (its small chunk, merged with
    /// the one held from earlier appends of the window, and its catalog row) in ``held``.
    private func hold(_ w: inout RunWrite, row: RunRow) {
        var h =
            held.removeValue(forKey: w.cursor.id)
            ?? HeldRun(row: row, catalogHead: (w.start.headSeq, w.start.headHash), chunk: nil)
        if w.compactedHeld { h.chunk = nil }
        if let d = w.deferredChunk {
            if var c = h.chunk {
                h.chunk = nil  // `c` is the only reference: the append below does not copy the body
                c.body.append(contentsOf: d.body)
                c.last = d.last
                c.hash = d.hash
                h.chunk = c
            } else {
                h.chunk = d
            }
            w.deferredChunk = nil
        }
        h.row = row
        held[w.cursor.id] = h
    }

    /// Writes the held chunk and catalog row of `run` (if any) in the current transaction.
    /// - Throws: `.io` when the catalog row is not as the window left it (nothing is then held
    ///   for the run any more: the caller rolls the window back).
    func spillHeld(_ run: String) throws(JournalError) {
        guard held[run] != nil else { return }
        try settleWindowChunks()
        guard let h = held.removeValue(forKey: run) else { return }
        guard try writeHead(h.row, replacing: h.catalogHead, chunk: h.chunk) else {
            throw JournalError(
                .io, "the catalog row of the run changed during a write window", context: .init(run: run))
        }
    }

    /// Writes every held chunk and catalog row (before the window commits).
    func spillHeld() throws(JournalError) {
        try settleWindowChunks()
        for run in Array(held.keys) { try spillHeld(run) }
    }

    /// Inserts the tails ``windowCompressor`` compressed, waiting for the ones it is still on.
    private func settleWindowChunks() throws(JournalError) {
        try insertCompressed(by: windowCompressor, wait: true)
    }

    /// Merges the run's small chunks into one, so appends of a few events at a time still end up
    /// in well-compressed chunks. The chunk held for the run in the open window (``held``) and the
    /// one this append holds back are merged from memory, without being inserted first.
    /// When the held chunk is merged, `w.compactedHeld` says so (``held`` itself is left as it is,
    /// so a failure after this leaves it intact).
    private func compactTail(_ w: inout RunWrite, offload: Bool = false) throws(JournalError) {
        guard let rid = w.cursor.rid, let from = w.cursor.tailFirstSeq else { return }
        let tailBytes = w.cursor.tailBytes
        w.cursor.tailFirstSeq = nil
        w.cursor.tailBytes = 0
        // During ingest the tail is the one chunk just written, and the compressor already did it.
        if compressor != nil && from == w.lastChunkFirstSeq { return }
        try settleChunks()
        let heldChunk = held[w.cursor.id]?.chunk
        var memory: [RunWrite.DeferredChunk] = []
        if let heldChunk { memory.append(heldChunk) }
        if let d = w.deferredChunk { memory.append(d) }
        let stored = try reader.chunks(rid: rid, from: from, to: .max).filter { $0.firstSeq >= from }
        if memory.isEmpty, stored.count == 1, let only = stored.first, only.codec != Codec.raw.rawValue { return }
        guard let first = stored.first?.firstSeq ?? memory.first?.first,
            let last = memory.last.map({ ($0.last, $0.hash) }) ?? stored.last.map({ ($0.lastSeq, $0.hash) })
        else { return }
        var raw: [UInt8] = []
        raw.reserveCapacity(Int(min(tailBytes, 1 << 24)))
        for chunk in stored {
            raw.append(contentsOf: try chunk.body(run: w.cursor.id, reader: reader))
        }
        for chunk in memory { raw.append(contentsOf: chunk.body) }
        if !stored.isEmpty {
            try db.statement("DELETE FROM chunks WHERE rid = ? AND first_seq >= ?").bind(.int(rid), .int(from)).run()
        }
        if offload {
            let compressor = windowCompressor ?? ChunkCompressor()
            windowCompressor = compressor
            compressor.submit(
                .init(
                    rid: rid, first: first, last: last.0, raw: raw, hash: last.1, dictionary: try dictionary(for: raw, rid: rid),
                    level: config.compressionLevel))
        } else {
            let (codec, body, dict) = try encodeChunk(raw, rid: rid)
            try insertChunk(
                rid: rid, first: first, last: last.0, codec: codec, rawLength: raw.count, hash: last.1,
                dictionary: dict, body: body)
        }
        w.deferredChunk = nil
        if heldChunk != nil { w.compactedHeld = true }
    }

    /// Removes what this transaction wrote for the run (a rejected run).
    func undo(_ w: RunWrite) throws(JournalError) {
        try undo(w.undoRecord)
    }

    /// Removes what this transaction wrote for a run, from its undo record.
    func undo(_ w: RunWrite.Undo) throws(JournalError) {
        cache[w.id] = nil
        lastStoredLookup = nil
        try settleChunks()
        guard let rid = w.rid else { return }
        // The run's rid may be given to the next new run: forget what was read of it.
        defer { reader.referencedChunks.reset() }
        try dropReferences(to: rid)
        try untrain(rid)
        guard let row = w.startRow else {
            try db.statement("DELETE FROM chunks WHERE rid = ?").bind(.int(rid)).run()
            try db.statement("DELETE FROM snapshots WHERE rid = ?").bind(.int(rid)).run()
            try db.statement("DELETE FROM runs WHERE rid = ?").bind(.int(rid)).run()
            return
        }
        try db.statement("DELETE FROM chunks WHERE rid = ? AND first_seq > ?").bind(.int(rid), .int(row.headSeq)).run()
        try db.statement("DELETE FROM snapshots WHERE rid = ? AND seq > ?").bind(.int(rid), .int(row.headSeq)).run()
        var restored = row
        restored.rid = rid
        try writeCatalog(restored)
    }

    /// Stops later chunks from referencing the strings of the run `rid`, and stores the chunks of
    /// this ingest that do reference them with those strings in place: the run's events are about
    /// to be removed.
    private func dropReferences(to rid: Int64) throws(JournalError) {
        compressor?.forget(rid: rid)
        for (r, first) in referrers.removeValue(forKey: rid) ?? [] where r != rid {
            guard let chunk = try reader.chunks(rid: r, from: first, to: first).first, chunk.firstSeq == first,
                chunk.hasReferences
            else { continue }
            let raw = try reader.expandedBody(of: chunk, run: try reader.run(rid: r)?.id ?? "#\(r)")
            let (codec, body, dict) = try encodeChunk(raw, rid: r)
            try db.statement(
                "UPDATE chunks SET codec = ?, raw_len = ?, body_sum = ?, dict = ?, body = ? WHERE rid = ? AND first_seq = ?"
            ).bind(
                .int(codec.rawValue), .int(Int64(raw.count)), .blob(ChunkRow.checksum(body)),
                dict.map { .int($0) } ?? .null, .blob(body), .int(r), .int(first)
            ).run()
        }
    }
}
