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
        do throws(JournalError) {
            let (columns, rows): ([String], [[SQLValue]])
            if JournalBackend.isPostgres(path) {
                let db = try JournalBackend.connect(path, configuration: configuration)
                guard let pg = db as? PGConnection else { throw JournalError(.io, "not a PostgreSQL connection") }
                (columns, rows) = try pg.readOnlyQuery(sql)
            } else {
                let db = try SQLiteConnection(path: path, readOnly: true)
                db.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds)
                (columns, rows) = try db.readOnlyQuery(sql, limit: limit)
            }
            return QueryResult(columns: columns, rows: rows.prefix(limit).map { $0.map(Self.cell) })
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
