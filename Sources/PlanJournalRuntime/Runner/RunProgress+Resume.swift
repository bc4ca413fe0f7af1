import PlanJournalCore

extension RunProgress {
    /// The progress of an interrupted run, rebuilt by taking its events in order through the
    /// changes the runner made as it journaled them: plan versions put in force (new and changed
    /// steps, and the failed step a replan was for, start afresh), attempts, outcomes (a failure
    /// retried while tries remain and it is retryable; a final failure or a judged mismatch waits
    /// for a replan), approvals and skips. Planning the run stopped in the middle of is left in
    /// ``pendingPlanWork``; a step started but never finished (``interrupted``) runs again as a new
    /// attempt while tries remain, the interrupted one counted.
    init(resuming events: [JournalEvent], goal: String, options: RunnerOptions) {
        self.init(goal: goal)
        var state = PlanState(run: events.first?.run ?? "")
        let projection = PlanProjection()
        var trigger: JournalEvent?
        var review: PlanReview?
        var planByReviewer = false
        var startedSincePlan = false
        // The runner's own verdict on each step's last output (`step.observed` without a call).
        var matched: [String: Bool] = [:]
        for event in events {
            projection.apply(&state, event)
            let id = event.dataString("step_id")
            switch event.knownKind {
            case .goalAnalyzed?:
                analysis = GoalAnalysis(wire: event.data) ?? GoalAnalysis(summary: nil)
            case .planProposed?, .planRevised?:
                guard let plan = state.plans.last, plan.seq == event.seq else { break }
                let changed =
                    event.knownKind == .planProposed
                    ? Set(plan.steps.map(\.id))
                    : Set((event.data("changed")?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
                let retrying = trigger.flatMap { $0.dataString("reason") == "changes_requested" ? nil : $0.dataString("step_id") }
                adopt(plan.steps, version: plan.version, changed: changed, retrying: retrying)
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
                if let id { approvalRequested.insert(id) } else { planApproval = .requested }
            case .approvalResolved?:
                let granted = event.dataString("decision") == "granted"
                if let id {
                    // A decision for a request of the step as it was before a replan changed it
                    // does not count.
                    guard approvalRequested.contains(id) else { break }
                    if granted {
                        approved.insert(id)
                    } else if status[id] != nil {
                        // Journaled as skipped next, as when the denial came in this process.
                        status[id] = .denied
                        denied.insert(id)
                    }
                } else if planApproval == .requested {
                    planApproval = granted ? .granted : .denied
                }
            case .stepStarted?:
                guard let id, status[id] != nil else { break }
                attempts[id] = Int(clamping: event.dataInt("attempt") ?? Int64((attempts[id] ?? 0).saturatingAdd(1)))
                tries[id, default: 0] += 1
                status[id] = .running
                stepsStarted += 1
                startedSincePlan = true
                matched[id] = nil
            case .stepObserved?:
                if let id, event.dataString("call_id") == nil, let m = event.dataBool("matches_expected") { matched[id] = m }
            case .stepCompleted?:
                guard let id, status[id] != nil else { break }
                let output = event.dataString("output") ?? event.data("output")?.textValue ?? ""
                let mismatch = matched[id] == false ? "the output does not match the expected output" : nil
                record(StepFinish(stepID: id, outcome: .completed(output: output, mismatch: mismatch)), maxAttempts: options.maxAttempts)
            case .stepFailed?:
                guard let id, status[id] != nil else { break }
                let error = event.data("error")
                let type = error?["type"]?.stringValue ?? "step_failed"
                // The runner's own record of an attempt the run's end cut off (an executor's
                // failure of that type is a failure like any other).
                let outcome: StepFinish.Outcome =
                    event.isCutOffAttempt
                    ? .cancelled
                    : .failed(
                        RuntimeError(
                            type, error?["message"]?.stringValue ?? error?.textValue ?? "failed",
                            retryable: event.dataBool("retryable") ?? true),
                        mismatch: matched[id] == false)
                record(StepFinish(stepID: id, outcome: outcome), maxAttempts: options.maxAttempts)
            case .stepSkipped?:
                if let id, status[id] != nil { status[id] = .skipped }
            case .note?:
                noteCancel(event)
            default: break
            }
        }
        replans = state.totals.replans
        for step in plan where status[step.id] == .running {
            if (tries[step.id] ?? 0) < options.maxAttempts {
                status[step.id] = .pending
            } else {
                interrupted.append(step.id)
            }
        }
        pendingPlanWork = Self.planWork(
            trigger: trigger, review: review, unreviewed: !planByReviewer && !startedSincePlan && planApproval == .notNeeded)
        if pendingPlanWork == nil && !startedSincePlan && !plan.isEmpty {
            switch planApproval {
            case .notNeeded: pendingPlanWork = .approve(requested: false)
            case .requested: pendingPlanWork = .approve(requested: true)
            case .granted, .denied: break
            }
        }
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
    /// The review a `plan.reviewed` event records (without its model calls).
    public init(recorded event: JournalEvent) {
        self.init(
            verdict: event.dataString("verdict") ?? "approved", score: event.data("score")?.doubleValue,
            comments: event.data("comments")?.arrayValue?.compactMap(\.stringValue) ?? [],
            steps: event.data("steps")?.arrayValue.flatMap { items in
                try? items.enumerated().map { k, item throws(JournalError) in try PlanStep(wire: item, path: "steps[\(k)]") }
            })
    }
}
