import Foundation
import Synchronization

/// A child process started with `posix_spawn`, its standard input and output piped to us and its
/// standard error shared with ours. Unlike Foundation's `Process` started from a worker thread,
/// the child starts with no signal blocked and every signal at its default action (a worker
/// thread blocks most signals, and `planj run` ignores SIGINT while it handles it: an agent
/// inherited both, so `kill` did not stop it and `timeout` or `alarm()` inside it did nothing),
/// and with none of our other descriptors.
///
/// The child leads a process group of its own (its pid is the group's id), so that whatever it
/// starts (`sh -c 'helper & exec agent'`) is signalled with it: ``send(_:)`` signals the group, and
/// what is left of the group when the child ends is ended before the child is reaped (see
/// ``reap(grace:)``). Being in its own group, it does not get the terminal's Ctrl-C: planj stops it.
final class SpawnedProcess: Sendable {
    /// The child's process id, and the id of its process group.
    let pid: pid_t
    /// The child's standard input.
    private let input: ChildInput
    /// Reads the child's standard output.
    let output: FileHandle
    /// Whether the child has been reaped, or is about to be: set by ``reap(grace:)`` before its
    /// `waitpid`, and read by ``send(_:)`` under the same lock, so a signal is sent only while
    /// the pid is the child's (running, or a zombie, whose pid no other process, nor group, can
    /// get).
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

    /// Starts `executable` with `arguments` (the first is its name, as `argv[0]`), in `directory`
    /// when one is given (else in this process's).
    /// - Throws: ``RuntimeError`` `subprocess` naming the program and the reason.
    init(executable: String, arguments: [String], directory: String? = nil) throws {
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
        if let directory {
            guard let addChdir = Self.addChdir, addChdir(&actions, directory) == 0 else {
                for fd in toChild + fromChild { close(fd) }
                throw RuntimeError("subprocess", "cannot start \(executable) in \(directory)")
            }
        }
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
        // A process group of its own, whose id is its pid.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

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
        Self.unreaped.withLock { _ = $0.insert(child) }
        input = ChildInput(fd: toChild[1])
        output = FileHandle(fileDescriptor: fromChild[0], closeOnDealloc: true)
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29 and later; Swift's Glibc module does
    /// not declare it), looked up once.
    private static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
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

    /// Writes all of `bytes` to the child's standard input after the writes asked for before, on
    /// a thread that is not the caller's; returns at once. `starting` is told where they start in
    /// the input, and may still keep them from being written; `done`, whether they all were (see
    /// ``ChildInput/write(_:starting:done:)``).
    func write(
        _ bytes: [UInt8], starting: @escaping @Sendable (_ start: Int) -> Bool, done: @escaping @Sendable (_ written: Bool) -> Void
    ) {
        input.write(bytes, starting: starting, done: done)
    }

    /// Closes the child's standard input (the protocol's signal to end), without waiting for a
    /// write under way: that write fails, as do those waiting for their turn.
    func closeInput() {
        input.close()
    }

    /// How far into its standard input the child has read; `nil` once the input is closed.
    func inputRead() -> Int? {
        input.bytesRead()
    }

    /// Waits until the child ends (blocking the calling thread), without reaping it: until
    /// ``reap(grace:)``, its pid and its group's id stay its own.
    func waitForEnd() -> Termination {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
        let status = info._sifields._sigchld.si_status
        return info.si_code == CLD_EXITED ? .exited(status) : .killed(status)
    }

    /// Ends what is left of the child's process group once the child has ended (processes it
    /// started, which would otherwise outlive it): SIGTERM, then SIGKILL to those still there
    /// after `grace`. Then reaps the child, marked as reaped (see ``reaped``) while it is still a
    /// zombie, so that ``send(_:)`` never signals its pid or group once another process may have
    /// that id. Call after ``waitForEnd()``.
    func reap(grace: Duration = .milliseconds(500)) {
        if ProcessGroup.hasMembers(pid, besides: pid) != false {
            send(SIGTERM)
            let deadline = ContinuousClock.now + grace
            while ProcessGroup.hasMembers(pid, besides: pid) != false && ContinuousClock.now < deadline { usleep(20_000) }
            if ProcessGroup.hasMembers(pid, besides: pid) != false { send(SIGKILL) }
        }
        Self.unreaped.withLock { _ = $0.remove(pid) }
        reaped.withLock { $0 = true }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// Sends `signal` to the child's process group (the child and what it started); nothing
    /// once the child has been reaped (its pid may be another process's, or group's, by then).
    func send(_ signal: Int32) {
        reaped.withLock { reaped in
            if !reaped { kill(-pid, signal) }
        }
    }

    /// The children not yet reaped (nor about to be), for ``killAll()``.
    private static let unreaped = Mutex<Set<pid_t>>([])

    /// Sends SIGKILL to the process group of every child not yet reaped: planj is quitting at
    /// once (a second Ctrl-C), and its agents, in groups of their own, would not get the
    /// terminal's signal.
    static func killAll() {
        unreaped.withLock { children in
            for child in children { kill(-child, SIGKILL) }
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
        // Out of processes, memory or descriptors: the system's limits, not the spec.
        if [EAGAIN, ENOMEM, EMFILE, ENFILE].contains(code) {
            return RuntimeError(
                RuntimeError.Types.resources, "cannot start \(executable): \(reason) (the system's limits: ulimit -u, -v or -n)")
        }
        return RuntimeError(RuntimeError.Types.usage, "cannot start \(executable): \(reason)\(hint)")
    }
}
