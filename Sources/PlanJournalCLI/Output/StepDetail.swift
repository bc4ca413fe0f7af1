import Foundation
import PlanJournalCore

/// One step of a run in full (`planj show RUN --step ID`): its state, its definition in the
/// latest plan version that holds it, and every event that names it, with their values whole
/// (the table of `show` cuts outputs and errors to a column).
struct StepDetail: Encodable {
    var run: String
    var step: PlanState.StepState
    /// The step as the latest plan version that holds it defines it.
    var definition: PlanStep?
    /// The events whose `data.step_id` is the step's, as recorded.
    var events: [JSONValue]
    /// The same events, for the text form.
    private let stepEvents: [JournalEvent]

    /// The step `id` of `state`, with `events`, those of the run that name it; `nil` when no plan
    /// version holds it.
    init?(_ id: String, of state: PlanState, events: [JournalEvent]) {
        guard let step = state.steps.first(where: { $0.id == id }) else { return nil }
        run = state.run
        self.step = step
        definition = state.plans.last { $0.steps.contains { $0.id == id } }?.steps.first { $0.id == id }
        stepEvents = events
        self.events = events.compactMap { try? JSONValue(parsing: $0.bytes) }
    }

    private enum CodingKeys: String, CodingKey { case run, step, definition, events }

    /// The text form: a heading, the definition, then each event with its data, one field a line.
    func text() -> String {
        var out = ["step \(step.id) of run \(run): \(step.status.rawValue), \(step.attempts) attempt\(step.attempts == 1 ? "" : "s")"]
        if let d = definition {
            if let description = d.description { out.append("description: \(description)") }
            if let tool = d.tool { out.append("tool: \(tool)") }
            if !d.dependsOn.isEmpty { out.append("depends on: \(d.dependsOn.joined(separator: ", "))") }
            if let args = d.args { out.append("args: \(Self.compact(args))") }
            if let expected = d.expectedOutput { out.append("expected output: " + (expected.stringValue ?? Self.compact(expected))) }
            if d.requiresApproval { out.append("requires approval") }
        }
        for e in stepEvents {
            out.append("")
            out.append("[\(e.seq)] \(e.ts) \(e.kind)" + (e.actor.map { " (\($0))" } ?? ""))
            for key in e.dataKeys where key != "step_id" {
                guard let value = e.data(key) else { continue }
                let text = value.stringValue ?? Self.compact(value)
                // Values of many lines keep them, indented under their key.
                out.append("  \(key): " + text.replacingOccurrences(of: "\n", with: "\n    "))
            }
        }
        return out.joined(separator: "\n")
    }

    private static func compact(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        value.write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
