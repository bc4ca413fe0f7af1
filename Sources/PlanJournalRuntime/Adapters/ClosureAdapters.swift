import PlanJournalCore

/// A planner made of a closure (library users, tests).
public struct ClosurePlanner: Planner {
    /// How the run records this planner.
    public let name: String
    private let body: @Sendable (PlanningRequest) async throws -> PlanProposal

    /// Creates a planner named `name` whose plans `body` writes.
    public init(name: String, _ body: @escaping @Sendable (PlanningRequest) async throws -> PlanProposal) {
        self.name = name
        self.body = body
    }

    /// Returns what `body` returns for `request`; throws what it throws.
    public func plan(_ request: PlanningRequest) async throws -> PlanProposal { try await body(request) }
}

/// An executor made of a closure (library users, tests).
public struct ClosureExecutor: Executor {
    /// How the run records this executor.
    public let name: String
    private let body: @Sendable (StepRequest, StepContext) async throws -> StepAnswer

    /// Creates an executor named `name` whose steps `body` runs.
    public init(name: String, _ body: @escaping @Sendable (StepRequest, StepContext) async throws -> StepAnswer) {
        self.name = name
        self.body = body
    }

    /// Returns what `body` returns for `request` and `context`; throws what it throws.
    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        try await body(request, context)
    }
}

/// A reviewer made of a closure.
public struct ClosureReviewer: Reviewer {
    /// How the run records this reviewer.
    public let name: String
    private let body: @Sendable (String, [PlanStep], Int) async throws -> PlanReview

    /// Creates a reviewer named `name`; `body` is given the goal, the steps and the plan version.
    public init(name: String, _ body: @escaping @Sendable (String, [PlanStep], Int) async throws -> PlanReview) {
        self.name = name
        self.body = body
    }

    /// Returns what `body` returns; throws what it throws.
    public func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        try await body(goal, steps, version)
    }
}

/// A goal analyzer made of a closure.
public struct ClosureAnalyzer: GoalAnalyzer {
    /// How the run records this analyzer.
    public let name: String
    private let body: @Sendable (String, [String]) async throws -> GoalAnalysis

    /// Creates an analyzer named `name`; `body` is given the goal and the tool names.
    public init(name: String, _ body: @escaping @Sendable (String, [String]) async throws -> GoalAnalysis) {
        self.name = name
        self.body = body
    }

    /// Returns what `body` returns; throws what it throws.
    public func analyze(goal: String, tools: [String]) async throws -> GoalAnalysis {
        try await body(goal, tools)
    }
}
