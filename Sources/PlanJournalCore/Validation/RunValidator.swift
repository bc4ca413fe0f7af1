/// Checks each event of one run against the wire contract and the run so far (DESIGN §2):
/// required fields with their JSON types, `seq` continuous from 1, `run.started` first, plans
/// that are DAGs of unique ids, `step.*` events naming a step of some plan version, nothing after
/// `run.completed`.
///
/// A failed ``validate(_:)`` leaves the validator as it was, so a caller can reject one event and
/// go on with the next.
public struct RunValidator: Sendable {
    /// The run this validator follows.
    public let run: String
    /// The seq of the last accepted event (0 before any).
    public private(set) var lastSeq: Int64
    /// Whether `run.completed` was accepted.
    public private(set) var completed: Bool
    /// Every plan version seen, resolved to its full step list (revisions applied).
    public private(set) var plans: [Int: [PlanStep]]
    /// The ids of every step of every plan version.
    public private(set) var knownSteps: Set<String>

    /// A validator for a run with no events yet, or one continuing a run whose state is known.
    public init(run: String, lastSeq: Int64 = 0, completed: Bool = false, plans: [Int: [PlanStep]] = [:]) {
        self.run = run
        self.lastSeq = lastSeq
        self.completed = completed
        self.plans = plans
        self.knownSteps = Set(plans.values.flatMap { $0.map(\.id) })
    }

    /// Statuses `run.completed` may carry.
    public static let runStatuses: Set<String> = ["succeeded", "failed", "partially_succeeded", "cancelled"]
    /// Verdicts `plan.reviewed` may carry.
    public static let verdicts: Set<String> = ["approved", "changes_requested", "rejected", "amended"]
    /// Decisions `approval.resolved` may carry.
    public static let decisions: Set<String> = ["granted", "denied"]

    /// Checks `event` and, when it is valid, records it as the run's next event.
    /// - Returns: the plan version the event defines (`plan.proposed`, `plan.revised`), if any.
    /// - Throws: ``JournalError`` `.invalidEvent` naming the run, seq and field.
    @discardableResult
    public mutating func validate(_ event: JournalEvent) throws(JournalError) -> PlanRevision? {
        do {
            return try check(event)
        } catch {
            throw error.adding(run: event.run, seq: event.seq)
        }
    }

    private mutating func check(_ e: JournalEvent) throws(JournalError) -> PlanRevision? {
        guard e.run == run else { throw .invalid("run", "belongs to run \(e.run), not \(run)") }
        guard e.seq == lastSeq + 1 else {
            let message =
                e.seq <= lastSeq
                ? "seq \(e.seq) repeats: the run is already at seq \(lastSeq)"
                : lastSeq == 0
                    ? "seq jumps from 0 to \(e.seq): a run starts at seq 1 (a fork's own events need the fork "
                        + "made first: planj fork PARENT --at \(e.seq - 1) --as=\(run.shellWord), then this again; a .pjl file that "
                        + "this planj exports carries the fork itself)"
                    : "seq jumps from \(lastSeq) to \(e.seq): seq must be continuous"
            throw .invalid("seq", message)
        }
        if completed { throw .invalid("kind", "\(e.kind) after run.completed: a completed run takes no more events") }
        if lastSeq == 0 && e.kind != EventKind.runStarted.rawValue {
            throw .invalid("kind", "the first event of a run must be run.started, not \(e.kind)")
        }
        let defined = try PlanRevision.read(e) { plans[$0] }
        switch e.knownKind {
        case .runStarted?:
            guard lastSeq == 0 else { throw .invalid("kind", "run.started may only be the first event (seq 1)") }
            try EventFields.requireString(e, "goal")
        case .planReviewed?:
            try EventFields.requireInt(e, "version")
            try EventFields.requireOneOf(e, "verdict", Self.verdicts)
        case .approvalResolved?:
            try EventFields.requireOneOf(e, "decision", Self.decisions)
        case .stepStarted?, .stepObserved?, .stepCompleted?, .stepFailed?, .stepSkipped?:
            try requireKnownStep(e)
        case .callTool?:
            try requireKnownStep(e)
            try EventFields.requireString(e, "tool")
        case .callModel?:
            try EventFields.requireString(e, "model")
        case .replanTriggered?:
            try EventFields.requireString(e, "reason")
        case .runCompleted?:
            try EventFields.requireOneOf(e, "status", Self.runStatuses)
        case .planProposed?, .planRevised?, .goalAnalyzed?, .approvalRequested?, .note?, nil:
            break
        }
        // Commit.
        lastSeq = e.seq
        if e.knownKind == .runCompleted { completed = true }
        if let defined {
            plans[defined.version] = defined.steps
            for s in defined.steps { knownSteps.insert(s.id) }
        }
        return defined
    }

    private func requireKnownStep(_ e: JournalEvent) throws(JournalError) {
        let id = try EventFields.requireString(e, "step_id")
        guard knownSteps.contains(id) else {
            throw .invalid("data.step_id", "step \"\(id)\" is not in any plan version of this run")
        }
    }
}

extension RunValidator {
    /// A validator continuing the run whose folded state is `state`.
    public init(state: PlanState) {
        var plans: [Int: [PlanStep]] = [:]
        for p in state.plans { plans[p.version] = p.steps }
        self.init(run: state.run, lastSeq: state.seq, completed: state.endedAt != nil, plans: plans)
    }
}
