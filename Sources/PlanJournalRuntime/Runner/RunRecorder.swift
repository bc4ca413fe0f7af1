import Foundation
import PlanJournalCore
import PlanJournalStore

/// Appends a run's events to the journal in order, each batch acknowledged before its caller goes
/// on (journal first: the runner acts only on what is recorded). Batches recorded while an append
/// is in flight are written together in the next one (one transaction), so parallel steps share
/// commits.
///
/// Other processes may append to the same run (`planj approve`): when the journal's head moved, the
/// recorder reads their events, hands them to ``takeExternal()``, and appends after them.
public actor RunRecorder {
    public let journal: Journal
    public nonisolated let run: String
    /// The run's last recorded seq.
    public private(set) var head: Int64
    /// Sums of the `call.model` events recorded or seen so far.
    public private(set) var costUSD: Double = 0
    public private(set) var inputTokens: Int64 = 0
    public private(set) var outputTokens: Int64 = 0
    private var external: [JournalEvent] = []
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var queued: [Queued] = []
    private var draining = false

    private struct Queued {
        var entries: [Entry]
        var cause: Int64?
        var continuation: CheckedContinuation<[JournalEvent], any Error>
    }
    private let observer: (@Sendable (JournalEvent) -> Void)?

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
        self.costUSD = costUSD
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    /// What to record: one event's kind, actor and data.
    public struct Entry: Sendable {
        public var kind: EventKind
        public var actor: String
        public var data: JSONValue

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

    /// Appends `entries` as one atomic batch and returns them as stored. Batches queued while an
    /// append is in flight share the next transaction.
    @discardableResult
    public func record(_ entries: [Entry], cause: Int64? = nil) async throws -> [JournalEvent] {
        try await withCheckedThrowingContinuation { continuation in
            queued.append(Queued(entries: entries, cause: cause, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    /// Writes the queued batches, all that are waiting at a time, until none is left.
    private func drain() async {
        await acquire()
        defer { release() }
        while !queued.isEmpty {
            let batch = queued
            queued.removeAll()
            do {
                let events = try await appendAll(batch)
                var offset = 0
                for item in batch {
                    item.continuation.resume(returning: Array(events[offset..<offset + item.entries.count]))
                    offset += item.entries.count
                }
            } catch {
                // One batch's failure must not fail the others: write them one by one.
                for item in batch {
                    do {
                        item.continuation.resume(returning: try await appendAll([item]))
                    } catch {
                        item.continuation.resume(throwing: error)
                    }
                }
            }
        }
        draining = false
    }

    /// Appends the batches as one, after whatever other writers appended meanwhile.
    private func appendAll(_ batch: [Queued]) async throws -> [JournalEvent] {
        while true {
            let now = Timestamp.now
            var events: [JournalEvent] = []
            for item in batch {
                for entry in item.entries {
                    events.append(
                        try JournalEvent(
                            run: run, seq: head + 1 + Int64(events.count), ts: now, kind: entry.kind.rawValue,
                            actor: entry.actor, cause: item.cause, data: entry.data))
                }
            }
            guard try await append(events) else {
                try catchUp()
                continue
            }
            for event in events {
                head = event.seq
                account(event)
                observer?(event)
            }
            return events
        }
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
    public func takeExternal() -> [JournalEvent] {
        defer { external.removeAll() }
        return external
    }

    private func catchUp() throws {
        let fresh = try journal.events(of: run, from: head + 1)
        for event in fresh {
            head = event.seq
            account(event)
            external.append(event)
            observer?(event)
        }
    }

    private func account(_ event: JournalEvent) {
        guard event.knownKind == .callModel else { return }
        costUSD += event.dataDouble("cost_usd") ?? 0
        let usage = event.data("usage")
        inputTokens += usage?["input_tokens"]?.int64Value ?? 0
        outputTokens += usage?["output_tokens"]?.int64Value ?? 0
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
