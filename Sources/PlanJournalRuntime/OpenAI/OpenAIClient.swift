import Foundation
import PlanJournalCore

/// One model on an OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp, Ollama…).
public struct OpenAIClient: Sendable {
    public let model: String
    /// The base URL as it is shown: its password, if it has one, as `***`.
    public let baseURL: String
    public let settings: OpenAISettings
    /// The base URL taken apart, or why it cannot be.
    private let endpoint: Result<OpenAIEndpoint, RuntimeError>

    /// A client of `model` at `baseURL` (`https://api.openai.com/v1`; credentials written in it
    /// are sent as Basic authorization and never shown).
    public init(model: String, baseURL: String, settings: OpenAISettings = OpenAISettings()) {
        self.model = model
        self.settings = settings
        do {
            let endpoint = try OpenAIEndpoint(parsing: baseURL)
            self.endpoint = .success(endpoint)
            self.baseURL = endpoint.description
        } catch {
            self.endpoint = .failure(error as? RuntimeError ?? RuntimeError("usage", "\(error)"))
            self.baseURL = OpenAIEndpoint.redacting(baseURL)
        }
    }

    /// One reply of the model.
    public struct Reply: Sendable {
        /// The assistant message as the server sent it (for the next request of a tool loop).
        public var message: JSONValue
        public var content: String?
        public var toolCalls: [ToolCall]
        /// Why the model stopped (`stop`, `length`, `content_filter`, `tool_calls`…), if the
        /// server said.
        public var finishReason: String?
        /// The call, ready to journal.
        public var call: ModelCall

        /// Whether the reply was cut off before the model finished it: it hit the token limit
        /// (`length`) or a content filter (`content_filter`).
        public var isCutOff: Bool { finishReason == "length" || finishReason == "content_filter" }

        /// "the model's reply was cut off (finish_reason: length)" when ``isCutOff``, else `nil`.
        public var cutOffNote: String? {
            isCutOff ? "the model's reply was cut off (finish_reason: \(finishReason ?? ""))" : nil
        }
    }

    /// A function call the model asked for.
    public struct ToolCall: Sendable {
        public var id: String
        public var name: String
        /// The arguments JSON text as the model wrote it.
        public var arguments: String
        /// Whether the server asked with the older `function_call` field instead of `tool_calls`
        /// (its result then goes back as a `function` message, not a `tool` message).
        public var isFunctionCall = false

        /// The message that gives the model this call's result.
        public func resultMessage(_ content: String) -> JSONValue {
            isFunctionCall
                ? .record(["role": .string("function"), "name": .string(name), "content": .string(content)])
                : .record(["role": .string("tool"), "tool_call_id": .string(id), "content": .string(content)])
        }
    }

    /// Posts `messages` (and `tools`, as function definitions) to `/chat/completions`, retrying
    /// 429, 5xx and network errors with backoff.
    /// - Throws: ``RuntimeError`` `http_status` (401, 403, 404… are not retried), `network`,
    ///   `timeout` ("timed out after 120 s (4 attempts)") or `bad_reply`, naming the model and server.
    public func chat(_ messages: [JSONValue], tools: [JSONValue] = [], purpose: String) async throws -> Reply {
        let body = JSONValue.record([
            "model": .string(model), "messages": .array(messages),
            "tools": tools.isEmpty ? nil : .array(tools),
            "temperature": settings.temperature.map(JSONValue.double),
        ])
        let endpoint = try endpoint.get()
        var headers = [("Content-Type", "application/json")]
        if let basic = endpoint.basicAuthorization { headers.append(("Authorization", basic)) }
        if let key = settings.apiKey { headers.append(("Authorization", "Bearer \(key)")) }
        for (name, value) in settings.headers { headers.append((name, value)) }
        var bytes: [UInt8] = []
        body.write(to: &bytes)

        // The latency of the attempt answered, not of the retries and waits before it.
        let ((reply, message, finishReason), latency) = try await send(to: endpoint, headers: headers, body: bytes) { data in
            try completion(in: data)
        }
        let usage = reply["usage"]
        let input = usage?["prompt_tokens"]?.int64Value ?? usage?["input_tokens"]?.int64Value ?? 0
        let output = usage?["completion_tokens"]?.int64Value ?? usage?["output_tokens"]?.int64Value ?? 0
        let content = Self.text(of: message["content"])
        var calls = (message["tool_calls"]?.arrayValue ?? []).compactMap { call -> ToolCall? in
            guard let name = call["function"]?["name"]?.stringValue else { return nil }
            return ToolCall(id: call["id"]?.stringValue ?? name, name: name, arguments: Self.arguments(call["function"]?["arguments"]))
        }
        if calls.isEmpty, let legacy = message["function_call"], let name = legacy["name"]?.stringValue {
            // The function-calling API before tool calls, which some servers still speak.
            calls = [ToolCall(id: name, name: name, arguments: Self.arguments(legacy["arguments"]), isFunctionCall: true)]
        }
        let price = settings.price(of: model) ?? reply["model"]?.stringValue.flatMap { settings.prices[$0] }
        let cost = price?.cost(input: input, output: output)
        let record = ModelCall(
            model: reply["model"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? model, purpose: purpose, prompt: .array(messages),
            response: content.map(JSONValue.string) ?? message, inputTokens: input, outputTokens: output,
            latencyMs: Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15,
            costUSD: cost, finishReason: finishReason)
        return Reply(message: message, content: content, toolCalls: calls, finishReason: finishReason, call: record)
    }

    /// The reply, its first choice's message and that choice's finish reason. The body may open
    /// with a UTF-8 byte order mark, and may be a server-sent event stream of
    /// `chat.completion.chunk`s (put together by ``ChatCompletionStream``).
    /// - Throws: a retryable `bad_reply` when `reply` is not a chat completion, naming what it is
    ///   (the server's error when it sent one with a 2xx status).
    private func completion(in reply: HTTPReply) throws -> (JSONValue, JSONValue, String?) {
        let body = LineBuffer.droppingByteOrderMark(reply.body[...])
        let contentType = reply.header("Content-Type") ?? ""
        // A JSON object sent as an event stream is read as the object it is.
        let opensObject = body.drop(while: LineBuffer.isWhitespace).first == UInt8(ascii: "{")
        let isStream =
            ChatCompletionStream.looksLikeEventStream(body) || (contentType.lowercased().hasPrefix("text/event-stream") && !opensObject)
        let parsed = isStream ? ChatCompletionStream.completion(from: body) : try? JSONValue(parsing: Array(body))
        let choices = parsed?["choices"]?.arrayValue ?? []
        if let parsed, let choice = choices.first(where: { ($0["index"]?.int64Value ?? 0) == 0 }) ?? choices.first {
            if let message = choice["message"] { return (parsed, message, choice["finish_reason"]?.stringValue) }
            if let text = choice["text"]?.stringValue {
                // The shape of the older completions API, which some servers give chat requests.
                let message = JSONValue.record(["role": .string("assistant"), "content": .string(text)])
                return (parsed, message, choice["finish_reason"]?.stringValue)
            }
        }
        if let error = parsed?["error"] {
            // Some servers and proxies answer 2xx with an error object.
            let text = error["message"]?.stringValue ?? error.stringValue ?? "\(error)"
            throw RuntimeError("bad_reply", "\(model)@\(baseURL) answered with an error: \(text)", retryable: true)
        }
        throw RuntimeError(
            "bad_reply", "\(model)@\(baseURL) answered HTTP \(reply.status) with \(Self.describe(body, contentType: contentType, isStream: isStream, parsed: parsed)), not a chat completion",
            retryable: true)
    }

    /// What a 2xx body that is not a chat completion is, in words, with its start.
    static func describe(_ body: ArraySlice<UInt8>, contentType: String, isStream: Bool, parsed: JSONValue?) -> String {
        let type = contentType.isEmpty ? "" : " (Content-Type: \(contentType))"
        let start = String(decoding: body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        if LineBuffer.isBlank(body) { return "an empty body" + type }
        if isStream { return "an event stream without chat.completion.chunk data" + type + ": " + start }
        let lowered = start.lowercased()
        if contentType.lowercased().contains("html") || lowered.hasPrefix("<!doctype html") || lowered.hasPrefix("<html") {
            return "an HTML page" + type + ": " + start
        }
        if parsed != nil { return "JSON" + type + ": " + start }
        return "text that is not JSON" + type + ": " + start
    }
    /// A message's text: `content` as a string, or the text parts of a content array joined
    /// (as some servers send it); `nil` when there is none.
    static func text(of content: JSONValue?) -> String? {
        if let text = content?.stringValue { return text }
        guard let parts = content?.arrayValue else { return nil }
        let texts = parts.compactMap { $0.stringValue ?? $0["text"]?.stringValue }
        return texts.isEmpty ? nil : texts.joined()
    }

    /// A tool call's arguments as JSON text: servers send a string of JSON (OpenAI) or the object itself.
    static func arguments(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: return text.isEmpty ? "{}" : text
        case nil, .null?: return "{}"
        case let other?:
            var bytes: [UInt8] = []
            other.write(to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The wait a reply asks for before the next attempt, at most 30 s: `retry-after-ms` (as Azure
    /// OpenAI sends it), else `Retry-After` in seconds or as an HTTP date; `nil` when it asks for none.
    /// - Parameter header: the reply's header of a name (any case).
    package static func retryDelay(asked header: (String) -> String?, now: Date = Date()) -> Duration? {
        let seconds: Double
        if let ms = header("retry-after-ms").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
            seconds = ms / 1000
        } else if let value = header("Retry-After")?.trimmingCharacters(in: .whitespaces) {
            if let number = Double(value) {
                seconds = number
            } else {
                let format = DateFormatter()
                format.locale = Locale(identifier: "en_US_POSIX")
                format.timeZone = TimeZone(identifier: "GMT")
                format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
                guard let date = format.date(from: value) else { return nil }
                seconds = date.timeIntervalSince(now)
            }
        } else {
            return nil
        }
        guard seconds.isFinite else { return nil }
        return .milliseconds(Int((min(max(seconds, 0), 30) * 1000).rounded()))
    }

    /// Sends with retries; returns what `read` makes of the body of the first 2xx reply it accepts
    /// (a retryable ``RuntimeError`` from `read` is retried like a 5xx), and how long that attempt took.
    private func send<T>(
        to endpoint: OpenAIEndpoint, headers: [(String, String)], body: [UInt8], read: (HTTPReply) throws -> T
    ) async throws -> (T, latency: Duration) {
        let target = endpoint.chatCompletionsURL
        var delay = settings.backoff
        var attempt = 0
        while true {
            attempt += 1
            let failure: RuntimeError
            var retryAfter: Duration?
            do {
                let attemptStarted = ContinuousClock.now
                let reply = try await HTTPTransport.post(
                    target, headers: headers, body: body, timeout: settings.timeout, proxies: settings.proxies)
                if (200..<300).contains(reply.status) {
                    do {
                        return (try read(reply), attemptStarted.duration(to: .now))
                    } catch let error as RuntimeError where error.retryable {
                        failure = error
                    }
                } else {
                    var text = String(decoding: reply.body.prefix(300), as: UTF8.self)
                    if endpoint.isPasswordHidden && (reply.status == 401 || reply.status == 403) {
                        text += " (the password of the base URL was not journaled: give the spec again with it)"
                    } else if reply.status == 401 || reply.status == 403 {
                        text += " (check the key in $OPENAI_API_KEY, or the --header that authorizes)"
                    } else if reply.status == 404 {
                        text += " (check the model name '\(model)' and the base URL)"
                    }
                    failure = RuntimeError(
                        "http_status", "\(model)@\(baseURL) answered HTTP \(reply.status): \(text)",
                        retryable: reply.status == 429 || reply.status >= 500,
                        adapterUnusable: [401, 403, 404].contains(reply.status))
                    retryAfter = Self.retryDelay(asked: reply.header)
                }
            } catch TransportFailure.timedOut {
                let exact = Double(settings.timeout.components.seconds) + Double(settings.timeout.components.attoseconds) / 1e18
                let seconds = exact == exact.rounded() ? String(Int64(exact)) : String(exact)
                failure = RuntimeError(
                    "timeout",
                    "\(model)@\(baseURL): timed out after \(seconds) s (\(attempt) attempt\(attempt == 1 ? "" : "s"))",
                    retryable: true)
            } catch TransportFailure.failed(let reason) {
                failure = RuntimeError("network", "\(model)@\(baseURL): \(reason)", retryable: true)
            }
            guard failure.retryable, attempt <= settings.retries else { throw failure }
            try await Task.sleep(for: retryAfter ?? delay)
            delay *= 2
        }
    }
}
