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

    /// Waits until the process has exited, blocking the calling thread (for `deinit`s).
    public func exitedBlocking() {
        while isRunning { usleep(2_000) }
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
