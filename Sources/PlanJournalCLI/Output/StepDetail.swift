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
    /// That definition as the plan event wrote it, fields of the agent's own included.
    var written: JSONValue?
    /// The events whose `data.step_id` is the step's, as recorded (their JSON text, for
    /// ``Output/json(_:splicing:)``).
    var events: [[UInt8]]
    /// The same events, for the text form.
    private let stepEvents: [JournalEvent]

    /// The step `id` of `state`, with `events`, those of the run that name it, and `written`,
    /// the step's latest definition in a plan event; `nil` when no plan version holds it.
    init?(_ id: String, of state: PlanState, events: [JournalEvent], written: JSONValue?) {
        guard let step = state.steps.first(where: { $0.id == id }) else { return nil }
        run = state.run
        self.step = step
        definition = state.plans.last { $0.steps.contains { $0.id == id } }?.steps.first { $0.id == id }
        self.written = written
        stepEvents = events
        self.events = events.map(\.bytes)
    }

    /// The definition of step `id` that plan event `e` writes (in `steps`, `added` or `changed`),
    /// if it writes one.
    static func definition(of id: String, in e: JournalEvent) -> JSONValue? {
        guard e.knownKind == .planProposed || e.knownKind == .planRevised else { return nil }
        return ["steps", "added", "changed"].lazy.compactMap { key in
            e.data(key)?.arrayValue?.last { $0["id"]?.stringValue == id }
        }.first
    }

    private enum CodingKeys: String, CodingKey { case run, step, definition, events }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(run, forKey: .run)
        try c.encode(step, forKey: .step)
        if let definition {
            // Every field of the contract's, then the agent's own as the plan event wrote them.
            var members = definition.wireValue.objectMembers ?? []
            if !definition.requiresApproval { members.append(.init("requires_approval", .bool(false))) }
            for member in written?.objectMembers ?? [] where !members.contains(where: { $0.key == member.key }) {
                members.append(member)
            }
            try c.encode(JSONValue.object(members), forKey: .definition)
        }
        // Placeholders of the events, which are printed as written.
        try c.encode(events.indices.map(Output.rawPlaceholder), forKey: .events)
    }

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
            let known: Set = ["id", "description", "tool", "depends_on", "args", "expected_output", "requires_approval"]
            for member in written?.objectMembers ?? [] where !known.contains(member.key) {
                out.append("\(member.key): " + (member.value.stringValue ?? Self.compact(member.value)))
            }
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
