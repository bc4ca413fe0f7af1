import PlanJournalCore

/// Decides whether a step's output matches its expected output (opt-in: `--judge SPEC`).
public protocol Judge: Sendable {
    /// How the run records this judge (its model or program).
    var name: String { get }
    /// Judges `output` against `step`'s expected output; asked only of steps that have one and that
    /// produced output.
    /// - Returns: the verdict; `matches` is `nil` when the judgement could not be read (recorded as
    ///   unknown, never as a failure).
    /// - Throws: any error gives an unknown verdict (`matches` `nil`), as an unreadable reply does.
    func judge(goal: String, step: PlanStep, output: String) async throws -> Judgement
}

/// A judge's verdict on one step's output.
public struct Judgement: Sendable {
    /// Whether the output matches the step's expected output; `nil` when the judgement could not be
    /// read (recorded as unknown, never as a failure).
    public var matches: Bool?
    /// The judge's explanation; with `matches` `false`, it is the replan's details.
    public var reason: String?
    /// The model calls made to judge (journaled as `call.model`).
    public var calls: [ModelCall]

    /// Creates a verdict.
    public init(matches: Bool?, reason: String? = nil, calls: [ModelCall] = []) {
        self.matches = matches
        self.reason = reason
        self.calls = calls
    }

    /// Reads `{"matches": bool, "reason": "..."}` from a reply (JSON, or JSON inside text); an
    /// unreadable reply is an unknown verdict.
    static func read(_ reply: JSONValue, calls: [ModelCall]) -> Judgement {
        var value = reply
        if case .string(let text) = reply { value = (try? PlanReply.parse(text, holding: "matches")) ?? .null }
        return Judgement(matches: value["matches"]?.boolValue, reason: value["reason"]?.stringValue, calls: calls)
    }
}

extension SubprocessAgent: Judge {
    /// The `judge` method: params `goal`, `step`, `output`; result `matches`, `reason`, `calls`.
    public func judge(goal: String, step: PlanStep, output: String) async throws -> Judgement {
        let result = try await channel.call(
            "judge", .record(["goal": .string(goal), "step": step.wireValue, "output": .string(output)]))
        return Judgement.read(result, calls: calls(in: result, of: "judge", purpose: "judge"))
    }
}

extension OpenAIExecutor: Judge {
    /// Asks the model whether the output matches the step's expected output.
    public func judge(goal: String, step: PlanStep, output: String) async throws -> Judgement {
        let user = """
            Goal: \(goal)
            Step \(step.id): \(step.description ?? step.id)
            Expected output: \(step.expectedOutput?.textValue ?? "(not stated)")
            Actual output:
            \(output.prefix(8000))
            """
        let reply = try await client.chat(
            [
                .record([
                    "role": .string("system"),
                    "content": .string(
                        "Judge whether the actual output of a plan step matches its expected output. Reply with only a JSON object: {\"matches\": true | false, \"reason\": \"...\"}"
                    ),
                ]),
                .record(["role": .string("user"), "content": .string(user)]),
            ], purpose: "judge")
        return Judgement.read(.string(reply.content ?? ""), calls: reply.calls)
    }
}
