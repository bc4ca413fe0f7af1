import Foundation
import PlanJournalCore

/// Reads a plan out of a model's or a program's reply: a JSON object with `steps` (or a bare
/// array of steps), given as a value, as text, or inside a fenced code block of text.
public enum PlanReply {
    /// - Throws: ``RuntimeError`` `invalid_plan` naming what is wrong, carrying `calls` (the
    ///   calls that wrote the reply are journaled all the same).
    public static func proposal(from reply: JSONValue, calls: [ModelCall] = []) throws -> PlanProposal {
        do {
            return try readProposal(reply, calls: calls)
        } catch var error as RuntimeError {
            error.calls = calls
            throw error
        }
    }

    private static func readProposal(_ reply: JSONValue, calls: [ModelCall]) throws -> PlanProposal {
        var value = reply
        if case .string(let text) = reply {
            value = try parse(text)
        }
        let items: [JSONValue]
        switch value {
        case .array(let list): items = list
        case .object:
            guard let list = value["steps"]?.arrayValue else {
                throw RuntimeError(RuntimeError.Types.invalidPlan, "the plan reply has no \"steps\" array")
            }
            items = list
        default:
            throw RuntimeError(RuntimeError.Types.invalidPlan, "the plan reply is a \(value.typeName), not a plan object")
        }
        var steps: [PlanStep] = []
        for (k, item) in items.enumerated() {
            do {
                steps.append(try PlanStep(wire: item, path: "steps[\(k)]"))
            } catch {
                throw RuntimeError(RuntimeError.Types.invalidPlan, "the plan reply's \(error.context.field ?? "steps[\(k)]") \(error.message)")
            }
        }
        return PlanProposal(steps: steps, rationale: value["rationale"]?.stringValue, calls: calls)
    }

    /// Parses JSON text; or else, with any `<think>…</think>` reasoning removed, the first fenced
    /// code block (```json … ```) or balanced `{…}` object within it that has member `key` (for
    /// plans, `steps`; a bare array also counts); or else the first of those that is JSON at all.
    static func parse(_ text: String, holding key: String = "steps") throws -> JSONValue {
        if let whole = try? JSONValue(parsing: text) { return whole }
        let visible = withoutReasoning(text)
        if let whole = try? JSONValue(parsing: visible) { return whole }
        var fallback: JSONValue?
        for candidate in fencedBlocks(visible) + balancedObjects(visible) {
            guard let value = try? JSONValue(parsing: candidate) else { continue }
            if value[key] != nil || (key == "steps" && value.arrayValue != nil) { return value }
            if fallback == nil { fallback = value }
        }
        if let fallback { return fallback }
        throw RuntimeError(RuntimeError.Types.invalidPlan, "the plan reply is not JSON and holds no ```json block: \(text.prefix(120))")
    }

    /// `text` without the `<think>…</think>` sections reasoning models put before their answer (an
    /// unclosed one runs to the end; a `</think>` before any `<think>` ends reasoning that began in
    /// the prompt's template, as DeepSeek-R1's and QwQ's do).
    package static func withoutReasoning(_ text: String) -> String {
        var out = ""
        var rest = text[...]
        if let close = rest.range(of: "</think>"), rest[..<close.lowerBound].range(of: "<think>") == nil {
            rest = rest[close.upperBound...]
        }
        while let open = rest.range(of: "<think>") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "</think>") else { return out }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// The bodies of the fenced code blocks of `text`, in order.
    private static func fencedBlocks(_ text: String) -> [String] {
        var out: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "```") {
            var body = rest[start.upperBound...]
            if let newline = body.firstIndex(of: "\n") { body = body[body.index(after: newline)...] }
            guard let end = body.range(of: "```") else { break }
            out.append(String(body[..<end.lowerBound]))
            rest = body[end.upperBound...]
        }
        return out
    }

    /// The balanced top-level `{…}` spans of `text` (quotes and escapes respected), in order; at most 16.
    private static func balancedObjects(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var out: [String] = []
        var k = 0
        while k < bytes.count && out.count < 16 {
            guard bytes[k] == UInt8(ascii: "{") else {
                k += 1
                continue
            }
            var depth = 0
            var inString = false
            var j = k
            var end: Int?
            while j < bytes.count {
                let c = bytes[j]
                if inString {
                    if c == UInt8(ascii: "\\") { j += 1 } else if c == UInt8(ascii: "\"") { inString = false }
                } else if c == UInt8(ascii: "\"") {
                    inString = true
                } else if c == UInt8(ascii: "{") {
                    depth += 1
                } else if c == UInt8(ascii: "}") {
                    depth -= 1
                    if depth == 0 {
                        end = j
                        break
                    }
                }
                j += 1
            }
            guard let end else { break }
            out.append(String(decoding: bytes[k...end], as: UTF8.self))
            k = end + 1
        }
        return out
    }
}
