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

    /// A grant by `actor`.
    public static func granted(by actor: String, comment: String? = nil) -> ApprovalDecision {
        ApprovalDecision(decision: "granted", actor: actor, comment: comment)
    }

    /// A denial by `actor`.
    public static func denied(by actor: String, comment: String? = nil) -> ApprovalDecision {
        ApprovalDecision(decision: "denied", actor: actor, comment: comment)
    }

    /// This decision, when it is one the contract has.
    /// - Throws: ``RuntimeError`` `usage` for any other word (before anything is journaled: the
    ///   run stays resumable).
    func checked() throws -> ApprovalDecision {
        guard decision == "granted" || decision == "denied" else {
            throw RuntimeError(
                RuntimeError.Types.usage,
                "the approval source answered \"\(decision)\", which is neither granted nor denied")
        }
        return self
    }
}
