import Foundation
import PlanJournalCore

/// An open file descriptor's reads and writes, each retried when a signal interrupts it
/// (`EINTR`), the positioned ones (`pread`, `pwrite`) repeated until every byte is through.
///
/// A failure throws `.io` in the caller's words: its `failure` text, a colon, and the system's
/// reason (``ErrorReason/of(errno:)``), with the caller's context.
///
/// Does not own the descriptor: whoever opened it closes it.
package struct FileDescriptor: Sendable {
    /// The descriptor.
    package let rawValue: Int32

    /// Wraps the open descriptor `rawValue`.
    package init(_ rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Creates a new file named after `template` (whose trailing `XXXXXX` `mkstemp` replaces),
    /// opens it for reading and writing, and unlinks it at once: it goes away with its descriptor.
    /// - Throws: `.io` ("`failure`: reason", `context`) when the file cannot be created.
    package static func unlinkedTemporaryFile(
        template: String, failure: String, context: JournalError.Context = .init()
    ) throws(JournalError) -> FileDescriptor {
        var path = Array(template.utf8CString)
        let opened = path.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard opened >= 0 else { throw Self.failure(failure, context: context) }
        path.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return FileDescriptor(opened)
    }

    /// Writes all of `bytes` at `offset` (`pwrite`).
    /// - Throws: `.io` ("`failure`: reason", `context`) when a write fails or writes nothing;
    ///   what was written before stays.
    package func write(
        _ bytes: [UInt8], at offset: Int, failure: String, context: JournalError.Context = .init()
    ) throws(JournalError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                pwrite(rawValue, raw.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.failure(failure, context: context) }
            done += n
        }
    }

    /// Reads `count` bytes at `offset` (`pread`).
    /// - Throws: `.io` ("`failure`: reason", `context`) when a read fails, or the file ends first.
    package func read(
        count: Int, at offset: Int, failure: String, context: JournalError.Context = .init()
    ) throws(JournalError) -> [UInt8] {
        let (bytes, read) = readAvailable(count: count, at: offset)
        guard read == count else { throw Self.failure(failure, context: context) }
        return bytes
    }

    /// Reads up to `count` bytes at `offset` (`pread`), stopping early, without an error, where
    /// the file ends or a read fails.
    /// - Returns: `count` bytes, of which the first `read` were read (the rest are zeroes).
    package func readAvailable(count: Int, at offset: Int) -> (bytes: [UInt8], read: Int) {
        var bytes = [UInt8](repeating: 0, count: count)
        var read = 0
        while read < count {
            let n = bytes.withUnsafeMutableBytes { raw in
                pread(rawValue, raw.baseAddress! + read, count - read, off_t(offset + read))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            read += n
        }
        return (bytes, read)
    }

    /// What one `read(2)` returns, up to `count` bytes (a pipe returns what it holds); `nil` at
    /// the end of the file.
    /// - Throws: `.io` ("`failure`: reason", `context`) when the read fails.
    package func readBlock(
        upTo count: Int, failure: String, context: JournalError.Context = .init()
    ) throws(JournalError) -> [UInt8]? {
        var block = [UInt8](repeating: 0, count: count)
        while true {
            let n = block.withUnsafeMutableBytes { raw in Foundation.read(rawValue, raw.baseAddress!, count) }
            if n > 0 {
                block.removeSubrange(n...)
                return block
            }
            if n == 0 { return nil }
            if errno != EINTR { throw Self.failure(failure, context: context) }
        }
    }

    /// The `.io` error of a call that just failed: "`failure`: " and `errno`'s reason.
    private static func failure(_ failure: String, context: JournalError.Context) -> JournalError {
        JournalError(.io, "\(failure): \(ErrorReason.of(errno: errno))", context: context)
    }
}
