import Logging
import NIOCore
import NIOPosix
import PlanJournalCore
import PostgresNIO
import Synchronization

/// A connection of its own that listens for ``PGNotifications`` and calls a handler with the run
/// each names, on the connection's event loop (the handler must be quick and must not block).
///
/// When the connection is lost (a server restart, `pg_terminate_backend`, a network failure) it
/// connects and listens again, 100 ms later, then after a wait that doubles with each failed
/// attempt up to ``maximumRetryDelay``, until ``close()``; once it listens again it calls
/// `reconnected`, since notifications sent meanwhile were lost (callers read what they missed
/// then, and poll anyway).
///
/// `Sendable`: its state is behind a `Mutex`; the postgres-nio connection is `Sendable`.
final class PGListener: Sendable {
    private let target: PostgresURL
    private let handler: @Sendable (_ run: String) -> Void
    private let reconnected: @Sendable () -> Void
    private let state = Mutex(State())
    /// The longest wait between two connection attempts.
    static let maximumRetryDelay = TimeAmount.seconds(5)

    private struct State {
        var connection: PostgresConnection?
        var closed = false
        /// Failed attempts since the last connection that listened.
        var failures = 0
        var retry: Scheduled<Void>?
    }

    /// Connects to the journal `url` and listens; notifications committed after this returns
    /// reach `handler`. When that first connection fails, it keeps trying in the background.
    /// - Parameters:
    ///   - handler: called with the run of each notification.
    ///   - reconnected: called each time it listens again after a lost or failed connection.
    /// - Throws: `.usage` for a malformed URL or an unusable root certificate file.
    init(
        url: String, handler: @escaping @Sendable (_ run: String) -> Void,
        reconnected: @escaping @Sendable () -> Void = {}
    ) throws(JournalError) {
        target = try PostgresURL(url)
        _ = try PGConnection.configuration(target)
        self.handler = handler
        self.reconnected = reconnected
        do {
            let connection = try listen(on: PGConnection.open(target)).wait()
            adopt(connection, again: false)
        } catch {
            scheduleRetry()
        }
    }

    /// Whether it is listening now (no notifications come while it reconnects: poll instead).
    var isListening: Bool { state.withLock { s in s.connection.map { !$0.isClosed } ?? false } }

    /// Stops listening and closes the connection; no more attempts are made.
    func close() {
        let connection = state.withLock { s -> PostgresConnection? in
            s.closed = true
            s.retry?.cancel()
            s.retry = nil
            defer { s.connection = nil }
            return s.connection
        }
        if let connection { Self.close(connection) }
    }

    deinit {
        close()
    }

    /// Closes `connection`, keeping it until it is closed (postgres-nio wants that).
    private static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Sends `LISTEN` on the connection `opening` yields, with the handler in place.
    private func listen(on opening: EventLoopFuture<PostgresConnection>) -> EventLoopFuture<PostgresConnection> {
        let handler = self.handler
        let target = self.target
        return opening.flatMap { connection in
            connection.addListener(channel: PGNotifications.channel) { _, notification in
                if let run = PGNotifications.run(inPayload: notification.payload) { handler(run) }
            }
            return connection.query(
                PostgresQuery(unsafeSQL: "LISTEN \(PGNotifications.channel)"), logger: PGConnection.quietLogger
            ).map { _ in connection }.flatMapError { error in
                // The connection may be fine and only LISTEN refused: close it either way.
                connection.close().flatMapThrowing { _ in
                    throw PGErrors.journalError(error, journal: target.redacted, connecting: false)
                }
            }
        }
    }

    /// Keeps `connection` (or closes it when the listener was closed meanwhile) and watches for
    /// its loss.
    private func adopt(_ connection: PostgresConnection, again: Bool) {
        let keep = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            s.connection = connection
            s.failures = 0
            return true
        }
        guard keep else {
            Self.close(connection)
            return
        }
        connection.closeFuture.whenComplete { [weak self] _ in self?.lost(connection) }
        if again { reconnected() }
    }

    /// The connection went away: try again, unless the listener was closed.
    private func lost(_ connection: PostgresConnection) {
        let current = state.withLock { s -> Bool in
            guard !s.closed, s.connection === connection else { return false }
            s.connection = nil
            return true
        }
        if current { scheduleRetry() }
    }

    /// Schedules the next connection attempt, after a delay that doubles with each failure.
    private func scheduleRetry() {
        state.withLock { s in
            guard !s.closed else { return }
            let delay = min(TimeAmount.milliseconds(100) * (1 << min(s.failures, 10)), Self.maximumRetryDelay)
            s.failures += 1
            s.retry = MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: delay) { [weak self] in
                self?.attempt()
            }
        }
    }

    /// One connection attempt; another is scheduled if it fails.
    private func attempt() {
        guard !state.withLock({ $0.closed }) else { return }
        listen(on: PGConnection.open(target)).whenComplete { [weak self] result in
            switch result {
            case .success(let connection):
                if let self {
                    self.adopt(connection, again: true)
                } else {
                    Self.close(connection)
                }
            case .failure:
                self?.scheduleRetry()
            }
        }
    }
}
