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
    let process: SpawnedProcess
    let shared = Shared()

    /// What the channel, its reader thread and its waiter thread share.
    final class Shared: Sendable {
        let state = Mutex<State>(State())
    }

    /// The calls waiting for replies, and how the program stands.
    struct State {
        var nextID = 1
        var pending: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        /// Where each pending request starts in the program's input, once its writing has begun
        /// (a pending request without one is still waiting for its turn: it was not written).
        var starts: [Int: Int] = [:]
        /// Why no call can succeed any more (the program ended or closed its output).
        var closed: String?
        /// How the program ended, once it has.
        var ended: SpawnedProcess.Termination?
        var outputEnded = false
        /// Calls planj stopped waiting for (their tasks were cancelled: Ctrl-C, `planj cancel`, a
        /// timeout): a late answer to one is expected, and ignored without a word.
        var abandoned: Set<Int> = []
    }

    /// Starts `arguments[0]` (looked up on `PATH`) with the rest as its arguments, in `directory`
    /// when one is given. Notes and errors name it by its command line, after `role` (`executor`,
    /// `tool search`) when one is given.
    /// - Throws: ``RuntimeError`` `usage` when there is no such program or it cannot be started.
    public init(arguments: [String], directory: String? = nil, role: String? = nil) throws {
        guard let program = arguments.first else { throw RuntimeError("usage", "cmd: needs a program") }
        let ending = RuntimeError("subprocess", "planj is ending: no program is started")
        guard !Self.closed.withLock({ $0 }) else { throw ending }
        commandLine = role.map { "\($0) (\(arguments.joined(separator: " ")))" } ?? arguments.joined(separator: " ")
        process = try SpawnedProcess(
            executable: try ProgramLocator.locate(program, from: directory), arguments: arguments, directory: directory)
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

    static func stop(_ process: SpawnedProcess, _ shared: Shared, grace: Duration) {
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
        /// Whether the program read requests before it ended (it served others: one that answers
        /// one request and exits), so that starting it again serves this one.
        var programRead = false
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

    /// Sends a request and waits for its reply. The request is written on the program's input
    /// queue (``SpawnedProcess/write(_:starting:done:)``), and the task waits for the reply, its
    /// failure or its cancellation without holding a thread: a busy program may keep a large
    /// request waiting for room in its input pipe for ever. A request whose call has gone (it was
    /// cancelled, or the program ended) before its turn to be written is not written.
    private func send(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        let id = shared.state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        let line = Self.requestLine(id: id, method: method, params: params)
        let (shared, commandLine) = (shared, commandLine)
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
                    Self.abandon(id, shared)
                    return
                }
                process.write(
                    line,
                    starting: { start in
                        shared.state.withLock { s in
                            guard s.pending[id] != nil else { return false }
                            s.starts[id] = start
                            return true
                        }
                    },
                    done: { written in
                        if !written {
                            let error = RuntimeError("subprocess", "cannot write to \(commandLine): it has exited", retryable: true)
                            Self.fail(id, Unread(error: error), shared)
                        }
                    })
            }
        } onCancel: {
            Self.abandon(id, shared)
        }
    }

    /// The request's line, as the program reads it.
    private static func requestLine(id: Int, method: String, params: JSONValue) -> [UInt8] {
        var line: [UInt8] = []
        JSONValue.record(["id": .int(id), "method": .string(method), "params": params]).write(to: &line)
        line.append(0x0A)
        return line
    }

    /// Fails call `id` with `error`, unless it has ended.
    private static func fail(_ id: Int, _ error: any Error, _ shared: Shared) {
        shared.state.withLock { s in
            s.starts[id] = nil
            return s.pending.removeValue(forKey: id)
        }?.resume(throwing: error)
    }

    /// Fails call `id`, whose task was cancelled, with `CancellationError`, unless it has ended;
    /// the program's answer to it, should one come, is then ignored without a word.
    private static func abandon(_ id: Int, _ shared: Shared) {
        shared.state.withLock { s in
            // (A request not yet written never will be: no answer can come.)
            let written = s.starts.removeValue(forKey: id) != nil
            let waiting = s.pending.removeValue(forKey: id)
            if waiting != nil && written { s.abandoned.insert(id) }
            return waiting
        }?.resume(throwing: CancellationError())
    }
}
