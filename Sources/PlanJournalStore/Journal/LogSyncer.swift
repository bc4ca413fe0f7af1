import Foundation
import PlanJournalCore

/// Makes the append log's records durable (`fdatasync`) for `.full` durability, outside the
/// writer's lock: the writer goes on with the next group while the disk syncs this one.
///
/// A group waits for a sync that started after it was written, if one is under way, and starts
/// one otherwise; so one sync covers every group written before it started, and a group never
/// waits for a sync that cannot cover it (syncs overlap: a writer acknowledged by one sync gets
/// its next append into the next sync without waiting for a third).
///
/// It syncs a descriptor of its own (a `dup` of the log's), so a sync in flight never touches a
/// descriptor the log has closed. On Linux an `fdatasync` also writes back what was copied into
/// the log through its shared mapping.
///
/// `@unchecked Sendable`: every stored `var` is read and written only with `condition` locked.
final class LogSyncer: @unchecked Sendable {
    private let fd: Int32
    /// The log's path, for messages: an error's `file` (its `journalPath` is the journal's).
    private let path: String
    private let condition = NSCondition()
    /// Flushes written to the log so far.
    private var written: UInt64 = 0
    /// Flushes known to be on disk.
    private var durable: UInt64 = 0
    /// Flushes that a sync under way (or done) covers.
    private var covered: UInt64 = 0
    /// Syncs done so far (for tests and diagnostics).
    private var syncCount = 0

    /// How many times the log was synced.
    var syncs: Int {
        condition.lock()
        defer { condition.unlock() }
        return syncCount
    }

    /// A syncer for the log open as `fd` (`nil` when the descriptor cannot be duplicated).
    init?(duplicating fd: Int32, path: String) {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { return nil }
        self.fd = copy
        self.path = path
    }

    deinit { close(fd) }

    /// Notes one more flush of records written to the log; the ticket to wait for it with.
    @discardableResult
    func wrote() -> DurabilityTicket {
        condition.lock()
        defer { condition.unlock() }
        written += 1
        return DurabilityTicket(syncer: self, flush: written)
    }

    /// The ticket to wait for everything written so far; `nil` when all of it is durable already.
    func ticket() -> DurabilityTicket? {
        condition.lock()
        defer { condition.unlock() }
        return durable < written ? DurabilityTicket(syncer: self, flush: written) : nil
    }

    /// Notes that everything written so far is durable another way (the window committed with
    /// `synchronous=FULL`): waiting tickets need no sync of the log.
    func markDurable() {
        condition.lock()
        durable = written
        covered = max(covered, written)
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once flush `n` is on disk.
    /// - Throws: `.io` when the sync fails.
    func makeDurable(through n: UInt64) throws(JournalError) {
        condition.lock()
        defer { condition.unlock() }
        while durable < n {
            if covered >= n {
                condition.wait()
                continue
            }
            let target = written
            covered = target
            condition.unlock()
            let failure = Self.sync(fd)
            condition.lock()
            if let failure {
                // Whoever waits for this sync tries again (and fails the same way, or succeeds).
                covered = durable
                condition.broadcast()
                throw JournalError(
                    .io, "cannot sync the append log to disk: \(String(cString: strerror(failure)))",
                    context: .init(file: path))
            }
            durable = max(durable, target)
            syncCount += 1
            condition.broadcast()
        }
    }

    /// `fdatasync`; the `errno` of a failure.
    private static func sync(_ fd: Int32) -> Int32? {
        while fdatasync(fd) != 0 {
            if errno != EINTR { return errno }
        }
        return nil
    }
}

/// What an append acknowledged in a write window with `.full` durability waits for before it
/// returns: its group's records in the append log on disk.
struct DurabilityTicket: Sendable {
    let syncer: LogSyncer
    let flush: UInt64

    /// Waits until the group is durable (see ``LogSyncer/makeDurable(through:)``).
    func wait() throws(JournalError) {
        try syncer.makeDurable(through: flush)
    }
}
