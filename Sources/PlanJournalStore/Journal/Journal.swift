import Dispatch
import Foundation
import PlanJournalCore
import Synchronization

/// A journal of plan-and-execute runs in one SQLite file (WAL mode) or one PostgreSQL database
/// (named by a `postgres://user@host:port/database` URL): append-only, hash-chained,
/// LZ4-compressed, with a run catalog, snapshots and forks. Both engines store the same tables,
/// written by the same code.
///
/// `Journal` is `Sendable`: one writer connection behind a lock (appends from many tasks share
/// transactions through group commit) and a small pool of reader connections. Several processes
/// (on PostgreSQL, several machines) may open the same journal; SQLite's write lock, or an
/// advisory lock every PostgreSQL write transaction takes, orders their writes.
///
/// A SQLite journal that only one `Journal` has open commits appends in write windows of
/// ``JournalConfiguration/commitWindowMicroseconds``: each append is in the append log
/// (`<journal>-pjlog`; synced to disk first with `.full` durability) before it returns, reads
/// through this `Journal` see it at once, and other processes see it when its window commits.
/// Call ``close()`` before the process ends, so the database file holds every append.
public final class Journal: Sendable {
    /// The database file, or the PostgreSQL URL as given.
    public let path: String
    public let configuration: JournalConfiguration
    let writer: WriterBox
    private let readers = Mutex<[ReaderBox]>([])
    private let committer = GroupCommitQueue()
    /// Runs' heads after this journal's appends, to chain an append's events before it is queued.
    private let chainHeads = ChainHeads()

    /// Opens the journal at `path` (a file, or a `postgres://` URL of an existing database),
    /// creating the file and the schema on first use.
    /// - Throws: `.io` when the file cannot be opened or the server reached, `.usage` for a
    ///   malformed URL, `.unsupportedVersion` when a newer planj wrote it.
    public init(path: String, configuration: JournalConfiguration = JournalConfiguration()) throws(JournalError) {
        self.path = path
        self.configuration = configuration
        let writer = try JournalWriter(path: path, config: configuration)
        unreplayedAppends = writer.unreplayedLog
        self.writer = WriterBox(writer)
    }

    /// Set when the append log beside the file holds acknowledged appends that could not be
    /// added to the journal when it opened (the disk is full, or this user cannot write the
    /// journal): reads do not see them until a writer adds them. Says why, for a warning. It
    /// stays as it was when the journal opened (a later read or write may add them).
    public let unreplayedAppends: String?

    // MARK: - Appending

    /// Set by ``stopWritingForGood()``.
    static let writesStopped = Atomic(false)

    /// Makes every later append of this process fail, whatever its journal: planj ends (SIGTERM)
    /// and what the runs it drives would journal next must not land while it does.
    public static func stopWritingForGood() {
        writesStopped.store(true, ordering: .releasing)
    }

    /// Appends `events` (all of one run, continuing its seq) as one atomic batch.
    ///
    /// Concurrent appends are grouped into shared transactions (group commit); each still succeeds
    /// or fails on its own.
    /// - Parameters:
    ///   - run: the run id every event must carry.
    ///   - expecting: the head the caller believes the run has.
    /// - Throws: `.conflict` (nothing written) when the head is not as expected; `.invalidEvent` when
    ///   an event breaks the contract or `run` is no run id; `.usage` for a negative expected head;
    ///   `.io` when writing fails, after ``stopWritingForGood()``, and when the journal's file was
    ///   deleted or replaced (noticed within a few milliseconds: see ``JournalFileIdentity``).
    public func append(_ events: [JournalEvent], to run: String, expecting: ExpectedSeq = .any) async throws(JournalError)
        -> AppendResult
    {
        if let problem = JournalEvent.runIDProblem(run) { throw JournalError.invalid("run", "the run id \(problem)", run: run) }
        if case .exactly(let n) = expecting, n < 0 {
            throw JournalError(.usage, "expecting .exactly(\(n)): a head is a seq, 0 or more", context: .init(run: run))
        }
        // Hashing and the append-log record need no writer: done here, beside other appends'
        // commits, rather than on the thread that commits them.
        let request = AppendRequest(
            events: events, run: run, expecting: expecting, chain: chainHeads.chain(for: events, run: run),
            logs: writer.logsAppends)
        let result = await committer.submit(request, journal: self)
        if case .success(let appended) = result {
            chainHeads.note(appended, completed: events.last?.knownKind == .runCompleted)
        }
        return try result.get()
    }

    /// Runs `body` with the writer, outside group commit (ingest, forks). Blocks the calling thread.
    ///
    /// The open write window, if any, commits first, and an append log left by a writer that died
    /// is replayed, so `body` starts its own transaction on a current journal.
    func withWriter<T>(_ body: (JournalWriter) throws(JournalError) -> T) throws(JournalError) -> T {
        try writer.with { (w) throws(JournalError) in
            try w.commitWindow()
            // Reads inside `body` (through `withReader`) must not wait for this window again.
            writer.noteWindow()
            try w.recoverAppendLog()
            return try body(w)
        }
    }

    /// Commits every append that has returned into the database file, and removes the append log
    /// when no other process has the journal open: what a process that ends after appending calls
    /// (the window it left open would otherwise be committed by the next writer to open the
    /// journal, from the append log beside the file). Later appends commit one by one.
    public func close() throws(JournalError) {
        do throws(JournalError) {
            try writer.with { (w) throws(JournalError) in try w.close() }
            writer.noteWindow()
        } catch {
            throw error.adding(journalPath: displayPath)
        }
    }

    /// Commits the writer's open write window, so reads (of any connection) see every append
    /// that has returned.
    func commitWindow() {
        if writer.replayPending.load(ordering: .acquiring) {
            writer.with { w in writer.replayPending.store(!w.retryReplay(), ordering: .releasing) }
        }
        guard writer.windowOpen.load(ordering: .acquiring) else { return }
        writer.with { w in try? w.commitWindow() }
    }

    // MARK: - Reading

    /// Runs `body` with a reader connection from the pool.
    func withReader<T>(_ body: (JournalReader) throws(JournalError) -> T) throws(JournalError) -> T {
        commitWindow()
        let box: ReaderBox
        if let pooled = readers.withLock({ $0.popLast() }) {
            box = pooled
        } else {
            let db = try JournalBackend.connect(path, configuration: configuration)
            box = ReaderBox(JournalReader(db: db))
        }
        defer { readers.withLock { if $0.count < 4 { $0.append(box) } } }
        do {
            return try body(box.reader)
        } catch {
            throw error.adding(journalPath: displayPath)
        }
    }
}

/// The writer behind a lock.
///
/// `@unchecked Sendable`: the writer is reachable only inside ``with(_:)``, which holds the lock,
/// so one thread at a time uses its connection.
final class WriterBox: @unchecked Sendable {
    private let writer: JournalWriter
    private let lock = NSLock()
    /// Whether the writer has a write window open (set under the lock, read without it).
    let windowOpen = Atomic<Bool>(false)
    /// Whether the writer writes appends to an append log (in write windows).
    let logsAppends: Bool
    /// Whether the append log's replay failed when the journal opened and is tried again.
    let replayPending: Atomic<Bool>

    init(_ writer: JournalWriter) {
        self.writer = writer
        logsAppends = writer.appendLog != nil
        replayPending = Atomic(writer.unreplayedLog != nil && writer.appendLog?.exclusive == true)
    }

    /// Publishes whether the writer's window is open (with the lock held).
    func noteWindow() {
        windowOpen.store(writer.windowStart != nil, ordering: .releasing)
    }

    func with<T>(_ body: (JournalWriter) throws(JournalError) -> T) throws(JournalError) -> T {
        lock.lock()
        defer {
            noteWindow()
            lock.unlock()
        }
        return try body(writer)
    }

    func with<T>(_ body: (JournalWriter) -> T) -> T {
        lock.lock()
        defer {
            noteWindow()
            lock.unlock()
        }
        return body(writer)
    }
}

/// A pooled reader connection.
///
/// `@unchecked Sendable`: a box is either in the pool or held by exactly one `withReader` call.
final class ReaderBox: @unchecked Sendable {
    let reader: JournalReader
    init(_ reader: JournalReader) { self.reader = reader }
}

/// A queue of appends committed many per transaction: by an append that finds no group in
/// progress, on its caller's thread (a *leader*, which commits what queues meanwhile too), and
/// by the drain thread when a leader has done its share, when an append comes from the main
/// thread, or while earlier groups wait for the append log to be synced (`.full` durability) and
/// more appends are in flight.
final class GroupCommitQueue: Sendable {
    private struct Pending: Sendable {
        var request: AppendRequest
        var continuation: CheckedContinuation<Result<AppendResult, JournalError>, Never>
    }

    /// Appends waiting, and whether a thread is committing (a leader or the drain thread).
    private let state = Mutex<(queue: [Pending], draining: Bool)>(([], false))
    private let dispatch = DispatchQueue(label: "planjournal.group-commit")
    /// Where groups wait for the append log to be synced (`.full` durability); concurrent, as
    /// syncs overlap (see ``LogSyncer``).
    private let syncQueue = DispatchQueue(label: "planjournal.log-sync", attributes: .concurrent)
    /// Whether a commit of the writer's open window is scheduled.
    private let timerArmed = Atomic<Bool>(false)
    /// Groups committed but waiting for the append log to be synced (`.full` durability).
    private let syncing = Atomic<Int>(0)
    /// Appends submitted and not returned yet.
    private let inFlight = Atomic<Int>(0)

    /// Makes sure the writer's open write window commits when it is due, even if no append
    /// follows.
    private func armWindowTimer(_ journal: Journal) {
        guard journal.writer.windowOpen.load(ordering: .acquiring),
            timerArmed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let delay = max(100, journal.configuration.commitWindowMicroseconds)
        dispatch.asyncAfter(deadline: .now() + .microseconds(delay)) {
            self.timerArmed.store(false, ordering: .releasing)
            journal.writer.with { w in
                if w.windowDue { try? w.commitWindow() }
            }
            self.armWindowTimer(journal)
        }
    }

    func submit(_ request: AppendRequest, journal: Journal) async -> Result<AppendResult, JournalError> {
        // No group in progress: commit on the calling thread, with whatever queues meanwhile,
        // saving the hand-offs to the drain thread and back. (Not on the main thread, which must
        // not wait for the disk or another process's write lock.) While groups wait for a sync
        // and more than one other append is in flight, appends queue for the drain thread
        // instead: it takes all that arrived during the sync into one group, where leaders
        // committed them one or two at a time, each with a sync of its own (8 writers with
        // `.full`: 30% more events/s; with one other append there is nothing to batch, and the
        // hand-offs would cost 13%: see tools/bench/README.md, session 12).
        let concurrent = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        if !Thread.isMainThread, concurrent <= 2 || syncing.load(ordering: .acquiring) == 0,
            let result = lead(request, journal: journal)
        {
            return result
        }
        return await withCheckedContinuation { continuation in
            let start = state.withLock { s in
                s.queue.append(Pending(request: request, continuation: continuation))
                if s.draining { return false }
                s.draining = true
                return true
            }
            if start { dispatch.async { self.drain(journal) } }
        }
    }

    /// When no group is in progress (`nil` otherwise), commits `request` on this thread, in a
    /// group with the appends queued by then, and then, for up to ``leaderRounds`` more groups,
    /// the appends that queue meanwhile; whatever queues after that goes to the drain thread.
    private func lead(_ request: AppendRequest, journal: Journal) -> Result<AppendResult, JournalError>? {
        let lead = state.withLock { s in
            if s.draining { return false }
            s.draining = true
            return true
        }
        guard lead else { return nil }
        let limit = max(1, journal.configuration.maxGroupCommit)
        let others = dequeue(limit - 1)
        let outcome = journal.writer.with { writer in
            writer.commitGroup([request] + others.map(\.request))
        }
        resume(others, with: outcome.results.dropFirst(), after: outcome.ticket, journal: journal)
        var more = true
        for _ in 0..<Self.leaderRounds where more { more = commitNext(limit, journal: journal) }
        if more { handOff(journal) }
        let own = durable(outcome.results.prefix(1), after: outcome.ticket, journal: journal)
        return own.first ?? .failure(JournalError(.io, "group commit returned no result"))
    }

    /// Resumes the appends of a group with their results once the group is durable: at once,
    /// or (with a ticket to wait for) from the sync queue, so that the caller commits the next
    /// group while the disk syncs this one.
    private func resume(
        _ pending: [Pending], with results: ArraySlice<Result<AppendResult, JournalError>>, after ticket: DurabilityTicket?,
        journal: Journal
    ) {
        guard let ticket, !pending.isEmpty else {
            for (p, r) in zip(pending, results) { p.continuation.resume(returning: r) }
            return
        }
        syncing.add(1, ordering: .acquiringAndReleasing)
        syncQueue.async {
            let durable = self.durable(results, after: ticket, journal: journal, counted: true)
            for (p, r) in zip(pending, durable) { p.continuation.resume(returning: r) }
        }
    }

    /// `results` once their group is durable. When the append log cannot be synced, the write
    /// window is committed instead (`synchronous=FULL`); when that fails too, the appends that
    /// succeeded fail with its error.
    /// - Parameter counted: whether the caller counted the wait in ``syncing`` already.
    private func durable(
        _ results: ArraySlice<Result<AppendResult, JournalError>>, after ticket: DurabilityTicket?, journal: Journal,
        counted: Bool = false
    ) -> [Result<AppendResult, JournalError>] {
        guard let ticket else { return Array(results) }
        if !counted { syncing.add(1, ordering: .acquiringAndReleasing) }
        defer { syncing.subtract(1, ordering: .acquiringAndReleasing) }
        do {
            try ticket.wait()
            return Array(results)
        } catch {
            let failure = journal.writer.with { w -> JournalError? in
                do throws(JournalError) {
                    try w.commitWindow()
                    return nil
                } catch {
                    return error
                }
            }
            guard let failure else { return Array(results) }
            return results.map { r in
                if case .success = r { return .failure(failure) }
                return r
            }
        }
    }

    /// Groups a leader commits after its own (a bound on how long its caller waits for others).
    private static let leaderRounds = 4

    /// Takes up to `limit` queued appends (with none queued, ends the drain when `ending`).
    private func dequeue(_ limit: Int, ending: Bool = false) -> [Pending] {
        state.withLock { s in
            if s.queue.isEmpty {
                if ending { s.draining = false }
                return []
            }
            let n = min(limit, s.queue.count)
            let taken = Array(s.queue.prefix(n))
            s.queue.removeFirst(n)
            return taken
        }
    }

    /// Commits the next group of queued appends (up to `limit`) and resumes their callers; with
    /// none queued, ends the drain and returns false.
    private func commitNext(_ limit: Int, journal: Journal) -> Bool {
        let batch = dequeue(limit, ending: true)
        if batch.isEmpty {
            armWindowTimer(journal)
            return false
        }
        let outcome = journal.writer.with { writer in
            writer.commitGroup(batch.map(\.request))
        }
        resume(batch, with: outcome.results[...], after: outcome.ticket, journal: journal)
        return true
    }

    /// Ends the drain if nothing is queued, else passes it to the drain thread.
    private func handOff(_ journal: Journal) {
        let more = state.withLock { s in
            if s.queue.isEmpty { s.draining = false }
            return !s.queue.isEmpty
        }
        if more { dispatch.async { self.drain(journal) } } else { armWindowTimer(journal) }
    }

    private func drain(_ journal: Journal) {
        let limit = max(1, journal.configuration.maxGroupCommit)
        while commitNext(limit, journal: journal) {}
    }
}
