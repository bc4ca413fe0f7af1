import Foundation

/// Runs the built `planj` binary as a real subprocess.
public enum PlanjBinary {
    /// What a finished `planj` printed and returned.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `planj arguments` in `directory` with `stdin` as its input, and waits for it (without
    /// holding a thread of the test pool: see ``ChildProcess``).
    /// `$PLANJOURNAL_PATH` is unset unless `environment` sets it.
    public static func run(
        _ arguments: [String], in directory: String, stdin: String? = nil, environment: [String: String] = [:]
    ) async throws -> Result {
        try await run(arguments, in: directory, input: stdin.map { Data($0.utf8) }, environment: environment)
    }

    /// Runs `planj arguments` with the bytes `input` as its standard input.
    public static func run(
        _ arguments: [String], in directory: String, input: Data?, environment: [String: String] = [:]
    ) async throws -> Result {
        let r = try await ChildProcess.run(process(arguments, in: directory, environment: environment), stdin: input)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// A `planj` process, not started yet (for tests that kill it).
    public static func process(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws
        -> TestProcess
    {
        guard let binary = Fixtures.planjBinary else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "build planj first (swift build)"])
        }
        let p = TestProcess()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["PLANJOURNAL_PATH"] = nil
        for (k, v) in environment { env[k] = v }
        p.environment = env
        return p
    }
}
