import PlanJournalCore

/// Why `Journal.query` refuses a statement, worded the same on SQLite and PostgreSQL.
enum QueryRefusal {
    /// A statement that would write (or run anything but a read).
    static func writes(cause: (any Error)? = nil) -> JournalError {
        JournalError(.usage, "the query would change the journal; only statements that read are run", cause: cause)
    }

    /// More than one statement.
    static func severalStatements(cause: (any Error)? = nil) -> JournalError {
        JournalError(.usage, "give one SQL statement at a time (found more after the first)", cause: cause)
    }
}
