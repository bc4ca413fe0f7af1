import PlanJournalCore

/// What ``Journal/refreshReadModel(progress:)`` did.
public struct ReadModelReport: Sendable, Equatable, Codable {
    /// Runs in the journal.
    public var runs: Int
    /// Runs whose rows were written (new events since the last refresh).
    public var refreshed: Int
    /// Events read to do so.
    public var events: Int64
    /// Rows written (runs, steps, calls and call updates).
    public var rows: Int
    /// Whether the tables were (re)created from nothing: a first refresh, or tables of another version.
    public var rebuilt: Bool
}

extension Journal {
    /// Brings the SQL read model up to date: `read_runs`, `read_steps` and `read_calls`, plain
    /// tables in the journal's own database, one row per run, per step of any plan version, and
    /// per model or tool call, for queries in SQL (see ``query(_:)``).
    ///
    /// Only runs with events since the last refresh are read: each is folded to its last seq
    /// (from its nearest snapshot) for its run and step rows, and its new events are scanned for
    /// calls. Rows are written a few hundred runs per transaction, beside agents still appending
    /// (what they append after a run is read waits for the next refresh). The tables are derived
    /// data: the hash chain does not cover them and `verify` does not read them; tables of an
    /// older definition are dropped and rebuilt.
    /// - Parameter progress: called after each transaction with the runs done and the runs to do.
    /// - Throws: `.io`; `.corrupt` when a run's events cannot be read.
    public func refreshReadModel(progress: (Int, Int) -> Void = { _, _ in }) throws(JournalError) -> ReadModelReport {
        let rebuilt = try prepareReadModel()
        let catalog = try runs()
        let folded = try readModelMarks()
        let stale = catalog.filter { folded[ExactString($0.id)] != $0.events }
        var report = ReadModelReport(runs: catalog.count, refreshed: 0, events: 0, rows: 0, rebuilt: rebuilt)
        var batch: [ReadModelRows] = []
        var batchRows = 0
        for (k, summary) in stale.enumerated() {
            var rows = ReadModelRows(run: summary.id)
            let mark = folded[ExactString(summary.id)] ?? 0
            // The state at the last refresh (from its nearest snapshot), then one pass over the
            // events since, which folds them and finds their calls: each event is decoded once.
            let projection = PlanProjection()
            var state = mark == 0 ? projection.initial(run: summary.id) : try self.state(of: summary.id, at: mark)
            try forEachEvent(of: summary.id, from: mark + 1) { e in
                projection.apply(&state, e)
                rows.add(e, in: state)
            }
            rows.fold(state, summary: summary, forkGap: try forkGap(of: summary))
            report.events += max(0, state.seq - mark)
            batchRows += rows.count
            batch.append(rows)
            if batch.count >= 256 || batchRows >= 20_000 {
                report.rows += try writeReadModel(batch, unfinished: k < stale.count - 1)
                report.refreshed += batch.count
                progress(report.refreshed, stale.count)
                batch.removeAll(keepingCapacity: true)
                batchRows = 0
            }
        }
        report.rows += try writeReadModel(batch, unfinished: false)
        report.refreshed += batch.count
        if !batch.isEmpty { progress(report.refreshed, stale.count) }
        return report
    }

    /// Whether the read model's last refresh wrote some of its batches and never finished (its
    /// process was killed): its tables lack some runs until the next refresh.
    public func readModelIsUnfinished() throws(JournalError) -> Bool {
        try withReader { (r) throws(JournalError) in
            let read = try r.db.statement("SELECT 1 FROM meta WHERE key = 'read_model.unfinished'")
            defer { read.reset() }
            return try read.step()
        }
    }

    /// Creates the tables if missing, dropping those of another definition first.
    /// - Returns: whether the tables are new.
    private func prepareReadModel() throws(JournalError) -> Bool {
        try withWriter { (w) throws(JournalError) in
            try w.db.transaction { () throws(JournalError) -> Bool in
                let read = try w.db.statement("SELECT value FROM meta WHERE key = 'read_model'")
                let version = try read.step() ? read.text(0) : nil
                read.reset()
                if version == ReadModelSchema.version, try Self.readModelTablesExist(w.db) { return false }
                for table in ReadModelSchema.tables.reversed() { try w.db.execute("DROP TABLE IF EXISTS \(table)") }
                for sql in ReadModelSchema.create(w.db.dialect) { try w.db.execute(sql) }
                try w.db.statement(
                    "INSERT INTO meta(key, value) VALUES ('read_model', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                ).bind(.text(ReadModelSchema.version)).run()
                return true
            }
        }
    }

    /// The seq each run's rows were made at, by run id byte for byte (two Unicode spellings of an
    /// id are two runs, as everywhere in the journal).
    private func readModelMarks() throws(JournalError) -> [ExactString: Int64] {
        try withReader { (r) throws(JournalError) in
            let read = try r.db.statement("SELECT run, events FROM read_runs")
            var out: [ExactString: Int64] = [:]
            while try read.step() { out[ExactString(read.text(0) ?? "")] = read.int(1) }
            return out
        }
    }

    /// How long after its fork point a fork's own first event came (a replay made days later),
    /// which its duration leaves out; `nil` for a run that is no fork or has no event of its own.
    private func forkGap(of summary: RunSummary) throws(JournalError) -> Duration? {
        guard let seq = summary.forkSeq, summary.events > seq else { return nil }
        let pair = try events(of: summary.id, from: seq, to: seq + 1)
        guard pair.count == 2 else { return nil }
        return .microseconds(max(0, pair[1].ts.microseconds - pair[0].ts.microseconds))
    }

    /// Whether every table of the read model is there (one dropped by hand makes the others'
    /// rows incomplete: all are rebuilt).
    private static func readModelTablesExist(_ db: any SQLDatabase) throws(JournalError) -> Bool {
        for table in ReadModelSchema.tables {
            let s = try db.statement(
                db.dialect == .sqlite
                    ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
                    : "SELECT CASE WHEN to_regclass(?) IS NULL THEN 0 ELSE 1 END"
            ).bind(.text(table))
            defer { s.reset() }
            guard try s.step(), s.int(0) == 1 else { return false }
        }
        return true
    }

    /// Writes `batch` in one transaction, marking the refresh `unfinished` (more batches follow)
    /// or not in `meta`. - Returns: the rows written.
    private func writeReadModel(_ batch: [ReadModelRows], unfinished: Bool) throws(JournalError) -> Int {
        guard !batch.isEmpty else { return 0 }
        return try withWriter { (w) throws(JournalError) in
            try w.db.transaction { () throws(JournalError) -> Int in
                try w.db.execute(
                    unfinished
                        ? "INSERT INTO meta(key, value) VALUES ('read_model.unfinished', '1') ON CONFLICT(key) DO NOTHING"
                        : "DELETE FROM meta WHERE key = 'read_model.unfinished'")
                // Many rows per statement: on PostgreSQL each statement is a round trip.
                try Self.inChunks(batch.map(\.id), w.db) { n in
                    "DELETE FROM read_steps WHERE run IN (" + Array(repeating: "?", count: n).joined(separator: ", ") + ")"
                }
                try Self.inChunks(batch.map(\.run), w.db, ReadModelRows.insertRuns)
                try Self.inChunks(batch.flatMap(\.steps), w.db, ReadModelRows.insertSteps)
                try Self.inChunks(batch.flatMap(\.calls), w.db, ReadModelRows.insertCalls)
                // Observations of calls folded in an earlier refresh, in order.
                for rows in batch {
                    for o in rows.observations { try w.db.statement(ReadModelRows.observe).bindAll(o).run() }
                }
                return batch.reduce(0) { $0 + $1.count }
            }
        }
    }

    /// Runs the statement `sql(n)` for `n` of `rows` at a time, with their values as its
    /// parameters in order: 64 at most, then halving, so a few statements (each prepared once)
    /// take any number of rows.
    private static func inChunks(
        _ rows: [[SQLValue]], _ db: any SQLDatabase, _ sql: (Int) -> String
    ) throws(JournalError) {
        var start = 0
        var size = 64
        while start < rows.count {
            while size > rows.count - start { size /= 2 }
            try db.statement(sql(size)).bindAll(rows[start..<start + size].flatMap { $0 }).run()
            start += size
        }
    }

    /// ``inChunks(_:_:_:)`` of single values.
    private static func inChunks(_ values: [SQLValue], _ db: any SQLDatabase, _ sql: (Int) -> String) throws(JournalError) {
        try inChunks(values.map { [$0] }, db, sql)
    }
}
