/// How approval points are decided.
public enum ApprovalMode: String, Sendable, CaseIterable {
    /// A policy grants every request at once (journaled with actor `policy`).
    case auto
    /// The run waits until someone runs `planj approve` (or appends `approval.resolved`).
    case ask
}

/// Limits and policies of a run.
public struct RunnerOptions: Sendable {
    /// Steps executing at once.
    public var parallel = 4
    /// Tries per step before its failure is final (and a replan is asked for).
    public var maxAttempts = 2
    /// Step executions (attempts) per run.
    public var maxSteps = 200
    /// Replans per run.
    public var maxReplans = 3
    /// Stop when the run's model calls cost more than this. It is checked as each call's cost
    /// is journaled: steps running in parallel may each have a call under way by then, so a run
    /// can end past it by up to `parallel` calls.
    public var budgetUSD: Double?
    /// Stop when the run takes longer than this (this process's part of it).
    public var timeout: Duration?
    /// How approval points are decided (default ``ApprovalMode/auto``).
    public var approval = ApprovalMode.auto
    /// Whether each plan version needs approval before any step runs.
    public var approvePlan = false
    /// How often a waiting run looks for decisions written by other processes.
    public var pollInterval: Duration = .milliseconds(100)

    /// Options with the defaults above: 4 steps at once, 2 attempts per step, 200 step executions,
    /// 3 replans, no budget, no timeout, approvals granted by policy.
    public init() {}
}
