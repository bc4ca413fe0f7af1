import Foundation
import PlanJournalCore

/// Reads and parses input on a thread of its own while the writer stores what came before: the
/// two halves of ingest use both cores. A bounded queue of batches (in lines and in bytes) keeps
/// memory flat.
final class ParsePipeline: @unchecked Sendable {
    // Invariant: every stored property below is read and written only with `condition` locked.
    private let condition = NSCondition()
    private var batches: [Batch] = []
    private var finished = false
    private var failure: JournalError?
    private var cancelled = false
    private let capacity = 4
    private var queuedBytes = 0
    /// A batch ends at this many lines or bytes, whichever comes first: the queue holds at most
    /// `capacity` batches, so lines of megabytes each do not pile up ahead of the writer.
    static let batchLines = 512
    static let batchBytes = 4 << 20

    /// Lines parsed together, with the bytes of their source read so far.
    struct Batch: Sendable {
        var lines: [ParsedLine]
        var bytesRead: Int64
        /// The bytes of the batch's lines.
        var lineBytes = 0
        /// The last batch of its source: the next batch (if any) starts the next source.
        var endsSource = false
    }

    /// Pushes input bytes; throws to stop reading.
    typealias Push = ([UInt8]) throws(JournalError) -> Void
    /// Ends one source (a file) of several: its last line ends there, and the next source's
    /// lines are numbered from 1.
    typealias EndSource = () throws(JournalError) -> Void
    /// Pushes the bytes of one or more sources, ending each but the last with `EndSource`.
    typealias Produce = @Sendable (_ push: Push, _ endSource: EndSource) throws(JournalError) -> Void

    /// Starts reading: `produce` pushes the input's bytes, which are split into lines and parsed.
    convenience init(maxLineBytes: Int, produce: @escaping @Sendable (Push) throws(JournalError) -> Void) {
        self.init(maxLineBytes: maxLineBytes, sources: { (push, _) throws(JournalError) in try produce(push) })
    }

    /// Starts reading sources one after another (several files): the parser runs ahead into the
    /// next source while the writer finishes the one before.
    init(maxLineBytes: Int, sources produce: @escaping Produce) {
        let thread = Thread { [self] in
            var splitter = LineSplitter(maxLineBytes: maxLineBytes)
            var pending: [ParsedLine] = []
            pending.reserveCapacity(Self.batchLines)
            var pendingBytes = 0
            var bytes: Int64 = 0
            let sink: LineSplitter.Sink = { (line, number, truncated, unterminated) throws(JournalError) in
                pending.append(
                    ParsedLine.parse(
                        line, number: number, truncatedFrom: truncated, unterminated: unterminated, maxLineBytes: maxLineBytes))
                pendingBytes += line.count
                if pending.count >= Self.batchLines || pendingBytes >= Self.batchBytes {
                    try self.put(Batch(lines: pending, bytesRead: bytes, lineBytes: pendingBytes))
                    pending.removeAll(keepingCapacity: true)
                    pendingBytes = 0
                }
            }
            let endSource = { () throws(JournalError) in
                try splitter.finish(sink)
                try self.put(Batch(lines: pending, bytesRead: bytes, lineBytes: pendingBytes, endsSource: true))
                pending.removeAll(keepingCapacity: true)
                pendingBytes = 0
                splitter = LineSplitter(maxLineBytes: maxLineBytes)
                bytes = 0
            }
            do throws(JournalError) {
                try produce(
                    { (block) throws(JournalError) in
                        bytes += Int64(block.count)
                        try splitter.push(block, sink)
                    }, endSource)
                try endSource()
                self.close(nil)
            } catch {
                self.close(error)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func put(_ batch: Batch) throws(JournalError) {
        condition.lock()
        defer { condition.unlock() }
        while (batches.count >= capacity || (queuedBytes > 0 && queuedBytes + batch.lineBytes > Self.batchBytes * capacity))
            && !cancelled
        {
            condition.wait()
        }
        if cancelled { throw JournalError(.io, "ingest was stopped") }
        queuedBytes += batch.lineBytes
        batches.append(batch)
        condition.broadcast()
    }

    private func close(_ error: JournalError?) {
        condition.lock()
        finished = true
        if failure == nil, !cancelled { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until a batch is ready or the input has ended (or failed), without taking it: the
    /// writer waits here before it takes the journal's write lock, so an input with nothing in it
    /// yet (an idle pipe) holds up no other writer.
    func waitForInput() {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !finished { condition.wait() }
    }

    /// The next batch, waiting for it; `nil` at the end of the input.
    /// - Throws: what reading the input threw.
    func next() throws(JournalError) -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !finished { condition.wait() }
        if !batches.isEmpty {
            let batch = batches.removeFirst()
            queuedBytes -= batch.lineBytes
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops the reader (the writer failed): it ends at its next batch. Does not wait for it, as
    /// it may be blocked reading an input that never ends.
    func cancel() {
        condition.lock()
        cancelled = true
        batches.removeAll()
        queuedBytes = 0
        condition.broadcast()
        condition.unlock()
    }
}
