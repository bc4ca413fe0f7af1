import Foundation
import PlanJournalCore

/// A planner on an OpenAI-compatible server: asks for the plan as a JSON object and reads it from
/// the reply (bare JSON or a fenced block). A reply that is not a valid plan is an `invalid_plan`
/// failure, journaled with the call that produced it.
public struct OpenAIPlanner: Planner {
    /// The client of the server and model asked.
    public let client: OpenAIClient
    /// The model's name.
    public var name: String { client.model }

    /// Creates a planner that asks `client`.
    public init(client: OpenAIClient) { self.client = client }

    static let system = """
        You are the planner of a plan-and-execute agent. Break the goal into steps. Reply with only a JSON \
        object: {"rationale": "...", "steps": [{"id": "short_snake_case", "description": "...", "tool": \
        "tool name or null", "args": {}, "depends_on": ["ids of earlier steps"], "expected_output": "...", \
        "requires_approval": false}]}. Steps without dependencies between them run in parallel.
        """

    /// Asks for a first plan, or, with `request.previous` and `request.replan`, for a revised one.
    /// - Throws: ``RuntimeError`` `invalid_plan` when the reply is not a plan, or what
    ///   ``OpenAIClient/chat(_:tools:purpose:)`` throws.
    public func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        var user = "Goal: \(request.goal)\nTools: \(request.tools.isEmpty ? "none" : request.tools.joined(separator: ", "))"
        if let analysis = request.analysis { user += "\n" + analysis.promptText }
        if let previous = request.previous, let replan = request.replan {
            user += "\n\nThe current plan:\n" + JSONValue.array(previous.map(\.wireValue)).jsonText
            user += "\nCompleted steps and their outputs:\n"
            for (id, output) in request.completed.sorted(by: { $0.key < $1.key }) { user += "- \(id): \(output.prefix(500))\n" }
            user += "Replan because \(replan.reason)"
            if let id = replan.stepID { user += " at step \(id)" }
            if let details = replan.details { user += ": \(details)" }
            for other in request.otherFailures {
                user += ".\nStep \(other.stepID ?? "?") failed too (\(other.reason))" + (other.details.map { ": \($0)" } ?? "")
            }
            user += ". Reply with the complete new plan; keep the ids of steps that stay."
            if let review = request.review {
                user += "\nThe reviewer's verdict on the current plan: \(review.verdict)"
                if let score = review.score { user += " (score \(score))" }
                for comment in review.comments { user += "\n- \(comment)" }
            }
        }
        let reply = try await client.chat(
            [.record(["role": .string("system"), "content": .string(Self.system)]),
             .record(["role": .string("user"), "content": .string(user)])],
            purpose: request.replan == nil ? "plan" : "replan")
        do {
            return try PlanReply.proposal(from: .string(reply.content ?? ""), calls: reply.calls)
        } catch var error as RuntimeError {
            if let note = reply.cutOffNote { error.message += " (\(note))" }
            throw error
        }
    }
}

/// An executor on an OpenAI-compatible server: asked about one step at a time (the goal, the
/// step's description and expected output, and the outputs of the steps it depends on), with the
/// run's tools offered as functions; each function call is run through the journal.
public struct OpenAIExecutor: Executor {
    /// The client of the server and model asked.
    public let client: OpenAIClient
    /// Model rounds per step (tool calls and answers) before giving up.
    public var maxRounds = 8
    /// The model's name.
    public var name: String { client.model }

    /// Creates an executor that asks `client`.
    public init(client: OpenAIClient) { self.client = client }

    static let system = """
        You are the executor of a plan-and-execute agent. Carry out exactly one step of the plan and \
        reply with its result only. Call a tool when the step needs one.
        """

    /// Asks the model about the step, runs the tool calls it makes through `context` (a tool's error
    /// is told to the model, not thrown), and returns its final answer without its reasoning.
    /// - Throws: ``RuntimeError`` `cut_off` when a reply was cut off, `bad_reply` (retryable) for a
    ///   reply with neither content nor tool calls, `too_many_rounds` after ``maxRounds`` rounds, or
    ///   what ``OpenAIClient/chat(_:tools:purpose:)`` throws.
    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        let step = request.step
        var user = "Goal: \(request.goal)\nStep \(step.id): \(step.description ?? step.id)"
        if let tool = step.tool { user += "\nSuggested tool: \(tool)" }
        if let args = step.args { user += "\nArguments: \(args.jsonText)" }
        if let expected = step.expectedOutput?.textValue { user += "\nExpected output: \(expected)" }
        for (id, output) in request.dependencyOutputs.sorted(by: { $0.key < $1.key }) {
            user += "\n\nOutput of step \(id):\n\(output)"
        }
        var messages: [JSONValue] = [
            .record(["role": .string("system"), "content": .string(Self.system)]),
            .record(["role": .string("user"), "content": .string(user)]),
        ]
        let names = Self.functionNames(context.toolNames)
        let functions: [JSONValue] = names.keys.sorted().map { fn in
            .record([
                "type": .string("function"),
                "function": .record([
                    "name": .string(fn), "description": .string("The \(names[fn]!) tool."),
                    // Any arguments: no schema keyword beyond these two (Gemini refuses `additionalProperties`).
                    "parameters": .record(["type": .string("object"), "properties": .record([:])]),
                ]),
            ])
        }
        for _ in 0..<maxRounds {
            let reply = try await client.chat(messages, tools: functions, purpose: "execute")
            for call in reply.calls { try await context.record(call) }
            if let note = reply.cutOffNote {
                // A truncated answer is no result, and calls with cut arguments are not to be run.
                throw RuntimeError("cut_off", "\(name): \(note)", retryable: false)
            }
            guard !reply.toolCalls.isEmpty else {
                if let refusal = reply.message["refusal"]?.stringValue, !refusal.isEmpty, reply.content?.isEmpty ?? true {
                    throw RuntimeError("refused", "\(name) refused: \(refusal)", retryable: false)
                }
                guard let content = reply.content else {
                    let reasoning = reply.message["reasoning_content"] ?? reply.message["reasoning"]
                    throw RuntimeError(
                        "bad_reply",
                        "\(name) replied with neither content nor tool calls"
                            + (reasoning?.stringValue.map { $0.isEmpty ? "" : " (only reasoning, \($0.count) characters)" } ?? ""),
                        retryable: true)
                }
                // The answer without the model's reasoning (the call keeps the whole reply).
                let answer = PlanReply.withoutReasoning(content).trimmingCharacters(in: .whitespacesAndNewlines)
                if answer.isEmpty && content.contains("<think>") {
                    throw RuntimeError(
                        "bad_reply", "\(name) replied with reasoning only (a <think> section and no answer after it)", retryable: true)
                }
                return StepAnswer(output: answer)
            }
            messages.append(reply.historyMessage)
            for call in reply.toolCalls {
                let args = (try? JSONValue(parsing: call.arguments)) ?? .record(["raw": .string(call.arguments)])
                let content: String
                do {
                    content = try await context.callTool(names[call.name] ?? call.name, args: args).content
                } catch let journalFailure as JournalError {
                    // Not the tool's failure, for the model to work around: the call could not be journaled.
                    throw journalFailure
                } catch {
                    content = "error: \(error)"
                }
                messages.append(call.resultMessage(content))
            }
        }
        throw RuntimeError("too_many_rounds", "\(name) kept calling tools for \(maxRounds) rounds", retryable: false)
    }

    /// Each tool by its OpenAI function name (``functionName(_:)``); tools whose names come out
    /// alike (`web.search`, `web_search`) are told apart by `_2`, `_3`, … in the order given.
    static func functionNames(_ tools: [String]) -> [String: String] {
        var names: [String: String] = [:]
        for tool in tools {
            let base = functionName(tool)
            var name = base
            var n = 2
            while names[name] != nil {
                name = "\(base)_\(n)"
                n += 1
            }
            names[name] = tool
        }
        return names
    }

    /// OpenAI function names allow `[a-zA-Z0-9_-]`; other characters become `_`.
    static func functionName(_ tool: String) -> String {
        String(tool.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    }
}

/// A reviewer on an OpenAI-compatible server: asks for `{"verdict", "score", "comments"}`.
public struct OpenAIReviewer: Reviewer {
    /// The client of the server and model asked.
    public let client: OpenAIClient
    /// The model's name.
    public var name: String { client.model }

    /// Creates a reviewer that asks `client`.
    public init(client: OpenAIClient) { self.client = client }

    /// Asks for a verdict, a score and comments on plan version `version` (and steps, with `amended`).
    /// - Throws: ``RuntimeError`` `bad_reply` when the reply holds no JSON verdict, or what
    ///   ``OpenAIClient/chat(_:tools:purpose:)`` throws.
    public func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        let user = "Goal: \(goal)\nPlan version \(version):\n" + JSONValue.array(steps.map(\.wireValue)).jsonText
        let reply = try await client.chat(
            [.record([
                "role": .string("system"),
                "content": .string(
                    "Review the plan of a plan-and-execute agent. Reply with only a JSON object: {\"verdict\": \"approved\" | \"changes_requested\" | \"rejected\", \"score\": 0.0-1.0, \"comments\": [\"...\"]}"),
            ]),
             .record(["role": .string("user"), "content": .string(user)])],
            purpose: "review")
        guard let value = try? PlanReply.parse(reply.content ?? "", holding: "verdict"), let verdict = value["verdict"]?.stringValue else {
            throw RuntimeError(
                "bad_reply", "\(name): the review is not a JSON verdict" + (reply.cutOffNote.map { " (\($0))" } ?? ""),
                calls: reply.calls)
        }
        // An amended plan, when the reviewer gives one (`amended`); an unreadable one is no plan.
        let steps = value["steps"].flatMap { _ in try? PlanReply.proposal(from: value).steps }
        return PlanReview(
            verdict: verdict, score: PlanReview.score(value["score"]),
            comments: PlanReview.comments(value["comments"]), steps: steps, calls: reply.calls)
    }
}

/// A goal analyzer on an OpenAI-compatible server: asks for
/// `{"summary", "constraints", "success_criteria"}`.
public struct OpenAIAnalyzer: GoalAnalyzer {
    /// The client of the server and model asked.
    public let client: OpenAIClient
    /// The model's name.
    public var name: String { client.model }

    /// Creates an analyzer that asks `client`.
    public init(client: OpenAIClient) { self.client = client }

    /// Asks for the goal's summary, constraints and success criteria.
    /// - Throws: ``RuntimeError`` `bad_reply` when the reply holds no JSON analysis, or what
    ///   ``OpenAIClient/chat(_:tools:purpose:)`` throws.
    public func analyze(goal: String, tools: [String]) async throws -> GoalAnalysis {
        let reply = try await client.chat(
            [.record([
                "role": .string("system"),
                "content": .string(
                    "Analyze the goal of a plan-and-execute agent before it is planned. Reply with only a JSON object: {\"summary\": \"what is asked, in one sentence\", \"constraints\": [\"...\"], \"success_criteria\": [\"...\"]}"),
            ]),
             .record(["role": .string("user"), "content": .string("Goal: \(goal)\nTools: \(tools.isEmpty ? "none" : tools.joined(separator: ", "))")])],
            purpose: "analyze")
        guard let value = try? PlanReply.parse(reply.content ?? "", holding: "summary"), let analysis = GoalAnalysis(wire: value, calls: reply.calls) else {
            throw RuntimeError(
                "bad_reply",
                "\(name): the goal analysis is not a JSON object with a summary" + (reply.cutOffNote.map { " (\($0))" } ?? ""),
                calls: reply.calls)
        }
        return analysis
    }
}
