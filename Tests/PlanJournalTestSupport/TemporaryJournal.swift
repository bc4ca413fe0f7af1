import Foundation
import PlanJournalCore
import PlanJournalStore

/// A journal in a fresh temporary folder, removed when the value is released.
public final class TemporaryJournal: Sendable {
    /// The folder holding the journal file.
    public let directory: String
    /// The journal file.
    public let path: String
    public let journal: Journal

    /// Creates an empty journal with `configuration`.
    public init(configuration: JournalConfiguration = JournalConfiguration()) throws {
        directory = NSTemporaryDirectory() + "planjournal-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/journal.sqlite"
        journal = try Journal(path: path, configuration: configuration)
    }

    /// Opens another `Journal` on the same file (as another process would).
    public func reopen(configuration: JournalConfiguration = JournalConfiguration()) throws -> Journal {
        try Journal(path: path, configuration: configuration)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
