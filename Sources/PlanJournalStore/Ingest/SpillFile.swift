import Foundation
import PlanJournalCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary file that holds the buffered events of open runs while an ingest has too many of
/// them to keep in memory (``IngestOptions/bufferedBytes``). A run reads its pieces back when it
/// writes them as a chunk, so chunks are as large as without it.
///
/// The file is unlinked as soon as it is created: it goes away with the process, however that
/// ends. Space is given back when no piece is left in it.
final class SpillFile {
    /// Where a piece of a run's buffer is in the file.
    struct Segment {
        var offset: Int
        var count: Int
    }

    private let fd: Int32
    private var end = 0
    /// Bytes of pieces not read back yet: at zero, the file is emptied.
    private var live = 0

    /// Creates the file in the temporary directory (`$TMPDIR`, else `/tmp`).
    /// - Throws: `.io` when it cannot be created.
    init() throws(JournalError) {
        var template = Array((NSTemporaryDirectory() + "planj-spill-XXXXXX").utf8CString)
        let opened = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard opened >= 0 else { throw Self.failure("create") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        fd = opened
    }

    deinit { close(fd) }

    /// Writes `bytes` at the end of the file.
    /// - Throws: `.io` (nothing of `bytes` counts as written then).
    func append(_ bytes: [UInt8]) throws(JournalError) -> Segment {
        let segment = Segment(offset: end, count: bytes.count)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress! + done, bytes.count - done, off_t(end + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.failure("write") }
            done += n
        }
        end += bytes.count
        live += bytes.count
        return segment
    }

    /// Reads a piece back.
    func read(_ segment: Segment) throws(JournalError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: segment.count)
        var done = 0
        while done < segment.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, segment.count - done, off_t(segment.offset + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.failure("read") }
            done += n
        }
        return bytes
    }

    /// Frees a piece (its lines are in a chunk, or were dropped with their run).
    func release(_ segment: Segment) {
        live -= segment.count
        if live == 0 {
            _ = ftruncate(fd, 0)
            end = 0
        }
    }

    private static func failure(_ what: String) -> JournalError {
        JournalError(.io, "cannot \(what) the temporary file of ingest: \(String(cString: strerror(errno)))")
    }
}
