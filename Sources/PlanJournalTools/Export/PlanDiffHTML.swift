import Foundation
import PlanJournalCore

/// The HTML report's plan versions: the first plan's steps, then for each revision the steps it
/// added, removed and changed (a changed step with a line diff of its fields) and its reason.
enum PlanDiffHTML {
    static func render(_ state: PlanState) -> String {
        typealias H = HTMLEscaping
        guard !state.plans.isEmpty else { return #"<p class="muted">No plan was recorded.</p>"# }
        var out: [String] = []
        for plan in state.plans {
            var head = "v\(plan.version) · \(H.text(plan.origin)) · seq \(plan.seq) · \(plan.steps.count) steps"
            if let base = plan.baseVersion { head += " · from v\(base)" }
            out.append(#"<div class="version"><h3>\#(head)</h3>"#)
            if let reason = plan.reason, !reason.isEmpty { out.append(#"<p><b>Reason:</b> \#(H.text(reason))</p>"#) }
            if let rationale = plan.rationale, !rationale.isEmpty {
                out.append(#"<p class="muted"><b>Rationale:</b> \#(H.text(rationale))</p>"#)
            }
            guard let baseVersion = plan.baseVersion else {
                out.append(#"<ol class="plan-steps">"#)
                for step in plan.steps {
                    out.append("<li>" + stepLine(step) + "</li>")
                }
                out.append("</ol></div>")
                continue
            }
            let base = state.plans.last { $0.version == baseVersion && $0.seq < plan.seq } ?? state.plans.last { $0.version == baseVersion }
            let baseSteps = Dictionary((base?.steps ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let newSteps = Dictionary(plan.steps.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            if plan.added.isEmpty && plan.removed.isEmpty && plan.changed.isEmpty {
                out.append(#"<p class="muted">No step changed.</p>"#)
            }
            out.append(#"<ul class="diff">"#)
            for id in plan.added {
                out.append(#"<li class="added"><span class="tag">added</span> "# + (newSteps[id].map(stepLine) ?? code(id)) + "</li>")
            }
            for id in plan.removed {
                out.append(#"<li class="removed"><span class="tag">removed</span> "# + (baseSteps[id].map(stepLine) ?? code(id)) + "</li>")
            }
            for id in plan.changed {
                out.append(#"<li class="changed"><span class="tag">changed</span> \#(code(id))"#)
                let lines = LineDiff.lines(fields(baseSteps[id]), fields(newSteps[id]))
                // One span per line, no newline between them (each span is a block).
                let spans = lines.map { line in
                    let cls = line.hasPrefix("+ ") ? "ins" : line.hasPrefix("- ") ? "del" : "same"
                    return #"<span class="\#(cls)">\#(line.isEmpty ? " " : H.text(line))</span>"#
                }
                out.append(#"<pre class="linediff">"# + spans.joined() + "</pre></li>")
            }
            out.append("</ul></div>")
        }
        return out.joined(separator: "\n")
    }

    private static func code(_ s: String) -> String { "<code>\(HTMLEscaping.text(s))</code>" }

    private static func stepLine(_ step: PlanStep) -> String {
        typealias H = HTMLEscaping
        var s = code(step.id)
        if let tool = step.tool { s += #" <span class="muted">[\#(H.text(tool))]</span>"# }
        if let d = step.description { s += " " + H.text(H.truncated(d, 240)) }
        if !step.dependsOn.isEmpty { s += #" <span class="muted">after "# + step.dependsOn.map(code).joined(separator: ", ") + "</span>" }
        if step.requiresApproval { s += #" <span class="tag gate">needs approval</span>"# }
        return s
    }

    /// A step's fields as lines, for a line diff: one line per field and per argument.
    static func fields(_ step: PlanStep?) -> String {
        guard let step else { return "" }
        var lines: [String] = []
        if let d = step.description { lines += d.lines.map { "description: " + $0 } }
        if let tool = step.tool { lines.append("tool: " + tool) }
        switch step.args {
        case .object(let members)?: lines += members.map { "args.\($0.key): \($0.value.jsonText)" }
        case let other?: lines.append("args: " + other.jsonText)
        case nil: break
        }
        if !step.dependsOn.isEmpty { lines.append("depends_on: " + step.dependsOn.joined(separator: ", ")) }
        if let expected = step.expectedOutput { lines.append("expected_output: " + (expected.textValue ?? "null")) }
        if step.requiresApproval { lines.append("requires_approval: true") }
        return lines.joined(separator: "\n")
    }
}
