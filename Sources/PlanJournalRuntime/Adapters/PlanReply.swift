import Foundation
import PlanJournalCore

/// Reads a plan out of a model's or a program's reply: a JSON object with `steps` (or a bare
/// array of steps), given as a value, as text, or inside a fenced code block of text.
public enum PlanReply {
    /// - Throws: ``RuntimeError`` `invalid_plan` naming what is wrong.
    public static func proposal(from reply: JSONValue, calls: [ModelCall] = []) throws -> PlanProposal {
        var value = reply
        if case .string(let text) = reply {
            value = try parse(text)
        }
        let items: [JSONValue]
        switch value {
        case .array(let list): items = list
        case .object:
            guard let list = value["steps"]?.arrayValue else {
                throw RuntimeError("invalid_plan", "the plan reply has no \"steps\" array")
            }
            items = list
        default:
            throw RuntimeError("invalid_plan", "the plan reply is a \(value.typeName), not a plan object")
        }
        var steps: [PlanStep] = []
        for (k, item) in items.enumerated() {
            do {
                steps.append(try PlanStep(wire: item, path: "steps[\(k)]"))
            } catch {
                throw RuntimeError("invalid_plan", "the plan reply's \(error.message)")
            }
        }
        return PlanProposal(steps: steps, rationale: value["rationale"]?.stringValue, calls: calls)
    }

    /// Parses JSON text, or the first fenced code block (```json … ```) or `{…}` span within it.
    static func parse(_ text: String) throws -> JSONValue {
        if let whole = try? JSONValue(parsing: text) { return whole }
        if let fenced = fencedBlock(text), let value = try? JSONValue(parsing: fenced) { return value }
        if let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close,
            let value = try? JSONValue(parsing: String(text[open...close]))
        {
            return value
        }
        throw RuntimeError("invalid_plan", "the plan reply is not JSON and holds no ```json block: \(text.prefix(120))")
    }

    private static func fencedBlock(_ text: String) -> String? {
        guard let start = text.range(of: "```") else { return nil }
        var body = text[start.upperBound...]
        if let newline = body.firstIndex(of: "\n") { body = body[body.index(after: newline)...] }
        guard let end = body.range(of: "```") else { return nil }
        return String(body[..<end.lowerBound])
    }
}
