import PlanJournalCore

/// One call to a language model, as journaled in a `call.model` event.
public struct ModelCall: Sendable, Hashable {
    /// The model's name, e.g. `gpt-4o-mini`.
    public var model: String
    /// Why it was called: `plan`, `replan`, `review`, `execute`, `judge`.
    public var purpose: String
    /// What was sent (usually the messages array).
    public var prompt: JSONValue?
    /// What came back (usually the reply text).
    public var response: JSONValue?
    /// Tokens sent, as the server counted them (0 when it did not say: see ``usageReported``).
    public var inputTokens: Int64
    /// Tokens generated, as the server counted them (0 when it did not say: see ``usageReported``).
    public var outputTokens: Int64
    /// The call's wall time in milliseconds, when measured.
    public var latencyMs: Double?
    /// The call's cost in US dollars; `nil` when unknown (no price for the model), which counts as 0
    /// in totals and budgets.
    public var costUSD: Double?
    /// Why the model stopped, as the server said (`stop`, `length`, `content_filter`,
    /// `tool_calls`…); `nil` when it did not say.
    public var finishReason: String?
    /// Whether the server counted the call's tokens. When it did not, the event has no `usage`
    /// (and no cost): its tokens are unknown, not 0.
    public var usageReported: Bool

    /// Creates a call record.
    public init(
        model: String, purpose: String, prompt: JSONValue? = nil, response: JSONValue? = nil, inputTokens: Int64 = 0,
        outputTokens: Int64 = 0, latencyMs: Double? = nil, costUSD: Double? = nil, finishReason: String? = nil,
        usageReported: Bool = true
    ) {
        self.model = model
        self.purpose = purpose
        self.prompt = prompt
        self.response = response
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.latencyMs = latencyMs
        self.costUSD = costUSD
        self.finishReason = finishReason
        self.usageReported = usageReported
    }

    /// The `data` of the `call.model` event for this call, made within `stepID` (`nil` for planning).
    func eventData(stepID: String?) -> JSONValue {
        .record([
            "step_id": stepID.map(JSONValue.string) ?? .null,
            "purpose": .string(purpose),
            "model": .string(model),
            "prompt": prompt,
            "response": response,
            "usage": usageReported ? .record(["input_tokens": .int(inputTokens), "output_tokens": .int(outputTokens)]) : nil,
            "latency_ms": latencyMs.map(JSONValue.double),
            "cost_usd": costUSD.map(JSONValue.double),
            "finish_reason": finishReason.map(JSONValue.string),
        ])
    }

    /// Reads a call from its wire object: a `call.model` event's `data`, or a call as a subprocess
    /// adapter reports it (`nil` without a `model` name).
    public init?(wire value: JSONValue, purpose defaultPurpose: String) {
        guard let model = value["model"]?.stringValue else { return nil }
        self.init(
            model: model, purpose: value["purpose"]?.stringValue ?? defaultPurpose, prompt: value["prompt"],
            response: value["response"], inputTokens: value["usage"]?["input_tokens"]?.int64Value ?? 0,
            outputTokens: value["usage"]?["output_tokens"]?.int64Value ?? 0,
            latencyMs: value["latency_ms"]?.doubleValue, costUSD: value["cost_usd"]?.doubleValue,
            finishReason: value["finish_reason"]?.stringValue, usageReported: value["usage"].map { $0 != .null } ?? false)
    }
}
