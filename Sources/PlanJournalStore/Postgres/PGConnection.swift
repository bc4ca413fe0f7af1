import Foundation
import Logging
import NIOCore
import NIOPosix
import PlanJournalCore
import PostgresNIO
import Synchronization

/// One PostgreSQL connection (postgres-nio) behind the synchronous ``SQLDatabase`` interface.
///
/// The journal's API is synchronous, so each call sends its query and blocks the calling thread
/// on the NIO future until the server answers. It never waits on an event-loop thread (the
/// journal's threads are its callers' and its own), nor on Swift's cooperative pool: the future is
/// completed by the event loop alone.
///
/// Not `Sendable`: a connection is used by one thread at a time, as ``SQLiteConnection`` is.
final class PGConnection: SQLDatabase {
    /// The URL without its password.
    let path: String
    let dialect = SQLDialect.postgres
    private var connection: PostgresConnection
    private let target: PostgresURL
    private let logger: Logger
    private var statements: [String: PGStatement] = [:]
    private(set) var changes = 0
    private(set) var inTransaction = false
    private var version: Int64 = 0
    /// Set when the connection is lost inside a transaction: the server rolled it back, so every
    /// statement fails until the caller ends the transaction (`ROLLBACK` then succeeds, `COMMIT`
    /// fails), and nothing the caller sends meanwhile can commit on a new connection.
    private var lostTransaction: JournalError?
    /// Whether the transaction begun last was lost with the connection before its `COMMIT` was
    /// sent: the server rolled it back, so the writer may do it again (``SQLDatabase/transactionWasLost``).
    private(set) var transactionWasLost = false

    /// The key of the transaction-level advisory lock every write transaction takes first:
    /// exclusively for whole-journal writes (ingest, forks, seals, copies, migrations), shared by
    /// appends, which also lock each run they write (``PGLockKeys``). So writers take turns across
    /// processes and machines as on SQLite, except appends to different runs, which run side by side.
    static let writeLockKey: Int64 = 0x706C_616E_6A6F_7572  // "planjour"

    /// Connects to the database `url` names.
    /// - Parameters:
    ///   - lockTimeoutMilliseconds: how long a write waits for another writer's lock before
    ///     failing (PostgreSQL's `lock_timeout`; SQLite's busy timeout).
    ///   - durability: `.normal` commits without waiting for the server's WAL flush
    ///     (`synchronous_commit=off`: a server crash may drop the last commits, never corrupt
    ///     anything), as SQLite's `synchronous=NORMAL`; `.full` waits for it.
    /// - Throws: `.usage` for a malformed URL or an unusable `sslrootcert` file; `.io` naming the
    ///   server when it cannot be reached, refuses the login, or fails TLS as `sslmode` asks it
    ///   (``PGTLS``).
    ///   - waitingWhenRefused: whether a refused socket is waited for (up to 30 s) as in a
    ///     reconnection: for a further connection of a process that reached the server before.
    init(
        url: String, lockTimeoutMilliseconds: Int32 = 30_000, durability: JournalConfiguration.Durability = .normal,
        waitingWhenRefused: Bool = false
    ) throws(JournalError) {
        let target = try PostgresURL(url)
        path = target.redacted
        self.target = target
        logger = Self.quietLogger
        _ = try Self.configuration(target)
        self.lockTimeoutMilliseconds = max(0, lockTimeoutMilliseconds)
        self.durability = durability
        // A server starting up or shutting down says so: wait for it, as for a reconnection (a
        // refused socket, though, is more often a wrong host or port than a restart, unless the
        // server was reached before).
        connection = try Self.reconnect(target, whenRefused: waitingWhenRefused)
        try applySettings()
    }

    private let lockTimeoutMilliseconds: Int32
    private let durability: JournalConfiguration.Durability

    /// Session settings, after each (re)connection.
    ///
    /// planj bounds its own waits (`lock_timeout`, the busy timeout) and sends no long statement
    /// of its own, so a role's or database's `statement_timeout` is lifted for its sessions: one
    /// shorter than the busy timeout made writers of the same run fail instead of taking turns.
    /// Queries of `planj sql` run under it (``readOnlyQuery(_:)``).
    private func applySettings() throws(JournalError) {
        // (Not sent again on a new connection: this runs as a connection is made.)
        _ = try queryWithColumns(
            "SELECT set_config('lock_timeout', '\(lockTimeoutMilliseconds)', false), "
                + "set_config('synchronous_commit', '\(durability == .full ? "on" : "off")', false), "
                + "set_config('statement_timeout', '0', false)", [], resending: false)
    }

    /// postgres-nio's logs go nowhere: errors reach the caller as ``JournalError``s.
    static let quietLogger = Logger(label: "planjournal.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The postgres-nio configuration for `target` over `channel` (connected by ``PGSocket``),
    /// TLS included (``PGTLS``); without a channel, only checked (the TLS settings, the root
    /// certificate file).
    /// - Throws: `.usage` when the root certificate file cannot be used.
    @discardableResult
    static func configuration(_ target: PostgresURL, channel: (any Channel)? = nil) throws(JournalError)
        -> PostgresConnection.Configuration?
    {
        let tls = try PGTLS.mode(for: target)
        guard let channel else { return nil }
        var configuration = PostgresConnection.Configuration(
            establishedChannel: channel, tls: tls, username: target.user, password: target.password,
            database: target.database)
        configuration.options.connectTimeout = target.connectTimeout
        // What postgres-nio does for a host it connects to itself: the certificate names the host.
        configuration.options.tlsServerName = PGSocket.isIPAddress(target.host) ? nil : target.host
        if let name = target.applicationName {
            configuration.options.additionalStartupParameters.append(("application_name", name))
        }
        return configuration
    }

    /// A bare postgres-nio connection to `target`, without waiting (for ``PGListener``): the future
    /// fails with a ``JournalError``.
    static func open(_ target: PostgresURL) -> EventLoopFuture<PostgresConnection> {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        return PGSocket.connect(host: target.host, port: target.port, timeout: target.connectTimeout, on: loop).flatMap { channel in
            let configuration: PostgresConnection.Configuration
            do {
                if target.sslMode == .verifyFull && !PGSocket.isIPAddress(target.host) {
                    try channel.pipeline.syncOperations.addHandler(PGHostNameCheck(host: target.host), position: .first)
                }
                configuration = try Self.configuration(target, channel: channel)!
            } catch {
                channel.close(promise: nil)
                return loop.makeFailedFuture(error)
            }
            return PostgresConnection.connect(
                on: loop, configuration: configuration, id: nextID.wrappingAdd(1, ordering: .relaxed).oldValue,
                logger: quietLogger)
        }.flatMapErrorThrowing { error in throw connectionError(error, target: target) }
    }

    private static func connect(_ target: PostgresURL) throws(JournalError) -> PostgresConnection {
        do {
            return try open(target).wait()
        } catch {
            throw connectionError(error, target: target)
        }
    }

    /// The error of a failed connection attempt: about TLS when it failed there, else as
    /// ``PGErrors`` says.
    static func connectionError(_ error: any Error, target: PostgresURL) -> JournalError {
        if let e = error as? JournalError { return e }
        return PGTLS.connectionError(error, target: target)
            ?? PGErrors.journalError(error, journal: target.redacted, connecting: true)
    }

    deinit {
        statements.removeAll()
        // postgres-nio wants a connection closed before it is released: keep it until then.
        let connection = self.connection
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Connection ids for postgres-nio's logs.
    private static let nextID = Atomic<Int>(0)

    func execute(_ sql: String) throws(JournalError) {
        _ = try query(sql, [])
    }

    func run(_ sql: String) throws(JournalError) {
        _ = try query(sql, [])
    }

    func statement(_ sql: String) throws(JournalError) -> any SQLStatement {
        if let s = statements[sql] {
            s.reset()
            return s
        }
        let s = PGStatement(sql: PGPlaceholders.numbered(sql), connection: self)
        statements[sql] = s
        return s
    }

    /// `BEGIN`, then the journal's advisory write lock, exclusively (released at `COMMIT` or
    /// `ROLLBACK`). The transaction commits durably (an import, a copy: see ``commitDurably()``).
    func beginWrite() throws(JournalError) {
        try begin(locking: "SELECT pg_advisory_xact_lock(\(Self.writeLockKey))")
        try commitDurably()
    }

    /// Makes the transaction's `COMMIT` wait for the server's WAL flush whatever the session's
    /// durability: what ingest, import and copy report as written survives a crash of the server
    /// (one flush per transaction of many events costs nothing to speak of), as their SQLite
    /// transactions survive a crash of planj.
    private func commitDurably() throws(JournalError) {
        if durability != .full { _ = try query("SET LOCAL synchronous_commit = on", []) }
    }

    /// `BEGIN`, the journal's write lock shared, then one lock per run, in key order (so two
    /// groups of appends never wait for each other in a cycle).
    func beginAppend(runs: [String]) throws(JournalError) {
        let keys = Set(runs.map(PGLockKeys.key(run:))).sorted()
        let locks = keys.map { "pg_advisory_xact_lock(\($0))" }.joined(separator: ", ")
        try begin(locking: "SELECT pg_advisory_xact_lock_shared(\(Self.writeLockKey))" + (locks.isEmpty ? "" : ", " + locks))
    }

    /// `BEGIN` and the journal's write lock shared: runs are locked one by one with ``lockRun(_:)``
    /// as the transaction meets them, so ingests of disjoint runs commit side by side.
    func beginRunWrites() throws(JournalError) {
        try begin(locking: "SELECT pg_advisory_xact_lock_shared(\(Self.writeLockKey))")
        try commitDurably()
    }

    /// The run's advisory lock, until the transaction ends. Runs are met in input order, not key
    /// order, so two ingests that share runs may each hold one the other waits for: PostgreSQL
    /// then refuses one of them (`deadlock detected`), which ends as a `.conflict`, nothing written.
    func lockRun(_ run: String) throws(JournalError) {
        _ = try query("SELECT pg_advisory_xact_lock(\(PGLockKeys.key(run: run)))", [])
    }

    /// Sends `BEGIN` and, without waiting for its answer, the lock statement `sql` (the server
    /// answers them in order: one round trip instead of two).
    private func begin(locking sql: String) throws(JournalError) {
        do {
            try sendBegin(locking: sql)
        } catch where connection.isClosed || error.cause.map(PGErrors.isConnectionLoss) == true {
            // The connection was found lost only now (the server ended it while idle, and the
            // event loop had not yet seen it closed): nothing was written in this transaction, so
            // open a new connection and begin again, once.
            try reopen()
            try sendBegin(locking: sql)
        }
    }

    private func sendBegin(locking sql: String) throws(JournalError) {
        if try ready(for: "BEGIN") { return }
        transactionWasLost = false
        let sentOn = connection
        let begun = sentOn.query(PostgresQuery(unsafeSQL: "BEGIN"), logger: logger)
        inTransaction = true
        var failure: JournalError?
        do {
            _ = try query(sql, [])
        } catch {
            failure = error
        }
        do {
            _ = try Self.answer(begun, on: sentOn)
        } catch {
            failure = failure ?? PGErrors.journalError(error, journal: path, connecting: false)
        }
        if let failure {
            try? run("ROLLBACK")
            throw failure
        }
    }

    /// A new number on every call: this connection cannot tell whether others committed, so the
    /// writer checks its cached cursors against the catalog in every transaction.
    func dataVersion() throws(JournalError) -> Int64 {
        version += 1
        return version
    }

    /// Runs `sql` with `binds` and returns its rows, decoded.
    func query(_ sql: String, _ binds: [SQLValue]) throws(JournalError) -> [[SQLValue]] {
        try queryWithColumns(sql, binds).rows
    }

    /// Runs one statement a user typed in a read-only transaction, rolled back after.
    /// - Returns: the names of the columns (none when no row came back) and the rows.
    func readOnlyQuery(_ sql: String) throws(JournalError) -> (columns: [String], rows: [[SQLValue]]) {
        // A read-only transaction still runs `COPY … TO PROGRAM` (a shell command on the server's
        // host, for a superuser) and writes of other kinds: only statements that read are sent.
        guard let word = Self.firstWord(sql), Self.readingWords.contains(word) else {
            throw QueryRefusal.writes()
        }
        try run("BEGIN READ ONLY")
        defer { try? run("ROLLBACK") }
        // The role's or database's own limit, which planj's sessions lift (``applySettings()``).
        try run("SET LOCAL statement_timeout TO DEFAULT")
        do {
            return try queryWithColumns(sql, [])
        } catch {
            // Said as on SQLite.
            let state = (error.cause as? PSQLError)?.serverInfo?[.sqlState]
            if state == "25006" {
                throw QueryRefusal.writes(cause: error)
            }
            if state == "42601", error.message.contains("multiple commands") {
                throw QueryRefusal.severalStatements(cause: error)
            }
            throw error
        }
    }

    /// The statements ``readOnlyQuery(_:)`` runs, by their first word.
    private static let readingWords: Set<String> = ["select", "with", "values", "table", "explain", "show"]

    /// The first word of `sql`, lowercased, after blanks, comments and opening parentheses.
    static func firstWord(_ sql: String) -> String? {
        var rest = Substring(sql)
        while true {
            rest = rest.drop { $0.isWhitespace || $0 == "(" }
            if rest.hasPrefix("--") {
                rest = rest.drop { $0 != "\n" }
            } else if rest.hasPrefix("/*") {
                guard let end = rest.range(of: "*/") else { return nil }
                rest = rest[end.upperBound...]
            } else {
                break
            }
        }
        let word = rest.prefix { $0.isLetter }
        return word.isEmpty ? nil : word.lowercased()
    }

    /// ``query(_:_:)`` with the names of the columns (read from the first row: none without rows).
    /// A statement sent outside a transaction that only reads (`SELECT`, `SHOW`) and fails with
    /// the connection is sent once more on a new one: the connection may have been ended while
    /// idle before the event loop saw it closed.
    private func queryWithColumns(_ sql: String, _ binds: [SQLValue], resending: Bool = true) throws(JournalError)
        -> (columns: [String], rows: [[SQLValue]])
    {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .int(let n): bindings.append(n)
            case .double(let d): bindings.append(d)
            case .text(let s):
                // Text derived from events (a goal, an error message), whose events keep every byte.
                bindings.append(s.withNULReplaced)
            case .blob(let b): bindings.append(ByteBuffer(bytes: b))
            }
        }
        if try ready(for: sql) { return ([], []) }
        let result: PostgresQueryResult
        do {
            let sentOn = connection
            result = try Self.answer(sentOn.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger), on: sentOn)
        } catch {
            var mapped = PGErrors.journalError(error, journal: path, connecting: false)
            let lost = connection.isClosed || PGErrors.isConnectionLoss(error)
            if lost && Self.isCommit(sql) {
                // The server may have committed before the connection went: nobody can tell from here.
                mapped = PGErrors.uncertainCommit(error, journal: path)
                inTransaction = false
            } else if inTransaction && lost {
                lostTransaction = mapped
                transactionWasLost = true
            } else if lost && resending && Self.onlyReads(sql) {
                try reopen()
                return try queryWithColumns(sql, binds, resending: false)
            }
            throw mapped
        }
        changes = result.metadata.rows ?? 0
        noteTransactionControl(sql)
        var rows: [[SQLValue]] = []
        rows.reserveCapacity(result.rows.count)
        for row in result.rows {
            var values: [SQLValue] = []
            for cell in row {
                do {
                    values.append(try PGCellDecoder.value(cell))
                } catch {
                    throw JournalError(
                        .usage,
                        "PostgreSQL returned a value this planj cannot read (column \(cell.columnName), of type \(cell.dataType)): cast it to text (\(cell.columnName)::text)",
                        context: .init(journalPath: path), cause: error)
                }
            }
            rows.append(values)
        }
        return (result.rows.first.map { $0.map(\.columnName) } ?? [], rows)
    }

    /// Checks the connection before `sql` is sent: inside a transaction the server has lost, every
    /// statement fails until the caller ends it; between transactions a closed connection is opened
    /// again. Returns `true` when `sql` needs no sending (the `ROLLBACK` of a lost transaction).
    private func ready(for sql: String) throws(JournalError) -> Bool {
        if connection.isClosed && inTransaction && lostTransaction == nil {
            lostTransaction = JournalError(
                .io, "the PostgreSQL server closed the connection; the transaction in progress was not committed",
                context: .init(journalPath: path))
            transactionWasLost = true
        }
        if let lost = lostTransaction {
            let head = sql.prefix(12).uppercased()
            let ends = head.hasPrefix("COMMIT") || head.hasPrefix("END") || head.hasPrefix("ROLLBACK") && !head.contains(" TO")
            if ends {
                lostTransaction = nil
                inTransaction = false
                if head.hasPrefix("ROLLBACK") { return true }
            }
            throw lost
        }
        if connection.isClosed {
            // The server went away between transactions (restart, failover, idle timeout):
            // connect again. Inside a transaction the error stands, and the caller rolls back.
            try reopen()
        }
        return false
    }

    /// Waits for the answer to a query sent on `connection`, giving up (as a lost connection)
    /// once the connection has been closed for a second with the answer still missing:
    /// postgres-nio may leave a query sent as its connection closes pending for ever (a `planj
    /// demo` hung so in `BEGIN` while its server restarted).
    private static func answer<T: Sendable>(_ future: EventLoopFuture<T>, on connection: PostgresConnection) throws -> T {
        let box = AnswerBox<T>()
        future.whenComplete { result in
            box.result.withLock { $0 = result }
            box.done.signal()
        }
        var closedChecks = 0
        while box.done.wait(timeout: .now() + .seconds(1)) == .timedOut {
            closedChecks = connection.isClosed ? closedChecks + 1 : 0
            if closedChecks >= 2 { throw ChannelError.ioOnClosedChannel }
        }
        return try box.result.withLock { $0! }.get()
    }

    /// Where ``answer(_:on:)`` gets its result.
    private final class AnswerBox<T: Sendable>: Sendable {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    /// Replaces the connection, lost between transactions, with a new one (``reconnect(_:whenRefused:)``).
    private func reopen() throws(JournalError) {
        let old = connection
        if !old.isClosed { old.close().whenComplete { _ in withExtendedLifetime(old) {} } }
        connection = try Self.reconnect(target, whenRefused: true)
        try applySettings()
    }

    /// Connects, waiting (up to 30 s, pauses doubling from 100 ms to 2 s) while the server cannot
    /// take connections (starting up, shutting down, too many connections) and, `whenRefused`,
    /// while it refuses or drops the socket: a restart or a failover took a `planj run` down with
    /// it ("the database system is shutting down"), although nothing was lost.
    private static func reconnect(_ target: PostgresURL, whenRefused: Bool) throws(JournalError) -> PostgresConnection {
        let deadline = ContinuousClock.now + .seconds(30)
        var pause = Duration.milliseconds(100)
        while true {
            do {
                return try connect(target)
            } catch where ContinuousClock.now + pause < deadline
                && error.cause.map({ PGErrors.mayConnectLater($0, whenRefused: whenRefused) }) == true
            {
                Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
                pause = min(pause * 2, .seconds(2))
            }
        }
    }

    /// Whether `sql` only reads: planj's own `SELECT`s and `SHOW`s outside a transaction.
    private static func onlyReads(_ sql: String) -> Bool {
        let head = sql.prefix(7).uppercased()
        return head.hasPrefix("SELECT ") || head.hasPrefix("SHOW ")
    }

    private static func isCommit(_ sql: String) -> Bool {
        let head = sql.prefix(8).uppercased()
        return head.hasPrefix("COMMIT") || head.hasPrefix("END")
    }

    /// Follows `BEGIN`/`COMMIT`/`ROLLBACK` (not savepoints) so ``inTransaction`` is known without
    /// asking the server.
    private func noteTransactionControl(_ sql: String) {
        let head = sql.prefix(12).uppercased()
        if head.hasPrefix("BEGIN") {
            inTransaction = true
        } else if head.hasPrefix("COMMIT") || head.hasPrefix("END") || (head.hasPrefix("ROLLBACK") && !head.contains(" TO")) {
            inTransaction = false
        }
    }
}
