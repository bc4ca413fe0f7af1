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
        let callID = "\(stepID).t\(callCounter.next())"
        try await recorder.record(
            .callTool, actor: actor,
            data: .record(["step_id": .string(stepID), "call_id": .string(callID), "tool": .string(name), "args": args]))
        let started = Timestamp.now
        let output: ToolOutput
        do {
            guard let tool = tools[name] else {
                throw RuntimeError("tool_not_found", "no tool named '\(name)' (tools: \(tools.names.joined(separator: ", ")))")
            }
            output = try await tool.call(args)
        } catch {
            try await recorder.record(
                .stepObserved, actor: "tool:\(name)",
                data: Observation(stepID: stepID, callID: callID, ok: false, content: "\(error)", contentType: "text/plain",
                    durationMs: started.milliseconds(to: .now), matchesExpected: nil).eventData)
            throw error
        }
        try await recorder.record(
            .stepObserved, actor: "tool:\(name)",
            data: Observation(stepID: stepID, callID: callID, ok: output.ok, content: output.content,
                contentType: output.contentType, durationMs: started.milliseconds(to: .now), matchesExpected: nil)
                .eventData)
        return output
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
