import PlanJournalCore

extension Journal {
    /// The events of `run` from `seq` on: first those already in the journal, then each new one as
    /// it is appended (by this process or another). The stream ends after `run.completed` (at once when
    /// the run is completed and `seq` is past its end).
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
    ///
    /// The stream reads as it is consumed, a batch of at most ``subscriptionBatch`` events at a
    /// time: a slow consumer of a long run holds one batch in memory, not the run.
    public func subscribe(
        to run: String, from seq: Int64 = 1, pollInterval: Duration? = nil
    ) -> AsyncThrowingStream<JournalEvent, any Error> {
        let postgres = JournalBackend.isPostgres(path)
        let cursor = SubscriptionCursor(
            journal: self, run: run, from: seq, pollInterval: pollInterval ?? (postgres ? .seconds(1) : .milliseconds(50)),
            listening: postgres)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }

    /// The most events a subscription reads ahead of its consumer.
    public static let subscriptionBatch: Int64 = 1024

    /// How long a subscription keeps reading again after reads that failed in a row (``JournalError/mayPassOnRetry``).
    public static let readRetrySeconds: Int64 = 60
}

/// Where a subscription stands: the batch read and not yet consumed, the next seq to read, and
/// (on PostgreSQL) the connection listening for commits.
private actor SubscriptionCursor {
    private let journal: Journal
    private let run: String
    private let pollInterval: Duration
    private let wake = WakeSignal()
    /// Whether to listen (PostgreSQL), until the first ``next()`` tries to.
    private var listening: Bool
    private var listener: PGListener?
    private var batch: [JournalEvent] = []
    private var taken = 0
    private var next: Int64
    private var completed = false
    private var failingSince: ContinuousClock.Instant?

    init(journal: Journal, run: String, from seq: Int64, pollInterval: Duration, listening: Bool) {
        self.journal = journal
        self.run = run
        self.pollInterval = pollInterval
        next = seq
        self.listening = listening
    }

    deinit { listener?.close() }

    /// The next event, waiting for it to be appended; `nil` after `run.completed`, or once the
    /// consuming task is cancelled.
    func next() async throws -> JournalEvent? {
        if listening {
            listening = false
            // Listening starts before the first read, so nothing committed after it goes unseen
            // (here, not in `subscribe`, which must not wait for a server). It listens again by
            // itself after losing its connection, and wakes the reader then to read what was
            // committed meanwhile.
            let (wake, run) = (wake, run)
            listener = try? PGListener(
                url: journal.path, handler: { if $0 == run { wake.signal() } }, reconnected: { wake.signal() })
        }
        while !Task.isCancelled {
            if taken < batch.count {
                let event = batch[taken]
                taken += 1
                return event
            }
            if completed { return nil }
            try read()
            if batch.isEmpty { await wake.wait(atMost: pollInterval) }
        }
        return nil
    }

    /// Reads the next batch (empty when there is nothing new, or the read failed in a way that may
    /// pass: then it is read again at the next poll, for up to ``Journal/readRetrySeconds``).
    private func read() throws(JournalError) {
        batch = []
        taken = 0
        let summary: RunSummary
        do throws(JournalError) {
            summary = try journal.run(run)
        } catch where error.code == .notFound {
            return  // Not there yet: a subscription may start before the run's first event.
        } catch {
            return try retryLater(error)
        }
        // Nothing left to read of a completed run (a subscription from past its end).
        if summary.status != "running" && next > summary.events {
            completed = true
            return
        }
        var read: [JournalEvent] = []
        do throws(JournalError) {
            let last = next > Int64.max - Journal.subscriptionBatch ? Int64.max : next + Journal.subscriptionBatch - 1
            try journal.forEachEvent(of: run, from: next, to: last) { read.append($0) }
            failingSince = nil
        } catch {
            return try retryLater(error)
        }
        if let last = read.last {
            next = last.seq + 1
            completed = read.contains { $0.knownKind == .runCompleted }
        }
        batch = read
    }

    /// Lets a read that failed in a way that may pass be tried at the next poll, for up to
    /// ``Journal/readRetrySeconds`` in a row; throws any other failure (a corrupt journal, a
    /// deleted file), and this one once failures have lasted that long.
    private func retryLater(_ error: JournalError) throws(JournalError) {
        guard error.mayPassOnRetry else { throw error }
        let since = failingSince ?? .now
        failingSince = since
        if ContinuousClock.now - since > .seconds(Journal.readRetrySeconds) { throw error }
    }
}
