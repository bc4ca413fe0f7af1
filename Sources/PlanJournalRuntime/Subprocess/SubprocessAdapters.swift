import PlanJournalCore

/// A planner, executor, reviewer and tool provider in another program, spoken to over
/// ``SubprocessChannel`` (`cmd:PROGRAM ARGS`). See the README's "Subprocess protocol".
public struct SubprocessAgent: Planner, Executor, Reviewer, GoalAnalyzer {
    public let name: String
    let channel: RestartingChannel

    /// Starts the program.
    public init(arguments: [String]) throws {
        channel = try RestartingChannel(arguments: arguments)
        name = "cmd:" + arguments.joined(separator: " ")
    }

    public func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        let result = try await channel.call(
            "plan",
            .record([
                "goal": .string(request.goal), "tools": .strings(request.tools),
                "previous": request.previous.map { .array($0.map(\.wireValue)) } ?? .null,
                "completed": .object(request.completed.sorted { $0.key < $1.key }.map { .init($0.key, .string($0.value)) }),
                "replan": request.replan.map {
                    .record([
                        "reason": .string($0.reason), "step_id": $0.stepID.map(JSONValue.string) ?? .null,
                        "details": $0.details.map(JSONValue.string),
                    ])
                } ?? .null,
                "analysis": request.analysis?.wireValue ?? .null,
                "review": request.review?.wireValue ?? .null,
            ]))
        return try PlanReply.proposal(from: result, calls: Self.calls(result, purpose: request.replan == nil ? "plan" : "replan"))
    }

    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        let result = try await channel.call(
            "execute",
            .record([
                "run": .string(request.run), "goal": .string(request.goal), "step": request.step.wireValue,
                "attempt": .int(request.attempt),
                "dependency_outputs": .object(
                    request.dependencyOutputs.sorted { $0.key < $1.key }.map { .init($0.key, .string($0.value)) }),
                "tools": .strings(context.toolNames),
            ]))
        for call in result["tool_calls"]?.arrayValue ?? [] {
            guard let tool = call["tool"]?.stringValue else { continue }
            try await context.recordToolCall(
                tool, args: call["args"] ?? .object([]),
                output: ToolOutput(
                    ok: call["ok"]?.boolValue ?? true, content: call["content"]?.textValue ?? "",
                    contentType: call["content_type"]?.stringValue ?? "text/plain"),
                durationMs: call["duration_ms"]?.doubleValue)
        }
        guard let output = result["output"], output.textValue != nil else {
            throw RuntimeError("bad_reply", "\(name): the execute reply has no \"output\"", calls: Self.calls(result, purpose: "execute"))
        }
        return StepAnswer(value: output, summary: result["summary"]?.stringValue, calls: Self.calls(result, purpose: "execute"))
    }

    public func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        let result = try await channel.call(
            "review", .record(["goal": .string(goal), "version": .int(version), "steps": .array(steps.map(\.wireValue))]))
        guard let verdict = result["verdict"]?.stringValue else {
            throw RuntimeError("bad_reply", "\(name): the review reply has no \"verdict\"", calls: Self.calls(result, purpose: "review"))
        }
        var steps: [PlanStep]?
        if result["steps"] != nil && result["steps"] != .null {
            do {
                steps = try PlanReply.proposal(from: result).steps
            } catch {
                throw RuntimeError(
                    "bad_reply", "\(name): the review reply's amended plan: \((error as? RuntimeError)?.message ?? "\(error)")",
                    calls: Self.calls(result, purpose: "review"))
            }
        }
        return PlanReview(
            verdict: verdict, score: PlanReview.score(result["score"]),
            comments: PlanReview.comments(result["comments"]), steps: steps,
            calls: Self.calls(result, purpose: "review"))
    }

    public func analyze(goal: String, tools: [String]) async throws -> GoalAnalysis {
        let result = try await channel.call("analyze", .record(["goal": .string(goal), "tools": .strings(tools)]))
        guard let analysis = GoalAnalysis(wire: result, calls: Self.calls(result, purpose: "analyze")) else {
            throw RuntimeError(
                "bad_reply", "\(name): the analyze reply has none of \"summary\", \"constraints\", \"success_criteria\"",
                calls: Self.calls(result, purpose: "analyze"))
        }
        return analysis
    }

    static func calls(_ result: JSONValue, purpose: String) -> [ModelCall] {
        (result["calls"]?.arrayValue ?? []).compactMap { ModelCall(wire: $0, purpose: purpose) }
    }
}

/// A tool in another program: each call is a `tool` request `{"name", "args"}` answered with
/// `{"ok", "content", "content_type"}`.
public struct SubprocessTool: Tool {
    public let name: String
    let channel: RestartingChannel

    public init(name: String, arguments: [String]) throws {
        self.name = name
        channel = try RestartingChannel(arguments: arguments)
    }

    public func call(_ args: JSONValue) async throws -> ToolOutput {
        let result = try await channel.call("tool", .record(["name": .string(name), "args": args]))
        return ToolOutput(
            ok: result["ok"]?.boolValue ?? true, content: result["content"]?.textValue ?? "",
            contentType: result["content_type"]?.stringValue ?? "text/plain")
    }
}
