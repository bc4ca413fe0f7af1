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
    func replan(_ p: inout RunProgress, _ failure: RunProgress.FinalFailure, recorder: RunRecorder) async throws
        -> Ending?
    {
        let reason = failure.replanReason
        if let policy = planner as? any ReplanPolicy, !policy.shouldReplan(reason) {
            // A request the policy ranks (wants later) waits for the next plan version.
            if policy.priority(of: reason) == .max { p.abandonFirstFailure() } else { p.deferFirstFailure() }
            return nil
        }
        guard p.replans < options.maxReplans else {
            return .limit(
                "max_replans",
                "step \(failure.stepID) failed (\(failure.details)) and the run reached --max-replans \(options.maxReplans)")
        }
        try await recorder.record(
            .replanTriggered, actor: "system",
            data: .record([
                "reason": .string(failure.reason), "step_id": .string(failure.stepID),
                "details": .string(failure.details),
            ]))
        p.replans += 1
        let request = PlanningRequest(
            goal: p.goal, tools: tools.names, previous: p.plan, completed: p.outputs, replan: reason, analysis: p.analysis)
        let proposal: PlanProposal
        switch try await askPlanner(request, purpose: "replan", deadline: p.deadline, recorder: recorder) {
        case .failure(let ending): return ending
        case .success(let value): proposal = value
        }
        let base = Dictionary(p.plan.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let newIDs = Set(proposal.steps.map(\.id))
        let added = proposal.steps.filter { base[$0.id] == nil }
        let changed = proposal.steps.filter { base[$0.id] != nil && base[$0.id] != $0 }
        let removed = p.plan.map(\.id).filter { !newIDs.contains($0) }
        let version = p.version.saturatingAdd(1)
        try await recorder.record(
            .planRevised, actor: "planner",
            data: .record([
                "version": .int(version), "base_version": .int(p.version),
                "added": .array(added.map(\.wireValue)), "removed": .strings(removed),
                "changed": .array(changed.map(\.wireValue)), "reason": .string(failure.reason),
                "rationale": proposal.rationale.map(JSONValue.string),
            ]))
        p.adopt(proposal.steps, version: version, changed: Set(changed.map(\.id)), retrying: failure.stepID)
        return try await gate(&p, recorder: recorder)
    }

    /// Asks the analyzer about the goal and journals its model calls and `goal.analyzed`.
    /// - Returns: an ending when the analyzer fails (the run ends as `analyzer_error`).
    private func analyzeGoal(_ analyzer: any GoalAnalyzer, _ p: inout RunProgress, recorder: RunRecorder) async throws -> Ending? {
        let analysis: GoalAnalysis
        do {
            let (goal, names) = (p.goal, tools.names)
            analysis = try await p.deadline.bound { try await analyzer.analyze(goal: goal, tools: names) }
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

    private enum PlannerAnswer {
        case success(PlanProposal)
        case failure(Ending)
    }

    /// Calls the planner, journals its model calls and checks the plan (non-empty, unique ids,
    /// known dependencies, no cycles). A planner error or an invalid plan ends the run.
    private func askPlanner(_ request: PlanningRequest, purpose: String, deadline: RunDeadline, recorder: RunRecorder)
        async throws -> PlannerAnswer
    {
        let proposal: PlanProposal
        do {
            proposal = try await deadline.bound { try await planner.plan(request) }
        } catch {
            if let ending = Ending.interrupted(by: error) { return .failure(ending) }
            let failure = (error as? RuntimeError) ?? RuntimeError("planner_error", "\(error)")
            for call in failure.calls { try await recorder.record(call, stepID: nil, actor: "planner") }
            return .failure(Ending(stoppedBy: failure.type == "invalid_plan" ? "invalid_plan" : "planner_error", error: failure))
        }
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
                Ending(stoppedBy: "invalid_plan", error: RuntimeError("invalid_plan", "the planner's plan is invalid: \(error.message)")))
        }
        return .success(proposal)
    }

    /// The review (when a reviewer is set) and the plan-level approval point of the plan in force.
    private func gate(_ p: inout RunProgress, recorder: RunRecorder) async throws -> Ending? {
        if let reviewer {
            let review: PlanReview
            do {
                let (goal, steps, version) = (p.goal, p.plan, p.version)
                review = try await p.deadline.bound { try await reviewer.review(goal: goal, steps: steps, version: version) }
            } catch {
                if let ending = Ending.interrupted(by: error) { return ending }
                let failure = (error as? RuntimeError) ?? RuntimeError("reviewer_error", "\(error)")
                for call in failure.calls { try await recorder.record(call, stepID: nil, actor: "reviewer") }
                return Ending(stoppedBy: "reviewer_error", error: failure)
            }
            for call in review.calls { try await recorder.record(call, stepID: nil, actor: "reviewer") }
            guard RunValidator.verdicts.contains(review.verdict) else {
                // Journaled as it came, the run would be rejected, left open, and resumed unreviewed.
                let allowed = RunValidator.verdicts.sorted().joined(separator: ", ")
                return Ending(
                    stoppedBy: "reviewer_error",
                    error: RuntimeError("bad_reply", "\(reviewer.name): the verdict \"\(review.verdict)\" is not one of \(allowed)"))
            }
            try await recorder.record(
                .planReviewed, actor: "reviewer",
                data: .record([
                    "version": .int(p.version), "verdict": .string(review.verdict), "reviewer": .string(reviewer.name),
                    "score": review.score.map(JSONValue.double), "comments": .strings(review.comments),
                ]))
            if review.verdict == "rejected" {
                return Ending(
                    stoppedBy: "plan_rejected",
                    error: RuntimeError("plan_rejected", "the reviewer rejected plan version \(p.version)"))
            }
        }
        guard options.approvePlan else { return nil }
        try await recorder.record(
            .approvalRequested, actor: "system",
            data: .record([
                "version": .int(p.version), "reason": .string("plan version \(p.version) needs approval"),
                "approvers": .strings([options.approval == .auto ? "policy" : "human"]),
            ]))
        p.planApproval = .requested
        let decision =
            approvals?.decision(stepID: nil, version: p.version)
            ?? (options.approval == .auto
                ? ApprovalDecision(decision: "granted", actor: "policy", comment: "granted by policy --approve auto") : nil)
        if let decision {
            try await recorder.record(
                .approvalResolved, actor: decision.actor,
                data: .record([
                    "decision": .string(decision.decision), "version": .int(p.version),
                    "comment": decision.comment.map(JSONValue.string),
                ]))
            p.planApproval = decision.decision == "granted" ? .granted : .denied
        }
        return nil
    }
}
