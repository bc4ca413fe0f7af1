import PlanJournalCore

/// The rows a SQL query returned.
public struct QueryResult: Sendable, Equatable {
    /// A value of a cell, with the type the engine gave it.
    public enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob([UInt8])

        /// A blob's bytes as lowercase hex, as the journal prints hashes; `nil` for other values.
        public var blobHex: String? {
            if case .blob(let b) = self { return HashChain.hex(b) }
            return nil
        }
    }

    /// The columns' names, in order.
    public var columns: [String]
    /// The rows, each with one value per column.
    public var rows: [[Value]]
}

extension Journal {
    /// Runs one SQL statement that only reads (`SELECT`, `WITH` ...) on the journal's database:
    /// the read model's tables (``refreshReadModel(progress:)``) and the catalog (`runs`) are there
    /// to be queried. SQLite runs it on a read-only connection; PostgreSQL in a read-only
    /// transaction that is rolled back. At most `limit` rows are returned.
    /// - Throws: `.usage` for a statement that would write, for more than one statement, and for
    ///   SQL the engine does not accept (its message says why); `.io` when the engine fails.
    public func query(_ sql: String, limit: Int = .max) throws(JournalError) -> QueryResult {
        var result = QueryResult(columns: [], rows: [])
        try query(sql, limit: limit, header: { result.columns = $0 }, row: { result.rows.append($0) })
        return result
    }

    /// ``query(_:limit:)`` one row at a time, for results too large to hold: `header` gets the
    /// names of the columns first, then `row` each row. On SQLite rows are read as they are
    /// passed on; PostgreSQL sends the whole result first (and names no columns when it is empty).
    /// - Throws: as ``query(_:limit:)``, and what the closures throw.
    public func query(
        _ sql: String, limit: Int = .max, header: ([String]) throws(JournalError) -> Void,
        row: ([QueryResult.Value]) throws(JournalError) -> Void
    ) throws(JournalError) {
        do throws(JournalError) {
            if JournalBackend.isPostgres(path) {
                let db = try JournalBackend.connect(path, configuration: configuration, first: false)
                guard let pg = db as? PGConnection else { throw JournalError(.io, "not a PostgreSQL connection") }
                let (columns, rows) = try pg.readOnlyQuery(sql)
                try header(columns)
                for r in rows.prefix(limit) { try row(r.map(Self.cell)) }
            } else {
                let db = try SQLiteConnection(path: path, readOnly: true)
                db.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds)
                try db.readOnlyQuery(sql, limit: limit, header: header, row: { (r) throws(JournalError) in try row(r.map(Self.cell)) })
            }
        } catch {
            throw error.adding(journalPath: displayPath)
        }
    }

    private static func cell(_ value: SQLValue) -> QueryResult.Value {
        switch value {
        case .null: .null
        case .int(let n): .integer(n)
        case .double(let d): .real(d)
        case .text(let s): .text(s)
        case .blob(let b): .blob(b)
        }
    }
}
