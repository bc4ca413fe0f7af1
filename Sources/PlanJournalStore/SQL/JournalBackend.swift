import PlanJournalCore

/// Chooses the engine a journal lives in from how it is named: a `postgres://` or
/// `postgresql://` URL is a PostgreSQL database, anything else a SQLite file.
enum JournalBackend {
    /// Whether `path` names a PostgreSQL journal.
    static func isPostgres(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Opens a connection to the journal `path` (a PostgreSQL database must exist).
    /// - Parameter first: whether it is the journal's first connection in this process: only
    ///   that one creates a missing SQLite file, and a further one to PostgreSQL waits out a
    ///   refused socket as a reconnection does (the server was reached before: it is restarting).
    /// - Throws: `.usage` for a malformed URL, `.io` when the engine cannot be reached.
    static func connect(_ path: String, configuration: JournalConfiguration, first: Bool = true) throws(JournalError)
        -> any SQLDatabase
    {
        if isPostgres(path) {
            return try PGConnection(
                url: path, lockTimeoutMilliseconds: configuration.busyTimeoutMilliseconds,
                durability: configuration.durability, waitingWhenRefused: !first)
        }
        let db = try SQLiteConnection(path: path, creating: first)
        db.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds)
        return db
    }
}
