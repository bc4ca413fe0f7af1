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
        /// The assistant message as the server sent it.
        public var message: JSONValue
        /// The assistant message to send back in the next request of a tool loop: its role, content
        /// and calls in the standard fields (each call with an id and its arguments as a string),
        /// and the fields servers ask to get back (``echoedFields``); no other field, as strict
        /// servers (Groq) refuse them.
        public var historyMessage: JSONValue
        public var content: String?
        public var toolCalls: [ToolCall]
        /// Why the model stopped (`stop`, `length`, `content_filter`, `tool_calls`…), if the
        /// server said.
        public var finishReason: String?
        /// The call, ready to journal.
        public var call: ModelCall
        /// Earlier answers of the server to the same request that could not be used (retried),
        /// ready to journal: the server may have billed them.
        public var discarded: [ModelCall] = []

        /// The calls to journal: ``discarded``, then ``call``.
        public var calls: [ModelCall] { discarded + [call] }

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
        /// The call's `extra_content`, which Gemini asks to get back with it (its thought signature).
        public var extraContent: JSONValue?

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
        if !settings.headers.contains(where: { $0.0.lowercased() == "user-agent" }) {
            headers.append(("User-Agent", "planj/\(PlanJournalRuntime.version)"))
        }
        if let basic = endpoint.basicAuthorization { headers.append(("Authorization", basic)) }
        if let key = settings.apiKey { headers.append(("Authorization", "Bearer \(key)")) }
        for (name, value) in settings.headers { headers.append((name, value)) }
        var bytes: [UInt8] = []
        body.write(to: &bytes)

        // The latency of the attempt answered, not of the retries and waits before it.
        let ((reply, message, finishReason), latency, discarded) = try await send(to: endpoint, headers: headers, body: bytes) {
            data in try completion(in: data, purpose: purpose)
        }
        let usage = Self.usage(reply["usage"])
        let content = Self.text(of: message["content"])
        var calls = (message["tool_calls"]?.arrayValue ?? []).enumerated().compactMap { k, call -> ToolCall? in
            guard let name = call["function"]?["name"]?.stringValue else { return nil }
            // An id the server left out is made up, each call's its own (its result names it).
            let id = call["id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "call_\(k)"
            return ToolCall(
                id: id, name: name, arguments: Self.arguments(call["function"]?["arguments"]), extraContent: call["extra_content"])
        }
        if calls.isEmpty, let legacy = message["function_call"], let name = legacy["name"]?.stringValue {
            // The function-calling API before tool calls, which some servers still speak.
            calls = [ToolCall(id: name, name: name, arguments: Self.arguments(legacy["arguments"]), isFunctionCall: true)]
        }
        let record = ModelCall(
            model: servedModel(reply), purpose: purpose, prompt: .array(messages),
            // The text when there is some; else the whole message (its tool calls, its reasoning).
            response: content.flatMap { $0.isEmpty ? nil : JSONValue.string($0) } ?? message,
            inputTokens: usage?.input ?? 0, outputTokens: usage?.output ?? 0,
            latencyMs: Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15,
            costUSD: cost(of: usage, reply: reply), finishReason: finishReason, usageReported: usage != nil)
        let history = Self.historyMessage(message, calls: calls)
        return Reply(
            message: message, historyMessage: history, content: content, toolCalls: calls, finishReason: finishReason,
            call: record, discarded: discarded)
    }

    /// The reply, its first choice's message and that choice's finish reason. The body may open
    /// with a UTF-8 byte order mark, and may be a server-sent event stream of
    /// `chat.completion.chunk`s (put together by ``ChatCompletionStream``).
    /// - Throws: a retryable `bad_reply` when `reply` is not a chat completion, naming what it is
    ///   (the server's error when it sent one with a 2xx status), with the call it was made of
    ///   (for `purpose`) for the journal.
    private func completion(in reply: HTTPReply, purpose: String) throws -> (JSONValue, JSONValue, String?) {
        let body = LineBuffer.droppingByteOrderMark(reply.body[...])
        let contentType = reply.header("Content-Type") ?? ""
        // A JSON object sent as an event stream is read as the object it is.
        let opensObject = body.drop(while: LineBuffer.isWhitespace).first == UInt8(ascii: "{")
        let isStream =
            ChatCompletionStream.looksLikeEventStream(body) || (contentType.lowercased().hasPrefix("text/event-stream") && !opensObject)
        var syntaxError: JSONSyntaxError?
        var parsed: JSONValue?
        if isStream {
            parsed = ChatCompletionStream.completion(from: body)
        } else {
            do throws(JSONSyntaxError) {
                parsed = try JSONValue(parsing: Array(body))
            } catch {
                syntaxError = error
                // Bytes that are not UTF-8 (a character a model split between two tokens) read
                // as U+FFFD, as in an event stream.
                if String(validating: body, as: UTF8.self) == nil {
                    parsed = try? JSONValue(parsing: Array(String(decoding: body, as: UTF8.self).utf8))
                }
            }
        }
        let choices = parsed?["choices"]?.arrayValue ?? []
        if let parsed, let choice = choices.first(where: { ($0["index"]?.int64Value ?? 0) == 0 }) ?? choices.first {
            if let message = choice["message"] { return (parsed, message, choice["finish_reason"]?.stringValue) }
            if let text = choice["text"]?.stringValue {
                // The shape of the older completions API, which some servers give chat requests.
                let message = JSONValue.record(["role": .string("assistant"), "content": .string(text)])
                return (parsed, message, choice["finish_reason"]?.stringValue)
            }
        }
        // Some servers and proxies answer 2xx with an error object, or (vLLM and other FastAPI
        // servers) are one: {"object": "error", "message": ...}.
        let failure: String
        var retryable = true
        if let error = parsed?["error"] ?? (parsed?["object"]?.stringValue == "error" ? parsed : nil) {
            failure = "\(model)@\(baseURL) answered with an error: \(error["message"]?.stringValue ?? error.stringValue ?? "\(error)")"
            // One that says it is the request's fault (vLLM's 400 for a prompt over the context
            // length) comes again for the same request.
            let code = error["code"]?.int64Value ?? error["code"]?.stringValue.flatMap { Int64($0) }
            if let code, (400..<500).contains(code), ![408, 409, 429].contains(code) { retryable = false }
        } else {
            var what = Self.describe(body, contentType: contentType, isStream: isStream, parsed: parsed)
            if parsed == nil, let syntaxError { what += " (\(syntaxError))" }
            failure = "\(model)@\(baseURL) answered HTTP \(reply.status) with \(what), not a chat completion"
        }
        // The answer is journaled all the same (as what went wrong, with any usage it reports).
        let usage = Self.usage(parsed?["usage"])
        let call = ModelCall(
            model: servedModel(parsed), purpose: purpose, response: .record(["error": .string(failure)]),
            inputTokens: usage?.input ?? 0, outputTokens: usage?.output ?? 0, costUSD: cost(of: usage, reply: parsed),
            usageReported: usage != nil)
        throw RuntimeError("bad_reply", failure, retryable: retryable, calls: [call])
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

    /// The model a reply names (as the server calls it: `gpt-4o-2024-08-06`), else the one asked.
    private func servedModel(_ reply: JSONValue?) -> String {
        reply?["model"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? model
    }

    /// What `usage` costs at the price of the model asked, else of the one the reply names;
    /// `nil` when either is unknown.
    private func cost(of usage: (input: Int64, output: Int64)?, reply: JSONValue?) -> Double? {
        guard let usage, let price = settings.price(of: model) ?? reply?["model"]?.stringValue.flatMap({ settings.prices[$0] })
        else { return nil }
        return price.cost(input: usage.input, output: usage.output)
    }

    /// The tokens a reply's `usage` counts (`prompt_tokens` and `completion_tokens`, or
    /// `input_tokens` and `output_tokens`; a count that is no whole number of 0 or more is 0);
    /// `nil` when the server did not count them.
    static func usage(_ usage: JSONValue?) -> (input: Int64, output: Int64)? {
        guard let usage, usage != .null else { return nil }
        let input = usage["prompt_tokens"] ?? usage["input_tokens"]
        let output = usage["completion_tokens"] ?? usage["output_tokens"]
        guard input != nil || output != nil else { return nil }
        return (max(input?.int64Value ?? 0, 0), max(output?.int64Value ?? 0, 0))
    }

    /// The fields of an assistant message beyond the standard ones that go back in a tool loop,
    /// as the servers that send them require: DeepSeek's thinking mode refuses a tool-call turn
    /// without its `reasoning_content`, and Gemini 3 one without its `extra_content` (the
    /// thought signature, also kept on each call).
    static let echoedFields = ["reasoning_content", "extra_content"]

    /// The assistant message `sent` as it goes back to the server in a tool loop, with `calls`
    /// (see ``Reply/historyMessage``).
    static func historyMessage(_ sent: JSONValue, calls: [ToolCall]) -> JSONValue {
        var message: [JSONValue.Member] = [.init("role", .string("assistant")), .init("content", sent["content"] ?? .null)]
        for field in echoedFields { if let value = sent[field] { message.append(.init(field, value)) } }
        if let call = calls.first, call.isFunctionCall {
            message.append(
                .init("function_call", .record(["name": .string(call.name), "arguments": .string(call.arguments)])))
        } else if !calls.isEmpty {
            let echoed: [JSONValue] = calls.map { call in
                .record([
                    "id": .string(call.id), "type": .string("function"),
                    "function": .record(["name": .string(call.name), "arguments": .string(call.arguments)]),
                    "extra_content": call.extraContent,
                ])
            }
            message.append(.init("tool_calls", .array(echoed)))
        }
        return .object(message)
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

    /// Whether an HTTP status says the server (or the gateway before it) is not serving at all:
    /// 502, 503 and 504. A 500 may be this request's alone.
    static func serverDown(_ status: Int) -> Bool { (502...504).contains(status) }

    /// Sends with retries; returns what `read` makes of the body of the first 2xx reply it accepts
    /// (a retryable ``RuntimeError`` from `read` is retried like a 5xx), how long that attempt
    /// took, and the calls of the errors `read` threw before (thrown with the last failure, and
    /// with one `read` throws that is not retryable).
    private func send<T>(
        to endpoint: OpenAIEndpoint, headers: [(String, String)], body: [UInt8], read: (HTTPReply) throws -> T
    ) async throws -> (T, latency: Duration, discarded: [ModelCall]) {
        let target = endpoint.chatCompletionsURL
        var delay = settings.backoff
        var attempt = 0
        // The calls of 2xx answers `read` refused.
        var discarded: [ModelCall] = []
        // The failure of the attempt before this one: what a cancelled retry names.
        var previous: RuntimeError?
        while true {
            attempt += 1
            let failure: RuntimeError
            var retryAfter: Duration?
            do {
                let attemptStarted = ContinuousClock.now
                let reply: HTTPReply
                do {
                    reply = try await HTTPTransport.post(
                        target, headers: headers, body: body, timeout: settings.timeout, proxies: settings.proxies)
                } catch let cancelled as CancellationError {
                    throw previous.map { RetryInterrupted(cause: $0) } ?? cancelled
                }
                if (200..<300).contains(reply.status) {
                    do {
                        return (try read(reply), attemptStarted.duration(to: .now), discarded)
                    } catch var error as RuntimeError {
                        discarded += error.calls
                        error.calls = []
                        failure = error
                    }
                } else {
                    var text = String(decoding: reply.body.prefix(300), as: UTF8.self)
                    if endpoint.isPasswordHidden && (reply.status == 401 || reply.status == 403) {
                        text += " (the base URL's password or key was not journaled: give the spec again with it)"
                    } else if reply.status == 401 || reply.status == 403 {
                        text += " (check the key in $OPENAI_API_KEY, or the --header that authorizes)"
                    } else if reply.status == 404 {
                        text += " (check the model name '\(model)' and the base URL)"
                    }
                    failure = RuntimeError(
                        "http_status", "\(model)@\(baseURL) answered HTTP \(reply.status): \(text)",
                        // As OpenAI's own clients retry: a proxy's 408, a 409, 429 and 5xx.
                        retryable: [408, 409, 429].contains(reply.status) || reply.status >= 500,
                        adapterUnusable: [401, 403, 404].contains(reply.status)
                            || (Self.serverDown(reply.status) && attempt > settings.retries))
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
                // A server that cannot be reached after every retry is down for the run, as one
                // that keeps answering 502-504: no other plan can use it.
                failure = RuntimeError(
                    "network", "\(model)@\(baseURL): \(reason)", retryable: true, adapterUnusable: attempt > settings.retries)
            } catch TransportFailure.unreadable(let reason) {
                failure = RuntimeError("bad_reply", "\(model)@\(baseURL): \(reason)", retryable: false)
            }
            guard failure.retryable, attempt <= settings.retries else {
                var given = failure
                given.calls = discarded + given.calls
                throw given
            }
            do {
                try await Task.sleep(for: retryAfter ?? delay)
            } catch {
                throw RetryInterrupted(cause: failure)
            }
            previous = failure
            delay *= 2
        }
    }
}
