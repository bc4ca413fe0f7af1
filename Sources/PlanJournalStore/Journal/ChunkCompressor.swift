import Foundation
import PlanJournalCore

/// Compresses chunks on a thread of its own, so the writer goes on validating and hashing the
/// next events: during ingest, and for the full tails of a write window. The writer inserts the
/// results (any order is fine inside the transaction) and waits for all of them before it reads
/// or deletes chunks, and before commit.
final class ChunkCompressor: @unchecked Sendable {
    /// A chunk to compress.
    struct Job: Sendable {
        var rid: Int64
        var first: Int64
        var last: Int64
        var raw: [UInt8]
        var hash: [UInt8]
        var dictionary: CompressionDictionary?
        var level: Int32
        /// Whether long strings an earlier chunk holds are replaced by references (ingest).
        var replacingRepeats = false
    }

    /// A compressed chunk, ready to insert.
    struct Done: Sendable {
        var job: Job
        var codec: Codec
        var body: [UInt8]
        /// The length of what `body` decodes to: `job.raw` itself, or with repeats replaced.
        var storedLength: Int
        /// The runs whose strings `body` references (``StringReference``); `nil` when it holds none.
        var targets: [Int64]?
        /// ``ChunkRow/checksum(_:)`` of `body`, computed here too.
        var bodySum: [UInt8]
    }

    // Invariant: the properties below are used only with `condition` locked.
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var done: [Done] = []
    private var busy = 0
    private var stopped = false
    /// Chunks queued or being compressed: at most `capacity`, and at most `byteCapacity` bytes
    /// of them unless one chunk alone is larger (chunks of events of megabytes each).
    private let capacity = 8
    private let byteCapacity = 16 << 20
    private var outstandingBytes = 0

    // The worker thread's own, outside the lock while it compresses (``forget(rid:)`` changes
    // `repeats` only while the worker is idle, with the lock held).
    /// Where jobs that ask for it have their repeated strings replaced; `nil`: never.
    private let repeats: RepeatedStrings?
    /// How many more (chunk, referenced run) pairs chunks may have: the writer keeps each until
    /// the transaction ends (to undo a rejected run), so an ingest of any size holds at most
    /// this many; past it, chunks are stored whole. (The 106 MB corpus has 3,300.)
    private var referencesLeft = ChunkCompressor.referencesPerTransaction
    private static let referencesPerTransaction = 1 << 17

    /// A compressor thread; `repeats` (kept by the caller from one transaction to the next, used
    /// here until ``stop()``) replaces repeated strings in the jobs that ask for it.
    init(repeats: RepeatedStrings? = nil) {
        self.repeats = repeats
        let thread = Thread { [self] in self.work() }
        thread.start()
    }

    private func work() {
        let codec = LZ4DictionaryCodec()
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            busy += 1
            condition.broadcast()
            condition.unlock()
            let replaced =
                job.replacingRepeats && referencesLeft > 0
                ? repeats?.replace(in: job.raw, rid: job.rid, first: job.first) : nil
            referencesLeft -= replaced?.targets.count ?? 0
            let stored = replaced?.bytes ?? job.raw
            let (c, body) = Codec.encode(stored, level: job.level, dictionary: job.dictionary, codec: codec)
            let sum = ChunkRow.checksum(body)
            condition.lock()
            busy -= 1
            outstandingBytes -= job.raw.count
            done.append(
                Done(job: job, codec: c, body: body, storedLength: stored.count, targets: replaced?.targets, bodySum: sum))
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Starts the budget of references afresh for a new transaction (call while idle: after
    /// ``take(all:)`` with `all`).
    func beginTransaction() {
        condition.lock()
        defer { condition.unlock() }
        waitUntilIdle()
        referencesLeft = Self.referencesPerTransaction
    }

    /// Whether a chunk is queued or being compressed.
    var isBusy: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !queue.isEmpty || busy > 0
    }

    /// Queues a chunk, waiting while too many (or too many bytes) are outstanding.
    func submit(_ job: Job) {
        condition.lock()
        while queue.count + busy >= capacity || (outstandingBytes > 0 && outstandingBytes + job.raw.count > byteCapacity) {
            condition.wait()
        }
        outstandingBytes += job.raw.count
        queue.append(job)
        condition.broadcast()
        condition.unlock()
    }

    /// The chunks compressed so far; with `all`, waits until every queued chunk is done.
    func take(all: Bool) -> [Done] {
        condition.lock()
        defer { condition.unlock() }
        if all { waitUntilIdle() }
        let out = done
        done.removeAll()
        return out
    }

    /// Forgets the strings of the run `rid` for later chunks' references (its events are being
    /// undone), once every queued chunk is compressed.
    func forget(rid: Int64) {
        condition.lock()
        defer { condition.unlock() }
        waitUntilIdle()
        repeats?.forget(rid: rid)
    }

    /// Waits, with `condition` locked, until no chunk is queued or being compressed.
    private func waitUntilIdle() {
        while !queue.isEmpty || busy > 0 { condition.wait() }
    }

    /// Ends the worker thread once the queue is empty.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
