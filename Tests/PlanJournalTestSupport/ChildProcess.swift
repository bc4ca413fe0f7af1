import Foundation

/// Runs a program to its end without holding a thread of Swift's cooperative pool: the program is
/// started, fed and drained on dispatch threads while the test awaits. Tests run in parallel on a
/// pool as wide as the machine's cores (2 here), so a test that blocked a pool thread for a
/// subprocess (Chromium, `planj run`) would stall every other test's timers.
public enum ChildProcess {
    /// What a finished program printed and returned.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Standard output as bytes.
        public var stdoutData: Data
    }

    /// Runs `command` (a path, or a name looked up on `PATH`) with `arguments` in `directory`, with
    /// `stdin` as its input, and waits for it.
    /// - Parameter environment: the whole environment (default: the test's own).
    public static func run(
        _ command: String, _ arguments: [String], in directory: String? = nil, stdin: Data? = nil,
        environment: [String: String]? = nil
    ) async throws -> Result {
        let p = TestProcess()
        if command.hasPrefix("/") {
            p.executableURL = URL(fileURLWithPath: command)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [command] + arguments
        }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { p.environment = environment }
        return try await run(p, stdin: stdin)
    }

    /// Runs a configured ``TestProcess`` (its standard streams are replaced) and waits for it.
    public static func run(_ p: TestProcess, stdin: Data? = nil) async throws -> Result {
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        // Told by the process's own waiter thread, not by blocking a thread in `waitUntilExit()`.
        let group = DispatchGroup()
        group.enter()
        p.terminationHandler = { _ in group.leave() }
        do { try p.run() } catch {
            p.terminationHandler = nil
            throw error
        }
        return await withCheckedContinuation { continuation in
            let streams = Streams()
            group.enter()
            DispatchQueue.global().async {
                streams.stdout = out.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
            group.enter()
            DispatchQueue.global().async {
                streams.stderr = err.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
            DispatchQueue.global().async {
                // A child may stop reading (and exit) before its input ends: that is no failure of
                // the test process (SIGPIPE, or the trap of the non-throwing write).
                signal(SIGPIPE, SIG_IGN)
                if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
                try? input.fileHandleForWriting.close()
            }
            group.notify(queue: .global()) {
                continuation.resume(
                    returning: Result(
                        status: p.terminationStatus, stdout: String(decoding: streams.stdout, as: UTF8.self),
                        stderr: String(decoding: streams.stderr, as: UTF8.self), stdoutData: streams.stdout))
            }
        }
    }

    /// The two output streams, each written by one reader before the group is notified.
    private final class Streams: @unchecked Sendable {
        var stdout = Data()
        var stderr = Data()
    }
}
