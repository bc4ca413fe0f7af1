import Foundation

/// Waits for a child process, or reads its output to the end, without blocking the cooperative
/// pool: a test blocked in `waitUntilExit()` or `readDataToEndOfFile()` holds one of its threads
/// (two on a 2-core machine), and the other tests' timers and tasks wait behind it.
extension TestProcess {
    /// Waits until the process has exited (polling, without holding a thread); its termination
    /// status.
    @discardableResult
    public func exited() async -> Int32 {
        while isRunning {
            // A cancelled task's sleep returns at once; it still waits without spinning.
            if (try? await Task.sleep(for: .milliseconds(5))) == nil { usleep(5_000) }
        }
        return terminationStatus
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
