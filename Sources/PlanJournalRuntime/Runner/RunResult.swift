import PlanJournalCore

/// How a run ended.
public struct RunResult: Sendable {
    public var run: String
    /// `succeeded`, `failed`, `partially_succeeded` or `cancelled` (the `run.completed` status).
    public var status: String
    /// The limit or decision that stopped the run early (`max_steps`, `max_replans`, `budget_usd`,
    /// `timeout`, `plan_rejected`, `plan_denied`, `planner_error`, `invalid_plan`, `cancelled`), if one did.
    public var stoppedBy: String?
    public var finalAnswer: String?
    /// The plan state after `run.completed`.
    public var state: PlanState
}
