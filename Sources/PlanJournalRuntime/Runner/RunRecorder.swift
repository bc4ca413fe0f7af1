import Foundation
import PlanJournalCore
import PlanJournalStore
import Synchronization

/// Appends a run's events to the journal in order, each batch acknowledged before its caller goes
/// on (journal first: the runner acts only on what is recorded). Batches recorded while an append
/// is in flight are written together in the next one (one transaction), so parallel steps share
/// commits.
///
/// A finished step's events may be *staged* (``stage(_:)``) instead of appended at once: they go
/// in front of the next batch anyone records (the runner's next `step.started`, say), or out on
/// their own with ``flush()``. Both are in one transaction, in that order.
///
/// Other processes may append to the same run (`planj approve`): when the journal's head moved, the
/// recorder reads their events, hands them to ``takeExternal()``, and appends after them.
public actor RunRecorder {
    /// The journal the events are appended to.
    public let journal: Journal
    /// The run recorded.
    public nonisolated let run: String
    /// The run's last recorded seq.
    public private(set) var head: Int64
    /// Sums of the `call.model` events recorded or seen so far.
    public nonisolated var costUSD: Double { shared.withLock { $0.costUSD } }
    /// Input tokens of the `call.model` events recorded or seen so far.
    public nonisolated var inputTokens: Int64 { shared.withLock { $0.inputTokens } }
    /// Output tokens of the `call.model` events recorded or seen so far.
    public nonisolated var outputTokens: Int64 { shared.withLock { $0.outputTokens } }
    /// What callers read or add without waiting for the actor (the runner's loop asks on every
    /// transition).
    private nonisolated let shared = Mutex(Shared())
    /// Whether an append (or a poll) is using the journal; others wait in `waiters`.
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Whether a caller is appending; batches recorded meanwhile wait in `queued`.
    private var draining = false
    private var queued: [Queued] = []
    private let observer: (@Sendable (JournalEvent) -> Void)?

    private struct Shared: Sendable {
        var costUSD: Double = 0
        var inputTokens: Int64 = 0
        var outputTokens: Int64 = 0
        var external: [JournalEvent] = []
        var staged: [Entry] = []
    }

    /// One caller's batch: the staged entries it carries in front (not returned to it), its own.
    private struct Batch {
        var staged: [Entry]
        var entries: [Entry]
        var cause: Int64?
    }

    private struct Queued {
        var batch: Batch
        var continuation: CheckedContinuation<[JournalEvent], any Error>
    }

    /// - Parameters:
    ///   - head: the run's last seq (0 for a new run).
    ///   - observer: called with each event once it is in the journal (progress display).
    public init(journal: Journal, run: String, head: Int64, observer: (@Sendable (JournalEvent) -> Void)? = nil) {
        self.journal = journal
        self.run = run
        self.head = head
        self.observer = observer
    }

    /// Seeds the cost and token sums (when resuming a run).
    func seedTotals(costUSD: Double, inputTokens: Int64, outputTokens: Int64) {
        shared.withLock {
            $0.costUSD = costUSD
            $0.inputTokens = inputTokens
            $0.outputTokens = outputTokens
        }
    }

    /// What to record: one event's kind, actor and data.
    public struct Entry: Sendable {
        /// The event's kind.
        public var kind: EventKind
        /// Who acts: `planner`, `executor`, `system`, `tool:<name>`...
        public var actor: String
        /// The event's `data` object.
        public var data: JSONValue

        /// Creates an entry.
        public init(_ kind: EventKind, actor: String, data: JSONValue) {
            self.kind = kind
            self.actor = actor
            self.data = data
        }
    }

    /// Appends one event and returns it as stored.
    @discardableResult
    public func record(
        _ kind: EventKind, actor: String, cause: Int64? = nil, data: JSONValue
    ) async throws -> JournalEvent {
        try await record([Entry(kind, actor: actor, data: data)], cause: cause)[0]
    }

    /// Appends `entries` as one atomic batch (after any staged entries, in the same transaction)
    /// and returns them as stored. Batches recorded while an append is in flight share the next
    /// transaction.
    @discardableResult
    public func record(_ entries: [Entry], cause: Int64? = nil) async throws -> [JournalEvent] {
        let batch = Batch(staged: takeStaged(), entries: entries, cause: cause)
        guard !batch.staged.isEmpty || !entries.isEmpty else { return [] }
        if draining {
            return try await withCheckedThrowingContinuation { continuation in
                queued.append(Queued(batch: batch, continuation: continuation))
            }
        }
        // Nobody is appending: append on the caller's task; whoever records meanwhile queues, and
        // a drain task writes those after this append.
        draining = true
        await acquire()
        defer {
            release()
            if queued.isEmpty {
                draining = false
            } else {
                Task { await self.drain() }
            }
        }
        do {
            let events = try await appendAll([batch])
            return Array(events[batch.staged.count...])
        } catch {
            restage(batch.staged)
            throw error
        }
    }

    /// Puts `entries` in front of the next batch anyone records, without waiting for the journal.
    /// Until then they are not in the journal: call ``flush()`` before waiting for anything.
    public nonisolated func stage(_ entries: [Entry]) {
        shared.withLock { $0.staged += entries }
    }

    private nonisolated func takeStaged() -> [Entry] {
        shared.withLock { s in
            guard !s.staged.isEmpty else { return [] }
            defer { s.staged = [] }
            return s.staged
        }
    }

    /// Puts entries whose append failed back in front of the staged ones.
    private nonisolated func restage(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        shared.withLock { $0.staged = entries + $0.staged }
    }

    /// Whether staged entries wait for an append.
    public nonisolated var hasStaged: Bool { shared.withLock { !$0.staged.isEmpty } }

    /// Appends the staged entries, if any.
    public func flush() async throws {
        _ = try await record([])
    }

    /// Writes the queued batches, all that are waiting at a time, until none is left.
    private func drain() async {
        await acquire()
        defer { release() }
        while !queued.isEmpty {
            let items = queued
            queued.removeAll()
            do {
                let events = try await appendAll(items.map(\.batch))
                var offset = 0
                for item in items {
                    offset += item.batch.staged.count
                    item.continuation.resume(returning: Array(events[offset..<offset + item.batch.entries.count]))
                    offset += item.batch.entries.count
                }
            } catch {
                // One batch's failure must not fail the others: write them one by one. Staged
                // entries a failed batch carried go in front of the next one (nothing recorded
                // later may overtake a step's completion).
                for item in items {
                    var batch = item.batch
                    batch.staged = takeStaged() + batch.staged
                    do {
                        let events = try await appendAll([batch])
                        item.continuation.resume(returning: Array(events[batch.staged.count...]))
                    } catch {
                        restage(batch.staged)
                        item.continuation.resume(throwing: error)
                    }
                }
            }
        }
        draining = false
    }

    /// Appends the batches as one, after whatever other writers appended meanwhile.
    private func appendAll(_ batches: [Batch]) async throws -> [JournalEvent] {
        while true {
            let now = Timestamp.now
            var events: [JournalEvent] = []
            events.reserveCapacity(batches.reduce(0) { $0 + $1.staged.count + $1.entries.count })
            for batch in batches {
                for entry in batch.staged {
                    events.append(try event(entry, seq: head + 1 + Int64(events.count), ts: now, cause: nil))
                }
                for entry in batch.entries {
                    events.append(try event(entry, seq: head + 1 + Int64(events.count), ts: now, cause: batch.cause))
                }
            }
            guard try await append(events) else {
                try catchUp()
                continue
            }
            head = events.last?.seq ?? head
            account(events, external: false)
            if let observer {
                for event in events { observer(event) }
            }
            return events
        }
    }

    private func event(_ entry: Entry, seq: Int64, ts: Timestamp, cause: Int64?) throws -> JournalEvent {
        try JournalEvent(
            run: run, seq: seq, ts: ts, kind: entry.kind.rawValue, actor: entry.actor, cause: cause, data: entry.data)
    }

    /// Appends `events` expecting the head the recorder knows; `false` on a conflict.
    private func append(_ events: [JournalEvent]) async throws -> Bool {
        do {
            _ = try await journal.append(events, to: run, expecting: head == 0 ? .noRun : .exactly(head))
            return true
        } catch {
            if error.code == .conflict { return false }
            throw error
        }
    }

    /// Records a model call made within `stepID` (`nil` for planning and review).
    @discardableResult
    public func record(_ call: ModelCall, stepID: String?, actor: String) async throws -> JournalEvent {
        try await record(.callModel, actor: actor, data: call.eventData(stepID: stepID))
    }

    /// Reads events other writers appended to the run since the last look.
    public func poll() async throws {
        await acquire()
        defer { release() }
        try catchUp()
    }

    /// The events other writers appended, once each.
    public nonisolated func takeExternal() -> [JournalEvent] {
        shared.withLock { s in
            guard !s.external.isEmpty else { return [] }
            defer { s.external.removeAll() }
            return s.external
        }
    }
    /// Why a cancellation note among the events other writers appended (not taken yet) asks for
    /// the run's end (``JournalEvent/cancellationReason``); `nil` when none does.
    nonisolated func cancelRequest() -> String? {
        shared.withLock { s in s.external.lazy.compactMap(\.cancellationReason).first }
    }


    private func catchUp() throws {
        let fresh = try journal.events(of: run, from: head + 1)
        guard let last = fresh.last else { return }
        head = last.seq
        account(fresh, external: true)
        if let observer {
            for event in fresh { observer(event) }
        }
    }

    /// Adds `events`' model calls to the sums; `external` events are also kept for ``takeExternal()``.
    private func account(_ events: [JournalEvent], external: Bool) {
        let calls = events.filter { $0.knownKind == .callModel }
        guard external || !calls.isEmpty else { return }
        shared.withLock { s in
            if external { s.external += events }
            for event in calls {
                s.costUSD.addSaturating(event.costUSD)
                s.inputTokens.addSaturating(event.usageTokens.input)
                s.outputTokens.addSaturating(event.usageTokens.output)
            }
        }
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
