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

    private let fd: FileDescriptor
    private var end = 0
    /// Bytes of pieces not read back yet: at zero, the file is emptied.
    private var live = 0

    /// Creates the file in the temporary directory (`$TMPDIR`, else `/tmp`).
    /// - Throws: `.io` when it cannot be created.
    init() throws(JournalError) {
        fd = try FileDescriptor.unlinkedTemporaryFile(
            template: NSTemporaryDirectory() + "planj-spill-XXXXXX", failure: Self.failure("create"))
    }

    deinit { close(fd.rawValue) }

    /// Writes `bytes` at the end of the file.
    /// - Throws: `.io` (nothing of `bytes` counts as written then).
    func append(_ bytes: [UInt8]) throws(JournalError) -> Segment {
        let segment = Segment(offset: end, count: bytes.count)
        try fd.write(bytes, at: end, failure: Self.failure("write"))
        end += bytes.count
        live += bytes.count
        return segment
    }

    /// Reads a piece back.
    func read(_ segment: Segment) throws(JournalError) -> [UInt8] {
        try fd.read(count: segment.count, at: segment.offset, failure: Self.failure("read"))
    }

    /// Frees a piece (its lines are in a chunk, or were dropped with their run).
    func release(_ segment: Segment) {
        live -= segment.count
        if live == 0 {
            _ = ftruncate(fd.rawValue, 0)
            end = 0
        }
    }

    /// What a failure to `what` (create, write, read) the file says before the system's reason.
    private static func failure(_ what: String) -> String {
        "cannot \(what) the temporary file of ingest"
    }
}
