import PlanJournalCore
import PlanJournalStore

extension PlanRunner {
    /// Asks the planner for the first plan and journals it (`call.model`, `plan.proposed`), then the
    /// review and the plan approval point.
    /// - Returns: an ending when the run cannot go on (planner error, invalid plan, rejection).
    func proposeFirstPlan(_ p: inout RunProgress, recorder: RunRecorder) async throws -> Ending? {
        if let analyzer, p.analysis == nil, let ending = try await analyzeGoal(analyzer, &p, recorder: recorder) {
            return ending
        }
        let request = PlanningRequest(goal: p.goal, tools: tools.names, analysis: p.analysis)
        let steps: [PlanStep]
        switch try await askPlanner(request, purpose: "plan", deadline: p.deadline, recorder: recorder) {
        case .failure(let ending): return ending
        case .success(let proposal):
            steps = proposal.steps
            try await recorder.record(
                .planProposed, actor: "planner",
                data: .record([
                    "version": .int(1), "steps": .array(steps.map(\.wireValue)),
                    "rationale": proposal.rationale.map(JSONValue.string),
                ]))
        }
        p.adopt(steps, version: 1, changed: Set(steps.map(\.id)))
        return try await gate(&p, recorder: recorder)
    }

    /// Journals `replan.triggered`, asks the planner for a revised plan and journals it as
    /// `plan.revised` (what was added, removed and changed against the plan in force).
    /// - Parameter triggered: the `replan.triggered` is in the journal already (a resumed run that
    ///   stopped before the planner answered): the planner is asked without another trigger, and
    ///   the replan is not counted again.
    func replan(
        _ p: inout RunProgress, _ failure: RunProgress.FinalFailure, recorder: RunRecorder, triggered: Bool = false
    ) async throws -> Ending? {
        let reason = failure.replanReason
        if !triggered {
            if let policy = planner as? any ReplanPolicy, !policy.shouldReplan(reason) {
                // A request the policy ranks (wants later) waits for the next plan version.
                if policy.priority(of: reason) == .max { p.abandonFirstFailure() } else { p.deferFirstFailure() }
                return nil
            }
            if let ending = try await trigger(
                &p, reason, why: "step \(failure.stepID) failed (\(failure.details))", recorder: recorder)
            {
                return ending
            }
        }
        var request = PlanningRequest(
            goal: p.goal, tools: tools.names, previous: p.plan, completed: p.outputs, replan: reason, analysis: p.analysis)
        request.otherFailures = p.finalFailures.filter { $0.stepID != failure.stepID }.map(\.replanReason)
        let proposal: PlanProposal
        switch try await askPlanner(request, purpose: "replan", deadline: p.deadline, recorder: recorder) {
        case .failure(let ending): return ending
        case .success(let value): proposal = value
        }
        try await revise(
            &p, to: proposal.steps, actor: "planner", reason: failure.reason, rationale: proposal.rationale,
            retrying: failure.stepID, recorder: recorder)
        return try await gate(&p, recorder: recorder)
    }

    /// Journals `replan.triggered` for `reason` and counts the replan, unless the run has had
    /// `maxReplans` of them.
    /// - Parameter why: what the replan is for, in the message of the limit.
    /// - Returns: the `max_replans` ending when the limit is reached (nothing is journaled then).
    private func trigger(_ p: inout RunProgress, _ reason: ReplanReason, why: String, recorder: RunRecorder) async throws
        -> Ending?
    {
        guard p.replans < options.maxReplans else {
            return .limit("max_replans", "\(why) and the run reached --max-replans \(options.maxReplans)")
        }
        try await recorder.record(
            .replanTriggered, actor: "system",
            data: .record([
                "reason": .string(reason.reason), "step_id": reason.stepID.map(JSONValue.string),
                "details": reason.details.map(JSONValue.string),
            ]))
        p.replans += 1
        return nil
    }

    /// Asks the planner to revise the plan the reviewer sent back (`changes_requested`): journals
    /// `replan.triggered` (unless `triggered`: it is in the journal already) and `plan.revised`.
    /// Such revisions count against `maxReplans`. The caller reviews the new version.
    func reviseForReview(_ p: inout RunProgress, _ review: PlanReview, recorder: RunRecorder, triggered: Bool = false)
        async throws -> Ending?
    {
        let reason = ReplanReason(reason: "changes_requested", stepID: nil, details: review.comments.joined(separator: "\n"))
        if !triggered,
            let ending = try await trigger(
                &p, reason, why: "the reviewer requested changes to plan version \(p.version)", recorder: recorder)
        {
            return ending
        }
        let request = PlanningRequest(
            goal: p.goal, tools: tools.names, previous: p.plan, completed: p.outputs, replan: reason, analysis: p.analysis,
            review: review)
        switch try await askPlanner(request, purpose: "replan", deadline: p.deadline, recorder: recorder) {
        case .failure(let ending): return ending
        case .success(let proposal):
            try await revise(
                &p, to: proposal.steps, actor: "planner", reason: reason.reason, rationale: proposal.rationale, recorder: recorder)
            return nil
        }
    }

    /// Journals `steps` as the next plan version (`plan.revised`: what was added, removed and
    /// changed against the plan in force) and puts it in force.
    func revise(
        _ p: inout RunProgress, to steps: [PlanStep], actor: String, reason: String, rationale: String?,
        retrying: String? = nil, recorder: RunRecorder
    ) async throws {
        let base = Dictionary(p.plan.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let newIDs = Set(steps.map(\.id))
        let added = steps.filter { base[$0.id] == nil }
        let changed = steps.filter { base[$0.id] != nil && base[$0.id] != $0 }
        let removed = p.plan.map(\.id).filter { !newIDs.contains($0) }
        let version = p.version.saturatingAdd(1)
        try await recorder.record(
            .planRevised, actor: actor,
            data: .record([
                "version": .int(version), "base_version": .int(p.version),
                "added": .array(added.map(\.wireValue)), "removed": .strings(removed),
                "changed": .array(changed.map(\.wireValue)), "reason": .string(reason),
                "rationale": rationale.map(JSONValue.string),
            ]))
        p.adopt(steps, version: version, changed: Set(changed.map(\.id)), retrying: retrying)
    }

    /// Asks the analyzer about the goal and journals its model calls and `goal.analyzed`.
    /// - Returns: an ending when the analyzer fails (the run ends as `analyzer_error`).
    private func analyzeGoal(_ analyzer: any GoalAnalyzer, _ p: inout RunProgress, recorder: RunRecorder) async throws -> Ending? {
        let analysis: GoalAnalysis
        do {
            let (goal, names) = (p.goal, tools.names)
            analysis = try await p.deadline.bound(watching: cancelWatch(recorder)) {
                try await analyzer.analyze(goal: goal, tools: names)
            }
        } catch {
            if let ending = Ending.interrupted(by: error) { return ending }
            let failure = (error as? RuntimeError) ?? RuntimeError("analyzer_error", "\(error)")
            for call in failure.calls { try await recorder.record(call, stepID: nil, actor: "planner") }
            return Ending(stoppedBy: "analyzer_error", error: failure)
        }
        for call in analysis.calls {
            var call = call
            if call.purpose.isEmpty { call.purpose = "analyze" }
            try await recorder.record(call, stepID: nil, actor: "planner")
        }
        try await recorder.record(.goalAnalyzed, actor: "planner", data: analysis.wireValue)
        p.analysis = analysis
        return nil
    }

    enum PlannerAnswer {
        case success(PlanProposal)
        case failure(Ending)
    }

    /// Calls the planner, journals its model calls and checks the plan (non-empty, unique ids,
    /// known dependencies, no cycles). A planner error or an invalid plan ends the run.
    func askPlanner(_ request: PlanningRequest, purpose: String, deadline: RunDeadline, recorder: RunRecorder)
        async throws -> PlannerAnswer
    {
        let answer = try await proposal(for: request, deadline: deadline, recorder: recorder)
        guard case .success(let proposal) = answer else { return answer }
        for call in proposal.calls {
            var call = call
            if call.purpose.isEmpty { call.purpose = purpose }
            try await recorder.record(call, stepID: nil, actor: "planner")
        }
        do throws(JournalError) {
            guard !proposal.steps.isEmpty else { throw JournalError.invalid("steps", "the plan has no steps") }
            try PlanGraph.validate(proposal.steps, path: "steps")
        } catch {
            return .failure(
                Ending(stoppedBy: "invalid_plan", error: RuntimeError(RuntimeError.Types.invalidPlan, "the planner's plan is invalid: \(error.message)")))
        }
        return .success(proposal)
    }

    /// The planner's proposal; a `cmd:` planner that ended (crashed) while asked is started and
    /// asked again, up to `maxAttempts` times in all, before it ends the run (an HTTP planner's
    /// retries are its client's). The calls of failures are journaled.
    private func proposal(for request: PlanningRequest, deadline: RunDeadline, recorder: RunRecorder) async throws
        -> PlannerAnswer
    {
        var attempt = 1
        while true {
            do {
                return .success(try await deadline.bound(watching: cancelWatch(recorder)) { try await planner.plan(request) })
            } catch {
                if let ending = Ending.interrupted(by: error) { return .failure(ending) }
                let failure = (error as? RuntimeError) ?? RuntimeError("planner_error", "\(error)")
                for call in failure.calls { try await recorder.record(call, stepID: nil, actor: "planner") }
                guard failure.type == RuntimeError.Types.subprocess, failure.retryable, attempt < options.maxAttempts else {
                    let stop = failure.type == RuntimeError.Types.invalidPlan ? "invalid_plan" : "planner_error"
                    return .failure(Ending(stoppedBy: stop, error: failure))
                }
                attempt += 1
            }
        }
    }

    /// Looks at the journal every poll interval while the runner waits on its planner, analyzer
    /// or reviewer, until a `planj cancel` note asks for the run's end.
    func cancelWatch(_ recorder: RunRecorder) -> @Sendable () async throws -> String {
        let poll = options.pollInterval
        return {
            while true {
                try await Task.sleep(for: poll)
                try await recorder.poll()
                if let reason = recorder.cancelRequest() { return reason }
            }
        }
    }
}
