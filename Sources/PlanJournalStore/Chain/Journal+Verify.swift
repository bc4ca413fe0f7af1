import PlanJournalCore
import Synchronization

/// What ``Journal/verify(run:trusting:progress:)`` found.
public struct VerifyReport: Sendable, Codable, Hashable {
    /// Runs checked.
    public var runs: Int = 0
    /// Events read back and checked (a fork's own events only, not those it shares with its parent).
    public var events: Int64 = 0
    /// Chunks read.
    public var chunks: Int = 0
    /// Stored snapshots found.
    public var snapshots: Int = 0
    /// Seals checked (see ``Journal/checkSeals(run:trusting:)``).
    public var seals: Int = 0
    /// Every failed check: damage to the file itself first, then each run's. A run's event checks
    /// stop at its first missing, damaged or changed event; its seals are still checked.
    public var problems: [Problem] = []

    /// Copies of the journal's append log kept aside because some of their records could not be
    /// replayed (``Journal/unreplayedAppends`` said so when it happened): damaged records, which
    /// may be acknowledged appends the journal lacks, or records of a journal file since made
    /// again. (A record a crash cut short was never acknowledged, and is not kept.) Not a problem
    /// of the stored bytes, so ``ok`` does not count them; listed until they are removed.
    public var keptAppendLogs: [String] = []

    /// Whether every check passed.
    public var ok: Bool { problems.isEmpty }

    /// One failed check.
    public struct Problem: Sendable, Codable, Hashable {
        /// The run concerned; empty for damage to the journal file itself (its catalog's index, say).
        public var run: String
        /// The first seq concerned, when known.
        public var seq: Int64?
        /// `journal.corrupt`, `journal.chain_broken`, `seal.broken` (a seal's signature does not
        /// verify, or an event was changed after sealing) or `seal.untrusted` (with trusted keys: a
        /// run with no sound seal by one of them, or events after the last).
        public var code: String
        /// What failed, naming the seqs concerned.
        public var message: String
    }
}

/// How far a ``Journal/verify(run:trusting:progress:)`` has come.
public struct VerifyProgress: Sendable, Hashable {
    /// Runs checked so far.
    public var runsChecked: Int
    /// Runs to check.
    public var runs: Int
    /// Events checked so far.
    public var events: Int64
}

extension Journal {
    /// Recomputes every hash chain and checks every stored byte that carries meaning: chunk bodies
    /// (decoded, split, each event's run and seq), chunk and head hashes, fork links, and snapshots
    /// (checksum, and equal to the fold of the events up to their seq).
    ///
    /// Seals are checked too: every stored seal's signature against its own public key, and that
    /// the events up to its seq still hash to what it signed (a change after sealing is reported as
    /// such, with the first changed seq). With `trusted` keys, every seal must also be by one of
    /// them and every run needs at least one such seal.
    /// - Parameters:
    ///   - run: one run, or every run when `nil`.
    ///   - trusted: the keys whose seals count; empty: seals are checked for integrity only.
    ///   - progress: called after each run is checked (from the thread that checked it).
    /// - Throws: `.notFound` for an unknown run, `.io` when the database fails; problems found are in the report.
    /// - Complexity: O(events) (twice for a sealed run); memory is a batch of chunks per thread,
    ///   plus 4 bytes per event of a sealed run.
    public func verify(
        run: String? = nil, trusting trusted: [SealPublicKey] = [], progress: (@Sendable (VerifyProgress) -> Void)? = nil
    ) throws(JournalError) -> VerifyReport {
        try verify(run: run, trusting: trusted, progress: progress, listingKeptLogs: true)
    }

    /// ``verify(run:trusting:progress:)``, without looking for kept append logs unless
    /// `listingKeptLogs`: an audit of every run, one at a time, listed the journal's folder for
    /// each (4,776 times over 60,000 files: 95 s instead of 2).
    package func verify(
        run: String?, trusting trusted: [SealPublicKey], progress: (@Sendable (VerifyProgress) -> Void)?, listingKeptLogs: Bool
    ) throws(JournalError) -> VerifyReport {
        var fileProblems: [VerifyReport.Problem] = []
        let rows = try withReader { (r) throws(JournalError) -> [RunRow] in
            if let run { return [try r.requireRun(run)] }
            fileProblems = Self.fileProblems(r)
            let rows = try r.allRuns()
            fileProblems += Self.repeatedIDs(rows)
            return rows.reversed()
        }
        // Runs are independent: checked on a few threads, each with a reader of its own, and
        // reported in the order listed.
        let keys = Set(trusted)
        let reports = Mutex([VerifyReport](repeating: VerifyReport(), count: rows.count))
        let done = Mutex(VerifyProgress(runsChecked: 0, runs: rows.count, events: 0))
        try ParallelWork.run(count: rows.count) { (take) throws(JournalError) in
            try withReader { (r) throws(JournalError) in
                // Read every dictionary again: verify trusts nothing it read before.
                r.dictionaries.reset()
                while let k = take() {
                    var report = VerifyReport()
                    report.runs = 1
                    // The run's row, chunks, snapshots and seals as of one commit: a writer
                    // appending to it meanwhile is not a broken chain.
                    try r.db.readTransaction { () throws(JournalError) in
                        let row = try r.run(rid: rows[k].rid) ?? rows[k]
                        Self.verify(row, reader: r, into: &report)
                        Self.verifySeals(row, reader: r, trusting: keys, into: &report)
                    }
                    reports.withLock { $0[k] = report }
                    if let progress {
                        progress(
                            done.withLock { d in
                                d.runsChecked += 1
                                d.events += report.events
                                return d
                            })
                    }
                }
            }
        }
        let kept = listingKeptLogs ? keptAppendLogs() : []
        return reports.withLock { parts in
            var total = VerifyReport(problems: fileProblems)
            total.keptAppendLogs = kept
            for part in parts {
                total.runs += part.runs
                total.events += part.events
                total.chunks += part.chunks
                total.snapshots += part.snapshots
                total.seals += part.seals
                total.problems += part.problems
            }
            return total
        }
    }

    /// The copies of this journal's append log kept aside because some of their records could not
    /// be replayed (`<journal>-pjlog.unreplayed-*`); none for PostgreSQL.
    func keptAppendLogs() -> [String] {
        guard !JournalBackend.isPostgres(path) else { return [] }
        return AppendLog.keptCopies(of: AppendLog.path(journalPath: JournalFileName.resolved(path)))
    }

    /// SQLite's own check of the whole file: every page, and every index against its table. The
    /// events' hash chains cannot see a damaged index, yet one of the catalog hides a run from
    /// lookups by id and lets an ingest add a second run of that id. (PostgreSQL keeps its own
    /// checksums.)
    private static func fileProblems(_ r: JournalReader) -> [VerifyReport.Problem] {
        guard r.db.dialect == .sqlite else { return [] }
        var lines: [String] = []
        do throws(JournalError) {
            let s = try r.db.statement("PRAGMA integrity_check(20)")
            defer { s.reset() }
            while try s.step() { lines.append(s.text(0) ?? "") }
        } catch {
            lines = [error.message]
        }
        guard lines != ["ok"] else { return [] }
        return lines.map { .init(run: "", seq: nil, code: JournalError.Code.corrupt.name, message: "the SQLite file is damaged: \($0)") }
    }

    /// A run id the catalog holds more than once (through a damaged index).
    private static func repeatedIDs(_ rows: [RunRow]) -> [VerifyReport.Problem] {
        var seen = Set<ExactString>()
        var repeated: [VerifyReport.Problem] = []
        for row in rows where !seen.insert(ExactString(row.id)).inserted {
            repeated.append(.init(run: row.id, seq: nil, code: JournalError.Code.corrupt.name, message: "the catalog lists this run more than once"))
        }
        return repeated
    }

    private static func verify(_ row: RunRow, reader r: JournalReader, into report: inout VerifyReport) {
        func problem(_ seq: Int64?, _ code: JournalError.Code, _ message: String) {
            report.problems.append(.init(run: row.id, seq: seq, code: code.name, message: message))
        }
        do throws(JournalError) {
            var chain = HashChain()
            var state = PlanState(run: row.id)
            let projection = PlanProjection()
            if let forkSeq = row.forkSeq, let parentRow = try r.parentRow(of: row) {
                let expected = try r.chainHash(of: parentRow, at: forkSeq)
                guard expected == row.forkHash else {
                    return problem(forkSeq, .chainBroken, "the fork's start hash differs from its parent's hash at seq \(forkSeq)")
                }
                chain = HashChain(head: expected)
                state = try r.state(of: parentRow, at: forkSeq)
                state.run = row.id
            }
            var snapshots = try snapshotSeqs(row, r)
            report.snapshots += snapshots.count
            var next = row.firstOwnSeq
            // A batch of chunks at a time, as reads take them: memory stays bounded however long the run.
            var source = JournalReader.ChunkSource(reader: r, run: row.id, rid: row.rid, from: 0, to: .max)
            while let chunk = try source.nextChunk() {
                report.chunks += 1
                guard chunk.firstSeq == next, chunk.lastSeq >= chunk.firstSeq else {
                    return problem(
                        next, .corrupt, "seq \(next) is missing: the next chunk starts at seq \(chunk.firstSeq)")
                }
                let lines: [ArraySlice<UInt8>]
                do {
                    lines = try chunk.lines(run: row.id, reader: r)
                } catch {
                    return problem(
                        chunk.firstSeq, .corrupt,
                        "the chunk of seq \(chunk.firstSeq)-\(chunk.lastSeq) cannot be read: \(error.message)")
                }
                for line in lines { chain.append(line) }
                guard chain.head == chunk.hash else {
                    return problem(
                        chunk.firstSeq, .chainBroken,
                        "the hash chain breaks in seq \(chunk.firstSeq)-\(chunk.lastSeq): an event was changed")
                }
                for (k, line) in lines.enumerated() {
                    let seq = chunk.firstSeq + Int64(k)
                    guard let event = try? JournalEvent(parsing: Array(line)), event.seq == seq, event.run == row.id else {
                        return problem(seq, .corrupt, "the stored event at seq \(seq) is damaged")
                    }
                    projection.apply(&state, event)
                    if let first = snapshots.first, first == seq {
                        snapshots.removeFirst()
                        do {
                            guard let stored = try r.storedSnapshot(of: row, atOrBefore: seq), stored.seq == seq else {
                                return problem(seq, .corrupt, "the snapshot at seq \(seq) cannot be read")
                            }
                            // A stale snapshot (an earlier projection's) is only checked against its checksum.
                            if let snap = stored.state, snap != state {
                                problem(seq, .corrupt, "the snapshot at seq \(seq) differs from the events it summarizes")
                            }
                        } catch {
                            problem(seq, .corrupt, error.message)
                        }
                    }
                    report.events += 1
                }
                next = chunk.lastSeq + 1
            }
            guard next == row.headSeq + 1 else {
                return problem(next, .corrupt, "the catalog says the run ends at seq \(row.headSeq), the events end at \(next - 1)")
            }
            guard chain.head == row.headHash else {
                return problem(row.headSeq, .chainBroken, "the run's head hash differs from its recomputed hash chain")
            }
            if let orphan = snapshots.first {
                problem(orphan, .corrupt, "a snapshot at seq \(orphan) has no event")
            }
            if let field = catalogMismatch(row, state) {
                problem(
                    nil, .corrupt,
                    "the run catalog's \(field) differs from what the run's events say (a journal an older planj wrote, "
                        + "which counted it otherwise, is brought up to date by `planj migrate`)")
            }
        } catch {
            problem(error.context.seq, error.code, error.message)
        }
    }

    /// The first column of the catalog row (what `planj runs` lists) that differs from the state
    /// the run's events fold to; `nil` when they agree. The catalog is kept with the events, but
    /// is not covered by their hash chain.
    static func catalogMismatch(_ row: RunRow, _ state: PlanState) -> String? {
        let cost = state.totals.costUSD
        let checks: [(String, Bool)] = [
            ("status", row.status == state.status),
            // PostgreSQL's text holds no NUL: a catalog there has U+FFFD for it.
            ("goal", row.goal?.withNULReplaced == state.goal?.withNULReplaced),
            ("started_at", row.startedAt == state.startedAt?.microseconds),
            ("ended_at", row.endedAt == state.endedAt?.microseconds),
            ("input_tokens", row.inputTokens == state.totals.inputTokens),
            ("output_tokens", row.outputTokens == state.totals.outputTokens),
            ("cost_usd", abs(row.costUSD - cost) <= 1e-9 * max(1, abs(cost))),
        ]
        return checks.first { !$0.1 }?.0
    }

    private static func verifySeals(
        _ row: RunRow, reader r: JournalReader, trusting trusted: Set<SealPublicKey>, into report: inout VerifyReport
    ) {
        do throws(JournalError) {
            for check in try r.checkSeals(of: row, trusting: trusted) {
                if check.seal != nil { report.seals += 1 }
                let code: JournalError.Code
                switch check.status {
                // A sound seal by a key not trusted is no problem by itself (a run may be
                // co-signed); a run needs one by a trusted key (`.unsealed` otherwise).
                case .valid, .untrustedKey: continue
                case .signatureInvalid, .changedAfterSealing: code = .sealBroken
                case .unsealed, .unsealedTail: code = .sealUntrusted
                }
                report.problems.append(.init(run: row.id, seq: check.seq, code: code.name, message: check.message))
            }
        } catch {
            report.problems.append(.init(run: row.id, seq: error.context.seq, code: error.code.name, message: error.message))
        }
    }

    private static func snapshotSeqs(_ row: RunRow, _ r: JournalReader) throws(JournalError) -> [Int64] {
        let s = try r.db.statement("SELECT seq FROM snapshots WHERE rid = ? ORDER BY seq").bind(.int(row.rid))
        defer { s.reset() }
        var out: [Int64] = []
        while try s.step() { out.append(s.int(0)) }
        return out
    }
}
