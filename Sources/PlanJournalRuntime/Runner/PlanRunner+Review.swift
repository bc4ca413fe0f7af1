import PlanJournalCore
import PlanJournalStore

extension PlanRunner {
    /// The review (when a reviewer is set) and the plan-level approval point of the plan in force.
    /// - Parameter recorded: a review of the plan in force already in the journal (a resumed run):
    ///   its verdict is acted on without asking the reviewer again.
    func gate(_ p: inout RunProgress, recorder: RunRecorder, recorded: PlanReview? = nil) async throws -> Ending? {
        if let ending = try await review(&p, recorder: recorder, recorded: recorded) { return ending }
        return try await approvalPoint(&p, recorder: recorder)
    }

    /// Reviews the plan in force until the reviewer lets it run: `changes_requested` sends it back
    /// to the planner (a replan, counted against `maxReplans`) and the revision is reviewed again;
    /// `amended` puts the reviewer's own plan in force, unreviewed; `rejected` ends the run.
    private func review(_ p: inout RunProgress, recorder: RunRecorder, recorded: PlanReview?) async throws -> Ending? {
        var next = recorded
        while true {
            let review: PlanReview
            if let given = next {
                review = given
                next = nil
            } else {
                guard let reviewer else { return nil }
                switch try await ask(reviewer, &p, recorder: recorder) {
                case .failure(let ending): return ending
                case .success(let value): review = value
                }
            }
            switch review.verdict {
            case "rejected":
                return Ending(
                    stoppedBy: "plan_rejected",
                    error: RuntimeError("plan_rejected", "the reviewer rejected plan version \(p.version)"))
            case "changes_requested":
                if let ending = try await reviseForReview(&p, review, recorder: recorder) { return ending }
            case "amended":
                guard let steps = review.steps else { return nil }
                try await revise(
                    &p, to: steps, actor: "reviewer", reason: "amended by the reviewer",
                    rationale: review.comments.isEmpty ? nil : review.comments.joined(separator: "\n"), recorder: recorder)
                return nil
            default:
                return nil
            }
        }
    }

    private enum ReviewerAnswer {
        case success(PlanReview)
        case failure(Ending)
    }

    /// Asks the reviewer about the plan in force and journals its model calls and `plan.reviewed`
    /// (with the amended plan's `steps`, for `amended`). An unknown verdict, or `amended` without a
    /// valid plan, is a `bad_reply` and ends the run as `reviewer_error`, unjournaled.
    private func ask(_ reviewer: any Reviewer, _ p: inout RunProgress, recorder: RunRecorder) async throws -> ReviewerAnswer {
        let review: PlanReview
        do {
            let (goal, steps, version) = (p.goal, p.plan, p.version)
            review = try await p.deadline.bound(watching: cancelWatch(recorder)) {
                try await reviewer.review(goal: goal, steps: steps, version: version)
            }
        } catch {
            if let ending = Ending.interrupted(by: error) { return .failure(ending) }
            let failure = (error as? RuntimeError) ?? RuntimeError("reviewer_error", "\(error)")
            for call in failure.calls { try await recorder.record(call, stepID: nil, actor: "reviewer") }
            return .failure(Ending(stoppedBy: "reviewer_error", error: failure))
        }
        for call in review.calls { try await recorder.record(call, stepID: nil, actor: "reviewer") }
        // Journaled as it came, the run would be rejected, left open, and resumed unreviewed.
        let badReply = { (message: String) in
            ReviewerAnswer.failure(
                Ending(stoppedBy: "reviewer_error", error: RuntimeError("bad_reply", "\(reviewer.name): \(message)")))
        }
        guard RunValidator.verdicts.contains(review.verdict) else {
            let allowed = RunValidator.verdicts.sorted().joined(separator: ", ")
            return badReply("the verdict \"\(review.verdict)\" is not one of \(allowed)")
        }
        if review.verdict == "amended" {
            guard let steps = review.steps else { return badReply("the verdict \"amended\" comes without the amended plan's \"steps\"") }
            do throws(JournalError) {
                guard !steps.isEmpty else { throw JournalError.invalid("steps", "the plan has no steps") }
                try PlanGraph.validate(steps, path: "steps")
            } catch {
                return badReply("the amended plan is invalid: \(error.message)")
            }
        }
        try await recorder.record(
            .planReviewed, actor: "reviewer",
            data: .record([
                "version": .int(p.version), "verdict": .string(review.verdict), "reviewer": .string(reviewer.name),
                "score": review.score.map(JSONValue.double), "comments": .strings(review.comments),
                // Kept so that a run resumed before the amendment is journaled can adopt it.
                "steps": review.verdict == "amended" ? review.steps.map { .array($0.map(\.wireValue)) } : nil,
            ]))
        return .success(review)
    }

    /// The plan-level approval point of the plan in force (`approvePlan`).
    /// - Parameter requested: its `approval.requested` is journaled already (a resumed run): the
    ///   decision is made again, by the approvals' source or the policy, or waited for.
    func approvalPoint(_ p: inout RunProgress, recorder: RunRecorder, requested: Bool = false) async throws -> Ending? {
        guard options.approvePlan || requested else { return nil }
        if !requested {
            try await recorder.record(
                .approvalRequested, actor: "system",
                data: .record([
                    "version": .int(p.version), "reason": .string("plan version \(p.version) needs approval"),
                    "approvers": .strings([options.approval == .auto ? "policy" : "human"]),
                ]))
        }
        p.planApproval = .requested
        let decision =
            try approvals?.decision(stepID: nil, version: p.version)?.checked()
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
