import Foundation
import PlanJournalCore

/// Sizes and counts of a journal.
public struct JournalStats: Sendable, Codable, Hashable {
    /// Runs in the catalog, forks included.
    public var runs: Int
    /// Events stored: each run's own, so an event a fork shares with its parent counts once.
    public var events: Int64
    /// Stored chunks of events.
    public var chunks: Int
    /// Chunks that reference long strings stored in earlier chunks instead of repeating them
    /// (written by ingest since format version 5).
    public var referencingChunks: Int
    /// Stored plan-state snapshots.
    public var snapshots: Int
    /// Bytes of the stored (compressed) snapshot bodies, part of ``fileBytes``.
    public var snapshotBytes: Int64
    /// Shared compression dictionaries.
    public var dictionaries: Int
    /// Bytes of the runs' canonical JSON Lines.
    public var jsonlBytes: Int64
    /// Bytes of the stored (compressed) chunk bodies.
    public var chunkBytes: Int64
    /// Bytes of the database file plus its WAL, on disk now (PostgreSQL: the tables of the
    /// journal's schema, with their indexes).
    public var fileBytes: Int64
    /// Bytes of the SQL read model's tables and indexes, part of ``fileBytes`` (0 before the
    /// first `planj sql`, or where the engine cannot tell).
    public var readModelBytes: Int64
    /// `jsonlBytes / (fileBytes - readModelBytes)`: the journal's size against its JSON Lines,
    /// the SQL read model aside (snapshots, catalog and indexes included).
    public var compressionRatio: Double
}

extension Journal {
    /// Counts runs, events and bytes.
    public func stats() throws(JournalError) -> JournalStats {
        try withReader { (r) throws(JournalError) in
            func scalar(_ sql: String) throws(JournalError) -> Int64 {
                let s = try r.db.statement(sql)
                defer { s.reset() }
                return try s.step() ? s.int(0) : 0
            }
            let runs = try scalar("SELECT count(*) FROM runs")
            let count = try scalar("SELECT CAST(coalesce(sum(head_seq - coalesce(fork_seq, 0)), 0) AS BIGINT) FROM runs")
            let chunks = try scalar("SELECT count(*) FROM chunks")
            let referencing = try scalar("SELECT count(*) FROM chunks WHERE (codec & \(ChunkRow.referencesFlag)) != 0")
            let snapshots = try scalar("SELECT count(*) FROM snapshots")
            let snapshotBytes = try scalar("SELECT CAST(coalesce(sum(length(body)), 0) AS BIGINT) FROM snapshots")
            let dictionaries = try scalar("SELECT count(*) FROM dictionaries")
            let jsonl = try scalar("SELECT CAST(coalesce(sum(raw_bytes), 0) AS BIGINT) FROM runs")
            let stored = try scalar("SELECT CAST(coalesce(sum(length(body)), 0) AS BIGINT) FROM chunks")
            let files =
                r.db.dialect == .postgres
                // The journal's tables (with their indexes and TOAST), not the whole database: its
                // system catalogs alone take megabytes.
                ? try scalar(
                    """
                    SELECT CAST(coalesce(sum(pg_total_relation_size(c.oid)), 0) AS BIGINT) FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'
                    """)
                : Self.fileSize(JournalFileName.resolved(path)) + Self.fileSize(JournalFileName.resolved(path) + "-wal")
            let readModel = min(files, (try? Self.readModelBytes(r.db)) ?? 0)
            let eventBytes = files - readModel
            return JournalStats(
                runs: Int(runs), events: count, chunks: Int(chunks), referencingChunks: Int(referencing),
                snapshots: Int(snapshots), snapshotBytes: snapshotBytes,
                dictionaries: Int(dictionaries), jsonlBytes: jsonl, chunkBytes: stored, fileBytes: files,
                readModelBytes: readModel, compressionRatio: eventBytes > 0 ? Double(jsonl) / Double(eventBytes) : 0)
        }
    }

    /// The bytes the read model's tables and indexes take: SQLite's `dbstat` (where SQLite was
    /// built with it), PostgreSQL's relation sizes; 0 when the tables do not exist.
    private static func readModelBytes(_ db: any SQLDatabase) throws(JournalError) -> Int64 {
        let sql =
            db.dialect == .postgres
            ? ReadModelSchema.tables.map { "coalesce(pg_total_relation_size(to_regclass('\($0)')), 0)" }.joined(separator: " + ")
            : """
            SELECT coalesce(sum(pgsize), 0) FROM dbstat
            WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name LIKE 'read\\_%' ESCAPE '\\')
            """
        let s = try db.statement(db.dialect == .postgres ? "SELECT CAST(\(sql) AS BIGINT)" : sql)
        defer { s.reset() }
        return try s.step() ? s.int(0) : 0
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
