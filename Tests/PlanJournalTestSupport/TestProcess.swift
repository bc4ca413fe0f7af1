import Foundation
import Synchronization

/// A child process of a test, started with `posix_spawn`: what tests used Foundation's `Process`
/// for, with the same names.
///
/// Foundation's `Process.run()` on Linux reads each entry of `/proc/self/fd` by copying the whole
/// 256-byte `d_name` field, past the end of glibc's directory buffer when an entry ends it
/// (swift-corelibs-foundation pull request 5472): a test run with many descriptors open crashed
/// now and then with SIGSEGV in `memmove` under `Process.run()`. This one closes the child's
/// other descriptors with `posix_spawn_file_actions_addclosefrom_np` instead. As Foundation's, the
/// child gets a process group of its own and this process's signal mask and ignored signals.
///
/// `@unchecked Sendable`: its settings are set before ``run()``, by one task; what changes after
/// is behind `state`.
public final class TestProcess: @unchecked Sendable {
    /// How the process ended.
    public enum TerminationReason: Sendable {
        case exit
        case uncaughtSignal
    }

    /// The program.
    public var executableURL: URL?
    /// Its arguments (`argv[0]` is the program's path).
    public var arguments: [String]?
    /// Where it starts; this process's directory when `nil`.
    public var currentDirectoryURL: URL?
    /// Its environment; this process's when `nil`.
    public var environment: [String: String]?
    /// A `Pipe` (the child reads its reading end), a `FileHandle`, or `nil` for `/dev/null`;
    /// this process's own by default.
    public var standardInput: Any? = FileHandle.standardInput
    /// A `Pipe` (the child writes its writing end), a `FileHandle`, or `nil` for `/dev/null`.
    public var standardOutput: Any? = FileHandle.standardOutput
    /// As ``standardOutput``.
    public var standardError: Any? = FileHandle.standardError
    /// Called once the process has ended and been reaped, on a thread of its own.
    public var terminationHandler: (@Sendable (TestProcess) -> Void)?

    private struct State {
        var pid: pid_t = 0
        var started = false
        var ended = false
        var status: Int32 = 0
        var reason = TerminationReason.exit
    }

    private let state = Mutex(State())

    public init() {}

    /// Starts `url` with `arguments`, its standard streams this process's.
    @discardableResult
    public static func run(_ url: URL, arguments: [String]) throws -> TestProcess {
        let p = TestProcess()
        p.executableURL = url
        p.arguments = arguments
        try p.run()
        return p
    }

    /// The child's pid (0 before ``run()``).
    public var processIdentifier: Int32 { state.withLock { $0.pid } }
    /// Whether it was started and has not been reaped yet.
    public var isRunning: Bool { state.withLock { $0.started && !$0.ended } }
    /// Its exit status, or the signal that ended it (see ``terminationReason``).
    public var terminationStatus: Int32 { state.withLock { $0.status } }
    /// Whether it exited or a signal ended it.
    public var terminationReason: TerminationReason { state.withLock { $0.reason } }

    /// Sends SIGTERM.
    public func terminate() { signal(SIGTERM) }

    /// Blocks the calling thread until the process has ended.
    public func waitUntilExit() {
        while isRunning { usleep(2_000) }
    }

    /// Starts the process.
    /// - Throws: `POSIXError` when it cannot be started (no such program, not executable...).
    public func run() throws {
        guard let path = executableURL?.path else { throw POSIXError(.ENOENT) }
        precondition(!state.withLock { $0.started }, "a TestProcess runs once")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if devNull >= 0 { close(devNull) } }
        let streams: [(Any?, Int32)] = [(standardInput, 0), (standardOutput, 1), (standardError, 2)]
        for (stream, target) in streams {
            let source: Int32
            switch stream {
            case let pipe as Pipe:
                source = target == 0 ? pipe.fileHandleForReading.fileDescriptor : pipe.fileHandleForWriting.fileDescriptor
            case let handle as FileHandle: source = handle.fileDescriptor
            default: source = devNull
            }
            if source != target { posix_spawn_file_actions_adddup2(&actions, source, target) }
        }
        if let directory = currentDirectoryURL?.path {
            guard let addChdir = Self.addChdir else { throw POSIXError(.ENOSYS) }
            let rc = addChdir(&actions, directory)
            guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        }
        // Every other descriptor stays out of the child (the pipes of tests running beside this
        // one, opened without close-on-exec, would keep their readers from seeing an end).
        if let addCloseFrom = Self.addCloseFrom {
            _ = addCloseFrom(&actions, 3)
        } else {
            for fd in Self.openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        let argv = ([path] + (arguments ?? [])).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = Self.environmentEntries(environment).map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        // The child has its ends of the pipes: this process keeps only the others.
        if let pipe = standardInput as? Pipe { try? pipe.fileHandleForReading.close() }
        if let pipe = standardOutput as? Pipe { try? pipe.fileHandleForWriting.close() }
        if let pipe = standardError as? Pipe, standardError as AnyObject !== standardOutput as AnyObject {
            try? pipe.fileHandleForWriting.close()
        }
        let pid = child
        state.withLock {
            $0.pid = pid
            $0.started = true
        }
        let waiter = Thread { [self] in self.reap(pid) }
        waiter.name = "test-process-waiter"
        waiter.start()
    }

    /// Sends `signal` to the process while it runs; nothing once it has been reaped (its pid may
    /// be another process's by then).
    public func signal(_ signal: Int32) {
        state.withLock { s in
            if s.started && !s.ended { _ = kill(s.pid, signal) }
        }
    }

    private func reap(_ pid: pid_t) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // The status word: the signal in its low 7 bits, else the exit status above them.
        let signalled = status & 0x7F != 0 && status & 0x7F != 0x7F
        // Ended under the lock that ``signal(_:)`` takes: no signal goes to a reused pid.
        state.withLock { s in
            s.ended = true
            s.reason = signalled ? .uncaughtSignal : .exit
            s.status = signalled ? status & 0x7F : (status >> 8) & 0xFF
        }
        terminationHandler?(self)
    }

    private static func environmentEntries(_ environment: [String: String]?) -> [String] {
        if let environment { return environment.map { "\($0.key)=\($0.value)" } }
        var entries: [String] = []
        var k = 0
        while let entry = environ[k] {
            entries.append(String(cString: entry))
            k += 1
        }
        return entries
    }

    /// The descriptors open in this process (`FileManager` reads the directory's entries safely).
    private static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29) and `…_addclosefrom_np` (2.34),
    /// which Swift's Glibc module does not declare.
    private static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }
}
