import Foundation
import PlanJournalCore

/// Write windows: one SQLite transaction kept open over successive appends while the writer is
/// alone on the journal, each append first written to the append log (see ``AppendLog``), and
/// the replay of a log that a writer which died left behind.
extension JournalWriter {
    /// Whether the open window should commit now (old enough, or large). A window whose tails are
    /// still being compressed gets up to three more window lengths to finish them, because the
    /// commit would otherwise wait for the compressor while appends queue up behind it.
    var windowDue: Bool {
        guard let windowStart else { return false }
        if windowEvents >= 20_000 { return true }
        let age = ContinuousClock.now - windowStart
        let length = Duration.microseconds(config.commitWindowMicroseconds)
        if age < length { return false }
        return age >= length * 4 || windowCompressor?.isBusy != true
    }

    /// Makes the transaction just begun a write window when no other writer has the journal open,
    /// replaying what a window that failed to commit left in the append log first.
    /// - Returns: whether a window is open.
    func openWindow() throws(JournalError) -> Bool {
        // `.full` durability acknowledges a window's appends only once the log is synced.
        guard let log = appendLog, config.durability == .normal || log.syncer != nil, log.tryExclusive() else {
            return false
        }
        // Another journal's records must not stay ahead of this window's.
        if log.size > 0, try replay(log).otherJournal { log.empty() }
        if let journalID { log.stamp(journalID) }
        windowStart = .now
        windowEvents = 0
        return true
    }

    /// The journal's random id (`meta.journal_id`, made in a transaction of its own the first
    /// time a writer with an append log opens the journal); the log names it (see ``AppendLog``).
    static func journalIdentity(_ db: any SQLDatabase) throws(JournalError) -> String? {
        func read() throws(JournalError) -> String? {
            let s = try db.statement("SELECT value FROM meta WHERE key = 'journal_id'")
            defer { s.reset() }
            return try s.step() ? s.text(0) : nil
        }
        if let id = try read() { return id }
        try db.transaction { () throws(JournalError) in
            try db.statement("INSERT INTO meta(key, value) VALUES ('journal_id', ?) ON CONFLICT(key) DO NOTHING")
                .bind(.text(UUID().uuidString.lowercased())).run()
        }
        return try read()
    }

    /// Commits the open write window (if any) and empties the append log.
    /// - Throws: the commit's error; the window is rolled back, and its appends, still in the log,
    ///   are replayed at once or by the next write.
    func commitWindow() throws(JournalError) {
        guard windowStart != nil else { return }
        windowStart = nil
        windowEvents = 0
        cacheTrusted = false
        do {
            try spillHeld()
            try db.run("COMMIT")
            dictionaries.committedTraining()
            // With `synchronous=FULL` the commit is on disk: the log need not be synced for it.
            if config.durability == .full { appendLog?.syncer?.markDurable() }
        } catch {
            if db.inTransaction { try? db.run("ROLLBACK") }
            dropCache()
            try? recoverAppendLog()
            if let log = appendLog, log.exclusive, log.size > 0 { commitFailure = error }
            throw error
        }
        commitFailure = nil
        appendLog?.empty()
        appendLog?.makeShared()
    }

    /// Commits the open window and leaves the journal's files as a writer that ends should: the
    /// append log removed and the WAL copied into the database file when no other writer has the
    /// journal open (SQLite does that when its last connection closes, but a process may end
    /// first). The writer commits appends one by one afterwards.
    func close() throws(JournalError) {
        try commitWindow()
        appendLog?.close()
        // Passive: a reader's open transaction must not hold up the end of the process.
        if let sqlite = db as? SQLiteConnection { _ = try? sqlite.checkpointPassive() }
    }

    /// Replays the append log when a window failed to commit (it then holds records while no
    /// window is open), in a transaction of its own.
    func recoverAppendLog() throws(JournalError) {
        guard let log = appendLog, windowStart == nil, log.exclusive else { return }
        if log.size > 0 { try replayLog() }
        log.makeShared()
    }

    /// Replays the append log (its exclusive lock held) in a transaction of its own, then empties it.
    func replayLog() throws(JournalError) {
        guard let log = appendLog else { return }
        var unreplayed: [String] = []
        try db.transaction { () throws(JournalError) in unreplayed = try replay(log).unreplayed }
        commitFailure = nil
        dropCache()
        if !unreplayed.isEmpty {
            // What cannot be replayed is not thrown away unseen: the log is kept aside, and said.
            let kept = log.keepCopy().map { "; the log as it was is kept in \($0)" } ?? ""
            let shown = unreplayed.prefix(3).joined(separator: "; ") + (unreplayed.count > 3 ? "; …" : "")
            damagedLog = "the append log \(log.path) held appends that could not be added to the journal (\(shown))\(kept)"
        }
        log.empty()
    }

    /// Appends the log's records that are not in the journal yet (inside the current transaction).
    /// - Returns: what of the log could not be replayed, in words (damaged records, or all of
    ///   them when `otherJournal`: the log belongs to another journal, this file was deleted and
    ///   made again since, and nothing of it is replayed).
    private func replay(_ log: AppendLog) throws(JournalError) -> (otherJournal: Bool, unreplayed: [String]) {
        let (owner, records, tail) = log.records()
        if let owner, owner != journalID {
            return (true, records.isEmpty ? [] : ["its records are another journal's (this file was made again since)"])
        }
        var unreplayed: [String] = []
        for (k, record) in records.enumerated() {
            guard record.intact else {
                unreplayed.append("record \(k + 1) fails its checksum")
                continue
            }
            let lines = record.lines
            var events: [JournalEvent] = []
            for line in lines {
                guard let e = try? JournalEvent(canonical: line) else { break }
                events.append(e)
            }
            guard events.count == lines.count, let run = events.first?.run else {
                unreplayed.append("record \(k + 1) does not parse")
                continue
            }
            do {
                // Appends that were committed are conflicts here, and skipped.
                _ = try savepoint("replay") { () throws(JournalError) in try append(events, to: run, expecting: .any) }
            } catch {
                forgetRolledBack(run)
                // Any other failure (a full disk, a file this process cannot write) keeps the
                // log: emptied after a replay that added nothing, its appends would be lost.
                guard error.code == .conflict || error.code == .invalidEvent else { throw error }
                if error.code == .invalidEvent {
                    unreplayed.append("run \(run) seq \(events[0].seq)-\(events[events.count - 1].seq): \(error.message)")
                }
            }
        }
        // A record cut short by a crash was never acknowledged: not a loss, so nothing to keep.
        if tail == .damaged { unreplayed.append("a damaged record after record \(records.count)") }
        return (false, unreplayed)
    }

    /// Keeps what ``finish(_:mergeOlder:)`` would write for the run (its small chunk, merged with
    /// the one held from earlier appends of the window, and its catalog row) in ``held``.
    /// Internal for ``finish(_:mergeOlder:)``.
    func hold(_ w: inout RunWrite, row: RunRow) {
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
}
