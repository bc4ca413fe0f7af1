/// Decides approval points before the runner's own policy does (a replay answering with the
/// decisions its recording holds). `nil` leaves the decision to `--approve`.
public protocol ApprovalSource: Sendable {
    /// The decision for a step (`stepID`) or a plan version (`version`).
    func decision(stepID: String?, version: Int?) -> ApprovalDecision?
    /// Why the run is to be cancelled now that each step has finished the attempts `finished`
    /// gives for its id (a replay cancels where its recording was cancelled); `nil`: not now.
    func cancellation(finished: (String) -> Int) -> String?
}

extension ApprovalSource {
    public func cancellation(finished: (String) -> Int) -> String? { nil }
}

/// An approval decision and who made it.
public struct ApprovalDecision: Sendable, Hashable {
    /// `granted` or `denied`.
    public var decision: String
    /// e.g. `human:ana`, `policy`.
    public var actor: String
    public var comment: String?

    public init(decision: String, actor: String, comment: String? = nil) {
        self.decision = decision
        self.actor = actor
        self.comment = comment
    }
}
