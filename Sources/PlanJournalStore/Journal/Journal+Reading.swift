import PlanJournalCore

/// One run of the catalog.
public struct RunSummary: Sendable, Hashable, Codable {
    /// The run id.
    public var id: String
    /// The goal of its `run.started`; `nil` before it.
    public var goal: String?
    /// `running`, or the status of `run.completed`.
    public var status: String
    /// The number of events (for a fork, those read through its parent included).
    public var events: Int64
    /// The time of its `run.started` (a fork shares its parent's); `nil` before it.
    public var startedAt: Timestamp?
    /// The time of its `run.completed`; `nil` while the run has not ended.
    public var endedAt: Timestamp?
    /// The run this one was forked from.
    public var parent: String?
    /// The seq of the parent the fork starts after.
    public var forkSeq: Int64?
    /// Input tokens of its `call.model` events (for a fork, its parent's up to the fork point included).
    public var inputTokens: Int64
    /// Output tokens of its `call.model` events (for a fork, its parent's up to the fork point included).
    public var outputTokens: Int64
    /// Cost in US dollars of its `call.model` events (for a fork, its parent's up to the fork point
    /// included).
    public var costUSD: Double
    /// SHA-256 chain hash after the last event, hex.
    public var headHash: String
    /// Bytes of the run's own JSON Lines.
    public var rawBytes: Int64

    /// Tokens in and out.
    public var tokens: Int64 { inputTokens.saturatingAdd(outputTokens) }
}

extension Journal {
    /// The runs of the journal, newest first.
    /// - Parameters:
    ///   - status: only runs with this status (`running`, `succeeded`, ...).
    ///   - limit: at most this many.
    public func runs(status: String? = nil, limit: Int? = nil) throws(JournalError) -> [RunSummary] {
        try runs(RunFilter(status: status), limit: limit)
    }

    /// The runs that pass `filter`, newest first, at most `limit` of them.
    /// - Throws: `.notFound` when `filter` keeps the forks of a run the journal does not hold.
    public func runs(_ filter: RunFilter, limit: Int? = nil) throws(JournalError) -> [RunSummary] {
        try withReader { (r) throws(JournalError) in
            let rows = try r.runs(filter, limit: limit)
            var ids = Dictionary(rows.map { ($0.rid, $0.id) }, uniquingKeysWith: { a, _ in a })
            return try rows.map { (row) throws(JournalError) in
                // A fork's parent may be outside the rows read (another status, past the limit).
                if let parent = row.parent, ids[parent] == nil { ids[parent] = try r.run(rid: parent)?.id }
                return Self.summary(row, parentID: row.parent.flatMap { ids[$0] })
            }
        }
    }

    /// The catalog entry of `run`.
    /// - Throws: `.notFound`.
    public func run(_ run: String) throws(JournalError) -> RunSummary {
        try withReader { (r) throws(JournalError) in
            let row = try r.requireRun(run)
            return Self.summary(row, parentID: try row.parent.flatMap { (p) throws(JournalError) in try r.run(rid: p)?.id })
        }
    }

    static func summary(_ row: RunRow, parentID: String?) -> RunSummary {
        RunSummary(
            id: row.id, goal: row.goal, status: row.status, events: row.headSeq,
            startedAt: row.startedAt.map(Timestamp.init(microseconds:)),
            endedAt: row.endedAt.map(Timestamp.init(microseconds:)), parent: parentID, forkSeq: row.forkSeq,
            inputTokens: row.inputTokens, outputTokens: row.outputTokens, costUSD: row.costUSD,
            headHash: HashChain.hex(row.headHash), rawBytes: row.rawBytes)
    }

    /// Calls `body` with each event of `run` with seq in `from...to`, in order, decoding one chunk at a time.
    /// - Throws: `.notFound`, `.corrupt`, or what `body` throws.
    /// - Complexity: O(events read); memory is one chunk.
    public func forEachEvent(
        of run: String, from: Int64 = 1, to: Int64 = .max, _ body: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        try withReader { (r) throws(JournalError) in
            try r.forEachEvent(of: try r.requireRun(run), from: from, to: to, body)
        }
    }

    /// The events of `run` with seq in `from...to`.
    public func events(of run: String, from: Int64 = 1, to: Int64 = .max) throws(JournalError) -> [JournalEvent] {
        var out: [JournalEvent] = []
        try forEachEvent(of: run, from: from, to: to) { out.append($0) }
        return out
    }

    /// The plan state of `run` after event `seq` (after its last event when `nil`), folded from
    /// the nearest snapshot at or before `seq`.
    /// - Complexity: O(snapshot interval) events decoded and folded.
    public func state(of run: String, at seq: Int64? = nil) throws(JournalError) -> PlanState {
        try withReader { (r) throws(JournalError) in try r.state(of: try r.requireRun(run), at: seq) }
    }

    /// Folds `run` (up to `seq`) with any projection, from its first event.
    public func fold<P: Projection>(_ projection: P, run: String, upTo seq: Int64 = .max) throws(JournalError) -> P.State {
        var state = projection.initial(run: run)
        try forEachEvent(of: run, to: seq) { projection.apply(&state, $0) }
        return state
    }
}
