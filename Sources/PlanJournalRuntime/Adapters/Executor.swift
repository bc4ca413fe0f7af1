import PlanJournalCore

/// Carries out one plan step at a time.
public protocol Executor: Sendable {
    /// How the run records this executor (its model or program).
    var name: String { get }
    /// Executes `request.step`. Tool calls made through `context` are journaled as they happen.
    /// - Throws: ``RuntimeError`` (or any error) when the step fails; `retryable` decides retries.
    func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer
}

/// What an executor is asked: one step, with what it depends on.
public struct StepRequest: Sendable {
    /// The run id.
    public var run: String
    /// The run's goal.
    public var goal: String
    /// The step to execute, as the plan in force defines it.
    public var step: PlanStep
    /// 1 for the first try.
    public var attempt: Int
    /// Outputs of the steps it depends on, by step id.
    public var dependencyOutputs: [String: String]

    /// Creates a request; `attempt` is 1 for the first try.
    public init(run: String, goal: String, step: PlanStep, attempt: Int, dependencyOutputs: [String: String]) {
        self.run = run
        self.goal = goal
        self.step = step
        self.attempt = attempt
        self.dependencyOutputs = dependencyOutputs
    }
}

/// An executor's result for a step.
public struct StepAnswer: Sendable {
    /// The step's output (text; JSON as its text).
    public var output: String
    /// The output as the JSON value it is, when that is not a string (an object, a number, a
    /// list): `step.completed` records it so, and `output` is its text.
    public var value: JSONValue?
    /// A short summary of the output, journaled as `step.completed` `summary` (what status views
    /// show); `nil`: views show the start of the output.
    public var summary: String?
    /// Model calls not already recorded through the context.
    public var calls: [ModelCall]

    /// Where the answer came from when it is not a live execution (`recorded`, `override`):
    /// journaled as `step.completed` `source`.
    public var source: String?

    /// An answer whose output is the text `output`.
    public init(output: String, summary: String? = nil, calls: [ModelCall] = [], source: String? = nil) {
        self.output = output
        self.value = nil
        self.summary = summary
        self.calls = calls
        self.source = source
    }

    /// An answer whose output is `value`: a string is the output text itself; any other value
    /// is kept as it is, with its JSON text as the output text.
    public init(value: JSONValue, summary: String? = nil, calls: [ModelCall] = [], source: String? = nil) {
        self.init(output: value.textValue ?? "", summary: summary, calls: calls, source: source)
        if value.stringValue == nil { self.value = value }
    }
}
