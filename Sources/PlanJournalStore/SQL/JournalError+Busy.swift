import PlanJournalCore

extension JournalError {
    /// Whether the error says another writer held the journal's write lock for longer than the
    /// busy timeout (``JournalConfiguration/busyTimeoutMilliseconds``), on either engine: the
    /// same operation may succeed later.
    public var isLockTimeout: Bool {
        guard code == .io, let cause else { return false }
        return (cause as? SQLiteError)?.isBusy ?? PGErrors.isLockTimeout(cause)
    }
}
