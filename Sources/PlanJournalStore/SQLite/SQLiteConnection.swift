import CSQLite
import Foundation
import PlanJournalCore

/// One SQLite connection (the C API behind a small owning type).
///
/// Not `Sendable`: a connection is used by one thread at a time; ``Journal`` keeps its
/// connections behind locks.
final class SQLiteConnection: SQLDatabase {
    private var db: OpaquePointer?
    let path: String
    let dialect = SQLDialect.sqlite
    private var statements: [String: SQLiteStatement] = [:]
    /// Keeps the WAL hook's closure alive while SQLite holds a pointer to it.
    private var walHook: WALHookBox?

    /// Whether the file is opened as immutable (``JournalFileName/isReadOnlySnapshot(_:)``): read
    /// only, without the `-wal` and `-shm` files.
    let immutable: Bool

    /// Opens the database at `path`, creating it when `creating` and it does not exist.
    ///
    /// Only a journal's writer creates its file: a reader or checkpointer opening after the file
    /// was deleted must fail, not leave an empty database where the journal was.
    init(path: String, readOnly: Bool = false, creating: Bool = true) throws(JournalError) {
        self.path = path
        immutable = JournalFileName.isReadOnlySnapshot(path)
        let flags =
            immutable
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX
            : (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (creating ? SQLITE_OPEN_CREATE : 0))) | SQLITE_OPEN_NOMUTEX
        if let problem = JournalFileName.notARegularFile(path) {
            throw JournalError(.usage, "cannot open the journal: \(problem)", context: .init(journalPath: path))
        }
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(immutable ? JournalFileName.immutableURI(path) : JournalFileName.sqlitePath(path), &handle, flags, nil)
        db = handle
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            db = nil
            throw JournalError(.io, "cannot open the journal: \(Self.openProblem(path, creating: creating) ?? message)", context: .init(journalPath: path))
        }
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        statements.removeAll()
        if walHook != nil { sqlite3_wal_hook(db, nil, nil) }
        sqlite3_close_v2(db)
    }

    /// Runs one or more SQL statements that return no rows.
    func execute(_ sql: String) throws(JournalError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(message)
            throw error(rc, text)
        }
    }

    /// Runs one statement without parameters through the statement cache (transaction control on
    /// the hot path: `BEGIN IMMEDIATE`, `COMMIT`, savepoints), so its SQL is parsed once.
    func run(_ sql: String) throws(JournalError) {
        try sqliteStatement(sql).run()
    }

    /// `BEGIN IMMEDIATE`: takes SQLite's write lock at once.
    func beginWrite() throws(JournalError) {
        try run("BEGIN IMMEDIATE")
    }

    /// SQLite has one write lock: as ``beginWrite()``.
    func beginAppend(runs: [String]) throws(JournalError) {
        try beginWrite()
    }

    /// SQLite has one write lock: as ``beginWrite()``.
    func beginRunWrites() throws(JournalError) {
        try beginWrite()
    }

    /// The write lock already excludes every other writer.
    func lockRun(_ run: String) throws(JournalError) {}

    /// A cached prepared statement for `sql`, reset and with its bindings cleared.
    func statement(_ sql: String) throws(JournalError) -> any SQLStatement {
        try sqliteStatement(sql)
    }

    /// ``statement(_:)`` with its concrete type.
    func sqliteStatement(_ sql: String) throws(JournalError) -> SQLiteStatement {
        if let s = statements[sql] {
            s.reset()
            return s
        }
        var handle: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard rc == SQLITE_OK, let handle else {
            // planj's own SQL matches the tables it made: SQLite not accepting it ("no such
            // column") means their definitions were changed.
            guard rc & 0xFF == SQLITE_ERROR else { throw error(rc, lastMessage) }
            throw JournalError(
                .corrupt,
                "the journal's tables are not as planj made them (SQLite: \(lastMessage)): another program changed"
                    + " their definitions, or the file is damaged",
                context: .init(journalPath: path), cause: SQLiteError(code: rc))
        }
        let s = SQLiteStatement(handle, connection: self)
        statements[sql] = s
        return s
    }

    /// Prepares one statement that is not cached (a query a user typed).
    /// - Throws: `.usage` when `sql` holds more than one statement or none, or SQL that SQLite does
    ///   not accept (its message says why); `.io` when SQLite cannot prepare it for another reason.
    func prepareOnce(_ sql: String) throws(JournalError) -> SQLiteStatement {
        var handle: OpaquePointer?
        var rest = ""
        let rc = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v2(db, text, -1, &handle, &tail)
            if let tail { rest = String(cString: tail) }
            return rc
        }
        guard rc == SQLITE_OK else {
            // SQLITE_ERROR is SQLite's word for SQL it does not accept (syntax, unknown table).
            guard rc & 0xFF == SQLITE_ERROR else { throw error(rc, lastMessage) }
            throw JournalError(.usage, "SQLite: \(lastMessage)", context: .init(journalPath: path))
        }
        guard let handle else { throw JournalError(.usage, "the query holds no SQL statement") }
        let statement = SQLiteStatement(handle, connection: self)
        // What follows may be comments and semicolons, which prepare to no statement.
        var next: OpaquePointer?
        let restRC = sqlite3_prepare_v2(db, rest, -1, &next, nil)
        sqlite3_finalize(next)
        guard restRC == SQLITE_OK, next == nil else {
            throw QueryRefusal.severalStatements()
        }
        return statement
    }

    /// Runs one statement a user typed, when it only reads: `header` gets the names of the
    /// columns, then `row` each row, one at a time, at most `limit` of them.
    /// - Throws: `.usage` for a statement that would write (and as ``prepareOnce(_:)``); what the
    ///   closures throw.
    func readOnlyQuery(
        _ sql: String, limit: Int, header: ([String]) throws(JournalError) -> Void,
        row: ([SQLValue]) throws(JournalError) -> Void
    ) throws(JournalError) {
        let rc = csqlite_harden_for_queries(db)
        guard rc == SQLITE_OK else { throw error(rc, lastMessage) }
        let statement = try prepareOnce(sql)
        guard statement.isReadOnly else {
            throw QueryRefusal.writes()
        }
        let columns = statement.columnNames
        try header(columns)
        var count = 0
        while count < limit, try Self.asQueryError({ () throws(JournalError) in try statement.step() }) {
            try row((0..<Int32(columns.count)).map(statement.value))
            count += 1
        }
    }

    /// What `step` throws, as a user's query's error when it is one: SQL that fails as it runs (a
    /// function it may not call, a file ATTACH cannot open, a value too big to make) is `.usage`, like SQL that does not
    /// prepare; the journal's own failures stay what they are.
    private static func asQueryError<T>(_ step: () throws(JournalError) -> T) throws(JournalError) -> T {
        do {
            return try step()
        } catch {
            let primary = (error.cause as? SQLiteError).map { $0.code & 0xFF }
            guard let primary, [SQLITE_ERROR, SQLITE_AUTH, SQLITE_CANTOPEN, SQLITE_RANGE, SQLITE_MISMATCH, SQLITE_TOOBIG].contains(primary) else {
                throw error
            }
            throw JournalError(.usage, error.message, context: error.context, cause: error.cause)
        }
    }

    /// `PRAGMA data_version`: changes when another connection (of this process or another) commits;
    /// this connection's own commits leave it as it was.
    func dataVersion() throws(JournalError) -> Int64 {
        let s = try sqliteStatement("PRAGMA data_version")
        defer { s.reset() }
        return try s.step() ? s.int(0) : 0
    }

    /// Calls `hook` after each commit with the number of pages in the WAL. Replaces SQLite's
    /// automatic checkpoints on this connection (``checkpointPassive()`` is then the caller's job).
    func setWALHook(_ hook: @escaping (Int) -> Void) {
        let box = WALHookBox(hook)
        walHook = box
        sqlite3_wal_hook(
            db,
            { context, _, _, pages in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALHookBox>.fromOpaque(context).takeUnretainedValue().hook(Int(pages))
                return SQLITE_OK
            }, Unmanaged.passUnretained(box).toOpaque())
    }

    /// Copies as much of the WAL into the database file as can be done without waiting for
    /// anyone (`SQLITE_CHECKPOINT_PASSIVE`).
    /// - Returns: pages in the WAL and pages now copied.
    @discardableResult
    func checkpointPassive() throws(JournalError) -> (walPages: Int, copied: Int) {
        var log: Int32 = 0
        var copied: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        guard rc == SQLITE_OK else { throw error(rc, lastMessage) }
        return (Int(log), Int(copied))
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(db)) }

    /// Whether a transaction is open.
    var inTransaction: Bool { sqlite3_get_autocommit(db) == 0 }

    var lastMessage: String { db.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection" }

    /// Waits up to `milliseconds` for another connection's lock before failing with busy.
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(db, milliseconds)
    }

    /// Why a file cannot be opened, in words SQLite's "unable to open database file" lacks: a
    /// path too long, a missing folder, a file or folder this user may not use.
    private static func openProblem(_ path: String, creating: Bool) -> String? {
        // SQLite's unix files take paths of at most 512 bytes (its MAX_PATHNAME), once absolute.
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if absolute.utf8.count >= 512 {
            return "its path is \(absolute.utf8.count) bytes long, and SQLite opens paths of at most 511: "
                + "use a shorter path (a symbolic link to its folder, say)"
        }
        // A directory is refused before SQLite is asked (``JournalFileName/notARegularFile(_:)``).
        if FileManager.default.fileExists(atPath: path) {
            return FileManager.default.isWritableFile(atPath: path) ? nil : "permission denied (this user cannot write it)"
        }
        if !creating { return "the file \(path) is gone (deleted or moved since the journal was opened)" }
        let folder = (path as NSString).deletingLastPathComponent
        let parent = folder.isEmpty ? "." : folder
        if !FileManager.default.fileExists(atPath: parent) { return "there is no folder \(parent)" }
        return FileManager.default.isWritableFile(atPath: parent) ? nil : "permission denied (this user cannot create files in \(parent))"
    }

    /// Maps a SQLite result code to a ``JournalError``.
    func error(_ rc: Int32, _ message: String) -> JournalError {
        let primary = rc & 0xFF
        // SQLITE_AUTH comes from the authorizer of `planj sql`, refusing what a query may not do.
        let code: JournalError.Code =
            (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) ? .corrupt : primary == SQLITE_AUTH ? .usage : .io
        // What to do about it: reading a journal in WAL mode writes its -shm file beside it.
        let hint =
            primary == SQLITE_NOTADB
            ? ": this file is not a SQLite database, so not a journal (check --journal or $PLANJOURNAL_PATH)"
            : primary == SQLITE_READONLY
            ? Self.foreignSideFiles(path)
                ?? (": this user cannot write the journal or its folder (in WAL mode even readers write the -shm file beside it);"
                    + " make both writable, or copy the journal (with its -wal and -pjlog files) somewhere writable")
            : primary == SQLITE_BUSY
                ? ": another process held the journal's write lock for longer than the busy timeout (a long ingest,"
                    + " or a writer stopped with Ctrl-Z or SIGSTOP); try again once it ends"
            // SQLITE_IOERR_SHMSIZE (a macro Swift does not import): the -shm file beside the
            // journal, which readers need too, cannot grow.
            : primary == SQLITE_FULL || rc == (SQLITE_IOERR | (19 << 8))
                ? ": the disk holding the journal is full (readers need room for its -shm file too); free some space"
                    + " and try again: nothing written is lost"
            : primary == SQLITE_CANTOPEN
                ? ": the journal's file, or its -wal or -shm beside it, could not be opened (too many open files, or a -wal"
                    + " without its -shm where this user cannot create one: copy the journal with both somewhere writable)"
            : primary == SQLITE_IOERR ? Self.fileSizeLimitHint() : ""
        return JournalError(
            code, "SQLite: \(message) (code \(rc))\(hint)", context: .init(journalPath: path), cause: SQLiteError(code: rc))
    }
}

extension SQLiteConnection {
    /// Names the journal's `-wal` or `-shm` file when another user's and not writable by this
    /// one (that user opened the journal; in a sticky folder such as /tmp only they or root can
    /// remove it): why a journal this user owns reads as read-only.
    static func foreignSideFiles(_ path: String) -> String? {
        for suffix in ["-wal", "-shm"] {
            let side = JournalFileName.resolved(path) + suffix
            var info = stat()
            guard stat(side, &info) == 0, info.st_uid != geteuid(), access(side, W_OK) != 0 else { continue }
            return ": \(side) belongs to another user (uid \(info.st_uid)), who opened the journal, and this user cannot write it;"
                + " that user (or root) can remove it once no planj has the journal open, or make it writable by this user"
        }
        return nil
    }

    /// Names the file size limit (`ulimit -f`) when one is set: a write past it fails as an I/O error.
    static func fileSizeLimitHint() -> String {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return "" }
        return ": this process may write files of at most \(limit.rlim_cur) bytes (ulimit -f); nothing written is lost"
    }
}

/// A SQLite result code, kept as the cause of a ``JournalError``.
struct SQLiteError: Error, Sendable, CustomStringConvertible {
    var code: Int32
    /// Whether another connection held a lock for longer than the busy timeout.
    var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }
    /// Whether the file (or its folder) cannot be written by this process.
    var isReadOnly: Bool { code & 0xFF == SQLITE_READONLY }
    var description: String { "SQLite result code \(code): \(String(cString: sqlite3_errstr(code)))" }
}

/// The closure a WAL hook calls, at a fixed address for SQLite's context pointer.
private final class WALHookBox {
    let hook: (Int) -> Void
    init(_ hook: @escaping (Int) -> Void) { self.hook = hook }
}
