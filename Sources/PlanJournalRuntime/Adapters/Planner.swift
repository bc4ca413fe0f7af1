import PlanJournalCore

/// Writes the plan for a goal, and revises it when a step fails.
public protocol Planner: Sendable {
    /// How the run records this planner (its model or program), e.g. `gpt-4o-mini`.
    var name: String { get }
    /// Proposes a plan (when `request.previous` is `nil`) or a revised plan.
    /// - Throws: ``RuntimeError`` (type `invalid_plan` when the reply is not a plan).
    func plan(_ request: PlanningRequest) async throws -> PlanProposal
}

/// What a planner is asked.
public struct PlanningRequest: Sendable {
    /// The run's goal.
    public var goal: String
    /// The tools the executor may call.
    public var tools: [String]
    /// The plan in force, when this is a replan.
    public var previous: [PlanStep]?
    /// Outputs of the steps completed so far, by step id.
    public var completed: [String: String]
    /// Why a replan is needed, when it is one.
    public var replan: ReplanReason?
    /// The goal's analysis, when the run has one (`goal.analyzed`).
    public var analysis: GoalAnalysis?
    /// The review that sent `previous` back (replan reason `changes_requested`).
    public var review: PlanReview?
    /// Other steps that failed for good at the same time (parallel steps whose agent died, say),
    /// each waiting for a replan of its own: a revision that changes or removes them settles
    /// them too, one that keeps them as they are leads to their own replans.
    public var otherFailures: [ReplanReason] = []

    /// Creates a request; everything but the goal defaults to nothing (a first plan).
    /// - Parameters:
    ///   - goal: the run's goal.
    ///   - tools: the names of the tools the executor may call.
    ///   - previous: the plan in force, for a replan.
    ///   - completed: outputs of the steps completed so far, by step id.
    ///   - replan: why a replan is needed, for a replan.
    ///   - analysis: the goal's analysis, when the run has one.
    ///   - review: the review that sent `previous` back (replan reason `changes_requested`).
    public init(
        goal: String, tools: [String] = [], previous: [PlanStep]? = nil, completed: [String: String] = [:],
        replan: ReplanReason? = nil, analysis: GoalAnalysis? = nil, review: PlanReview? = nil
    ) {
        self.analysis = analysis
        self.review = review
        self.goal = goal
        self.tools = tools
        self.previous = previous
        self.completed = completed
        self.replan = replan
    }
}

/// Why the runner asks for a new plan.
public struct ReplanReason: Sendable, Hashable {
    /// `step_failed`, `observation_mismatch`, or `changes_requested` (the reviewer sent the plan
    /// back; no step id, the review's comments as details).
    public var reason: String
    /// The step whose failure or mismatch asks for the replan; `nil` for `changes_requested`.
    public var stepID: String?
    /// The error message or the mismatch explanation.
    public var details: String?

    /// Creates a reason.
    public init(reason: String, stepID: String? = nil, details: String? = nil) {
        self.reason = reason
        self.stepID = stepID
        self.details = details
    }

    /// As the subprocess protocol sends it: `reason`, `step_id`, `details`.
    var wireValue: JSONValue {
        .record(["reason": .string(reason), "step_id": stepID.map(JSONValue.string) ?? .null, "details": details.map(JSONValue.string)])
    }
}

/// A planner's answer: the full step list of the new plan version.
public struct PlanProposal: Sendable {
    /// The new version's full step list. The runner checks it: an empty list, a repeated id, an
    /// unknown dependency or a cycle ends the run as `invalid_plan`.
    public var steps: [PlanStep]
    /// Why the plan is as it is, in the planner's words (`data.rationale`).
    public var rationale: String?
    /// The model calls made to write it (journaled as `call.model`).
    public var calls: [ModelCall]

    /// Creates a proposal.
    public init(steps: [PlanStep], rationale: String? = nil, calls: [ModelCall] = []) {
        self.steps = steps
        self.rationale = rationale
        self.calls = calls
    }
}
