import Foundation

/// Waits for a child process, or reads its output to the end, on a dispatch thread: a test
/// blocked in `waitUntilExit()` or `readDataToEndOfFile()` holds one of the cooperative pool's
/// threads (two on a 2-core machine), and the other tests' timers and tasks wait behind it.
extension Process {
    /// Waits until the process has exited; its termination status.
    ///
    /// Polls `isRunning` rather than calling `waitUntilExit()`: on Linux that publishes the
    /// waiting thread's run loop in an unsynchronized property the process-monitor thread reads,
    /// and tests that waited on many processes at once crashed in it (SIGSEGV).
    @discardableResult
    public func exited() async -> Int32 {
        while isRunning {
            // A cancelled task's sleep returns at once; it still waits without spinning.
            if (try? await Task.sleep(for: .milliseconds(5))) == nil { usleep(5_000) }
        }
        return terminationStatus
    }

    /// Sends `signal` to the process while it runs; nothing once it has ended: its pid may be
    /// another process's by then (pids are reused, soon on a machine whose pid_max is 32768), and
    /// a stray SIGTERM ended another test's `planj` as it started.
    public func signal(_ signal: Int32) {
        if isRunning { kill(processIdentifier, signal) }
    }

    /// Waits until the process has exited, blocking the calling thread (for `deinit`s). It looks
    /// at the process itself, not only at `isRunning`: Foundation notices an exit on Dispatch's
    /// pool, and deinits blocked here on both of a two-core machine's pool threads kept it from
    /// ever noticing (the test run hung, its servers' processes zombies).
    public func exitedBlocking() {
        while isRunning && !Self.hasEnded(processIdentifier) { usleep(2_000) }
    }

    /// Whether process `pid` has ended: gone, or a zombie (exited, not yet reaped).
    static func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // "PID (COMMAND) STATE …": the command may hold spaces and parentheses, the state follows the last ")".
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return state == "Z" || state == "X"
    }
}

extension Pipe {
    /// Everything written to the pipe until its writers close it.
    public func readAll() async -> Data {
        let handle = fileHandleForReading
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }

    /// The bytes written to the pipe since the last read, once there are some (empty at its end).
    public func nextBytes() async -> Data {
        let handle = fileHandleForReading
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.availableData) }
        }
    }
}

/// Processes known by pid only (written to a file by an agent, or told in a reply).
public enum ProcessTable {
    /// Sends `signal` to `pid` if a process with that pid still runs a command line holding one
    /// of `words`: a test cleaning up after processes that should have ended must not signal
    /// another process that has their pid by now.
    public static func kill(_ pid: pid_t, _ signal: Int32 = SIGKILL, ifItRuns words: [String]) {
        guard let line = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return }
        let arguments = line.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if arguments.contains(where: { argument in words.contains { argument.contains($0) } }) {
            Glibc.kill(pid, signal)
        }
    }
}
