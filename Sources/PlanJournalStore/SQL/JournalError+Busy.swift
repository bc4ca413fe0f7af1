import PlanJournalCore

extension JournalError {
    /// Whether the error says another writer held the journal's write lock for longer than the
    /// busy timeout (``JournalConfiguration/busyTimeoutMilliseconds``), on either engine: the
    /// same operation may succeed later.
    public var isLockTimeout: Bool {
        guard code == .io, let cause else { return false }
        return (cause as? SQLiteError)?.isBusy ?? PGErrors.isLockTimeout(cause)
    }

    /// Whether the error says this process cannot write the journal: its file or folder, or on
    /// PostgreSQL, a role without the privilege or a server that only reads (a standby).
    public var isReadOnly: Bool {
        (cause as? SQLiteError)?.isReadOnly == true || cause.map(PGErrors.isRefusedWrite) == true
    }

    /// Whether the same read may succeed later: a lock held too long, or a PostgreSQL connection
    /// lost (a server restarting, a connection ended by an administrator), not a privilege missing.
    public var mayPassOnRetry: Bool {
        guard code == .io else { return false }
        return isLockTimeout || cause.map(PGErrors.isConnectionLoss) == true
    }
}
