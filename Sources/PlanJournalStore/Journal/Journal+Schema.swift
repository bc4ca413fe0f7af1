import Foundation
import PlanJournalCore

extension Journal {
    /// Whether `path` names a journal in a database server (`postgres://` or `postgresql://`)
    /// rather than a SQLite file.
    public static func isDatabaseURL(_ path: String) -> Bool { JournalBackend.isPostgres(path) }

    /// `path` as messages show it: a database URL without its password (`postgres://me:***@...`
    /// becomes `postgres://me@...`), a file path as it is.
    public static func displayName(_ path: String) -> String {
        guard isDatabaseURL(path) else { return path }
        return PostgresURL.withoutPassword(path).replacingOccurrences(of: ":***@", with: "@")
    }

    /// ``path`` as messages show it (see ``displayName(_:)``).
    public var displayPath: String { Self.displayName(path) }

    /// The newest storage format this build reads and writes.
    public static var supportedFormatVersion: Int { Schema.formatVersion }

    /// The journal's storage format version (opening a journal upgrades it to
    /// ``supportedFormatVersion``).
    /// - Throws: `.io`.
    public func formatVersion() throws(JournalError) -> Int {
        try withReader { (r) throws(JournalError) in try Schema.version(r.db) }
    }
}
