import CSQLite
import PlanJournalCore

/// A prepared statement owned by one ``SQLiteConnection``; finalized in `deinit`.
final class SQLiteStatement: SQLStatement {
    private let handle: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `values` to parameters 1...n.
    @discardableResult
    func bind(_ values: SQLValue...) -> Self {
        bindAll(values)
    }

    @discardableResult
    func bindAll(_ values: [SQLValue]) -> Self {
        for (k, v) in values.enumerated() {
            let i = Int32(k + 1)
            switch v {
            case .null: sqlite3_bind_null(handle, i)
            case .int(let n): sqlite3_bind_int64(handle, i, n)
            case .double(let d): sqlite3_bind_double(handle, i, d)
            case .text(var s):
                // By length: a NUL inside the text is kept (as a C string it would end there).
                s.withUTF8 { utf8 in
                    if let base = utf8.baseAddress {
                        _ = sqlite3_bind_text(handle, i, base, Int32(utf8.count), csqlite_transient())
                    } else {
                        _ = sqlite3_bind_text(handle, i, "", 0, csqlite_transient())
                    }
                }
            case .blob(let b):
                b.withUnsafeBytes { raw in
                    _ = sqlite3_bind_blob64(handle, i, raw.baseAddress, sqlite3_uint64(raw.count), csqlite_transient())
                }
            }
        }
        return self
    }

    /// Runs a statement that returns no rows.
    func run() throws(JournalError) {
        let rc = sqlite3_step(handle)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw connection.error(rc, connection.lastMessage) }
        sqlite3_reset(handle)
    }

    /// Steps to the next row; `false` when there is none.
    func step() throws(JournalError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error(rc, connection.lastMessage)
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, column) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// The columns of each row, by name.
    var columnNames: [String] {
        (0..<sqlite3_column_count(handle)).map { sqlite3_column_name(handle, $0).map { String(cString: $0) } ?? "" }
    }

    /// Whether the statement leaves the database as it is.
    var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    /// The value of `column` in the current row, with SQLite's own type.
    func value(_ column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: .int(int(column))
        case SQLITE_FLOAT: .double(double(column))
        case SQLITE_BLOB: .blob(blob(column))
        case SQLITE_NULL: .null
        default: text(column).map { .text($0) } ?? .null
        }
    }

    func blob(_ column: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, column))
        guard n > 0, let p = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
