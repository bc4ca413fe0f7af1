import PlanJournalCore

/// One event of an audit replay and what it changed in the plan state.
public struct ReplayEntry: Sendable, Encodable {
    /// The event's seq.
    public var seq: Int64
    /// The event's kind.
    public var kind: String
    /// The event's actor, when it has one.
    public var actor: String?
    /// The event's time, RFC 3339 UTC with microseconds.
    public var ts: String
    /// The step the event names (`data.step_id`), when it names one.
    public var stepID: String?
    /// The plan version after the event, when it changed.
    public var planVersion: Change<Int?>?
    /// Steps whose status changed: id → from, to.
    public var steps: [String: Change<String?>]
    /// Totals so far.
    public var tokens: Int64
    /// The run's cost so far, in US dollars.
    public var costUSD: Double

    /// A value before and after the event.
    public struct Change<T: Sendable & Encodable & Equatable>: Sendable, Encodable, Equatable {
        /// The value before the event.
        public var from: T
        /// The value after the event.
        public var to: T

        /// Creates a change.
        public init(from: T, to: T) {
            self.from = from
            self.to = to
        }
    }

    enum CodingKeys: String, CodingKey {
        case seq, kind, actor, ts, stepID = "step_id", planVersion = "plan_version", steps, tokens, costUSD = "cost_usd"
    }

    /// The entries of a whole run, from its events in order.
    public static func entries(run: String, events: [JournalEvent]) -> [ReplayEntry] {
        let projection = PlanProjection()
        var state = PlanState(run: run)
        // Each step's status after the events so far, to compare the next event's state with.
        var statuses: [String: String] = [:]
        var result: [ReplayEntry] = []
        result.reserveCapacity(events.count)
        for e in events {
            let version = state.currentVersion
            let known = state.steps.count
            projection.apply(&state, e)
            var changes: [String: Change<String?>] = [:]
            func compare(_ step: PlanState.StepState) {
                let status = step.status.rawValue
                guard statuses[step.id] != status else { return }
                changes[step.id] = Change(from: statuses[step.id], to: status)
                statuses[step.id] = status
            }
            if PlanProjection.changesStepsItDoesNotName(e) {
                state.steps.forEach(compare)
            } else {
                // Other events change at most the step they name, or add it.
                if let id = e.dataString("step_id"), let step = state.step(id) { compare(step) }
                state.steps[known...].forEach(compare)
            }
            result.append(
                ReplayEntry(
                    seq: e.seq, kind: e.kind, actor: e.actor, ts: e.ts.description, stepID: e.dataString("step_id"),
                    planVersion: version == state.currentVersion ? nil : Change(from: version, to: state.currentVersion),
                    steps: changes, tokens: state.totals.tokens, costUSD: state.totals.costUSD.withoutFloatNoise))
        }
        return result
    }
}
