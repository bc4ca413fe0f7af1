import PlanJournalCore

/// A planner, executor, reviewer and tool provider in another program, spoken to over
/// ``SubprocessChannel`` (`cmd:PROGRAM ARGS`). See the README's "Subprocess protocol".
public struct SubprocessAgent: Planner, Executor, Reviewer, GoalAnalyzer {
    public let name: String
    let channel: RestartingChannel

    /// Starts the program, in `directory` when one is given; `role` (`planner`, `executor`…)
    /// names it in notes and errors.
    public init(arguments: [String], directory: String? = nil, role: String? = nil) throws {
        channel = try RestartingChannel(arguments: arguments, directory: directory, role: role)
        name = "cmd:" + arguments.joined(separator: " ")
    }

    public func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        let result = try await channel.call(
            "plan",
            .record([
                "goal": .string(request.goal), "tools": .strings(request.tools),
                "previous": request.previous.map { .array($0.map(\.wireValue)) } ?? .null,
                "completed": .object(request.completed.sorted { $0.key < $1.key }.map { .init($0.key, .string($0.value)) }),
                "replan": request.replan?.wireValue ?? .null,
                "other_failures": .array(request.otherFailures.map(\.wireValue)),
                "analysis": request.analysis?.wireValue ?? .null,
                "review": request.review?.wireValue ?? .null,
            ]))
        return try PlanReply.proposal(from: result, calls: calls(in: result, of: "plan", purpose: request.replan == nil ? "plan" : "replan"))
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
        var parts = ReplyParts(result)
        let toolCalls = parts.toolCalls()
        let calls = parts.calls(purpose: "execute")
        parts.report(agent: name, method: "execute")
        for call in toolCalls {
            guard let tool = call["tool"]?.stringValue else { continue }
            try await context.recordToolCall(
                tool, args: call["args"] ?? .object([]),
                output: ToolOutput(
                    ok: call["ok"]?.boolValue ?? true, content: call["content"]?.textValue ?? "",
                    contentType: call["content_type"]?.stringValue ?? "text/plain"),
                durationMs: call["duration_ms"]?.doubleValue)
        }
        let output = try Self.output(of: result, agent: name, calls: calls)
        return StepAnswer(value: output, summary: result["summary"]?.stringValue, calls: calls)
    }

    /// The `output` of an execute reply's `result`.
    /// - Throws: ``RuntimeError`` `bad_reply` saying what the result holds instead: no object, no
    ///   `output`, or `null` (which the journal reads as no output).
    static func output(of result: JSONValue, agent: String, calls: [ModelCall]) throws -> JSONValue {
        guard case .object = result else {
            throw RuntimeError(
                "bad_reply", "\(agent): the execute reply's result is a \(result.typeName), not an object with \"output\"", calls: calls)
        }
        guard let output = result["output"] else {
            throw RuntimeError("bad_reply", "\(agent): the execute reply has no \"output\"", calls: calls)
        }
        guard output != .null else {
            throw RuntimeError(
                "bad_reply", "\(agent): the execute reply's \"output\" is null: an output is text or JSON other than null",
                calls: calls)
        }
        return output
    }

    public func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        let result = try await channel.call(
            "review", .record(["goal": .string(goal), "version": .int(version), "steps": .array(steps.map(\.wireValue))]))
        let calls = calls(in: result, of: "review", purpose: "review")
        guard let verdict = result["verdict"]?.stringValue else {
            throw RuntimeError("bad_reply", "\(name): the review reply has no \"verdict\"", calls: calls)
        }
        var steps: [PlanStep]?
        if result["steps"] != nil && result["steps"] != .null {
            do {
                steps = try PlanReply.proposal(from: result).steps
            } catch {
                throw RuntimeError(
                    "bad_reply", "\(name): the review reply's amended plan: \((error as? RuntimeError)?.message ?? "\(error)")",
                    calls: calls)
            }
        }
        return PlanReview(
            verdict: verdict, score: PlanReview.score(result["score"]),
            comments: PlanReview.comments(result["comments"]), steps: steps,
            calls: calls)
    }

    public func analyze(goal: String, tools: [String]) async throws -> GoalAnalysis {
        let result = try await channel.call("analyze", .record(["goal": .string(goal), "tools": .strings(tools)]))
        let calls = calls(in: result, of: "analyze", purpose: "analyze")
        guard let analysis = GoalAnalysis(wire: result, calls: calls) else {
            throw RuntimeError(
                "bad_reply", "\(name): the analyze reply has none of \"summary\", \"constraints\", \"success_criteria\"",
                calls: calls)
        }
        return analysis
    }

    /// The model calls of a `method` reply's `result`, with a note on the entries ignored.
    func calls(in result: JSONValue, of method: String, purpose: String) -> [ModelCall] {
        var parts = ReplyParts(result)
        defer { parts.report(agent: name, method: method) }
        return parts.calls(purpose: purpose)
    }
}

/// A tool in another program: each call is a `tool` request `{"name", "args"}` answered with
/// `{"ok", "content", "content_type"}`.
public struct SubprocessTool: Tool {
    public let name: String
    let channel: RestartingChannel

    /// Starts the program, in `directory` when one is given.
    public init(name: String, arguments: [String], directory: String? = nil) throws {
        self.name = name
        channel = try RestartingChannel(arguments: arguments, directory: directory, role: "tool \(name)")
    }

    public func call(_ args: JSONValue) async throws -> ToolOutput {
        let result = try await channel.call("tool", .record(["name": .string(name), "args": args]))
        return ToolOutput(
            ok: result["ok"]?.boolValue ?? true, content: result["content"]?.textValue ?? "",
            contentType: result["content_type"]?.stringValue ?? "text/plain")
    }
}
