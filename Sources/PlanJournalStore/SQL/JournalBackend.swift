import PlanJournalCore

/// Chooses the engine a journal lives in from how it is named: a `postgres://` or
/// `postgresql://` URL is a PostgreSQL database, anything else a SQLite file.
enum JournalBackend {
    /// Whether `path` names a PostgreSQL journal.
    static func isPostgres(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Opens a connection to the journal `path` (the SQLite file is created if needed and
    /// `creating`; a PostgreSQL database must exist).
    /// - Throws: `.usage` for a malformed URL, `.io` when the engine cannot be reached.
    static func connect(_ path: String, configuration: JournalConfiguration, creating: Bool = true) throws(JournalError)
        -> any SQLDatabase
    {
        if isPostgres(path) {
            return try PGConnection(
                url: path, lockTimeoutMilliseconds: configuration.busyTimeoutMilliseconds,
                durability: configuration.durability)
        }
        let db = try SQLiteConnection(path: path, creating: creating)
        db.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds)
        return db
    }
}
