import PlanJournalCore

/// How a re-executed run compares with its original, in the figures a regression check of a new
/// executor over past runs wants.
public struct ReplayOutcome: Sendable, Encodable {
    /// The original run.
    public var run: String
    /// The fork that re-executed it; `nil` when it could not be re-executed.
    public var fork: String?
    /// Whether the fork did what the original did (``RunDiff/agree``).
    public var agree: Bool
    /// Steps with the same outcome in both runs (``RunDiff/Totals/same``).
    public var same: Int
    /// Every other step: differing, in one run only, or removed in one.
    public var differing: Int
    /// Steps of both runs' final plans that completed in the original and did not in the fork.
    public var newlyFailing: Int
    /// Steps of both runs' final plans that did not complete in the original and did in the fork.
    public var fixed: Int
    /// The fork's cost minus the original's, in US dollars (0 when it could not be re-executed).
    public var costUSDDelta: Double
    /// The fork's duration minus the original's, in milliseconds (see ``RunDiff/Totals/durationMsA``);
    /// `nil` when either has no step timings.
    public var durationMsDelta: Double?
    /// Why the run could not be re-executed, when it could not.
    public var error: String?
    /// How the fork ended (`succeeded`, `cancelled`, ...); `nil` when there is none.
    public var forkStatus: String?
    /// Whether the fork was cut short by the command's interruption (Ctrl-C): what it did is no
    /// verdict on the executor.
    public var interrupted = false

    enum CodingKeys: String, CodingKey {
        case run, fork, agree, same, differing, newlyFailing = "newly_failing", fixed, costUSDDelta = "cost_usd_delta"
        case durationMsDelta = "duration_ms_delta", error, forkStatus = "fork_status", interrupted
    }

    /// The outcome of a fork compared with its original.
    public init(_ diff: RunDiff) {
        run = diff.runA
        fork = diff.runB
        agree = diff.agree
        same = diff.totals.same
        differing = diff.steps.count - diff.totals.same
        // Steps both runs kept in their final plans: one the other run never planned, or replanned
        // away, neither fails nor is fixed.
        let kept = diff.steps.filter { $0.a.map { !$0.removed } == true && $0.b.map { !$0.removed } == true }
        newlyFailing = kept.filter { $0.a?.status == "completed" && $0.b?.status != "completed" }.count
        fixed = kept.filter { $0.a?.status != "completed" && $0.b?.status == "completed" }.count
        costUSDDelta = diff.totals.costUSDB.minusWithoutFloatNoise(diff.totals.costUSDA)
        forkStatus = diff.totals.statusB
        if let a = diff.totals.durationMsA, let b = diff.totals.durationMsB { durationMsDelta = b.minusWithoutFloatNoise(a) }
    }

    /// A run that could not be re-executed.
    public init(run: String, error: String) {
        self.run = run
        agree = false
        same = 0
        differing = 0
        newlyFailing = 0
        fixed = 0
        costUSDDelta = 0
        self.error = error
    }
}
