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
    /// USD per million input and output tokens, for `cost_usd` (unknown when `nil`).
    public var pricePerMillion: (input: Double, output: Double)?
    public var temperature: Double?
    /// The proxies requests go through; by default those of `http_proxy`, `https_proxy` and
    /// `no_proxy` (see ``OpenAIProxies``).
    public var proxies: OpenAIProxies

    /// The settings `environment` gives: `$OPENAI_API_KEY` and the proxy variables.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        apiKey = environment["OPENAI_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        proxies = OpenAIProxies(environment: environment)
    }
}
