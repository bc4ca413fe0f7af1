import PlanJournalCore

/// One connection to the engine that stores a journal: what ``JournalWriter``, ``JournalReader``,
/// ``Schema`` and the seal storage need, and nothing more.
///
/// SQL is written once, with `?` placeholders and clauses both engines accept (`ON CONFLICT`,
/// `RETURNING`); an implementation translates placeholders as its engine needs.
/// Not `Sendable`: a connection is used by one thread at a time.
protocol SQLDatabase: AnyObject {
    /// The journal as the user named it (a file path or a URL without its password), for errors.
    var path: String { get }
    /// The engine, for the statements that differ.
    var dialect: SQLDialect { get }
    /// Runs one or more SQL statements without parameters that return no rows.
    func execute(_ sql: String) throws(JournalError)
    /// Runs one statement without parameters through the statement cache (transaction control).
    func run(_ sql: String) throws(JournalError)
    /// A cached prepared statement for `sql`, reset and with its bindings cleared.
    func statement(_ sql: String) throws(JournalError) -> any SQLStatement
    /// Begins a write transaction that holds the journal's write lock until it ends, so writers
    /// (of any process or machine) take turns and expected-seq checks hold.
    func beginWrite() throws(JournalError)
    /// Begins a write transaction that appends to `runs` only: it excludes every other writer of
    /// those runs and every ``beginWrite()`` transaction, and may run beside appends to other runs
    /// where the engine allows (PostgreSQL; SQLite has one write lock, as ``beginWrite()``).
    func beginAppend(runs: [String]) throws(JournalError)
    /// Begins a write transaction for writes to runs not known in advance (an ingest): each run is
    /// locked with ``lockRun(_:)`` before it is first read or written. It excludes every
    /// ``beginWrite()`` transaction, and runs beside writers of other runs where the engine allows
    /// (PostgreSQL; SQLite has one write lock, as ``beginWrite()``).
    func beginRunWrites() throws(JournalError)
    /// Inside a ``beginRunWrites()`` transaction, waits until no other transaction writes `run`
    /// and keeps others from writing it until this one ends (a no-op on SQLite, whose write lock
    /// already excludes every other writer).
    /// - Throws: `.conflict` when waiting would deadlock with another writer (each holds a run the
    ///   other wants: one of them is refused), `.io` on the lock timeout.
    func lockRun(_ run: String) throws(JournalError)
    /// A number that stays the same while no other connection commits; a connection that cannot
    /// tell returns a new number each time (cached state is then always checked against the catalog).
    func dataVersion() throws(JournalError) -> Int64
    /// Rows changed by the last statement.
    var changes: Int { get }
    /// Whether a transaction is open.
    var inTransaction: Bool { get }
    /// Whether the transaction begun last ended because the connection to the server was lost
    /// before its `COMMIT` was sent: the server rolled it back, so it can be done again whole
    /// (the next transaction connects again). Always `false` for a SQLite file.
    var transactionWasLost: Bool { get }
}

extension SQLDatabase {
    var transactionWasLost: Bool { false }

    /// Runs `body` in a write transaction, committing on success and rolling back on error.
    func transaction<T>(_ body: () throws(JournalError) -> T) throws(JournalError) -> T {
        try enclosed(begin: { () throws(JournalError) in try beginWrite() }, body)
    }

    /// Runs `body` in one read transaction: all its statements see the journal as of the same
    /// commit, whatever other writers append or compact meanwhile (inside a transaction already,
    /// `body` just runs in it).
    func readTransaction<T>(_ body: () throws(JournalError) -> T) throws(JournalError) -> T {
        guard !inTransaction else { return try body() }
        let begin = dialect == .postgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN"
        return try enclosed(begin: { () throws(JournalError) in try run(begin) }, body)
    }

    /// `body` between `begin` and `COMMIT`, rolled back when it throws.
    private func enclosed<T>(begin: () throws(JournalError) -> Void, _ body: () throws(JournalError) -> T)
        throws(JournalError) -> T
    {
        try begin()
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            if inTransaction { try? run("ROLLBACK") }
            throw error
        }
    }
}

/// A prepared statement of one ``SQLDatabase``: bind, then ``run()`` or ``step()`` through the rows.
protocol SQLStatement: AnyObject {
    /// Clears the bindings and any rows read.
    func reset()
    /// Binds `values` to parameters 1...n.
    @discardableResult
    func bind(_ values: SQLValue...) -> Self
    /// Binds `values` to parameters 1...n.
    @discardableResult
    func bindAll(_ values: [SQLValue]) -> Self
    /// Runs a statement and drops its rows.
    func run() throws(JournalError)
    /// Steps to the next row; `false` when there is none.
    func step() throws(JournalError) -> Bool
    func int(_ column: Int32) -> Int64
    func double(_ column: Int32) -> Double
    func isNull(_ column: Int32) -> Bool
    func text(_ column: Int32) -> String?
    func blob(_ column: Int32) -> [UInt8]
}

extension SQLStatement {
    func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
}
