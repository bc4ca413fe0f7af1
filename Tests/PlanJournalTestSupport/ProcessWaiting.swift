import Foundation

/// Waits for a child process, or reads its output to the end, on a dispatch thread: a test
/// blocked in `waitUntilExit()` or `readDataToEndOfFile()` holds one of the cooperative pool's
/// threads (two on a 2-core machine), and the other tests' timers and tasks wait behind it.
extension Process {
    /// Waits until the process has exited; its termination status.
    @discardableResult
    public func exited() async -> Int32 {
        let process = UncheckedProcess(self)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.value.waitUntilExit()
                continuation.resume(returning: process.value.terminationStatus)
            }
        }
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

/// A `Process`, used from one dispatch block at a time.
private struct UncheckedProcess: @unchecked Sendable {
    let value: Process
    init(_ value: Process) { self.value = value }
}
