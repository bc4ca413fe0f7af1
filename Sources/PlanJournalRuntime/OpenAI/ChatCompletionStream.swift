import Foundation
import PlanJournalCore

/// A chat completion put together from a server-sent event stream of `chat.completion.chunk`s
/// (`data: {...}` events until `data: [DONE]`), as a server that streams whether asked or not
/// sends it.
///
/// Event stream format: <https://html.spec.whatwg.org/multipage/server-sent-events.html>.
struct ChatCompletionStream {
    private var model: JSONValue?
    private var usage: JSONValue?
    private var role: String?
    private var content: String?
    /// The model's reasoning as `reasoning_content` (vLLM, DeepSeek) or `reasoning` (Groq,
    /// OpenRouter) deltas carry it, under that name.
    private var reasoning: [String: String] = [:]
    private var finishReason: String?
    private var toolCalls: [Int: ToolCallParts] = [:]
    private var functionCall: ToolCallParts?
    private var error: JSONValue?
    private var chunks = 0
    /// Whether the stream ended with `data: [DONE]`.
    private var done = false

    /// A tool call as its deltas build it.
    private struct ToolCallParts {
        var id: String?
        var name = ""
        var arguments = ""
        /// Gemini's `extra_content` (a thought signature), to go back with the call.
        var extraContent: JSONValue?
    }

    /// Whether `bytes` (after any byte order mark) look like an event stream: they open with a
    /// `data:` or `event:` field or a `:` comment.
    static func looksLikeEventStream(_ bytes: ArraySlice<UInt8>) -> Bool {
        let start = bytes.drop(while: LineBuffer.isWhitespace)
        return start.starts(with: Array("data:".utf8)) || start.starts(with: Array("event:".utf8)) || start.first == UInt8(ascii: ":")
    }

    /// The completion `bytes` stream, shaped as a non-streamed reply (`model`, `choices[0]`
    /// with `message` and `finish_reason`, `usage`), or an object with an `error`: the one a
    /// chunk carried (proxies report an upstream failure in the middle of a stream, the text
    /// before it cut short), or one saying the stream was cut off (it ended with neither a
    /// `finish_reason` nor `[DONE]`); `nil` when the stream holds no chunk.
    static func completion(from bytes: ArraySlice<UInt8>) -> JSONValue? {
        var stream = ChatCompletionStream()
        var data: [String] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for rawLine in text.lines {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty {
                // A blank line ends an event.
                if !data.isEmpty, !stream.take(data.joined(separator: "\n")) { break }
                data = []
            } else if line.hasPrefix("data:") {
                var value = line.dropFirst(5)
                if value.first == " " { value = value.dropFirst() }
                data.append(String(value))
            }
        }
        if !data.isEmpty { _ = stream.take(data.joined(separator: "\n")) }
        return stream.result
    }

    /// Takes in one event's data; `false` at `[DONE]`.
    private mutating func take(_ data: String) -> Bool {
        if data.trimmingCharacters(in: .whitespaces) == "[DONE]" {
            done = true
            return false
        }
        guard let chunk = try? JSONValue(parsing: data) else { return true }
        if let error = chunk["error"], error != .null {
            self.error = error
            return true
        }
        chunks += 1
        if let model = chunk["model"], model != .null { self.model = model }
        if let usage = chunk["usage"], usage != .null { self.usage = usage }
        guard let choice = chunk["choices"]?.arrayValue?.first(where: { ($0["index"]?.int64Value ?? 0) == 0 }) else { return true }
        if let reason = choice["finish_reason"]?.stringValue { finishReason = reason }
        guard let delta = choice["delta"] ?? choice["message"] else { return true }
        if let role = delta["role"]?.stringValue { self.role = role }
        if let text = OpenAIClient.text(of: delta["content"]) { content = (content ?? "") + text }
        for field in ["reasoning_content", "reasoning"] {
            if let text = delta[field]?.stringValue { reasoning[field, default: ""] += text }
        }
        for call in delta["tool_calls"]?.arrayValue ?? [] {
            let index = call["index"]?.int64Value.map { Int($0) } ?? indexOfUnindexed(call)
            var parts = toolCalls[index] ?? ToolCallParts()
            if let id = call["id"]?.stringValue { parts.id = id }
            if let extra = call["extra_content"], extra != .null { parts.extraContent = extra }
            parts.name += call["function"]?["name"]?.stringValue ?? ""
            parts.arguments += call["function"]?["arguments"]?.stringValue ?? ""
            toolCalls[index] = parts
        }
        if let call = delta["function_call"] {
            var parts = functionCall ?? ToolCallParts()
            parts.name += call["name"]?.stringValue ?? ""
            parts.arguments += call["arguments"]?.stringValue ?? ""
            functionCall = parts
        }
        return true
    }

    /// The index of a tool call delta without one (Gemini's endpoint and some proxies leave it
    /// out, sending each call whole): the last call's, unless the delta starts another call, with
    /// an id of its own or, without an id, a name while the last call has one.
    private func indexOfUnindexed(_ call: JSONValue) -> Int {
        guard let last = toolCalls.keys.max(), let parts = toolCalls[last] else { return 0 }
        let id = call["id"]?.stringValue
        let named = !(call["function"]?["name"]?.stringValue ?? "").isEmpty
        let another = id.map { parts.id != nil && $0 != parts.id } ?? (named && !parts.name.isEmpty)
        return another ? last + 1 : last
    }

    private var result: JSONValue? {
        if let error { return .record(["error": error]) }
        if chunks == 0 { return nil }
        if finishReason == "error" {
            return .record(["error": .record(["message": .string("the stream ended with finish_reason \"error\"")])])
        }
        if finishReason == nil && !done {
            return .record([
                "error": .record([
                    "message": .string("the event stream was cut off: it ended with neither a finish_reason nor data: [DONE]")
                ])
            ])
        }
        var message: [JSONValue.Member] = [
            .init("role", .string(role ?? "assistant")), .init("content", content.map(JSONValue.string) ?? .null),
        ]
        if !toolCalls.isEmpty {
            message.append(
                .init(
                    "tool_calls",
                    .array(
                        toolCalls.sorted { $0.key < $1.key }.map { index, parts in
                            .record([
                                "id": .string(parts.id ?? "call_\(index)"), "type": .string("function"),
                                "function": .record(["name": .string(parts.name), "arguments": .string(parts.arguments)]),
                                "extra_content": parts.extraContent,
                            ])
                        })))
        }
        for field in ["reasoning_content", "reasoning"] {
            if let text = reasoning[field] { message.append(.init(field, .string(text))) }
        }
        if let functionCall {
            message.append(
                .init(
                    "function_call",
                    .record(["name": .string(functionCall.name), "arguments": .string(functionCall.arguments)])))
        }
        return .record([
            "object": .string("chat.completion"), "model": model,
            "choices": .array([
                .record([
                    "index": .number("0"), "message": .object(message),
                    "finish_reason": finishReason.map(JSONValue.string) ?? .null,
                ])
            ]),
            "usage": usage,
        ])
    }
}
