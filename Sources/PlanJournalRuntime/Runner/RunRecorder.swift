import Foundation
import PlanJournalCore
import PlanJournalStore

/// Appends a run's events to the journal one at a time, in order, each acknowledged before the
/// next is written (journal first: the runner acts only on what is recorded).
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

    /// Appends `entries` as one atomic batch (one transaction) and returns them as stored.
    @discardableResult
    public func record(_ entries: [Entry], cause: Int64? = nil) async throws -> [JournalEvent] {
        await acquire()
        defer { release() }
        while true {
            let now = Timestamp.now
            var events: [JournalEvent] = []
            for (k, entry) in entries.enumerated() {
                events.append(
                    try JournalEvent(
                        run: run, seq: head + 1 + Int64(k), ts: now, kind: entry.kind.rawValue, actor: entry.actor,
                        cause: cause, data: entry.data))
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
