import Foundation

/// A Python server from `tools/` running on loopback for a test: started with a log file for
/// what it receives, its URL read from the first line it prints, and stopped when released (by
/// closing its standard input: SIGTERM may be blocked in test runners, and is inherited).
public final class LoopbackScript {
    /// The `http://127.0.0.1:PORT…` (or `postgres://…`) URL the script printed.
    public let url: String
    /// The script's log: one JSON line per request received.
    public let logPath: String
    private let process: TestProcess
    private let stdin: FileHandle

    /// Starts `tools/SCRIPT` with `arguments`; `arguments` gets the log path where the script
    /// expects it (`logArguments(logPath)`).
    public init(script: String, _ logArguments: (String) -> [String]) throws {
        logPath = NSTemporaryDirectory() + (script as NSString).lastPathComponent + "-" + UUID().uuidString + ".log"
        let p = TestProcess()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Fixtures.repositoryRoot + "/tools/" + script] + logArguments(logPath)
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
        guard let range = text.range(of: "http://") ?? text.range(of: "postgres://") else {
            try? stdin.close()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(script) did not start: \(text)"])
        }
        url = String(text[range.lowerBound...])
    }

    /// The log's lines so far, each as a JSON object.
    public func loggedObjects() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    deinit {
        try? stdin.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
