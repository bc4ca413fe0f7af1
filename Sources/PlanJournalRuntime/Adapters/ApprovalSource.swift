/// Decides approval points before the runner's own policy does (a replay answering with the
/// decisions its recording holds). `nil` leaves the decision to `--approve`.
public protocol ApprovalSource: Sendable {
    /// The decision for a step (`stepID`) or a plan version (`version`).
    func decision(stepID: String?, version: Int?) -> ApprovalDecision?
    /// The decision for a step asked while the plan version `planVersion` is in force (a step a
    /// replan changes is asked again); by default ``decision(stepID:version:)`` for the step.
    func decision(stepID: String, planVersion: Int) -> ApprovalDecision?
    /// Why the run is to be cancelled now that each step has finished the attempts `finished`
    /// gives for its id (a replay cancels where its recording was cancelled); `nil`: not now.
    func cancellation(finished: (String) -> Int) -> String?
}

extension ApprovalSource {
    /// By default ``decision(stepID:version:)`` for the step, whatever plan version is in force.
    public func decision(stepID: String, planVersion: Int) -> ApprovalDecision? { decision(stepID: stepID, version: nil) }
    /// By default `nil`: a source cancels nothing.
    public func cancellation(finished: (String) -> Int) -> String? { nil }
}

/// An approval decision and who made it.
public struct ApprovalDecision: Sendable, Hashable {
    /// `granted` or `denied`.
    public var decision: String
    /// e.g. `human:ana`, `policy`.
    public var actor: String
    /// The decider's comment, journaled as `approval.resolved` `comment`.
    public var comment: String?

    /// Creates a decision.
    /// - Parameters:
    ///   - decision: `granted` or `denied`.
    ///   - actor: who decided, e.g. `human:ana`, `policy`.
    ///   - comment: why, when there is something to say.
    public init(decision: String, actor: String, comment: String? = nil) {
        self.decision = decision
        self.actor = actor
        self.comment = comment
    }
}
