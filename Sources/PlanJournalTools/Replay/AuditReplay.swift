import PlanJournalCore

/// One event of an audit replay and what it changed in the plan state.
public struct ReplayEntry: Sendable, Encodable {
    public var seq: Int64
    public var kind: String
    public var actor: String?
    public var ts: String
    /// The plan version after the event, when it changed.
    public var planVersion: Change<Int?>?
    /// Steps whose status changed: id → from, to.
    public var steps: [String: Change<String?>]
    /// Totals so far.
    public var tokens: Int64
    public var costUSD: Double

    /// A value before and after the event.
    public struct Change<T: Sendable & Encodable & Equatable>: Sendable, Encodable, Equatable {
        public var from: T
        public var to: T

        public init(from: T, to: T) {
            self.from = from
            self.to = to
        }
    }

    enum CodingKeys: String, CodingKey {
        case seq, kind, actor, ts, planVersion = "plan_version", steps, tokens, costUSD = "cost_usd"
    }

    /// The entries of a whole run, from its events in order.
    public static func entries(run: String, events: [JournalEvent]) -> [ReplayEntry] {
        let projection = PlanProjection()
        var state = PlanState(run: run)
        var result: [ReplayEntry] = []
        result.reserveCapacity(events.count)
        for e in events {
            let before = Dictionary(state.steps.map { ($0.id, $0.status.rawValue) }, uniquingKeysWith: { a, _ in a })
            let version = state.currentVersion
            projection.apply(&state, e)
            var changes: [String: Change<String?>] = [:]
            for step in state.steps where before[step.id] != step.status.rawValue {
                changes[step.id] = Change(from: before[step.id], to: step.status.rawValue)
            }
            result.append(
                ReplayEntry(
                    seq: e.seq, kind: e.kind, actor: e.actor, ts: e.ts.description,
                    planVersion: version == state.currentVersion ? nil : Change(from: version, to: state.currentVersion),
                    steps: changes, tokens: state.totals.tokens, costUSD: state.totals.costUSD))
        }
        return result
    }
}
