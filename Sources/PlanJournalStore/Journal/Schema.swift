import PlanJournalCore

/// The on-disk format: named migrations applied in order and recorded in `meta`.
enum Schema {
    /// The format version this build writes; a journal with a higher one is refused.
    static let formatVersion = 3

    /// Migrations, oldest first. Never edit one that has shipped: add the next.
    static let migrations: [(name: String, sql: String)] = [
        (
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
            """
        ),
        (
            // Snapshots are written in PlanState's binary form from this version on (JSON ones are
            // still read); the tables do not change. Older builds refuse the journal instead of
            // reporting its new snapshots as corrupt.
            "v2-binary-snapshots",
            "SELECT 1"
        ),
        (
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
            """
        ),
    ]

    /// Creates or upgrades the schema of `db`.
    /// - Throws: `.unsupportedVersion` when the journal is newer than this build.
    static func migrate(_ db: SQLiteConnection) throws(JournalError) {
        try db.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        let read = try db.statement("SELECT value FROM meta WHERE key = 'format_version'")
        let current = try read.step() ? Int(read.text(0) ?? "0") ?? 0 : 0
        read.reset()
        if current > formatVersion {
            throw JournalError(
                .unsupportedVersion,
                "the journal has format version \(current); this planj reads up to \(formatVersion): upgrade planj",
                context: .init(journalPath: db.path))
        }
        guard current < migrations.count else { return }
        try db.transaction { () throws(JournalError) in
            // Re-read inside the write lock: another process may have migrated meanwhile.
            let again = try db.statement("SELECT value FROM meta WHERE key = 'format_version'")
            let now = try again.step() ? Int(again.text(0) ?? "0") ?? 0 : 0
            again.reset()
            for (k, m) in migrations.enumerated() where k >= now {
                try db.execute(m.sql)
                try db.statement("INSERT OR REPLACE INTO meta(key, value) VALUES ('migration.' || ?, datetime('now'))")
                    .bind(.text(m.name)).run()
            }
            try db.statement("INSERT OR REPLACE INTO meta(key, value) VALUES ('format_version', ?)")
                .bind(.text(String(migrations.count))).run()
        }
    }
}
