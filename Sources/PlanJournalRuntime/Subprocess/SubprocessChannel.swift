import Foundation
import PlanJournalCore
import Synchronization

/// A long-lived child process spoken to in JSON Lines: each request is one line on its standard
/// input, `{"id":N,"method":M,"params":{…}}`; each reply is one line on its standard output,
/// `{"id":N,"result":{…}}` or `{"id":N,"error":{"type":…,"message":…,"retryable":…}}`. Replies may
/// come in any order; its standard error passes through to ours. The program runs until
/// ``stop(grace:)``, ``stopAll()``, or the channel's release (then it is stopped the same way in
/// the background: its program, and the channel's two threads, end with it).
public final class SubprocessChannel: Sendable {
    /// The command line, for messages.
    public let commandLine: String
    private let process: SpawnedProcess
    private let shared = Shared()

    /// What the channel, its reader thread and its waiter thread share.
    private final class Shared: Sendable {
        let state = Mutex<State>(State())
    }

    private struct State {
        var nextID = 1
        var pending: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        /// Where each pending request starts in the program's input, once written.
        var starts: [Int: Int] = [:]
        /// Why no call can succeed any more (the program ended or closed its output).
        var closed: String?
        /// How the program ended, once it has.
        var ended: SpawnedProcess.Termination?
        var outputEnded = false
    }

    /// The channels whose programs may still run, for ``stopAll()``; held weakly, so that
    /// releasing a channel stops its program.
    private static let live = Mutex<[ObjectIdentifier: WeakChannel]>([:])

    private final class WeakChannel: Sendable {
        weak let channel: SubprocessChannel?
        init(_ channel: SubprocessChannel) { self.channel = channel }
    }

    /// Starts `arguments[0]` (looked up on `PATH`) with the rest as its arguments.
    /// - Throws: ``RuntimeError`` `usage` when there is no such program or it cannot be started.
    public init(arguments: [String]) throws {
        guard let program = arguments.first else { throw RuntimeError("usage", "cmd: needs a program") }
        let ending = RuntimeError("subprocess", "planj is ending: no program is started")
        guard !Self.closed.withLock({ $0 }) else { throw ending }
        commandLine = arguments.joined(separator: " ")
        process = try SpawnedProcess(executable: try Self.locate(program), arguments: arguments)
        Self.live.withLock { $0[ObjectIdentifier(self)] = WeakChannel(self) }
        // Started while ``stopAllForGood()`` took its list: stopped here instead.
        if Self.closed.withLock({ $0 }) {
            stop()
            throw ending
        }
        // The threads hold what they use, not the channel.
        let (process, shared, commandLine) = (process, shared, commandLine)
        let reader = Thread { Self.readReplies(from: process.output, shared: shared, commandLine: commandLine) }
        reader.name = "planj-subprocess-reader"
        reader.start()
        let waiter = Thread { Self.awaitExit(of: process, shared: shared, commandLine: commandLine) }
        waiter.name = "planj-subprocess-waiter"
        waiter.start()
    }

    /// The path of `program`: as given when it holds a `/`, else the first match on `$PATH`.
    static func locate(_ program: String) throws -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if program.contains("/") {
            guard fm.fileExists(atPath: program, isDirectory: &isDirectory), !isDirectory.boolValue,
                fm.isExecutableFile(atPath: program)
            else {
                throw RuntimeError(
                    "usage",
                    isDirectory.boolValue
                        ? "\(program) is a directory, not a program" : "cannot find the program \(program) (or it is not executable)")
            }
            return program
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if fm.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                fm.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        throw RuntimeError("usage", "cannot find the program \(program) on $PATH")
    }

    /// The program's process id.
    var pid: pid_t { process.pid }

    /// Why calls fail, once the program has ended or closed its output (`nil` while it runs).
    public var ending: String? { shared.state.withLock { $0.closed } }

    /// Why no new call can be answered: ``ending``, or, before the channel is closed (the reader
    /// and the waiter give the program's last output a moment), that the program has ended or
    /// closed its output; `nil` while it runs.
    var finished: String? {
        shared.state.withLock { Self.finished($0, commandLine: commandLine) }
    }

    private static func finished(_ s: State, commandLine: String) -> String? {
        if let closed = s.closed { return closed }
        if let ended = s.ended { return "\(commandLine) \(ended)" }
        return s.outputEnded ? "\(commandLine) closed its standard output" : nil
    }

    /// Ends the program: its standard input is closed (the protocol's signal to exit), then it
    /// gets SIGTERM after `grace`, then SIGKILL after `grace` again. Returns once it has ended and
    /// its channel is closed (``ending`` says how it ended).
    public func stop(grace: Duration = .milliseconds(500)) {
        Self.live.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
        Self.stop(process, shared, grace: grace)
    }

    /// Released without ``stop(grace:)``: the program is stopped on a thread of its own.
    deinit {
        Self.live.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
        Self.stopInBackground(process, shared)
    }

    /// ``stop(grace:)`` on a thread of its own (a program replaced by a new one): ``stopAll()``
    /// waits for it, so that the program does not outlive planj.
    func stopInBackground() {
        Self.live.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
        Self.stopInBackground(process, shared)
    }

    private static func stopInBackground(_ process: SpawnedProcess, _ shared: Shared) {
        guard shared.state.withLock({ $0.ended == nil }) else { return }
        stopping.enter()
        let stopper = Thread {
            stop(process, shared, grace: .milliseconds(500))
            stopping.leave()
        }
        stopper.name = "planj-subprocess-stopper"
        stopper.start()
    }

    private static func stop(_ process: SpawnedProcess, _ shared: Shared, grace: Duration) {
        process.closeInput()
        var ended = false
        for signal in [SIGTERM, SIGKILL] where !ended {
            ended = waitForEnd(shared, upTo: grace)
            if !ended { process.send(signal) }
        }
        guard ended || waitForEnd(shared, upTo: grace) else { return }
        // The waiter closes the channel (``ending`` then says how the program ended) once the
        // reader has taken its last output, within a second of the end.
        let deadline = ContinuousClock.now + .milliseconds(1200)
        while shared.state.withLock({ $0.closed == nil }) && ContinuousClock.now < deadline { usleep(2_000) }
    }

    /// Stops the programs of every channel still open (at the end of a command, or when it is
    /// interrupted), side by side.
    public static func stopAll() {
        let channels = live.withLock { $0.values.compactMap(\.channel) }
        DispatchQueue.concurrentPerform(iterations: channels.count) { channels[$0].stop() }
        // And those of channels released or replaced, still being stopped.
        waitForBackgroundStops()
    }

    /// Waits (up to 3 s) until the programs being stopped in the background (released or
    /// replaced channels) have ended.
    static func waitForBackgroundStops() {
        _ = stopping.wait(timeout: .now() + 3)
    }

    /// Stops every program, as ``stopAll()`` does, and starts none after (planj is ending while
    /// runs go on: one whose agent was stopped would start it again).
    public static func stopAllForGood() {
        closed.withLock { $0 = true }
        stopAll()
    }

    /// Set by ``stopAllForGood()``.
    private static let closed = Mutex(false)

    /// Programs of released or replaced channels still being stopped (see ``stopInBackground()``).
    private static let stopping = DispatchGroup()

    private static func waitForEnd(_ shared: Shared, upTo limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if shared.state.withLock({ $0.ended != nil }) { return true }
            usleep(10_000)
        }
        return shared.state.withLock { $0.ended != nil }
    }

    /// Sends a request and waits for its reply's `result`. A cancelled task stops waiting at
    /// once (the reply, if it comes, is dropped).
    /// - Throws: ``RuntimeError``: the reply's `error`, or `subprocess` when the program ended or
    ///   closed its output; `CancellationError` when the task was cancelled.
    public func call(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        do {
            return try await callReportingUnread(method, params)
        } catch let unread as Unread {
            throw unread.error
        }
    }

    /// A call the program never read: it ended, or could not be written to, before it took the
    /// request, which may go to another program (nothing of it was done).
    struct Unread: Error {
        var error: RuntimeError
    }

    /// ``call(_:_:)``, but a request the program never read fails with ``Unread``.
    func callReportingUnread(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        do {
            return try await send(method, params)
        } catch var error as RuntimeError where !error.calls.isEmpty {
            for k in error.calls.indices where error.calls[k].purpose.isEmpty { error.calls[k].purpose = method }
            throw error
        }
    }

    private func send(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        let id = shared.state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refusal: RuntimeError? = shared.state.withLock { s in
                    if let reason = Self.finished(s, commandLine: commandLine) { return RuntimeError("subprocess", reason, retryable: true) }
                    s.pending[id] = continuation
                    return nil
                }
                if let refusal {
                    continuation.resume(throwing: Unread(error: refusal))
                    return
                }
                if Task.isCancelled {
                    fail(id, CancellationError())
                    return
                }
                var line: [UInt8] = []
                JSONValue.record(["id": .int(id), "method": .string(method), "params": params]).write(to: &line)
                line.append(0x0A)
                if let start = process.write(line) {
                    shared.state.withLock { s in if s.pending[id] != nil { s.starts[id] = start } }
                } else {
                    fail(id, Unread(error: RuntimeError("subprocess", "cannot write to \(commandLine): it has exited", retryable: true)))
                }
            }
        } onCancel: {
            fail(id, CancellationError())
        }
    }

    private func fail(_ id: Int, _ error: any Error) {
        shared.state.withLock { s in
            s.starts[id] = nil
            return s.pending.removeValue(forKey: id)
        }?.resume(throwing: error)
    }

    /// Fails every waiting call with `reason`, and every later one; those whose requests start
    /// at or after `inputRead` (the program never read them) with ``Unread``.
    private static func close(_ shared: Shared, reason: String, inputRead: Int? = nil) {
        let waiting = shared.state.withLock { s in
            if s.closed == nil { s.closed = reason }
            defer {
                s.pending.removeAll()
                s.starts.removeAll()
            }
            return s.pending.map { id, continuation in (continuation, s.starts[id]) }
        }
        // The program is started again for the next call: a step's attempt that failed so may
        // be tried again.
        for (continuation, start) in waiting {
            let error = RuntimeError("subprocess", reason, retryable: true)
            if let start, let inputRead, start >= inputRead {
                continuation.resume(throwing: Unread(error: error))
            } else {
                continuation.resume(throwing: error)
            }
        }
    }

    private static func readReplies(from output: FileHandle, shared: Shared, commandLine: String) {
        var buffer = LineBuffer()
        var lineNumber = 0
        while true {
            let chunk = output.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let line = buffer.nextLine() {
                lineNumber += 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                deliver(Array(line), lineNumber: lineNumber, shared: shared, commandLine: commandLine)
            }
        }
        if !buffer.rest.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
            // A last reply without its newline; one that does not parse was cut off as the
            // program died: its call fails with how the program ended (and may be tried again),
            // not as a reply that is not JSON.
            let line = Array(buffer.rest)
            if case .reply = ReplyLine.read(line[...]) {
                deliver(line, lineNumber: lineNumber + 1, shared: shared, commandLine: commandLine)
            } else {
                notify(commandLine, "stdout line \(lineNumber + 1) was cut off at the end of its output (ignored)")
            }
        }
        shared.state.withLock { $0.outputEnded = true }
        // A program that ended is named by how it ended (the waiter closes the channel then); one
        // that closed its output and keeps running fails the calls now.
        let deadline = ContinuousClock.now + .milliseconds(200)
        while shared.state.withLock({ $0.ended == nil }) && ContinuousClock.now < deadline { usleep(5_000) }
        if shared.state.withLock({ $0.ended == nil }) { close(shared, reason: "\(commandLine) closed its standard output") }
    }

    /// Waits for the program to end; its calls then fail, once the reader has taken what the
    /// program wrote, or after a second (a child of the program may hold its output open).
    private static func awaitExit(of process: SpawnedProcess, shared: Shared, commandLine: String) {
        let termination = process.waitForExit()
        // Before anything else is written: the requests past this point were never read.
        let inputRead = process.inputRead()
        let deadline = ContinuousClock.now + .seconds(1)
        shared.state.withLock { $0.ended = termination }
        while !shared.state.withLock({ $0.outputEnded }) && ContinuousClock.now < deadline { usleep(5_000) }
        close(shared, reason: "\(commandLine) \(termination)", inputRead: inputRead)
    }

    private static func deliver(_ line: [UInt8], lineNumber: Int, shared: Shared, commandLine: String) {
        let id: Int
        let reply: JSONValue?
        switch ReplyLine.read(line[...]) {
        case .reply(let n, let value):
            (id, reply) = (n, value)
        case .unreadable(let n, let why):
            (id, reply) = (n, nil)
            notify(commandLine, "stdout line \(lineNumber) answers id \(n) but is not valid JSON: \(why)")
        case .other:
            notify(commandLine, "stdout line \(lineNumber) is not a reply (ignored): \(String(decoding: line.prefix(200), as: UTF8.self))")
            return
        }
        guard let continuation = shared.state.withLock({ s in
            s.starts[id] = nil
            return s.pending.removeValue(forKey: id)
        }) else {
            notify(commandLine, "stdout line \(lineNumber) answers id \(id), which no call waits for (ignored)")
            return
        }
        guard let reply else {
            continuation.resume(
                throwing: RuntimeError(
                    "subprocess_error", "\(commandLine) answered call \(id) with a line that is not valid JSON", retryable: false))
            return
        }
        if let error = reply["error"], error != .null {
            // Model calls made before the failure (`calls`, as in results) cost tokens all the
            // same; ``call(_:_:)`` names their purpose after the method when they do not.
            continuation.resume(
                throwing: RuntimeError(
                    error["type"]?.stringValue ?? "subprocess_error",
                    error["message"]?.stringValue ?? error.textValue ?? "error",
                    retryable: error["retryable"]?.boolValue ?? false,
                    calls: (error["calls"]?.arrayValue ?? []).compactMap { ModelCall(wire: $0, purpose: "") }))
        } else {
            continuation.resume(returning: reply["result"] ?? .null)
        }
    }

    private static func notify(_ commandLine: String, _ message: String) {
        report("\(commandLine): \(message)")
    }

    /// Where notes about agent programs go (a line of output that is not a reply, a program
    /// started again): by default standard error, as `planj: NOTE`.
    private static let notes = Mutex<@Sendable (String) -> Void>({ note in
        try? FileHandle.standardError.write(contentsOf: Data("planj: \(note)\n".utf8))
    })

    /// Sends notes about agent programs (see ``report(_:)``) to `handler` instead of standard
    /// error: a library user's logger, say.
    public static func reportNotes(to handler: @escaping @Sendable (String) -> Void) {
        notes.withLock { $0 = handler }
    }

    /// Passes a note about an agent program to the handler of ``reportNotes(to:)``.
    static func report(_ note: String) {
        let handler = notes.withLock { $0 }
        handler(note)
    }
}
