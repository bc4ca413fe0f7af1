import Foundation
import PlanJournalCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One model on an OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp, Ollama…).
public struct OpenAIClient: Sendable {
    public let model: String
    public let baseURL: String
    public let settings: OpenAISettings

    public init(model: String, baseURL: String, settings: OpenAISettings = OpenAISettings()) {
        self.model = model
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.settings = settings
    }

    /// One reply of the model.
    public struct Reply: Sendable {
        /// The assistant message as the server sent it (for the next request of a tool loop).
        public var message: JSONValue
        public var content: String?
        public var toolCalls: [ToolCall]
        /// The call, ready to journal.
        public var call: ModelCall
    }

    /// A function call the model asked for.
    public struct ToolCall: Sendable {
        public var id: String
        public var name: String
        /// The arguments JSON text as the model wrote it.
        public var arguments: String
    }

    /// Posts `messages` (and `tools`, as function definitions) to `/chat/completions`, retrying
    /// 429, 5xx and network errors with backoff.
    /// - Throws: ``RuntimeError`` `http_status` / `network` / `bad_reply`.
    public func chat(_ messages: [JSONValue], tools: [JSONValue] = [], purpose: String) async throws -> Reply {
        let body = JSONValue.record([
            "model": .string(model), "messages": .array(messages),
            "tools": tools.isEmpty ? nil : .array(tools),
            "temperature": settings.temperature.map(JSONValue.double),
        ])
        var request = URLRequest(url: try endpoint())
        request.httpMethod = "POST"
        request.timeoutInterval = Double(settings.timeout.components.seconds)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key = settings.apiKey { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        for (name, value) in settings.headers { request.setValue(value, forHTTPHeaderField: name) }
        var bytes: [UInt8] = []
        body.write(to: &bytes)
        request.httpBody = Data(bytes)

        let started = ContinuousClock.now
        let data = try await send(request)
        let latency = started.duration(to: .now)
        guard let reply = try? JSONValue(parsing: Array(data)),
            let message = reply["choices"]?.arrayValue?.first?["message"]
        else {
            throw RuntimeError("bad_reply", "\(model)@\(baseURL): the reply is not a chat completion: \(String(decoding: data.prefix(200), as: UTF8.self))", retryable: true)
        }
        let usage = reply["usage"]
        let input = usage?["prompt_tokens"]?.int64Value ?? 0
        let output = usage?["completion_tokens"]?.int64Value ?? 0
        let content = message["content"]?.stringValue
        let calls = (message["tool_calls"]?.arrayValue ?? []).compactMap { call -> ToolCall? in
            guard let name = call["function"]?["name"]?.stringValue else { return nil }
            return ToolCall(
                id: call["id"]?.stringValue ?? name, name: name,
                arguments: call["function"]?["arguments"]?.stringValue ?? "{}")
        }
        let cost = settings.pricePerMillion.map { (Double(input) * $0.input + Double(output) * $0.output) / 1_000_000 }
        let record = ModelCall(
            model: reply["model"]?.stringValue ?? model, purpose: purpose, prompt: .array(messages),
            response: content.map(JSONValue.string) ?? message, inputTokens: input, outputTokens: output,
            latencyMs: Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15,
            costUSD: cost)
        return Reply(message: message, content: content, toolCalls: calls, call: record)
    }

    private func endpoint() throws -> URL {
        guard let url = URL(string: baseURL + "/chat/completions") else {
            throw RuntimeError("usage", "'\(baseURL)' is not a URL")
        }
        return url
    }

    /// Sends with retries; returns the body of the first 2xx reply.
    private func send(_ request: URLRequest) async throws -> Data {
        var delay = settings.backoff
        var attempt = 0
        while true {
            attempt += 1
            let failure: RuntimeError
            var retryAfter: Duration?
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) { return data }
                let text = String(decoding: data.prefix(300), as: UTF8.self)
                failure = RuntimeError(
                    "http_status", "\(model)@\(baseURL) answered HTTP \(status): \(text)",
                    retryable: status == 429 || status >= 500)
                if let header = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After"),
                    let seconds = Double(header)
                {
                    retryAfter = .milliseconds(min(seconds, 30) * 1000)
                }
            } catch {
                failure = RuntimeError("network", "\(model)@\(baseURL): \(error.localizedDescription)", retryable: true)
            }
            guard failure.retryable, attempt <= settings.retries else { throw failure }
            try await Task.sleep(for: retryAfter ?? delay)
            delay *= 2
        }
    }
}
