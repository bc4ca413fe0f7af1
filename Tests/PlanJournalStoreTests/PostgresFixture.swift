import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Synchronization

@testable import PlanJournalStore

/// The PostgreSQL backend for ``JournalConformance``: each journal a database of its own
/// (`CREATE DATABASE t_<uuid>` on the server `$PLANJ_TEST_POSTGRES_URL` names, dropped with the
/// fixture), reopened by URL, tampered with through SQL as the SQLite fixture does.
final class PostgresFixture: JournalBackendFixture {
    let backendName = "postgres"
    /// The server's URL (its database is used only to create and drop the test databases).
    let serverURL: String
    private let databases = Mutex<[String]>([])

    init(serverURL: String) {
        self.serverURL = serverURL
    }

    /// The fixture for `$PLANJ_TEST_POSTGRES_URL`; `nil` (after a loud banner, or a recorded
    /// failure when `PLANJ_REQUIRE_POSTGRES=1`) when it is not set.
    static func fromEnvironment() -> PostgresFixture? {
        PostgresTestServer.url(skipping: "PostgreSQL backend checks").map(PostgresFixture.init(serverURL:))
    }

    /// The URL of a new, empty database on the server.
    func makeDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PGConnection(url: serverURL)
        try admin.execute("CREATE DATABASE \(name)")
        databases.withLock { $0.append(name) }
        return Self.url(serverURL, database: name)
    }

    /// `url` with its database replaced by `database`.
    static func url(_ url: String, database: String) -> String {
        guard var parts = URLComponents(string: url) else { return url }
        parts.path = "/" + database
        return parts.string ?? url
    }

    func makeJournal(configuration: JournalConfiguration) throws -> Journal {
        try Journal(path: try makeDatabase(), configuration: configuration)
    }

    func reopen(_ journal: Journal, configuration: JournalConfiguration) throws -> Journal {
        try Journal(path: journal.path, configuration: configuration)
    }

    /// Rewrites the chunk holding the event: decoded, one letter of the event's data changed in
    /// case, stored back uncompressed with a matching body checksum and the old chain hash.
    func tamper(_ journal: Journal, run: String, seq: Int64) throws {
        let db = try JournalBackend.connect(journal.path, configuration: JournalConfiguration())
        try StoredEventTamperer.tamper(db, journal: journal.path, run: run, seq: seq)
    }

    deinit {
        let names = databases.withLock { $0 }
        guard !names.isEmpty, let admin = try? PGConnection(url: serverURL) else { return }
        for name in names { try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }
}
