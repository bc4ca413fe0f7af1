import Foundation
import Synchronization
import PlanJournalCore

/// What an executor may do while it runs a step: call the run's tools and record model calls.
/// Both are journaled as they happen (`call.tool` before the tool runs, `step.observed` after it).
public struct StepContext: Sendable {
    let recorder: RunRecorder
    let tools: ToolRegistry
    /// The step being executed.
    public let stepID: String
    /// The actor name the executor's events carry.
    let actor: String
    private let callCounter = CallCounter()

    init(recorder: RunRecorder, tools: ToolRegistry, stepID: String, actor: String) {
        self.recorder = recorder
        self.tools = tools
        self.stepID = stepID
        self.actor = actor
    }

    /// The names of the tools the executor may call.
    public var toolNames: [String] { tools.names }

    /// Calls the tool `name`: journals `call.tool`, runs it, journals `step.observed` with its output.
    /// - Throws: ``RuntimeError`` `tool_not_found` for an unknown tool; what the tool throws.
    public func callTool(_ name: String, args: JSONValue = .object([])) async throws -> ToolOutput {
        let callID = try await begin(name, args: args)
        let started = Timestamp.now
        do {
            guard let tool = tools[name] else {
                throw RuntimeError(RuntimeError.Types.toolNotFound, "no tool named '\(name)' (tools: \(tools.names.joined(separator: ", ")))")
            }
            let output = try await tool.call(args)
            try await observe(name, callID: callID, output, durationMs: started.milliseconds(to: .now))
            return output
        } catch {
            try await observe(name, callID: callID, ToolOutput(ok: false, content: "\(error)"), durationMs: started.milliseconds(to: .now))
            throw error
        }
    }

    /// Journals a tool call the executor made by itself (a subprocess executor reporting its
    /// calls): `call.tool`, then `step.observed` with the output.
    public func recordToolCall(_ name: String, args: JSONValue, output: ToolOutput, durationMs: Double?) async throws {
        let callID = try await begin(name, args: args)
        try await observe(name, callID: callID, output, durationMs: durationMs)
    }

    private func begin(_ name: String, args: JSONValue) async throws -> String {
        let callID = "\(stepID).t\(callCounter.next())"
        try await recorder.record(
            .callTool, actor: actor,
            data: .record(["step_id": .string(stepID), "call_id": .string(callID), "tool": .string(name), "args": args]))
        return callID
    }

    private func observe(_ name: String, callID: String, _ output: ToolOutput, durationMs: Double?) async throws {
        try await recorder.record(
            .stepObserved, actor: "tool:\(name)",
            data: Observation(
                stepID: stepID, callID: callID, ok: output.ok, content: output.content, contentType: output.contentType,
                durationMs: durationMs, matchesExpected: nil, source: output.source
            ).eventData)
    }

    /// Records a model call the executor made for this step.
    public func record(_ call: ModelCall) async throws {
        try await recorder.record(call, stepID: stepID, actor: actor)
    }
}

/// Numbers a step's tool calls.
final class CallCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
