import PlanJournalCore

/// Studies the goal before the first plan is written: what it asks, under which constraints,
/// and how success will be judged. Its answer is journaled as `goal.analyzed` and given to the
/// planner with every planning request.
public protocol GoalAnalyzer: Sendable {
    /// How the run records this analyzer (its model or program).
    var name: String { get }
    /// Analyzes `goal`.
    /// - Parameter tools: the names of the run's tools.
    /// - Throws: any error ends the run as `analyzer_error` (a ``RuntimeError``'s `calls` are journaled first).
    func analyze(goal: String, tools: [String]) async throws -> GoalAnalysis
}

/// An analysis of a goal (the `goal.analyzed` event's data).
public struct GoalAnalysis: Sendable, Equatable {
    /// What the goal asks, in a sentence; `nil` when the analyzer gave none.
    public var summary: String?
    /// The constraints the run must keep to.
    public var constraints: [String]
    /// How success will be judged.
    public var successCriteria: [String]
    /// The model calls made to write it (journaled as `call.model`, not part of the event).
    public var calls: [ModelCall]

    /// Creates an analysis.
    public init(summary: String?, constraints: [String] = [], successCriteria: [String] = [], calls: [ModelCall] = []) {
        self.summary = summary
        self.constraints = constraints
        self.successCriteria = successCriteria
        self.calls = calls
    }

    /// An analysis from its wire form (a `goal.analyzed` event's data or an adapter's reply).
    /// - Returns: `nil` when `wire` has none of `summary`, `constraints`, `success_criteria`.
    public init?(wire: JSONValue, calls: [ModelCall] = []) {
        let strings = { (key: String) in wire[key]?.arrayValue?.compactMap(\.textValue) ?? [] }
        guard wire["summary"] != nil || wire["constraints"] != nil || wire["success_criteria"] != nil else { return nil }
        self.init(
            summary: wire["summary"]?.textValue, constraints: strings("constraints"), successCriteria: strings("success_criteria"),
            calls: calls)
    }

    /// The wire form: `summary`, `constraints`, `success_criteria`.
    public var wireValue: JSONValue {
        .record([
            "summary": summary.map(JSONValue.string), "constraints": .strings(constraints),
            "success_criteria": .strings(successCriteria),
        ])
    }

    /// The analysis as a planner prompt reads it.
    public var promptText: String {
        var lines: [String] = []
        if let summary { lines.append("Goal analysis: \(summary)") }
        if !constraints.isEmpty { lines.append("Constraints: " + constraints.joined(separator: "; ")) }
        if !successCriteria.isEmpty { lines.append("Success criteria: " + successCriteria.joined(separator: "; ")) }
        return lines.joined(separator: "\n")
    }
}
