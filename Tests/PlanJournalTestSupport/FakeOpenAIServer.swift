import Foundation

/// `tools/fake_openai.py` running on loopback: a real HTTP server speaking the chat-completions API.
/// Stopped when released.
public final class FakeOpenAIServer {
    /// e.g. `http://127.0.0.1:41234/v1`.
    public let baseURL: String
    /// One JSON line per request received.
    public let logPath: String
    private let process: Process
    private let stdin: FileHandle

    /// Starts the server with `arguments` (`--model`, `--fail-first`, ...).
    public init(_ arguments: [String]) throws {
        logPath = NSTemporaryDirectory() + "fake-openai-" + UUID().uuidString + ".log"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Fixtures.repositoryRoot + "/tools/fake_openai.py", "--exit-with-stdin", "--log", logPath] + arguments
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
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "fake_openai.py did not start: \(text)"])
        }
        baseURL = String(text[range.lowerBound...])
    }

    /// The requests received so far, each as its JSON log object.
    public func requests() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    deinit {
        // Closing its stdin stops it (SIGTERM may be blocked in test runners, and is inherited).
        try? stdin.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
