import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Synchronization

@testable import PlanJournalStore

/// The SQLite backend for ``JournalConformance``: each journal a file in its own temporary
/// folder (removed with the fixture), reopened by path, tampered with through SQL.
final class SQLiteFixture: JournalBackendFixture {
    let backendName = "sqlite"
    private let folders = Mutex<[String]>([])

    func makeJournal(configuration: JournalConfiguration) throws -> Journal {
        let folder = NSTemporaryDirectory() + "planjournal-conformance-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        folders.withLock { $0.append(folder) }
        return try Journal(path: folder + "/journal.sqlite", configuration: configuration)
    }

    func reopen(_ journal: Journal, configuration: JournalConfiguration) throws -> Journal {
        try Journal(path: journal.path, configuration: configuration)
    }

    /// Rewrites the chunk holding the event (``StoredEventTamperer``).
    func tamper(_ journal: Journal, run: String, seq: Int64) throws {
        try StoredEventTamperer.tamper(try SQLiteConnection(path: journal.path), journal: journal.path, run: run, seq: seq)
    }

    deinit {
        for folder in folders.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: folder) }
    }
}
