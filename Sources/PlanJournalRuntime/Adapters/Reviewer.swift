import PlanJournalCore

/// Reviews a plan before it runs (a reviewer model, a person, a policy).
public protocol Reviewer: Sendable {
    var name: String { get }
    func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview
}

/// A reviewer's verdict on one plan version.
public struct PlanReview: Sendable {
    /// `approved`, `changes_requested`, `rejected` or `amended`.
    public var verdict: String
    public var score: Double?
    public var comments: [String]
    public var calls: [ModelCall]

    public init(verdict: String, score: Double? = nil, comments: [String] = [], calls: [ModelCall] = []) {
        self.verdict = verdict
        self.score = score
        self.comments = comments
        self.calls = calls
    }
}
