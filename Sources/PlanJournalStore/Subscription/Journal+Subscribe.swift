import PlanJournalCore

extension Journal {
    /// The events of `run` from `seq` on: first those already in the journal, then each new one as
    /// it is appended (by this process or another). The stream ends after `run.completed`.
    ///
    /// On SQLite the journal is checked every `pollInterval`. On PostgreSQL a connection of the
    /// subscription's own listens for the notification every commit that moves a run's head sends
    /// (`LISTEN`/`NOTIFY`), so new events arrive as soon as they are committed; the journal is
    /// still checked every `pollInterval`, so that a notification lost with its connection never
    /// stalls the stream. A listening connection that is lost (or cannot be opened) is opened again,
    /// with backoff, while the stream keeps polling; a read that fails because its connection was
    /// lost (the server restarting, a connection ended) or a lock was held too long is tried again
    /// at the next poll, for up to ``readRetrySeconds`` in a row.
    /// - Parameter pollInterval: how often the journal is checked for new events without being
    ///   told (default 50 ms on SQLite, 1 s on PostgreSQL).
    public func subscribe(
        to run: String, from seq: Int64 = 1, pollInterval: Duration? = nil
    ) -> AsyncThrowingStream<JournalEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: JournalEvent.self, throwing: (any Error).self, bufferingPolicy: .unbounded)
        let postgres = JournalBackend.isPostgres(path)
        let interval = pollInterval ?? (postgres ? .seconds(1) : .milliseconds(50))
        let task = Task {
            let wake = WakeSignal()
            // Listening starts before the first read, so nothing committed after it goes unseen.
            var listener: PGListener?
            if postgres {
                // It listens again by itself after losing its connection, and wakes the loop then to
                // read what was committed meanwhile.
                listener = try? PGListener(
                    url: path, handler: { if $0 == run { wake.signal() } }, reconnected: { wake.signal() })
            }
            defer { listener?.close() }
            var next = seq
            var failingSince: ContinuousClock.Instant?
            do {
                while !Task.isCancelled {
                    var completed = false
                    if (try? self.run(run)) != nil {
                        do {
                            try self.forEachEvent(of: run, from: next) { e in
                                continuation.yield(e)
                                next = e.seq + 1
                                if e.knownKind == .runCompleted { completed = true }
                            }
                            failingSince = nil
                        } catch let error as JournalError where error.mayPassOnRetry {
                            // Read again from the first event not yet yielded at the next poll.
                            let since = failingSince ?? .now
                            failingSince = since
                            if ContinuousClock.now - since > .seconds(Self.readRetrySeconds) { throw error }
                        }
                    }
                    if completed { break }
                    await wake.wait(atMost: interval)
                    try Task.checkCancellation()
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// How long a subscription keeps reading again after reads that failed in a row (``JournalError/mayPassOnRetry``).
    public static let readRetrySeconds: Int64 = 60
}
