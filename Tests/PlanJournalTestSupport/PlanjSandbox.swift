import Foundation
import Synchronization

/// A temporary folder with a journal file in it, for tests that run the `planj` binary.
public struct PlanjSandbox: Sendable {
    /// The folder; `planj` runs in it.
    public let directory: String
    /// The journal file every ``planj(_:stdin:environment:)`` call names with `--journal`.
    public let journal: String

    public init(_ name: String = "planj-test") throws {
        directory = NSTemporaryDirectory() + name + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        journal = directory + "/j.sqlite"
    }

    /// Runs `planj --journal JOURNAL arguments…` in the folder and waits for it.
    @discardableResult
    public func planj(_ arguments: String..., stdin: String? = nil, environment: [String: String] = [:]) async throws
        -> PlanjBinary.Result
    {
        try await planj(arguments, stdin: stdin, environment: environment)
    }

    /// ``planj(_:stdin:environment:)`` with the arguments in an array.
    @discardableResult
    public func planj(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws
        -> PlanjBinary.Result
    {
        try await PlanjBinary.run(["--journal", journal] + arguments, in: directory, stdin: stdin, environment: environment)
    }

    /// A file in the folder.
    public func path(_ name: String) -> String { directory + "/" + name }

    /// What ``whileAppending(_:repeat:)`` saw.
    public struct AppendingReport: Sendable {
        /// The `planj append` process's result.
        public var appended: PlanjBinary.Result
        /// How many times the command ran.
        public var runs: Int
        /// The stderr of each run that exited non-zero.
        public var failures: [String]
    }

    /// Runs `planj append` with `lines` on its standard input and, until it exits (at least once),
    /// `command` again and again beside it: a command next to agents that are still writing.
    public func whileAppending(_ lines: String, repeat command: [String]) async throws -> AppendingReport {
        let done = Mutex(false)
        let appending = Task {
            defer { done.withLock { $0 = true } }
            return try await planj("append", stdin: lines)
        }
        var runs = 0
        var failures: [String] = []
        while !done.withLock({ $0 }) || runs == 0 {
            let r = try await PlanjBinary.run(["--journal", journal] + command, in: directory)
            if r.status != 0 { failures.append(r.stdout + r.stderr) }
            runs += 1
        }
        return AppendingReport(appended: try await appending.value, runs: runs, failures: failures)
    }
}
