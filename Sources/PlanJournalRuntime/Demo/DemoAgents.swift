import Foundation
import PlanJournalCore

/// The offline demo's planner: the scripted plan, then the scripted revision on a replan. Its
/// model calls are recorded with realistic prompts and deterministic token counts.
public struct DemoPlanner: Planner {
    /// How the run records the demo planner.
    public let name = "demo-planner-1"
    /// The goal the demo's plans are written for.
    public static var goal: String { DemoScript.goal }

    /// Creates the demo planner.
    public init() {}

    /// Returns the scripted first plan, or the scripted revision on a replan, after 60 ms.
    public func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        let steps = request.replan == nil ? DemoScript.firstPlan : DemoScript.revisedPlan
        try await Task.sleep(for: .milliseconds(60))
        let reply = JSONValue.record(["steps": .array(steps.map(\.wireValue))]).jsonText
        var prompt = "Goal: \(request.goal)\nTools: \(request.tools.joined(separator: ", "))"
        if let replan = request.replan {
            prompt += "\nStep \(replan.stepID ?? "?") failed: \(replan.details ?? ""). Revise the plan."
        }
        let call = ModelCall(
            model: name, purpose: request.replan == nil ? "plan" : "replan",
            prompt: .array([
                .record(["role": .string("system"), "content": .string(DemoScript.systemPrompt)]),
                .record(["role": .string("user"), "content": .string(prompt)]),
            ]),
            response: .string(reply), inputTokens: DemoPricing.tokens(DemoScript.systemPrompt + prompt),
            outputTokens: DemoPricing.tokens(reply), latencyMs: 60,
            costUSD: DemoPricing.cost(DemoScript.systemPrompt + prompt, reply))
        return PlanProposal(
            steps: steps,
            rationale: request.replan == nil
                ? "Fetch the three engines' documentation in parallel, compare, then publish after approval."
                : "The RocksDB wiki keeps answering 503; read the archived copy instead.",
            calls: [call])
    }
}

/// The offline demo's executor: calls the step's tool through the journal, then "thinks" (a model
/// call) and answers. The RocksDB wiki always answers 503, so that step fails and is replanned.
public struct DemoExecutor: Executor {
    /// How the run records the demo executor.
    public let name = "demo-executor-1"
    /// Multiplies every step's duration (0 for tests that only care about the events).
    public var pace: Double

    /// Creates the demo executor.
    /// - Parameter pace: multiplies every step's duration (0: no waiting).
    public init(pace: Double = 1) {
        self.pace = pace
    }

    /// Calls the step's tool, waits the step's scripted time and answers from the script.
    /// - Throws: ``RuntimeError`` `http_status` (retryable) for the step `fetch_rocksdb`, always.
    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        let step = request.step
        let ms = Double(DemoScript.duration(of: step.id)) * pace
        try await Task.sleep(for: .milliseconds(ms / 2))
        var observed = ""
        if let tool = step.tool {
            if step.id == "fetch_rocksdb" {
                _ = try? await context.callTool("http.get.flaky", args: step.args ?? .null)
                throw RuntimeError("http_status", "GET \(step.args?["url"]?.stringValue ?? "") answered 503 Service Unavailable", retryable: true)
            }
            observed = try await context.callTool(tool, args: step.args ?? .object([])).content
        }
        try await Task.sleep(for: .milliseconds(ms / 2))
        let answer = DemoScript.answer(for: step.id, inputs: request.dependencyOutputs)
        let prompt = "Goal: \(request.goal)\nStep: \(step.description ?? step.id)\nObserved: \(observed)"
        try await context.record(
            ModelCall(
                model: name, purpose: "execute", prompt: .string(prompt), response: .string(answer),
                inputTokens: DemoPricing.tokens(prompt), outputTokens: DemoPricing.tokens(answer), latencyMs: ms / 2,
                costUSD: DemoPricing.cost(prompt, answer)))
        return StepAnswer(output: answer, summary: String(answer.prefix(80)))
    }

    /// The demo's tools (search, http.get, a flaky mirror, wiki.publish), answering from the script.
    public static var tools: ToolRegistry {
        ToolRegistry(
            ["search", "http.get", "wiki.publish"].map { name in
                ClosureTool(name) { args in DemoScript.toolOutput(name, args: args) }
            } + [
                ClosureTool("http.get.flaky") { _ in
                    ToolOutput(ok: false, content: "503 Service Unavailable", contentType: "text/plain")
                }
            ])
    }
}

/// Deterministic token counts and prices for the demo's model calls.
enum DemoPricing {
    static func tokens(_ text: String) -> Int64 { Int64(max(1, text.utf8.count / 4)) }

    static func cost(_ prompt: String, _ reply: String) -> Double {
        (Double(tokens(prompt)) * 0.15 + Double(tokens(reply)) * 0.60) / 1_000_000
    }
}

/// The offline demo's reviewer: approves every plan, with a comment.
public struct DemoReviewer: Reviewer {
    /// How the run records the demo reviewer.
    public let name = "demo-reviewer-1"

    /// Creates the demo reviewer.
    public init() {}

    /// Approves every plan, with a score of 0.9.
    public func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        PlanReview(
            verdict: "approved", score: 0.9,
            comments: ["\(steps.count) steps; the fetches are independent and can run in parallel"])
    }
}

/// The offline demo's goal analyzer: restates the goal with the demo's constraints.
public struct DemoAnalyzer: GoalAnalyzer {
    /// How the run records the demo analyzer.
    public let name = "demo-analyzer-1"

    /// Creates the demo analyzer.
    public init() {}

    /// Restates the goal, with the demo's tools as its constraint.
    public func analyze(goal: String, tools: [String]) async throws -> GoalAnalysis {
        GoalAnalysis(
            summary: "answer: \(goal)", constraints: ["offline: only the tools \(tools.joined(separator: ", "))"],
            successCriteria: ["every step completes", "a final answer that cites its sources"])
    }
}
