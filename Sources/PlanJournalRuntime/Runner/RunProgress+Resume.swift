import PlanJournalCore

extension RunProgress {
    /// The progress of an interrupted run, read back from its events and state: completed steps
    /// keep their outputs, a step started but never finished is pending again (its next try is a
    /// new attempt), granted approvals stay granted.
    init(resuming events: [JournalEvent], state: PlanState, goal: String, options: RunnerOptions) {
        self.init(goal: goal)
        if let analyzed = events.last(where: { $0.knownKind == .goalAnalyzed }) {
            analysis = GoalAnalysis(wire: analyzed.data) ?? GoalAnalysis(summary: nil)
        }
        guard let plan = state.currentPlan else { return }
        self.plan = plan.steps
        version = plan.version
        replans = state.totals.replans
        for event in events {
            switch event.knownKind {
            case .stepStarted?: stepsStarted += 1
            case .stepCompleted?:
                if let id = event.dataString("step_id") {
                    outputs[id] = event.dataString("output") ?? event.data("output")?.textValue ?? ""
                }
            case .planProposed?, .planRevised?:
                tries.removeAll()
                planApproval = .notNeeded
            case .approvalRequested?:
                if let id = event.dataString("step_id") {
                    approvalRequested.insert(id)
                } else {
                    planApproval = .requested
                }
            case .approvalResolved?:
                let granted = event.dataString("decision") == "granted"
                if let id = event.dataString("step_id") {
                    if granted { approved.insert(id) }
                } else if planApproval == .requested {
                    planApproval = granted ? .granted : .denied
                }
            default: break
            }
            if event.knownKind == .stepStarted, let id = event.dataString("step_id") {
                tries[id, default: 0] += 1
            }
        }
        for step in plan.steps {
            let s = state.step(step.id)
            attempts[step.id] = s?.attempts ?? 0
            switch s?.status ?? .pending {
            case .completed: status[step.id] = .completed
            case .skipped: status[step.id] = .skipped
            case .denied: status[step.id] = .denied
            case .failed:
                if (tries[step.id] ?? 0) < options.maxAttempts {
                    status[step.id] = .pending
                } else {
                    status[step.id] = .failed
                    finalFailures.append(FinalFailure(stepID: step.id, reason: "step_failed", details: s?.error ?? "failed"))
                }
            case .pending, .running, .awaitingApproval, .removed: status[step.id] = .pending
            }
        }
    }
}
