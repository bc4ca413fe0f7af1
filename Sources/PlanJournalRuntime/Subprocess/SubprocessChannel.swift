import Foundation
import PlanJournalCore
import Synchronization

/// A long-lived child process spoken to in JSON Lines: each request is one line on its standard
/// input, `{"id":N,"method":M,"params":{…}}`; each reply is one line on its standard output,
/// `{"id":N,"result":{…}}` or `{"id":N,"error":{"type":…,"message":…,"retryable":…}}`. Replies may
/// come in any order; its standard error passes through to ours.
public final class SubprocessChannel: Sendable {
    /// The command line, for messages.
    public let commandLine: String
    private let process: Process
    private let input: FileHandle
    private let state = Mutex<State>(State())
    private let writeLock = Mutex(())

    private struct State {
        var nextID = 1
        var pending: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        var closed: String?
    }

    /// Starts `arguments[0]` (looked up on `PATH`) with the rest as its arguments.
    /// - Throws: ``RuntimeError`` `subprocess` when it cannot be started.
    public init(arguments: [String]) throws {
        guard let program = arguments.first else { throw RuntimeError("usage", "cmd: needs a program") }
        commandLine = arguments.joined(separator: " ")
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.locate(program))
        process.arguments = Array(arguments.dropFirst())
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        input = stdin.fileHandleForWriting
        do {
            try process.run()
        } catch {
            throw RuntimeError("subprocess", "cannot start \(program): \(error)")
        }
        let output = stdout.fileHandleForReading
        let thread = Thread { [self] in readReplies(from: output) }
        thread.name = "planj-subprocess-reader"
        thread.start()
    }

    /// The path of `program`: as given when it holds a `/`, else the first match on `$PATH`.
    static func locate(_ program: String) throws -> String {
        let fm = FileManager.default
        if program.contains("/") {
            guard fm.isExecutableFile(atPath: program) else {
                throw RuntimeError("usage", "cannot find the program \(program) (or it is not executable)")
            }
            return program
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where fm.isExecutableFile(atPath: "\(dir)/\(program)") {
            return "\(dir)/\(program)"
        }
        throw RuntimeError("usage", "cannot find the program \(program) on $PATH")
    }

    deinit {
        try? input.close()
        if process.isRunning { process.terminate() }
    }

    /// Sends a request and waits for its reply's `result`.
    /// - Throws: ``RuntimeError``: the reply's `error`, or `subprocess` when the process exited or
    ///   wrote a line that is not a reply.
    public func call(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        try await withCheckedThrowingContinuation { continuation in
            let registered: Result<Int, RuntimeError> = state.withLock { s in
                if let reason = s.closed { return .failure(RuntimeError("subprocess", reason)) }
                let id = s.nextID
                s.nextID += 1
                s.pending[id] = continuation
                return .success(id)
            }
            let id: Int
            switch registered {
            case .success(let registeredID): id = registeredID
            case .failure(let error):
                continuation.resume(throwing: error)
                return
            }
            var line: [UInt8] = []
            JSONValue.record(["id": .int(id), "method": .string(method), "params": params]).write(to: &line)
            line.append(0x0A)
            let written: Bool = writeLock.withLock { _ in
                do {
                    try input.write(contentsOf: Data(line))
                    return true
                } catch {
                    return false
                }
            }
            if !written { fail(id, RuntimeError("subprocess", "cannot write to \(commandLine): it has exited")) }
        }
    }

    private func fail(_ id: Int, _ error: RuntimeError) {
        state.withLock { $0.pending.removeValue(forKey: id) }?.resume(throwing: error)
    }

    private func readReplies(from output: FileHandle) {
        var buffer = LineBuffer()
        var lineNumber = 0
        while true {
            let chunk = output.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let line = buffer.nextLine() {
                lineNumber += 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                deliver(Array(line), lineNumber: lineNumber)
            }
        }
        process.waitUntilExit()
        let reason = "\(commandLine) exited with status \(process.terminationStatus)"
        let waiting = state.withLock { s in
            s.closed = reason
            defer { s.pending.removeAll() }
            return Array(s.pending.values)
        }
        for continuation in waiting { continuation.resume(throwing: RuntimeError("subprocess", reason, retryable: false)) }
    }

    private func deliver(_ line: [UInt8], lineNumber: Int) {
        // The id as sent, or as a string of it (JSON-RPC libraries may echo ids as strings).
        guard let reply = try? JSONValue(parsing: line),
            let id = reply["id"]?.int64Value ?? reply["id"]?.stringValue.flatMap({ Int64($0) })
        else {
            let text = String(decoding: line.prefix(200), as: UTF8.self)
            try? FileHandle.standardError.write(
                contentsOf: Data("planj: \(commandLine): stdout line \(lineNumber) is not a reply (ignored): \(text)\n".utf8))
            return
        }
        guard let continuation = state.withLock({ $0.pending.removeValue(forKey: Int(id)) }) else { return }
        if let error = reply["error"], error != .null {
            continuation.resume(
                throwing: RuntimeError(
                    error["type"]?.stringValue ?? "subprocess_error",
                    error["message"]?.stringValue ?? error.textValue ?? "error",
                    retryable: error["retryable"]?.boolValue ?? false))
        } else {
            continuation.resume(returning: reply["result"] ?? .null)
        }
    }
}
