import Foundation
import PlanJournalCore
import PlanJournalRuntime

/// Sends OTLP/JSON trace exports to an OpenTelemetry collector over OTLP/HTTP
/// (`POST …/v1/traces`, `Content-Type: application/json`).
public struct OTLPHTTPExporter: Sendable {
    /// Where the exports go: the endpoint given, with `/v1/traces` added when it has no path.
    public let url: URL
    /// Extra request headers (authorization, tenant).
    public var headers: [String: String]
    /// How long to wait for the collector.
    public var timeout: Duration
    /// Retries of a request the collector answers 429, 502, 503 or 504 (the OTLP specification's
    /// retryable statuses), after `backoff`, doubled each time, or the wait its `Retry-After` asks;
    /// the waits of one request add up to no more than ``timeout``.
    public var retries = 3
    /// The wait before the first retry (default 1 s), doubled before each further one.
    public var backoff: Duration = .seconds(1)

    /// An exporter for `endpoint` (`http://localhost:4318` or a full `…/v1/traces` URL).
    /// - Throws: ``OTLPExportError`` with reason `badEndpoint` when it is not an http(s) URL with a host.
    public init(endpoint: String, headers: [String: String] = [:], timeout: Duration = .seconds(10)) throws(OTLPExportError) {
        guard var parts = Self.tracesURL(endpoint).flatMap({ URLComponents(url: $0, resolvingAgainstBaseURL: false) }) else {
            throw OTLPExportError(endpoint: endpoint, reason: .badEndpoint)
        }
        var headers = headers
        // `https://user:secret@host` is Basic authentication (as curl reads it), and the URL is
        // named without it in messages.
        if let user = parts.user {
            let credentials = Data("\(user):\(parts.password ?? "")".utf8).base64EncodedString()
            if !headers.keys.contains(where: { $0.lowercased() == "authorization" }) {
                headers["Authorization"] = "Basic \(credentials)"
            }
            parts.user = nil
            parts.password = nil
        }
        guard let url = parts.url else { throw OTLPExportError(endpoint: endpoint, reason: .badEndpoint) }
        self.url = url
        self.headers = headers
        self.timeout = timeout
    }

    /// The URL to post traces to: `endpoint/v1/traces` for a bare `scheme://host[:port]` (as OTLP
    /// exporters treat `OTEL_EXPORTER_OTLP_ENDPOINT`), and a URL with a path as it is (as they
    /// treat `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `nil` unless it is an http or https URL with a host.
    public static func tracesURL(_ endpoint: String) -> URL? {
        guard var parts = URLComponents(string: endpoint), let scheme = parts.scheme?.lowercased(),
            scheme == "http" || scheme == "https", parts.host?.isEmpty == false
        else { return nil }
        if parts.path.isEmpty || parts.path == "/" { parts.path = "/v1/traces" }
        return parts.url
    }

    /// What the collector said about an accepted export.
    public struct Response: Sendable {
        /// The HTTP status (2xx).
        public var status: Int
        /// Spans the collector accepted only in part (`partialSuccess.rejectedSpans`), 0 when all were taken.
        public var rejectedSpans: Int64
        /// The collector's `partialSuccess.errorMessage`, if any.
        public var message: String?
    }

    /// The statuses after which a request is sent again.
    static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    /// Posts one `ExportTraceServiceRequest`, again after a retryable status (``retries``).
    /// - Throws: ``OTLPExportError``: `refused` for a non-2xx answer, `unreachable` when no answer came.
    @discardableResult
    public func send(_ request: JSONValue) async throws(OTLPExportError) -> Response {
        var bytes: [UInt8] = []
        request.write(to: &bytes)
        var delay = backoff
        var attempt = 0
        var waited = Duration.zero
        while true {
            attempt += 1
            do throws(OTLPExportError) {
                return try await post(bytes)
            } catch {
                let wait = error.retryAfter ?? delay
                guard attempt <= retries, case .refused(let status, _) = error.reason, Self.retryableStatuses.contains(status),
                    waited + wait <= timeout, !Task.isCancelled
                else { throw error }
                try? await Task.sleep(for: wait)
                if Task.isCancelled { throw error }
                waited += wait
                delay *= 2
            }
        }
    }

    private func post(_ bytes: [UInt8]) async throws(OTLPExportError) -> Response {
        let reply: HTTPReply
        var headers = [("Content-Type", "application/json")] + self.headers.map { ($0.key, $0.value) }
        if !headers.contains(where: { $0.0.lowercased() == "user-agent" }) { headers.append(("User-Agent", "planj/\(PlanJournalRuntime.version)")) }
        do {
            // Over SwiftNIO, as the model calls: URLSession on Linux spins a core while it waits.
            reply = try await HTTPTransport.post(
                url.absoluteString, headers: headers,
                body: bytes, timeout: timeout, proxies: HTTPProxies(environment: ProcessInfo.processInfo.environment))
        } catch TransportFailure.timedOut {
            let parts = timeout.components
            let seconds = Double(parts.seconds) + Double(parts.attoseconds) / 1e18
            let text = seconds == seconds.rounded() && seconds < 1e9 ? String(Int(seconds)) : String(seconds)
            throw OTLPExportError(endpoint: url.absoluteString, reason: .unreachable("no answer within \(text) s"))
        } catch TransportFailure.failed(let why), TransportFailure.unreadable(let why) {
            throw OTLPExportError(endpoint: url.absoluteString, reason: .unreachable(why))
        } catch {
            throw OTLPExportError(endpoint: url.absoluteString, reason: .unreachable("\(error)"))
        }
        let (status, data) = (reply.status, reply.body)
        guard (200..<300).contains(status) else {
            let firstLine = String(decoding: data.prefix(2000), as: UTF8.self)
                .split(whereSeparator: \.isNewline).first.map { String($0.prefix(200)) } ?? ""
            var error = OTLPExportError(endpoint: url.absoluteString, reason: .refused(status: status, firstLine: firstLine))
            error.retryAfter = OpenAIClient.retryDelay(asked: reply.header)
            throw error
        }
        let partial = (try? JSONValue(parsing: Array(data)))?["partialSuccess"]
        let rejected = partial?["rejectedSpans"].flatMap { $0.int64Value ?? $0.stringValue.flatMap { Int64($0) } } ?? 0
        return Response(status: status, rejectedSpans: rejected, message: partial?["errorMessage"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// Why an export did not reach a collector; the description names the endpoint.
public struct OTLPExportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// The endpoint is not an http or https URL with a host.
        case badEndpoint
        /// The collector answered with a status other than 2xx (and this first line of its body).
        case refused(status: Int, firstLine: String)
        /// No answer: connection refused, name not resolved, timed out.
        case unreachable(String)
    }

    /// The URL the export was meant for.
    public var endpoint: String
    /// What went wrong.
    public var reason: Reason
    /// The wait the collector asked for before the request is sent again (`Retry-After`).
    public var retryAfter: Duration?

    /// Creates an error.
    public init(endpoint: String, reason: Reason) {
        self.endpoint = endpoint
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .badEndpoint:
            "the OTLP endpoint '\(endpoint)' is not an http or https URL (e.g. http://localhost:4318)"
        case .refused(let status, let firstLine):
            "the OTLP collector at \(endpoint) refused the export: HTTP \(status)" + (firstLine.isEmpty ? "" : ": \(firstLine)")
        case .unreachable(let why):
            "cannot send the export to the OTLP collector at \(endpoint): \(why)"
        }
    }
}
