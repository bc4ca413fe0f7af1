import PlanJournalCore
import PlanJournalRuntime
import Synchronization

/// A run whose step `x` fails for good until a replan, and whose gated step `g` is denied first
/// and changed by that replan (`after` needs both): for tests of approvals across replans, in
/// runs, resumes and replays.
public enum DeniedThenReplanned {
    /// The plan, as first proposed or as the replan revises it.
    public static func plan(revised: Bool) -> [PlanStep] {
        [
            PlanStep(id: "x", description: revised ? "fetch again" : "fetch"),
            PlanStep(id: "g", description: revised ? "publish to staging" : "publish to prod", requiresApproval: true),
            PlanStep(id: "after", dependsOn: ["g", "x"]),
        ]
    }

    /// Proposes the plan, and the revised plan on a replan.
    public static let planner = ClosurePlanner(name: "p") { request in PlanProposal(steps: plan(revised: request.replan != nil)) }

    /// Fails `x` as first planned (not retryable); answers every other step.
    public static let executor = ClosureExecutor(name: "e") { request, _ in
        if request.step.description == "fetch" { throw RuntimeError("http_error", "404", retryable: false) }
        return StepAnswer(output: "ok \(request.step.id)")
    }

    /// Denies the first approval request and grants the next.
    public final class DenyOnce: ApprovalSource {
        private let asked = Mutex(0)
        public init() {}
        public func decision(stepID: String?, version: Int?) -> ApprovalDecision? {
            let n = asked.withLock { $0 += 1; return $0 }
            return ApprovalDecision(decision: n == 1 ? "denied" : "granted", actor: "human:ana")
        }
    }
}
