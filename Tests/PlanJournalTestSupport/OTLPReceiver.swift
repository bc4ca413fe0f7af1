import Foundation

/// `tools/otlp_receiver.py` running on loopback: a real HTTP server that stores every OTLP/HTTP
/// request it gets. Stopped when released.
public final class OTLPReceiver {
    /// e.g. `http://127.0.0.1:41234` (no path).
    public let endpoint: String
    /// One JSON line per request received: path, headers (lowercased names), body.
    public let logPath: String
    private let process: Process
    private let stdin: FileHandle

    /// Starts the receiver; `failing` maps request paths to the HTTP status to answer them with,
    /// and requests to a path of `hanging` get no answer.
    public init(failing: [String: Int] = [:], hanging: [String] = []) throws {
        logPath = NSTemporaryDirectory() + "otlp-receiver-" + UUID().uuidString + ".log"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments =
            ["python3", Fixtures.repositoryRoot + "/tools/otlp_receiver.py", logPath, "--exit-with-stdin"]
            + failing.flatMap { ["--fail", "\($0.key)=\($0.value)"] } + hanging.flatMap { ["--hang", $0] }
        let out = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardInput = input
        stdin = input.fileHandleForWriting
        try p.run()
        process = p
        var line: [UInt8] = []
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 0x0A { break }
            line.append(contentsOf: byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else {
            try? stdin.close()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "otlp_receiver.py did not start: \(text)"])
        }
        endpoint = String(text[range.lowerBound...])
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
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            return Request(
                path: object["path"] as? String ?? "", headers: object["headers"] as? [String: String] ?? [:],
                body: object["body"] as? String ?? "")
        }
    }

    deinit {
        // Closing its stdin stops it (SIGTERM may be blocked in test runners, and is inherited).
        try? stdin.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
