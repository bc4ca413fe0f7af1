import PlanJournalCore
import PlanJournalStore
import Testing

/// The behaviour every journal backend must have, as checks a backend's test suite runs with its
/// ``JournalBackendFixture`` (one `@Test` per check; see `SQLiteConformanceTests`).
///
/// Each check makes its own journals, so checks run in parallel; each records failures with
/// `#expect`/`#require` and throws what the journal throws unexpectedly.
public struct JournalConformance: Sendable {
    /// The backend under test.
    public let fixture: any JournalBackendFixture

    public init(_ fixture: any JournalBackendFixture) {
        self.fixture = fixture
    }

    /// A journal with small chunks and frequent snapshots, so that a few events span several of each.
    func makeSmallChunkJournal() throws -> Journal {
        try fixture.makeJournal(configuration: JournalConfiguration(chunkBytes: 2048, snapshotInterval: 5))
    }

    /// A conflict error, or `nil` for anything else.
    static func conflict(_ error: any Error) -> JournalError? {
        guard let e = error as? JournalError, e.code == .conflict else { return nil }
        return e
    }

    /// The head hashes of every run of `journal`, by run.
    static func heads(_ journal: Journal) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try journal.runs().map { ($0.id, $0.headHash) })
    }
}
