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
    /// The settings the journal was opened with.
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
        // SQLite would open a private temporary database, gone when it closes.
        guard !path.isEmpty else { throw JournalError(.usage, "the journal's path is empty: name a file or a postgres:// URL") }
        self.path = path
        self.configuration = configuration
        let writer = try JournalWriter(path: path, config: configuration)
        unreplayedAppends = writer.unreplayedLog ?? writer.damagedLog
        upgradedFrom = writer.upgradedFrom
        self.writer = WriterBox(writer)
    }

    /// The format version the journal had when this planj opened it and upgraded it (an older
    /// planj wrote it, and can no longer open it); `nil` when it was current, or new. Older
    /// builds counted some values otherwise (a token count written as 2.0): call
    /// ``refreshCatalog()`` then, as `planj` does, so that the catalog agrees with the events.
    public let upgradedFrom: Int?

    /// Set when the append log beside the file holds acknowledged appends that could not be
    /// added to the journal when it opened (the disk is full, or this user cannot write the
    /// journal): reads do not see them until a writer adds them; or when some of them could not
    /// be added at all (the log was damaged: it is kept beside the journal). Says why, for a
    /// warning. It stays as it was when the journal opened (a later read or write may add them).
    public let unreplayedAppends: String?

    // MARK: - Appending

    /// Set by ``stopWritingForGood()``.
    static let writesStopped = Atomic(false)

    /// Makes every later append of this process fail, whatever its journal: planj ends (SIGTERM)
    /// and what the runs it drives would journal next must not land while it does.
    package static func stopWritingForGood() {
        writesStopped.store(true, ordering: .releasing)
    }

    /// Appends `events` (all of one run, continuing its seq) as one atomic batch.
    ///
    /// Concurrent appends are grouped into shared transactions (group commit); each still succeeds
    /// or fails on its own. No `events` only checks `expecting` (its result's `firstSeq` is then
    /// one past its `lastSeq`, the head).
    /// - Parameters:
    ///   - run: the run id every event must carry.
    ///   - expecting: the head the caller believes the run has.
    /// - Throws: `.conflict` (nothing written) when the head is not as expected; `.invalidEvent` when
    ///   an event breaks the contract or `run` is no run id; `.usage` for a negative expected head;
    ///   `.io` when writing fails, after planj stopped writing for good (SIGTERM), and when the journal's file was
    ///   deleted or replaced (noticed within a few milliseconds: see ``JournalFileIdentity``).
    @discardableResult
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
    /// - Throws: why the window could not commit (a full disk): a read would miss appends that
    ///   returned, which stay in the append log until a commit or replay succeeds.
    func commitWindow() throws(JournalError) {
        if writer.replayPending.load(ordering: .acquiring) {
            writer.with { w in writer.replayPending.store(!w.retryReplay(), ordering: .releasing) }
        }
        guard writer.windowOpen.load(ordering: .acquiring) || writer.commitFailed.load(ordering: .acquiring) else { return }
        try writer.with { (w) throws(JournalError) in
            try w.commitWindow()
            if w.commitFailure != nil {
                do throws(JournalError) {
                    try w.recoverAppendLog()
                } catch {
                    throw JournalError(
                        error.code,
                        "appends that returned are in the append log, not yet in the database: \(error.message)",
                        context: error.context)
                }
            }
        }
    }

    // MARK: - Reading

    /// Runs `body` with a reader connection from the pool.
    func withReader<T>(_ body: (JournalReader) throws(JournalError) -> T) throws(JournalError) -> T {
        do {
            try commitWindow()
        } catch {
            throw error.adding(journalPath: displayPath)
        }
        let box: ReaderBox
        if let pooled = readers.withLock({ $0.popLast() }) {
            box = pooled
        } else {
            // The writer made the file: a reader finding none must not make an empty one.
            let db = try JournalBackend.connect(path, configuration: configuration, first: false)
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
