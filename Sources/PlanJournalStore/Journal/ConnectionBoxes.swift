import Foundation
import PlanJournalCore
import Synchronization

/// The writer behind a lock.
///
/// `@unchecked Sendable`: the writer is reachable only inside ``with(_:)``, which holds the lock,
/// so one thread at a time uses its connection.
final class WriterBox: @unchecked Sendable {
    private let writer: JournalWriter
    private let lock = NSLock()
    /// Whether the writer has a write window open (set under the lock, read without it).
    let windowOpen = Atomic<Bool>(false)
    /// Whether the writer writes appends to an append log (in write windows).
    let logsAppends: Bool
    /// Whether the append log's replay failed when the journal opened and is tried again.
    let replayPending: Atomic<Bool>
    /// Whether a window's commit failed with its appends left in the append log
    /// (``JournalWriter/commitFailure``): reads replay it first.
    let commitFailed = Atomic<Bool>(false)

    /// Puts `writer` behind the lock; the box owns it from now on.
    init(_ writer: JournalWriter) {
        self.writer = writer
        logsAppends = writer.appendLog != nil
        replayPending = Atomic(writer.unreplayedLog != nil && writer.appendLog?.exclusive == true)
    }

    /// Publishes whether the writer's window is open (with the lock held).
    func noteWindow() {
        windowOpen.store(writer.windowStart != nil, ordering: .releasing)
        commitFailed.store(writer.commitFailure != nil, ordering: .releasing)
    }

    /// Runs `body` with the writer, the lock held (blocking the calling thread until it is free);
    /// publishes whether a write window is open afterwards.
    func with<T>(_ body: (JournalWriter) throws(JournalError) -> T) throws(JournalError) -> T {
        lock.lock()
        defer {
            noteWindow()
            lock.unlock()
        }
        return try body(writer)
    }

    /// ``with(_:)`` for a `body` that does not throw.
    func with<T>(_ body: (JournalWriter) -> T) -> T {
        lock.lock()
        defer {
            noteWindow()
            lock.unlock()
        }
        return body(writer)
    }
}

/// A pooled reader connection.
///
/// `@unchecked Sendable`: a box is either in the pool or held by exactly one `withReader` call.
final class ReaderBox: @unchecked Sendable {
    /// The reader connection, used by one `withReader` call at a time.
    let reader: JournalReader
    /// Boxes `reader` for the pool.
    init(_ reader: JournalReader) { self.reader = reader }
}
