import Foundation
import PlanJournalCore
import Synchronization

/// Appends and group commits: each append of a group is its own savepoint, so one that fails
/// leaves the others of its transaction standing.
extension JournalWriter {
    /// Appends `events` to `run` atomically within the current transaction.
    /// - Parameter chain: the events' chain heads computed ahead, used if they start from the run's head.
    func append(
        _ events: [JournalEvent], to run: String, expecting: ExpectedSeq, chain: PrecomputedChain? = nil
    ) throws(JournalError) -> AppendResult {
        refusedCursor = nil
        var w = try begin(run, trustingCache: mayTrustCache(run, firstSeq: events.first?.seq, expecting: expecting))
        let head = w.start.rid == nil ? nil : w.start.headSeq
        try expecting.check(run: run, head: head)
        guard let first = events.first else {
            return AppendResult(
                run: run, firstSeq: w.start.headSeq + 1, lastSeq: w.start.headSeq, head: w.start.headHash)
        }
        if first.seq <= w.start.headSeq {
            throw AppendConflict(run: run, expected: expecting, actual: head, firstSeq: first.seq).error
        }
        w.expecting = expecting
        let heads = chain?.heads(from: w.cursor.headHash)
        for (i, e) in events.enumerated() {
            guard e.run == run else {
                throw JournalError.invalid("run", "an append to run \(run) holds an event of run \(e.run)", run: run, seq: e.seq)
            }
            do {
                _ = try stage(e, into: &w, idempotent: false, chainedHead: heads?[i])
            } catch where i == 0 && error.code == .invalidEvent && db.dialect != .postgres {
                // Refused before anything changed (validation commits only what passes). Not on
                // PostgreSQL, where the cursor may have been trusted without reading the catalog
                // (``mayTrustCache``): another writer may have moved the head since.
                refusedCursor = w.cursor
                throw error
            }
        }
        try finish(&w, mergeOlder: true)
        return AppendResult(
            run: run, firstSeq: first.seq, lastSeq: w.cursor.headSeq, head: w.cursor.headHash)
    }

    /// What ``commitGroup(_:)`` did: each append's result, and the ticket to wait for before
    /// acknowledging any of them (with `.full` durability, when they are in a write window).
    struct GroupOutcome {
        var results: [Result<AppendResult, JournalError>]
        var ticket: DurabilityTicket?
    }

    /// Runs several appends in one transaction (group commit); each succeeds or fails on its own.
    ///
    /// With an append log (``AppendLog``) the transaction stays open as a write window after the
    /// group: the successful appends are written to the log before this returns, and the window
    /// commits once it is ``JournalConfiguration/commitWindowMicroseconds`` old. With `.full`
    /// durability the log must be synced before they are acknowledged: the outcome's ticket
    /// does that, outside the writer's lock, so the next group need not wait for the disk.
    func commitGroup(_ requests: [AppendRequest]) -> GroupOutcome {
        var results = appendGroup(requests)
        if db.transactionWasLost {
            // A PostgreSQL server restarted or ended the connection mid-transaction: nothing of
            // it was committed, so it is done again on a new connection, once.
            forgetLostTransaction()
            results = appendGroup(requests)
        }
        if results.contains(where: { if case .failure(let e) = $0 { e.code == .commitUncertain } else { false } }) {
            results = settleUncertain(requests, results)
        }
        // What the group wrote to the log is synced unless a commit made it durable meanwhile.
        let ticket = config.durability == .full ? appendLog?.syncer?.ticket() : nil
        return GroupOutcome(results: results, ticket: ticket)
    }

    /// What became of appends whose `COMMIT` lost its connection (a PostgreSQL server restarted
    /// or ended it as it committed), read on a new connection: an append whose events are the
    /// run's, byte for byte (the same chain hash), was committed and succeeds; one whose run
    /// still ends where it expected was not, and is done again, once; any other keeps its
    /// `.commitUncertain` error.
    func settleUncertain(
        _ requests: [AppendRequest], _ results: [Result<AppendResult, JournalError>]
    ) -> [Result<AppendResult, JournalError>] {
        forgetLostTransaction()
        var settled = results
        var again: [Int] = []
        for (k, r) in requests.enumerated() {
            guard case .failure(let error) = results[k], error.code == .commitUncertain else { continue }
            do {
                if let result = try committed(r) { settled[k] = .success(result) } else { again.append(k) }
            } catch {
                // Left uncertain: the run moved on, or it could not be read.
            }
        }
        guard !again.isEmpty else { return settled }
        let redone = appendGroup(again.map { requests[$0] })
        for (k, result) in zip(again, redone) { settled[k] = result }
        return settled
    }

    /// Forgets what a transaction whose connection was lost left cached (cursors, held chunks, a
    /// dictionary it trained), so what follows starts from what the database holds.
    private func forgetLostTransaction() {
        dropCache()
        dictionaries.forgetSamples()
        try? dictionaries.load()
    }

    /// Whether `request` is in the journal: its result when its events are there, `nil` when
    /// its run still ends where they would start.
    /// - Throws: when neither (another writer appended meanwhile), or the journal cannot be read.
    private func committed(_ request: AppendRequest) throws(JournalError) -> AppendResult? {
        guard let first = request.events.first?.seq, let last = request.events.last?.seq else { return nil }
        let row = try reader.run(named: request.run)
        let head = row?.headSeq ?? 0
        if head == first - 1 { return nil }
        guard let row, head >= last else { throw JournalError(.commitUncertain, "neither committed nor free") }
        let start = first == 1 ? HashChain.genesis : try reader.chainHash(of: row, at: first - 1)
        let stored = try reader.chainHash(of: row, at: last)
        guard PrecomputedChain(request.events, from: start).heads.last == stored else {
            throw JournalError(.commitUncertain, "other events at its seqs")
        }
        return AppendResult(run: request.run, firstSeq: first, lastSeq: last, head: stored)
    }

    /// ``commitGroup(_:)`` but for the ticket.
    private func appendGroup(_ requests: [AppendRequest]) -> [Result<AppendResult, JournalError>] {
        if Journal.writesStopped.load(ordering: .acquiring) {
            return requests.map { _ in .failure(JournalError(.io, "planj is ending: nothing more is written")) }
        }
        if let file, lastFileCheck.map({ $0.duration(to: .now) >= Self.fileCheckInterval }) ?? true {
            // Nothing goes to a file no one will open again, acknowledged.
            do {
                try file.check()
            } catch {
                return requests.map { _ in .failure(error) }
            }
            lastFileCheck = .now
        }
        var windowed = windowStart != nil
        if !windowed {
            do {
                try db.beginAppend(runs: requests.map(\.run))
                try checkDataVersion()
                windowed = try openWindow()
            } catch {
                if db.inTransaction { try? db.run("ROLLBACK") }
                windowStart = nil
                dropCache()
                return requests.map { _ in .failure(error) }
            }
        }
        if !windowed, requests.count == 1, let r = requests.first {
            // One append: its own transaction, no savepoint.
            defer { cacheTrusted = false }
            do {
                let result = try append(r.events, to: r.run, expecting: r.expecting, chain: r.chain)
                try db.run("COMMIT")
                return [.success(result)]
            } catch {
                if db.inTransaction { try? db.run("ROLLBACK") }
                forgetRolledBack(r.run)
                return [.failure(error.adding(journalPath: db.path))]
            }
        }
        var results: [Result<AppendResult, JournalError>] = []
        var appended = 0
        for r in requests {
            if windowed, held[r.run] != nil, cache[r.run] == nil || mayFillChunk(r.events) {
                // The append will read the run's catalog row and chunks, or write a full chunk:
                // write what is held for the run first, outside the append's savepoint.
                do {
                    try spillHeld(savepoint: r.run)
                } catch {
                    results.append(.failure(error.adding(journalPath: db.path)))
                    abandonWindow(error, failing: requests.count - results.count, into: &results)
                    return results
                }
            }
            do {
                let result = try savepoint("append") { () throws(JournalError) in
                    try append(r.events, to: r.run, expecting: r.expecting, chain: r.chain)
                }
                results.append(.success(result))
                if windowed, let appendLog {
                    appendLog.add(r.logRecord ?? AppendLogFormat.record(of: r.events))
                    appended += r.events.count
                }
            } catch {
                forgetRolledBack(r.run)
                results.append(.failure(error.adding(journalPath: db.path)))
                // The run's cursor is gone: write what is held for it, so the next append reads it back.
                if windowed, held[r.run] != nil {
                    do {
                        try spillHeld(savepoint: r.run)
                    } catch {
                        abandonWindow(error, failing: requests.count - results.count, into: &results)
                        return results
                    }
                }
            }
        }
        if windowed {
            windowEvents += appended
            var logged = true
            do {
                try appendLog?.flush()
            } catch {
                // Not in the log: commit before acknowledging.
                appendLog?.discardPending()
                logged = false
            }
            if logged && !windowDue { return results }
            do {
                try commitWindow()
            } catch {
                // Logged appends are replayed by the next write (``openWindow()``); these are not.
                if !logged { return requests.map { _ in .failure(error.adding(journalPath: db.path)) } }
            }
            return results
        }
        defer { cacheTrusted = false }
        do {
            try db.run("COMMIT")
        } catch {
            try? db.run("ROLLBACK")
            dropCache()
            return requests.map { _ in .failure(error) }
        }
        return results
    }

    /// Whether appending `events` may write a chunk of more than a few events (then nothing may
    /// be held for the run: see ``flushChunk(_:)``).
    private func mayFillChunk(_ events: [JournalEvent]) -> Bool {
        events.jsonLinesByteCount >= config.chunkBytes / 2
    }

    /// ``spillHeld(_:)`` of one run inside a savepoint of its own: on failure nothing of it is
    /// written and it stays held.
    private func spillHeld(savepoint run: String) throws(JournalError) {
        let h = held[run]
        do {
            try savepoint("spill") { () throws(JournalError) in try spillHeld(run) }
        } catch {
            held[run] = h
            throw error
        }
    }

    /// Gives up the open window after a failure that left it inconsistent: rolls it back and
    /// replays the append log (the acknowledged appends, and this group's successful ones), and
    /// fails the group's remaining `count` appends.
    private func abandonWindow(
        _ error: JournalError, failing count: Int, into results: inout [Result<AppendResult, JournalError>]
    ) {
        let flushed = (try? appendLog?.flush()) != nil
        if !flushed {
            appendLog?.discardPending()
            for k in results.indices where (try? results[k].get()) != nil { results[k] = .failure(error) }
        }
        if db.inTransaction { try? db.run("ROLLBACK") }
        windowStart = nil
        windowEvents = 0
        cacheTrusted = false
        dropCache()
        try? recoverAppendLog()
        results += Array(repeating: .failure(error.adding(journalPath: db.path)), count: count)
    }

    /// Runs `body` inside `SAVEPOINT name`: released when it returns, rolled back (and released)
    /// when it or the release throws, so a failure leaves the transaction as it was before.
    func savepoint<T>(_ name: String, _ body: () throws(JournalError) -> T) throws(JournalError) -> T {
        try db.run("SAVEPOINT \(name)")
        do {
            let value = try body()
            try db.run("RELEASE \(name)")
            return value
        } catch {
            try? db.run("ROLLBACK TO \(name)")
            try? db.run("RELEASE \(name)")
            throw error
        }
    }

    /// Forgets what a rolled-back append of `run` left cached: the run's cursor, and a dictionary
    /// the append trained (the rollback took it back).
    func forgetRolledBack(_ run: String) {
        if let kept = refusedCursor, ExactString(kept.id) == ExactString(run) {
            cache[run] = kept
        } else {
            cacheDrop(run)
        }
        refusedCursor = nil
        if let d = dictionaries.current, (try? reader.dictionaries.exists(d.id)) != true { try? dictionaries.load() }
        dictionaries.forgetSamples()
    }
}
