import PlanJournalCore

extension RunProgress {
    /// The progress of an interrupted run, read back from its events and state: completed steps
    /// keep their outputs, a step started but never finished is pending again (its next try is a
    /// new attempt), a failed step is retried only if its last failure was retryable, granted
    /// approvals stay granted, and planning the run stopped in the middle of is left in
    /// ``pendingPlanWork``.
    init(resuming events: [JournalEvent], state: PlanState, goal: String, options: RunnerOptions) {
        self.init(goal: goal)
        if let analyzed = events.last(where: { $0.knownKind == .goalAnalyzed }) {
            analysis = GoalAnalysis(wire: analyzed.data) ?? GoalAnalysis(summary: nil)
        }
        guard let plan = state.currentPlan else { return }
        self.plan = plan.steps
        version = plan.version
        replans = state.totals.replans
        var retryable: [String: Bool] = [:]
        var trigger: JournalEvent?
        var review: PlanReview?
        var planByReviewer = false
        var startedSincePlan = false
        for event in events {
            switch event.knownKind {
            case .stepStarted?: stepsStarted += 1
            case .stepCompleted?:
                if let id = event.dataString("step_id") {
                    outputs[id] = event.dataString("output") ?? event.data("output")?.textValue ?? ""
                }
            case .stepFailed?:
                if let id = event.dataString("step_id") { retryable[id] = event.dataBool("retryable") ?? true }
            case .planProposed?, .planRevised?:
                tries.removeAll()
                planApproval = .notNeeded
                trigger = nil
                review = nil
                planByReviewer = event.actor == "reviewer"
                startedSincePlan = false
            case .replanTriggered?:
                trigger = event
            case .planReviewed?:
                review = PlanReview(recorded: event)
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
                startedSincePlan = true
            }
        }
        for step in plan.steps {
            let s = state.step(step.id)
            attempts[step.id] = s?.attempts ?? 0
            switch s?.status ?? .pending {
            case .completed: status[step.id] = .completed
            case .skipped: status[step.id] = .skipped
            case .denied:
                // Journaled as skipped next, as when the denial came in this process.
                status[step.id] = .denied
                denied.insert(step.id)
            case .failed:
                if (tries[step.id] ?? 0) < options.maxAttempts && retryable[step.id] != false {
                    status[step.id] = .pending
                } else {
                    status[step.id] = .failed
                    finalFailures.append(FinalFailure(stepID: step.id, reason: "step_failed", details: s?.error ?? "failed"))
                }
            case .pending, .running, .awaitingApproval, .removed: status[step.id] = .pending
            }
        }
        pendingPlanWork = Self.planWork(
            trigger: trigger, review: review, unreviewed: !planByReviewer && !startedSincePlan && planApproval == .notNeeded)
        if case .replan(let failure)? = pendingPlanWork {
            finalFailures.removeAll { $0.stepID == failure.stepID }
            pendingPlanWork = .replan(FinalFailure(
                stepID: failure.stepID, reason: failure.reason, details: failure.details,
                completed: status[failure.stepID] == .completed))
        }
    }

    /// What planning a resumed run still has to do: a replan whose `replan.triggered` the planner
    /// never answered, a recorded review not yet acted on, or (`unreviewed`: the plan in force has
    /// no review, approval request or step start) a review to ask for.
    private static func planWork(trigger: JournalEvent?, review: PlanReview?, unreviewed: Bool) -> PlanWork? {
        if let trigger {
            let reason = trigger.dataString("reason") ?? "step_failed"
            let details = trigger.dataString("details") ?? ""
            if reason == "changes_requested" {
                return .revise(
                    review ?? PlanReview(verdict: reason, comments: details.split(separator: "\n").map(String.init)))
            }
            guard let id = trigger.dataString("step_id") else { return nil }
            return .replan(FinalFailure(stepID: id, reason: reason, details: details))
        }
        if let review { return review.verdict == "approved" ? nil : .review(review) }
        return unreviewed ? .review(nil) : nil
    }
}

extension PlanReview {
    /// The review a `plan.reviewed` event records.
    init(recorded event: JournalEvent) {
        self.init(
            verdict: event.dataString("verdict") ?? "approved", score: event.data("score")?.doubleValue,
            comments: event.data("comments")?.arrayValue?.compactMap(\.stringValue) ?? [],
            steps: event.data("steps")?.arrayValue.flatMap { items in
                try? items.enumerated().map { k, item throws(JournalError) in try PlanStep(wire: item, path: "steps[\(k)]") }
            })
    }
}
