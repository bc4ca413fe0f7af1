import Foundation

/// How to talk to OpenAI-compatible servers.
public struct OpenAISettings: Sendable {
    /// Sent as `Authorization: Bearer KEY`; by default `$OPENAI_API_KEY`.
    public var apiKey: String?
    /// Extra request headers (`X-Org: acme`).
    public var headers: [String: String] = [:]
    /// How long one request may take, reply body included, before it counts as failed (and is
    /// retried); 120 s by default.
    public var timeout: Duration = .seconds(120)
    /// Retries after a 429, a 5xx or a network error, with exponential backoff.
    public var retries = 3
    /// The first backoff; doubled each retry (a `Retry-After` header wins, up to 30 s).
    public var backoff: Duration = .milliseconds(500)
    /// USD per million input and output tokens of any model ``prices`` does not name, for
    /// `cost_usd` (unknown when `nil`).
    public var pricePerMillion: (input: Double, output: Double)?
    /// USD per million input and output tokens by model name (as in `openai:MODEL@…`).
    public var prices: [String: TokenPrice] = [:]
    /// The sampling temperature sent with each request; the server's default when `nil`.
    public var temperature: Double?
    /// The proxies requests go through; by default those of `http_proxy`, `https_proxy` and
    /// `no_proxy` (see ``HTTPProxies``).
    public var proxies: HTTPProxies

    /// The settings `environment` gives: `$OPENAI_API_KEY` and the proxy variables.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        apiKey = environment["OPENAI_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        proxies = HTTPProxies(environment: environment)
    }
}

extension OpenAISettings {
    /// The price of `model`'s tokens: its own in ``prices``, else ``pricePerMillion``; `nil`
    /// when unknown (its calls then cost nothing as far as a budget can tell).
    public func price(of model: String) -> TokenPrice? {
        prices[model] ?? pricePerMillion.map { TokenPrice(input: $0.input, output: $0.output) }
    }
}

/// What a model's tokens cost: US dollars per million input (prompt) and output (completion) tokens.
public struct TokenPrice: Sendable, Hashable {
    /// US dollars per million input (prompt) tokens.
    public var input: Double
    /// US dollars per million output (completion) tokens.
    public var output: Double

    /// A price per million input and output tokens.
    public init(input: Double, output: Double) {
        self.input = input
        self.output = output
    }

    /// The cost of `input` and `output` tokens, in US dollars.
    public func cost(input: Int64, output: Int64) -> Double {
        (Double(input) * self.input + Double(output) * self.output) / 1_000_000
    }
}
