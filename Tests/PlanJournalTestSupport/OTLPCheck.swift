import Foundation

/// `tools/otlp_check.py`: parses an OTLP/JSON export with the official OpenTelemetry protobuf
/// definitions (the `opentelemetry-proto` Python package).
public enum OTLPCheck {
    /// What the check found.
    public struct Result: Sendable {
        public var status: Int32
        /// Spans in the export, and their count by name (when the check passed).
        public var spans: Int
        public var names: [String: Int]
        /// The `service.name` of each resource.
        public var services: [String]
        public var stderr: String
    }

    /// Pipes `json` (the text of an `ExportTraceServiceRequest`) through the check.
    public static func run(_ json: String) async throws -> Result {
        let r = try await ChildProcess.run(
            "python3", [Fixtures.repositoryRoot + "/tools/otlp_check.py", "-", "--json"], stdin: Data(json.utf8))
        let summary = (try? JSONSerialization.jsonObject(with: r.stdoutData)) as? [String: Any] ?? [:]
        return Result(
            status: r.status, spans: summary["spans"] as? Int ?? -1, names: summary["names"] as? [String: Int] ?? [:],
            services: summary["services"] as? [String] ?? [], stderr: r.stderr)
    }
}
