/// The thresholds of the audit's behaviour findings. The defaults flag what is unusual for a
/// plan-and-execute run; library users tune them for their agents.
public struct AuditPolicy: Sendable, Hashable {
    /// The same tool with the same arguments this many times in one run is a loop.
    public var toolLoopRepeats = 3
    /// A step whose attempts failed this many times is a retry storm (attempts restarted after a
    /// crash, with no `step.failed`, do not count).
    public var retryStormAttempts = 4
    /// This many replans in a row, with no step completing between them, is a replan storm.
    public var replanStormInARow = 3
    /// This many replans in one run is a replan storm, whatever happened between them.
    public var replanStormTotal = 6
    /// Slow and expensive steps are judged against the run's own distribution only when it has
    /// at least this many completed steps.
    public var outlierMinimumSteps = 5
    /// A step this many times the run's median duration (or cost) is an outlier...
    public var outlierFactor = 5.0
    /// ...and only when it is also at least this much slower than the median.
    public var slowStepMinimumMs = 1_000.0
    /// ...or at least this much more expensive than the median.
    public var expensiveStepMinimumUSD = 0.01

    /// The default thresholds, as given above.
    public init() {}
}
