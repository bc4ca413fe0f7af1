import Foundation
import PlanJournalCore
import PlanJournalStore

extension PlanRunner {
    /// Why the loop stopped.
    struct Ending: Sendable {
        var stoppedBy: String?
        var error: RuntimeError?
        var cancelled = false

        static let done = Ending()
        static func limit(_ name: String, _ message: String) -> Ending {
            Ending(stoppedBy: name, error: RuntimeError(name, message))
        }
        /// Cancelled as asked (an executor's `run_cancelled`, a `planj cancel`).
        static func cancelled(_ reason: String) -> Ending {
            Ending(stoppedBy: "cancelled", error: RuntimeError(RuntimeError.Types.runCancelled, reason), cancelled: true)
        }
        /// Cancelled by its task's cancellation (Ctrl-C in planj): said with an error object
        /// as a `planj cancel` is, so scripts read every cancellation the same way.
        static let taskCancelled = cancelled("interrupted: the task driving the run was cancelled (Ctrl-C in planj)")
    }

    /// What wakes the loop.
    enum Signal: Sendable {
        /// A step finished; its ``StepFinish`` is in the loop's inbox.
        case step
        case timeout
        case tick
    }

    /// Plans (when there is no plan yet), then runs steps until the plan is done or something stops
    /// the run, and journals `run.completed`.
    func drive(_ p: inout RunProgress, recorder: RunRecorder) async throws -> RunResult {
        var ending: Ending?
        p.deadline = RunDeadline(options.timeout)
        if let reason = p.cancelRequested {
            ending = .cancelled(reason)
        } else if p.plan.isEmpty {
            ending = try await proposeFirstPlan(&p, recorder: recorder)
        } else if let work = p.pendingPlanWork {
            p.pendingPlanWork = nil
            ending = try await finish(work, &p, recorder: recorder)
        }
        if ending == nil {
            ending = try await executeSteps(&p, recorder: recorder)
        }
        return try await complete(p, ending ?? .done, recorder: recorder)
    }

    /// Does the planning a resumed run stopped in the middle of, without journaling or counting
    /// again what is in the journal.
    private func finish(_ work: RunProgress.PlanWork, _ p: inout RunProgress, recorder: RunRecorder) async throws -> Ending? {
        switch work {
        case .replan(let failure):
            return try await replan(&p, failure, recorder: recorder, triggered: true)
        case .revise(let review):
            if let ending = try await reviseForReview(&p, review, recorder: recorder, triggered: true) { return ending }
            return try await gate(&p, recorder: recorder)
        case .review(let recorded):
            return try await gate(&p, recorder: recorder, recorded: recorded)
        case .approve(let requested):
            return try await approvalPoint(&p, recorder: recorder, requested: requested)
        }
    }

    private func executeSteps(_ p: inout RunProgress, recorder: RunRecorder) async throws -> Ending {
        let poll = options.pollInterval
        return try await withThrowingTaskGroup(of: Signal.self) { group in
            if let deadline = p.deadline.instant {
                group.addTask {
                    try? await Task.sleep(until: deadline)
                    return Task.isCancelled ? .tick : .timeout
                }
            }
            let inbox = StepInbox()
            var running = 0
            var ticking = false
            var ending: Ending?
            while ending == nil {
                // Another driver must not have taken the run over (a lost database session).
                try p.claim?.confirm()
                if Task.isCancelled {
                    ending = .taskCancelled
                    break
                }
                var waiting = false
                ending = try await advance(&p, recorder: recorder, running: running, waiting: &waiting) { request in
                    running += 1
                    group.addTask {
                        inbox.put(try await self.runStep(request, recorder: recorder))
                        return .step
                    }
                }
                if ending != nil { break }
                if running == 0 && !waiting {
                    guard p.deferredFailures.isEmpty else {
                        p.abandonDeferred()
                        continue
                    }
                    ending = .limit("stuck", "no step can run and none is running")
                    break
                }
                // Every step that finished meanwhile is taken in one go (their events and the next
                // steps' `step.started` then share one transaction); the loop waits only when none has.
                var finished = inbox.take()
                if finished.isEmpty {
                    // Nothing stays out of the journal while the loop waits.
                    if recorder.hasStaged { try await recorder.flush() }
                    // Other processes' events (`planj approve`, `planj cancel`) are looked for
                    // while the loop waits, steps running or not.
                    if !ticking {
                        ticking = true
                        group.addTask {
                            try? await Task.sleep(for: poll)
                            return .tick
                        }
                    }
                    wait: while true {
                        switch try await group.next() {
                        case .step?:
                            finished = inbox.take()
                            // The wake-up of a step whose finish an earlier pass took.
                            if finished.isEmpty { continue wait }
                        case .timeout?:
                            ending = .limit("timeout", "the run took longer than --timeout")
                        case .tick?, nil:
                            ticking = false
                            try await recorder.poll()
                            for event in recorder.takeExternal() { p.absorb(event) }
                        }
                        break wait
                    }
                }
                for finish in finished {
                    running -= 1
                    p.record(finish, maxAttempts: options.maxAttempts)
                }
                if ending == nil, let failure = p.unusableExecutor {
                    ending = Ending(stoppedBy: "executor_error", error: failure)
                }
                if ending == nil, let reason = p.cancelRequested { ending = .cancelled(reason) }
            }
            group.cancelAll()
            while try await group.next() != nil {}
            for finish in inbox.take() { p.record(finish, maxAttempts: options.maxAttempts) }
            return ending ?? .done
        }
    }

    /// One pass of decisions: limits, replans, approvals, skips, and launching ready steps.
    /// - Returns: an ending when the run must stop.
    private func advance(
        _ p: inout RunProgress, recorder: RunRecorder, running: Int, waiting: inout Bool,
        launch: (StepRequest) -> Void
    ) async throws -> Ending? {
        for event in recorder.takeExternal() { p.absorb(event) }
        if p.cancelRequested == nil, let reason = approvals?.cancellation(finished: { p.finishedAttempts(of: $0) }) {
            p.cancelRequested = reason
        }
        if let reason = p.cancelRequested { return .cancelled(reason) }
        if let budget = options.budgetUSD {
            // Staged model calls count against the budget too.
            if recorder.hasStaged { try await recorder.flush() }
            if recorder.costUSD > budget { return .limit("budget_usd", "model calls cost more than the budget of \(budget.dollarText)") }
        }
        // A pass starts again after a step's approval is denied: its skip (and its dependents')
        // is journaled before anything starts, as a resumed run, which finds it denied, does.
        pass: while true {
            // Every pending replan request is decided (replanned or declined) before anything else;
            // each decision removes its request.
            while !p.finalFailures.isEmpty {
                if running > 0 { return nil }
                if let policy = planner as? any ReplanPolicy {
                    let ranked = p.finalFailures.enumerated().sorted { a, b in
                        let (x, y) = (policy.priority(of: a.element.replanReason), policy.priority(of: b.element.replanReason))
                        return x != y ? x < y : a.offset < b.offset
                    }
                    p.finalFailures = ranked.map(\.element)
                }
                if let ending = try await replan(&p, p.finalFailures[0], recorder: recorder) { return ending }
            }
            try await skipDenied(&p, recorder: recorder)
            var scan = p.scan()
            if scan.settled && running == 0 { return .done }
            switch p.planApproval {
            case .denied: return Ending(stoppedBy: "plan_denied", error: RuntimeError("plan_denied", "the plan was denied"))
            case .requested:
                waiting = true
                return nil
            case .notNeeded, .granted: break
            }
            while !scan.blocked.isEmpty {
                for (step, dep) in scan.blocked {
                    try await recorder.record(
                        .stepSkipped, actor: "system",
                        data: .record(["step_id": .string(step.id), "reason": .string("dependency \(dep) did not run")]))
                    p.status[step.id] = .skipped
                }
                scan = p.scan()
            }
            if scan.settled && running == 0 { return .done }
            var slots = options.parallel - running
            var launching: [(step: PlanStep, attempt: Int)] = []
            for step in scan.ready {
                if step.requiresApproval && !p.approved.contains(step.id) {
                    try await requestApproval(&p, step: step, recorder: recorder)
                    if p.status[step.id] == .denied { continue pass }
                    if !p.approved.contains(step.id) {
                        waiting = true
                        continue
                    }
                }
                guard slots > 0 else { break }
                guard p.stepsStarted + launching.count < options.maxSteps else {
                    if running + launching.count > 0 { break }
                    return .limit("max_steps", "the run reached --max-steps \(options.maxSteps)")
                }
                launching.append((step, (p.attempts[step.id] ?? 0).saturatingAdd(1)))
                slots -= 1
            }
            guard !launching.isEmpty else { return nil }
            // Journal first: every step is started in the journal (one batch) before it runs.
            try await recorder.record(
                launching.map { step, attempt in
                    RunRecorder.Entry(
                        .stepStarted, actor: "executor",
                        data: .record([
                            "step_id": .string(step.id), "attempt": .int(attempt), "tool": step.tool.map(JSONValue.string),
                            "inputs": .record(["depends_on": .strings(step.dependsOn)]),
                        ]))
                })
            for (step, attempt) in launching {
                p.attempts[step.id] = attempt
                p.tries[step.id, default: 0] += 1
                p.status[step.id] = .running
                p.stepsStarted += 1
                launch(
                    StepRequest(
                        run: recorder.run, goal: p.goal, step: step, attempt: attempt,
                        dependencyOutputs: p.dependencyOutputs(of: step)))
            }
            return nil
        }
    }

    private func requestApproval(_ p: inout RunProgress, step: PlanStep, recorder: RunRecorder) async throws {
        if !p.approvalRequested.contains(step.id) {
            try await recorder.record(
                .approvalRequested, actor: "system",
                data: .record([
                    "step_id": .string(step.id), "reason": .string("step \(step.id) requires approval"),
                    "approvers": .strings([options.approval == .auto ? "policy" : "human"]),
                ]))
            p.approvalRequested.insert(step.id)
        }
        let decision =
            try approvals?.decision(stepID: step.id, planVersion: p.version)?.checked()
            ?? (options.approval == .auto
                ? ApprovalDecision(decision: "granted", actor: "policy", comment: "granted by policy --approve auto") : nil)
        guard let decision else { return }
        try await recorder.record(
            .approvalResolved, actor: decision.actor,
            data: .record([
                "decision": .string(decision.decision), "step_id": .string(step.id),
                "comment": decision.comment.map(JSONValue.string),
            ]))
        if decision.decision == "granted" {
            p.approved.insert(step.id)
        } else {
            p.status[step.id] = .denied
            p.denied.insert(step.id)
        }
    }

    /// Journals `run.completed` with the outcome and totals, and returns the final state.
    private func complete(_ p: RunProgress, _ ending: Ending, recorder: RunRecorder) async throws -> RunResult {
        var p = p
        // A denial that came with the run's end (a cancel read in the same pass) is journaled as
        // a denial always is, before the end's own skips.
        try await skipDenied(&p, recorder: recorder)
        if ending.cancelled {
            // A cancelled run's steps that did not run never will.
            for step in p.plan where p.status[step.id] == .pending || p.status[step.id] == .running {
                try await recorder.record(
                    .stepSkipped, actor: "system",
                    data: .record(["step_id": .string(step.id), "reason": .string("run cancelled")]))
                p.status[step.id] = .skipped
            }
        } else if let limit = ending.stoppedBy {
            // Steps a limit, a denied plan or a failing planner or executor left pending will not
            // run in this finished run.
            let left = p.plan.filter { p.status[$0.id] == .pending || p.status[$0.id] == .running }
            if !left.isEmpty {
                try await recorder.record(
                    left.map { step in
                        RunRecorder.Entry(
                            .stepSkipped, actor: "system",
                            data: .record(["step_id": .string(step.id), "reason": .string("run stopped by \(limit)")]))
                    })
                for step in left { p.status[step.id] = .skipped }
            }
        }
        let status: String
        if ending.cancelled {
            status = "cancelled"
        } else if ending.stoppedBy == nil && p.allSucceeded {
            status = "succeeded"
        } else {
            status = p.anyCompleted ? "partially_succeeded" : "failed"
        }
        let count = { (s: RunProgress.Status) in p.plan.filter { p.status[$0.id] == s }.count }
        let answer = p.finalAnswer
        // The totals count the model calls of the last steps to finish, staged until now.
        if recorder.hasStaged { try await recorder.flush() }
        try await recorder.record(
            .runCompleted, actor: "system",
            data: .record([
                "status": .string(status),
                "final_answer": answer.map(JSONValue.string) ?? .null,
                "stopped_by": ending.stoppedBy.map(JSONValue.string),
                "error": ending.error.map {
                    .record(["type": .string($0.type), "message": .string($0.message)])
                },
                "totals": .record([
                    "steps": .int(p.plan.count), "completed": .int(count(.completed)),
                    "skipped": .int(count(.skipped)), "step_attempts": .int(p.stepsStarted),
                    "replans": .int(p.replans), "input_tokens": .int(recorder.inputTokens),
                    "output_tokens": .int(recorder.outputTokens),
                    "cost_usd": .double(recorder.costUSD),
                ]),
            ]))
        let state = try journal.state(of: recorder.run)
        return RunResult(
            run: recorder.run, status: status, stoppedBy: ending.stoppedBy, finalAnswer: answer, error: ending.error,
            state: state, startedAt: p.startedAt ?? state.startedAt)
    }

    /// Journals each denied step as skipped: a denied step will not run.
    private func skipDenied(_ p: inout RunProgress, recorder: RunRecorder) async throws {
        guard p.hasUnskippedDenials else { return }
        for step in p.plan where p.status[step.id] == .denied {
            try await recorder.record(
                .stepSkipped, actor: "system",
                data: .record(["step_id": .string(step.id), "reason": .string("approval denied")]))
            p.status[step.id] = .skipped
        }
    }
}
