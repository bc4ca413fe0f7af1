import Logging
import NIOCore
import PlanJournalCore
import PostgresNIO

/// A connection of its own that listens for ``PGNotifications`` and calls a handler with the run
/// each names, on the connection's event loop (the handler must be quick and must not block).
///
/// `Sendable`: its only state is the postgres-nio connection, which is.
final class PGListener: Sendable {
    private let connection: PostgresConnection

    /// Connects to the journal `url` and listens; notifications committed after this returns
    /// reach `handler`.
    /// - Throws: `.usage` for a malformed URL, `.io` when the server cannot be reached.
    init(url: String, handler: @escaping @Sendable (_ run: String) -> Void) throws(JournalError) {
        let target = try PostgresURL(url)
        connection = try PGConnection.open(target)
        connection.addListener(channel: PGNotifications.channel) { _, notification in
            if let run = PGNotifications.run(inPayload: notification.payload) { handler(run) }
        }
        do {
            _ = try connection.query(
                PostgresQuery(unsafeSQL: "LISTEN \(PGNotifications.channel)"), logger: PGConnection.quietLogger
            ).wait()
        } catch {
            close()
            throw PGErrors.journalError(error, journal: target.redacted, connecting: false)
        }
    }

    /// Whether the connection was lost (no more notifications come: poll instead).
    var isClosed: Bool { connection.isClosed }

    /// Stops listening and closes the connection.
    func close() {
        let connection = self.connection
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }
}
