import Foundation

/// `tools/otlp_receiver.py` running on loopback: a real HTTP server that stores every OTLP/HTTP
/// request it gets. Stopped when released.
public final class OTLPReceiver {
    /// e.g. `http://127.0.0.1:41234` (no path).
    public let endpoint: String
    private let server: LoopbackScript

    /// Starts the receiver; `failing` maps request paths to the HTTP status to answer them with
    /// (the first `failingTimes` requests of each only, when given), and requests to a path of
    /// `hanging` get no answer.
    public init(failing: [String: Int] = [:], failingTimes: Int? = nil, hanging: [String] = []) throws {
        server = try LoopbackScript(script: "otlp_receiver.py") { log in
            [log, "--exit-with-stdin"] + failing.flatMap { ["--fail", "\($0.key)=\($0.value)"] } + hanging.flatMap { ["--hang", $0] }
                + (failingTimes.map { ["--fail-times", "\($0)"] } ?? [])
        }
        endpoint = server.url
    }

    /// One request the receiver got.
    public struct Request: Sendable {
        public var path: String
        /// Header values by lowercased name.
        public var headers: [String: String]
        public var body: String
    }

    /// The requests received so far.
    public func requests() throws -> [Request] {
        try server.loggedObjects().map { object in
            Request(
                path: object["path"] as? String ?? "", headers: object["headers"] as? [String: String] ?? [:],
                body: object["body"] as? String ?? "")
        }
    }
}
