import PlanJournalCore

/// How a run ended.
public struct RunResult: Sendable {
    /// The run id.
    public var run: String
    /// `succeeded`, `failed`, `partially_succeeded` or `cancelled` (the `run.completed` status).
    public var status: String
    /// The limit or decision that stopped the run early (`max_steps`, `max_replans`, `budget_usd`,
    /// `timeout`, `plan_rejected`, `plan_denied`, `planner_error`, `invalid_plan`, `reviewer_error`,
    /// `analyzer_error`, `executor_error`, `cancelled`), if one did.
    public var stoppedBy: String?
    /// The answer recorded in `run.completed`: the outputs of the completed steps no other step
    /// depends on, joined by blank lines; `nil` when there are none.
    public var finalAnswer: String?
    /// What stopped the run, when an error did (the `run.completed` `error`), e.g. the planner's
    /// `subprocess` error naming the program and its exit status.
    public var error: RuntimeError?
    /// The plan state after `run.completed`.
    public var state: PlanState
    /// When the run's own part began: its `run.started`, or a fork's first own event (its
    /// `state.startedAt` is its parent's start).
    public var startedAt: Timestamp?
}
