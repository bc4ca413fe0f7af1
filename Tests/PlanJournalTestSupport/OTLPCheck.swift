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
    public static func run(_ json: String) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Fixtures.repositoryRoot + "/tools/otlp_check.py", "-", "--json"]
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        // Written from another thread: a large export would fill the pipe before the reads below start.
        let writer = input.fileHandleForWriting
        let data = Data(json.utf8)
        Thread {
            writer.write(data)
            try? writer.close()
        }.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let summary = (try? JSONSerialization.jsonObject(with: o)) as? [String: Any] ?? [:]
        return Result(
            status: p.terminationStatus, spans: summary["spans"] as? Int ?? -1, names: summary["names"] as? [String: Int] ?? [:],
            services: summary["services"] as? [String] ?? [], stderr: String(decoding: e, as: UTF8.self))
    }
}
