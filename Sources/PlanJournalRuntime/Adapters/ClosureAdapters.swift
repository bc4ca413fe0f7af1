import PlanJournalCore

/// A planner made of a closure (library users, tests).
public struct ClosurePlanner: Planner {
    public let name: String
    private let body: @Sendable (PlanningRequest) async throws -> PlanProposal

    public init(name: String, _ body: @escaping @Sendable (PlanningRequest) async throws -> PlanProposal) {
        self.name = name
        self.body = body
    }

    public func plan(_ request: PlanningRequest) async throws -> PlanProposal { try await body(request) }
}

/// An executor made of a closure (library users, tests).
public struct ClosureExecutor: Executor {
    public let name: String
    private let body: @Sendable (StepRequest, StepContext) async throws -> StepAnswer

    public init(name: String, _ body: @escaping @Sendable (StepRequest, StepContext) async throws -> StepAnswer) {
        self.name = name
        self.body = body
    }

    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        try await body(request, context)
    }
}

/// A reviewer made of a closure.
public struct ClosureReviewer: Reviewer {
    public let name: String
    private let body: @Sendable (String, [PlanStep], Int) async throws -> PlanReview

    public init(name: String, _ body: @escaping @Sendable (String, [PlanStep], Int) async throws -> PlanReview) {
        self.name = name
        self.body = body
    }

    public func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        try await body(goal, steps, version)
    }
}

/// A goal analyzer made of a closure.
public struct ClosureAnalyzer: GoalAnalyzer {
    public let name: String
    private let body: @Sendable (String, [String]) async throws -> GoalAnalysis

    public init(name: String, _ body: @escaping @Sendable (String, [String]) async throws -> GoalAnalysis) {
        self.name = name
        self.body = body
    }

    public func analyze(goal: String, tools: [String]) async throws -> GoalAnalysis {
        try await body(goal, tools)
    }
}
