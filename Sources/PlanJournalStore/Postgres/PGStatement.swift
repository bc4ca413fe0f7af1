import PlanJournalCore

/// A statement of one ``PGConnection``: binds are kept until ``run()`` or the first ``step()``,
/// which sends the query and reads every row (the journal's queries return a few rows, or chunks
/// bounded by the chunk size).
final class PGStatement: SQLStatement {
    /// The SQL with `$1...$n` placeholders.
    let sql: String
    private unowned let connection: PGConnection
    private var binds: [SQLValue] = []
    private var rows: [[SQLValue]]?
    private var index = -1

    init(sql: String, connection: PGConnection) {
        self.sql = sql
        self.connection = connection
    }

    func reset() {
        binds.removeAll(keepingCapacity: true)
        rows = nil
        index = -1
    }

    @discardableResult
    func bind(_ values: SQLValue...) -> Self {
        bindAll(values)
    }

    @discardableResult
    func bindAll(_ values: [SQLValue]) -> Self {
        binds = values
        rows = nil
        index = -1
        return self
    }

    func run() throws(JournalError) {
        _ = try connection.query(sql, binds)
        rows = nil
        index = -1
    }

    func step() throws(JournalError) -> Bool {
        if rows == nil {
            rows = try connection.query(sql, binds)
            index = -1
        }
        index += 1
        return index < (rows?.count ?? 0)
    }

    private func value(_ column: Int32) -> SQLValue {
        guard let rows, index >= 0, index < rows.count, Int(column) < rows[index].count else { return .null }
        return rows[index][Int(column)]
    }

    func int(_ column: Int32) -> Int64 {
        switch value(column) {
        case .int(let n): n
        case .double(let d): Int64(exactly: d.rounded(.towardZero)) ?? 0
        case .text(let s): Int64(s) ?? 0
        case .null, .blob: 0
        }
    }

    func double(_ column: Int32) -> Double {
        switch value(column) {
        case .int(let n): Double(n)
        case .double(let d): d
        case .text(let s): Double(s) ?? 0
        case .null, .blob: 0
        }
    }

    func isNull(_ column: Int32) -> Bool {
        if case .null = value(column) { return true }
        return false
    }

    func text(_ column: Int32) -> String? {
        switch value(column) {
        case .text(let s): s
        case .int(let n): String(n)
        case .double(let d): String(d)
        case .blob(let b): String(decoding: b, as: UTF8.self)
        case .null: nil
        }
    }

    func blob(_ column: Int32) -> [UInt8] {
        switch value(column) {
        case .blob(let b): b
        case .text(let s): Array(s.utf8)
        case .int, .double, .null: []
        }
    }
}
