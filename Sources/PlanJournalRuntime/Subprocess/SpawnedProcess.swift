import Foundation
import Synchronization

/// A child process started with `posix_spawn`, its standard input and output piped to us and its
/// standard error shared with ours. Unlike Foundation's `Process` started from a worker thread,
/// the child starts with no signal blocked and every signal at its default action (a worker
/// thread blocks most signals, and `planj run` ignores SIGINT while it handles it: an agent
/// inherited both, so `kill` did not stop it and `timeout` or `alarm()` inside it did nothing),
/// and with none of our other descriptors.
final class SpawnedProcess: Sendable {
    let pid: pid_t
    /// The child's standard input.
    private let input: ChildInput
    /// Reads the child's standard output.
    let output: FileHandle
    /// Whether the child has been reaped, or is about to be: set by ``waitForExit()`` before its
    /// `waitpid`, and read by ``send(_:)`` under the same lock, so a signal is sent only while
    /// the pid is the child's (running, or a zombie, whose pid no other process can get).
    private let reaped = Mutex(false)

    /// How a child ended.
    enum Termination: Sendable, CustomStringConvertible {
        case exited(Int32)
        case killed(Int32)

        var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .killed(let signal): "was killed by signal \(signal) (\(Self.name(of: signal)))"
            }
        }

        private static func name(of signal: Int32) -> String {
            let names: [Int32: String] = [
                SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGABRT: "SIGABRT",
                SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE",
                SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            ]
            return names[signal] ?? "signal \(signal)"
        }
    }

    /// Starts `executable` with `arguments` (the first is its name, as `argv[0]`).
    /// - Throws: ``RuntimeError`` `subprocess` naming the program and the reason.
    init(executable: String, arguments: [String]) throws {
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard Self.pipeClosedOnExec(&toChild) else { throw Self.failure(executable, errno) }
        guard Self.pipeClosedOnExec(&fromChild) else {
            let code = errno
            close(toChild[0])
            close(toChild[1])
            throw Self.failure(executable, code)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        // Descriptors opened without close-on-exec (by libraries) are not the child's business.
        for fd in Self.openDescriptors() where fd > 2 && fd != toChild[0] && fd != fromChild[1] {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var child: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = Self.environment().map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw Self.failure(executable, status)
        }
        pid = child
        input = ChildInput(fd: toChild[1])
        output = FileHandle(fileDescriptor: fromChild[0], closeOnDealloc: true)
    }

    /// This process's environment, with `PYTHONUNBUFFERED=1` unless it sets that: a Python agent
    /// that prints its reply without `flush=True` would otherwise hold it in its buffer (a pipe
    /// is not a terminal) and planj would wait for it for ever.
    static func environment() -> [String] {
        var entries: [String] = []
        var k = 0
        while let entry = environ[k] {
            entries.append(String(cString: entry))
            k += 1
        }
        return unbuffered(entries)
    }

    /// `entries` (`NAME=value`) with `PYTHONUNBUFFERED=1` unless they set it.
    static func unbuffered(_ entries: [String]) -> [String] {
        entries.contains(where: { $0.hasPrefix("PYTHONUNBUFFERED=") }) ? entries : entries + ["PYTHONUNBUFFERED=1"]
    }

    /// Writes all of `bytes` to the child's standard input; the offset in the input where they
    /// start, or `nil` when they cannot be written (the child closed it or ended, or
    /// ``closeInput()`` was called while they waited for the child to read).
    func write(_ bytes: [UInt8]) -> Int? {
        input.write(bytes)
    }

    /// Closes the child's standard input (the protocol's signal to end), without waiting for a
    /// write under way: that write fails.
    func closeInput() {
        input.close()
    }

    /// How far into its standard input the child has read; `nil` once the input is closed.
    func inputRead() -> Int? {
        input.bytesRead()
    }

    /// Waits until the child ends (blocking the calling thread), then reaps it. It is marked as
    /// reaped (see ``reaped``) while it is still a zombie, so that ``send(_:)`` never signals
    /// its pid once another process may have it.
    func waitForExit() -> Termination {
        var info = siginfo_t()
        // Waits for the end without reaping: until then, the pid stays the child's.
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
        reaped.withLock { $0 = true }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (they are macros).
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .killed(signal)
    }

    /// Sends `signal` to the child; nothing once it has been reaped (its pid may be another
    /// process's by then).
    func send(_ signal: Int32) {
        reaped.withLock { reaped in
            if !reaped { kill(pid, signal) }
        }
    }

    /// A pipe whose ends are closed in programs we start (the child gets its ends by `dup2`).
    private static func pipeClosedOnExec(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    private static func failure(_ executable: String, _ code: Int32) -> RuntimeError {
        let reason = String(cString: strerror(code))
        // The file exists and is executable (``ProgramLocator/locate(_:)``): ENOENT means the
        // interpreter of its `#!` line is missing.
        let hint = code == ENOENT ? " (is the interpreter on its #! line installed?)" : ""
        return RuntimeError("usage", "cannot start \(executable): \(reason)\(hint)")
    }
}
