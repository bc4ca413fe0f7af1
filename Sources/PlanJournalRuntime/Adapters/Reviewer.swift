import PlanJournalCore

/// Reviews a plan before it runs (a reviewer model, a person, a policy).
public protocol Reviewer: Sendable {
    /// How the run records this reviewer (its model or program).
    var name: String { get }
    /// Reviews plan version `version` before its steps run.
    /// - Throws: any error ends the run as `reviewer_error` (a ``RuntimeError``'s `calls` are journaled first).
    func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview
}

/// A reviewer's verdict on one plan version.
public struct PlanReview: Sendable {
    /// `approved`, `changes_requested`, `rejected` or `amended`.
    public var verdict: String
    /// The reviewer's score for the plan, when it gives one (the OpenAI reviewer asks for 0.0 to 1.0).
    public var score: Double?
    /// The reviewer's comments: journaled in `plan.reviewed`, and given to the planner with a
    /// `changes_requested` replan.
    public var comments: [String]
    /// With `amended`: the plan as the reviewer amended it (the runner adopts it as the next
    /// version without another review); `amended` without steps is a bad reply.
    public var steps: [PlanStep]?
    /// The model calls made to review (journaled as `call.model`).
    public var calls: [ModelCall]

    /// Creates a review.
    public init(
        verdict: String, score: Double? = nil, comments: [String] = [], steps: [PlanStep]? = nil, calls: [ModelCall] = []
    ) {
        self.verdict = verdict
        self.score = score
        self.comments = comments
        self.steps = steps
        self.calls = calls
    }

    /// `comments` as a reviewer's reply gives them: an array (of strings, or of anything, as its
    /// text), or one string.
    static func comments(_ value: JSONValue?) -> [String] {
        if let text = value?.stringValue { return text.isEmpty ? [] : [text] }
        return value?.arrayValue?.compactMap(\.textValue) ?? []
    }

    /// `score` as a reviewer's reply gives it: a number, or a number written as a string.
    static func score(_ value: JSONValue?) -> Double? {
        value?.doubleValue ?? value?.stringValue.flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil }
    }

    /// As the planner is told about it (`plan` request `review`): verdict, comments and score.
    public var wireValue: JSONValue {
        .record([
            "verdict": .string(verdict), "comments": .strings(comments), "score": score.map(JSONValue.double) ?? .null,
        ])
    }
}
