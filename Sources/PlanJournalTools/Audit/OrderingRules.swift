import PlanJournalCore

/// The plan invariants a correct runner keeps: a step starts only when the current plan holds it
/// and its dependencies have completed, gated steps and plans are approved before they run, a
/// denial is respected, nothing follows `run.completed`, every started step ends (once) unless
/// the run was cancelled or crashed, a replan follows a failure, a successful run's plan was
/// carried out, plan versions are numbered upwards and reviews and approvals name one of them, and
/// an event's `cause` is an earlier event; and kinds it does not know that are not `x.*` (most
/// likely misspelled) are pointed out.
struct OrderingRules {
    private enum Gate {
        case pending(Int64)
        case granted
        case denied(Int64)
    }

    let run: String
    private var findings: [Finding] = []
    private var state: PlanState
    private var stepGates: [String: Gate] = [:]
    private var planGates: [Int: Gate] = [:]
    private var completedAt: Int64?
    private var afterCompletion = 0
    /// The unknown kinds met so far (each is noted once).
    private var unknownKinds: Set<String> = []
    /// Where each step sits in the current plan, for the plan version event at `seq`: built once
    /// per plan version, so a step's start is not a scan of a plan of thousands of steps.
    private var currentPlanIndex: (seq: Int64, positions: [String: Int])?

    init(run: String) {
        self.run = run
        state = PlanState(run: run)
    }

    /// The ordering findings of a run's events (in seq order), and the state the events fold to
    /// (the rules fold it event by event anyway).
    static func check(run: String, events: [JournalEvent]) -> (findings: [Finding], state: PlanState) {
        var rules = OrderingRules(run: run)
        let projection = PlanProjection()
        for e in events {
            rules.inspect(e)
            projection.apply(&rules.state, e)
        }
        return (rules.finish(), rules.state)
    }

    private mutating func inspect(_ e: JournalEvent) {
        if completedAt != nil {
            if afterCompletion == 0 {
                add(.error, "order.after-completion", e.seq, e.dataString("step_id"), "\(e.kind) follows run.completed (seq \(completedAt!))")
            }
            afterCompletion += 1
        }
        if let cause = e.cause, cause >= e.seq || cause < 1 {
            add(.warning, "order.cause", e.seq, e.dataString("step_id"), "its cause \(cause) is not an earlier event of the run")
        }
        if e.knownKind == nil, EventKind.isUnknown(e.kind), unknownKinds.insert(e.kind).inserted {
            add(.warning, "contract.unknown-kind", e.seq, e.dataString("step_id"), EventKind.unknownKindNote(e.kind))
        }
        switch e.knownKind {
        case .stepStarted?:
            if let step = e.dataString("step_id") { checkStart(step, e) }
        case .stepCompleted?, .stepFailed?:
            // An attempt ends once, after it started (the state is still the one before `e`).
            if let step = e.dataString("step_id"), let status = state.step(step)?.status, status != .running {
                let ended = e.knownKind == .stepCompleted ? "completed" : "failed"
                switch status {
                case .completed, .failed:
                    add(.error, "order.ended-twice", e.seq, step, "\(ended) again without a new start (it had \(status.rawValue))")
                default:
                    add(.error, "order.end-without-start", e.seq, step, "\(ended) but never started")
                }
            }
        case .replanTriggered?:
            if e.dataString("reason") == "step_failed", let step = e.dataString("step_id"), state.step(step)?.status == .completed {
                add(.warning, "order.replan-without-failure", e.seq, step, "a replan for the failure of a step that completed")
            }
        case .planProposed?, .planRevised?:
            checkVersion(e)
        case .planReviewed?:
            checkNamedVersion(e)
        case .approvalRequested?:
            checkNamedVersion(e)
            setGate(e, .pending(e.seq))
        case .approvalResolved?:
            checkNamedVersion(e)
            switch e.dataString("decision") {
            case "granted"?: setGate(e, .granted)
            case "denied"?: setGate(e, .denied(e.seq))
            default: setGate(e, nil)  // a decision the contract does not name: as if none was recorded
            }
        case .runCompleted?:
            if completedAt == nil { completedAt = e.seq }
        default: break
        }
    }

    /// A plan version's number is new and above the ones before it (the contract does not say so,
    /// but a reader of `version 2 of 3`, or of two different plans called version 1, is misled).
    private mutating func checkVersion(_ e: JournalEvent) {
        guard let version = e.dataInt("version") else { return }
        if let earlier = state.plans.first(where: { Int64($0.version) == version }) {
            add(.warning, "plan.version-order", e.seq, nil, "plan version \(version) again (first at seq \(earlier.seq))")
        } else if let highest = state.plans.map(\.version).max(), version < Int64(highest) {
            add(.warning, "plan.version-order", e.seq, nil, "plan version \(version) comes after version \(highest)")
        } else if version < 1 {
            add(.warning, "plan.version-order", e.seq, nil, "plan version \(version) is not a positive number")
        }
    }

    /// A review or approval of a plan version names one the run has defined.
    private mutating func checkNamedVersion(_ e: JournalEvent) {
        guard e.dataString("step_id") == nil, let version = e.dataInt("version"),
            !state.plans.contains(where: { Int64($0.version) == version })
        else { return }
        add(.warning, "plan.version-unknown", e.seq, nil, "\(e.kind) names plan version \(version), which no plan event of the run defined before it")
    }

    private mutating func setGate(_ e: JournalEvent, _ gate: Gate?) {
        if let step = e.dataString("step_id") {
            stepGates[step] = gate
        } else if let version = e.dataInt("version") {
            planGates[Int(version)] = gate
        }
    }

    private mutating func checkStart(_ id: String, _ e: JournalEvent) {
        guard let plan = state.currentPlan else {
            add(.error, "order.no-plan", e.seq, id, "step started before any plan was proposed")
            return
        }
        if currentPlanIndex?.seq != plan.seq {
            var positions: [String: Int] = [:]
            positions.reserveCapacity(plan.steps.count)
            for (k, step) in plan.steps.enumerated() where positions[step.id] == nil { positions[step.id] = k }
            currentPlanIndex = (plan.seq, positions)
        }
        guard let k = currentPlanIndex?.positions[id] else {
            add(.error, "order.step-not-in-plan", e.seq, id, "step started while the current plan (version \(plan.version)) does not hold it")
            return
        }
        let step = plan.steps[k]
        for dep in step.dependsOn {
            switch state.step(dep)?.status {
            case .completed?: continue
            case .skipped?:
                add(.warning, "order.dependency-skipped", e.seq, id, "started although its dependency \(dep) was skipped")
            case let status:
                add(.error, "order.dependency", e.seq, id, "started before its dependency \(dep) completed (\(status?.rawValue ?? "never started"))")
            }
        }
        switch planGates[plan.version] {
        case .pending(let seq)?:
            add(.error, "order.unapproved", e.seq, id, "started while plan version \(plan.version) awaited approval (requested at seq \(seq))")
        case .denied(let seq)?:
            add(.error, "order.denied", e.seq, id, "started although plan version \(plan.version) was denied at seq \(seq)")
        default: break
        }
        switch stepGates[id] {
        case .pending(let seq)?:
            add(.error, "order.unapproved", e.seq, id, "started while its approval (requested at seq \(seq)) was pending")
        case .denied(let seq)?:
            add(.error, "order.denied", e.seq, id, "started although its approval was denied at seq \(seq)")
        case .granted?: break
        case nil:
            if step.requiresApproval, planGates[plan.version] == nil {
                add(.warning, "order.unapproved", e.seq, id, "requires approval, but no approval was recorded before it started")
            }
        }
    }

    private mutating func finish() -> [Finding] {
        if afterCompletion > 1, let i = findings.firstIndex(where: { $0.code == "order.after-completion" }) {
            findings[i].message += " (\(afterCompletion) events in all)"
        }
        let unfinished = state.steps.filter { $0.status == .running }
        if completedAt == nil {
            add(
                .info, "run.incomplete", nil, nil,
                "the run has no run.completed: it is still running or it crashed"
                    + (unfinished.isEmpty ? "" : " (\(unfinished.count) \(unfinished.count == 1 ? "step" : "steps") started and not ended)"))
        } else if state.status != "cancelled" {
            for step in unfinished {
                add(.error, "order.unfinished-step", nil, step.id, "started but never completed, failed or was skipped, and the run ended \(state.status)")
            }
        }
        if state.status == "succeeded", let plan = state.currentPlan {
            // A success its own plan does not bear out: a step of it failed, or never ran.
            for step in plan.steps {
                switch state.step(step.id)?.status {
                case .failed?: add(.warning, "outcome.status", completedAt, step.id, "the run says succeeded, but this step of its plan failed")
                case .pending?, nil: add(.warning, "outcome.status", completedAt, step.id, "the run says succeeded, but this step of its plan never ran")
                default: break
                }
            }
        }
        return findings
    }

    private mutating func add(_ severity: Finding.Severity, _ code: String, _ seq: Int64?, _ step: String?, _ message: String) {
        findings.append(Finding(severity, code, run: run, seq: seq, step: step, message))
    }
}
