import PlanJournalCore

/// The on-disk format: named migrations applied in order and recorded in `meta`.
enum Schema {
    /// The format version this build writes; a journal with a higher one is refused.
    static let formatVersion = 5

    /// Migrations, oldest first. Never edit one that has shipped: add the next.
    static let migrations: [Migration] = [
        Migration(
            "v1-core",
            """
            CREATE TABLE runs(
                rid INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                parent INTEGER REFERENCES runs(rid),
                fork_seq INTEGER,
                fork_hash BLOB,
                head_seq INTEGER NOT NULL DEFAULT 0,
                head_hash BLOB NOT NULL,
                goal TEXT,
                status TEXT NOT NULL DEFAULT 'running',
                started_at INTEGER,
                ended_at INTEGER,
                input_tokens INTEGER NOT NULL DEFAULT 0,
                output_tokens INTEGER NOT NULL DEFAULT 0,
                cost_usd REAL NOT NULL DEFAULT 0,
                raw_bytes INTEGER NOT NULL DEFAULT 0,
                tail_first_seq INTEGER,
                tail_bytes INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE chunks(
                cid INTEGER PRIMARY KEY,
                rid INTEGER NOT NULL,
                first_seq INTEGER NOT NULL,
                last_seq INTEGER NOT NULL,
                codec INTEGER NOT NULL,
                raw_len INTEGER NOT NULL,
                hash BLOB NOT NULL,
                body_sum BLOB NOT NULL,
                dict INTEGER REFERENCES dictionaries(id),
                body BLOB NOT NULL,
                UNIQUE(rid, first_seq)
            );
            CREATE TABLE dictionaries(
                id INTEGER PRIMARY KEY,
                bytes BLOB NOT NULL,
                checksum BLOB NOT NULL
            );
            CREATE TABLE snapshots(
                rid INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                codec INTEGER NOT NULL,
                raw_len INTEGER NOT NULL,
                checksum BLOB NOT NULL,
                body BLOB NOT NULL,
                PRIMARY KEY(rid, seq)
            ) WITHOUT ROWID;
            """,
            postgres: PostgresSchema.v1
        ),
        Migration(
            // Snapshots are written in PlanState's binary form from this version on (JSON ones are
            // still read); the tables do not change. Older builds refuse the journal instead of
            // reporting its new snapshots as corrupt.
            "v2-binary-snapshots",
            "SELECT 1",
            postgres: []
        ),
        Migration(
            // Seals: Ed25519 signatures over a run's chain hash at a seq (several per run: after
            // more events, or by several keys). The signature covers run id, seq, hash, trail (4
            // bytes of the chain hash after each event, to locate a change) and time.
            "v3-seals",
            """
            CREATE TABLE seals(
                sid INTEGER PRIMARY KEY,
                rid INTEGER NOT NULL REFERENCES runs(rid),
                seq INTEGER NOT NULL,
                hash BLOB NOT NULL,
                trail BLOB NOT NULL,
                key_id TEXT NOT NULL,
                public_key BLOB NOT NULL,
                signature BLOB NOT NULL,
                sealed_at INTEGER NOT NULL,
                UNIQUE(rid, signature)
            );
            CREATE INDEX seals_by_run ON seals(rid, seq);
            """,
            postgres: PostgresSchema.v3
        ),
        Migration(
            // Chunks are written with an XXH64 body checksum (eight bytes) from this version on,
            // which every read checks at a fraction of SHA-256's cost; the 16-byte SHA-256 sums of
            // older chunks are still read. Older builds refuse the journal instead of reporting its
            // new chunks as corrupt.
            "v4-xxh64-chunk-sums",
            "SELECT 1",
            postgres: []
        ),
        Migration(
            // Chunks written by ingest may hold references to long strings stored in earlier
            // chunks (StringReference; flag 8 in `codec`). Older builds refuse the journal instead
            // of reporting those chunks as corrupt.
            "v5-string-references",
            "SELECT 1",
            postgres: []
        ),
    ]

    /// Creates or upgrades the schema of `db`.
    ///
    /// Safe to run from several processes at once: the migrations run inside a write transaction
    /// (SQLite's write lock; on PostgreSQL the journal's advisory lock, and DDL is transactional),
    /// and the version is read again once the lock is held.
    /// - Returns: the format version a journal written by an older planj had before this call
    ///   upgraded it; `nil` when nothing was upgraded (a current journal, or a new one).
    /// - Throws: `.unsupportedVersion` when the journal is newer than this build.
    @discardableResult
    static func migrate(_ db: any SQLDatabase) throws(JournalError) -> Int? {
        // A read without the write lock first, so opening a current journal neither writes nor
        // waits for a writer (a long ingest holds the lock).
        let current = try versionWithoutLock(db)
        try refuseNewer(current, db)
        guard current < migrations.count else { return nil }
        if current == 0 && db.dialect == .postgres { try refuseNonUTF8(db) }
        var upgraded: Int?
        try db.transaction { () throws(JournalError) in
            try db.execute(createMeta)
            // Re-read inside the write lock: another process may have migrated meanwhile.
            let now = try version(db)
            try refuseNewer(now, db)
            guard now < migrations.count else { return }
            if now > 0 { upgraded = now }
            let at = Timestamp.now.description
            for (k, m) in migrations.enumerated() where k >= now {
                switch db.dialect {
                case .sqlite: try db.execute(m.sqlite)
                case .postgres: for sql in m.postgres { try db.execute(sql) }
                }
                try setMeta("migration." + m.name, at, db)
            }
            try setMeta("format_version", String(migrations.count), db)
        }
        return upgraded
    }

    /// Throws when a new PostgreSQL journal's database does not store text as UTF-8 (LATIN1,
    /// SQL_ASCII): planj's UTF-8 would be kept as bytes of another encoding, which every other
    /// client (`psql`, the read model's users) reads garbled.
    private static func refuseNonUTF8(_ db: any SQLDatabase) throws(JournalError) {
        let encoding = try db.statement("SELECT current_setting('server_encoding')")
        defer { encoding.reset() }
        guard try encoding.step(), let name = encoding.text(0), name.uppercased() != "UTF8" else { return }
        throw JournalError(
            .usage,
            "the database's encoding is \(name), and planj writes UTF-8 text, which other clients would read garbled: "
                + "make the journal in a database created with ENCODING 'UTF8' (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)",
            context: .init(journalPath: db.path))
    }

    /// The format version, read without the write lock (0 for a new journal). It only looks:
    /// a read-only command must not write, and creating `meta` could race another process's
    /// migration.
    private static func versionWithoutLock(_ db: any SQLDatabase) throws(JournalError) -> Int {
        let exists = try db.statement(
            db.dialect == .sqlite
                ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
                : "SELECT to_regclass('meta') IS NOT NULL")
        defer { exists.reset() }
        guard try exists.step(), exists.int(0) == 1 else { return 0 }
        try refuseForeignMeta(db)
        return try version(db)
    }

    /// Throws when the `meta` table is another application's (a database shared with it): planj
    /// records each of its migrations there, in the transaction that made the table.
    private static func refuseForeignMeta(_ db: any SQLDatabase) throws(JournalError) {
        let foreign = JournalError(
            .corrupt, "its table meta is not planj's (another application's?): refusing to use it; name another journal",
            context: .init(journalPath: db.path))
        var migrations: Int64 = 0
        do {
            let ours = try db.statement("SELECT count(*) FROM meta WHERE key LIKE 'migration.%'")
            defer { ours.reset() }
            if try ours.step() { migrations = ours.int(0) }
        } catch {
            // A `meta` without planj's columns is another application's; any other failure (a
            // connection lost, a disk error) is what it is, not a foreign journal.
            let missingColumn = error.message.contains("no such column") || error.message.contains("42703")
            throw missingColumn ? foreign : error
        }
        guard migrations > 0 else { throw foreign }
    }

    /// Throws when the SQLite database `db` holds tables but not planj's `meta`: a file of
    /// another application, which must not get planj's tables (nor be switched to WAL mode).
    /// Called before anything writes to the file.
    /// - Throws: `.corrupt` naming a few of its tables.
    static func refuseForeignTables(_ db: any SQLDatabase) throws(JournalError) {
        let tables = try db.statement("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        defer { tables.reset() }
        var names: [String] = []
        while try tables.step() { names.append(tables.text(0) ?? "") }
        if names.contains("meta") { return try refuseForeignMeta(db) }
        guard !names.isEmpty else { return }
        let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", ..." : "")
        throw JournalError(
            .corrupt, "a SQLite database but not a planj journal (it holds \(shown)): name another file",
            context: .init(journalPath: db.path))
    }

    /// The format version recorded in `meta` (0 for a new journal).
    static func version(_ db: any SQLDatabase) throws(JournalError) -> Int {
        let read = try db.statement("SELECT value FROM meta WHERE key = 'format_version'")
        defer { read.reset() }
        guard try read.step() else {
            // New, unless migrations were recorded: their tables are there, without a version.
            let migrated = try db.statement("SELECT count(*) FROM meta WHERE key LIKE 'migration.%'")
            defer { migrated.reset() }
            guard try migrated.step(), migrated.int(0) > 0 else { return 0 }
            throw JournalError(
                .corrupt, "the journal's format version is missing from its table meta (its migrations are recorded there)",
                context: .init(journalPath: db.path))
        }
        let text = read.text(0) ?? ""
        guard let version = Int(text), version >= 0 else {
            throw JournalError(
                .corrupt, "the journal's format version is damaged: '\(text.prefix(40))' is not a version number",
                context: .init(journalPath: db.path))
        }
        return version
    }

    private static let createMeta = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"

    private static func refuseNewer(_ version: Int, _ db: any SQLDatabase) throws(JournalError) {
        guard version > formatVersion else { return }
        throw JournalError(
            .unsupportedVersion,
            "the journal has format version \(version); this planj reads up to \(formatVersion): upgrade planj",
            context: .init(journalPath: db.path))
    }

    private static func setMeta(_ key: String, _ value: String, _ db: any SQLDatabase) throws(JournalError) {
        try db.statement(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        ).bind(.text(key), .text(value)).run()
    }
}

/// One step of the schema: its SQLite script and the same tables in PostgreSQL's types, one
/// statement a string.
struct Migration: Sendable {
    var name: String
    var sqlite: String
    var postgres: [String]

    init(_ name: String, _ sqlite: String, postgres: [String]) {
        self.name = name
        self.sqlite = sqlite
        self.postgres = postgres
    }
}
