import Dispatch
import Foundation
import PlanJournalCore

/// Decodes a run's chunks (checksum, LZ4, parsing each line) on worker threads a few chunks
/// ahead of the caller, who receives the events strictly in order on its own thread.
///
/// Reading a long run is bound by decoding, not by what the caller does with the events: with
/// the decoding spread over the machine's cores, a fold from the first event runs about as many
/// times faster as there are cores to spare. Short reads (``worthIt(chunks:)`` is false) decode
/// inline, where a thread hop would cost more than it saves.
///
/// Invariant: `results` is used only with `condition` locked.
final class ChunkPipeline: @unchecked Sendable {
    /// How the chunks are decoded; everything it needs is loaded already, so any thread may run it.
    typealias Decode = @Sendable (ChunkRow, CompressionDictionary?) throws(JournalError) -> [JournalEvent]

    private let condition = NSCondition()
    private var results: [Int: Result<[JournalEvent], JournalError>] = [:]
    private let decode: Decode

    /// Chunks decoded ahead of the one the caller is reading.
    static let window = max(2, min(8, 2 * ProcessInfo.processInfo.activeProcessorCount))

    /// Whether decoding `chunks` chunks in parallel pays. `PLANJOURNAL_SERIAL_DECODE=1` turns it
    /// off (for machines whose cores are taken, and for A/B benchmarks).
    static func worthIt(chunks: Int) -> Bool {
        chunks >= 3 && enabled
    }

    private static let enabled =
        ProcessInfo.processInfo.activeProcessorCount > 1
        && ProcessInfo.processInfo.environment["PLANJOURNAL_SERIAL_DECODE"] != "1"

    private init(decode: @escaping Decode) {
        self.decode = decode
    }

    /// Decodes the chunks that `next` returns (called on the caller's thread, a few chunks ahead
    /// of the one being read, until it returns `nil`) and calls `body` with every event, in chunk
    /// order. Stops at the first error (`next`'s, a chunk's or `body`'s); chunks still decoding
    /// then finish unread.
    static func forEachEvent(
        next: () throws(JournalError) -> (ChunkRow, CompressionDictionary?)?, decode: @escaping Decode,
        _ body: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        let pipeline = ChunkPipeline(decode: decode)
        var submitted = 0
        var exhausted = false
        var index = 0
        while true {
            while !exhausted && submitted < index + window {
                if let (chunk, dictionary) = try next() {
                    pipeline.submit(chunk, dictionary, at: submitted)
                    submitted += 1
                } else {
                    exhausted = true
                }
            }
            guard index < submitted else { return }
            // By index: each event is lent to `body` from the array (a `for in` would copy it,
            // retaining every buffer it holds, and release them all again with the array).
            let events = try pipeline.take(index).get()
            for i in events.indices { try body(events[i]) }
            index += 1
        }
    }

    private func submit(_ chunk: ChunkRow, _ dictionary: CompressionDictionary?, at index: Int) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let result: Result<[JournalEvent], JournalError>
            do throws(JournalError) {
                result = .success(try decode(chunk, dictionary))
            } catch {
                result = .failure(error)
            }
            condition.lock()
            results[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Waits for chunk `index` and hands its result over.
    private func take(_ index: Int) -> Result<[JournalEvent], JournalError> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = results.removeValue(forKey: index) { return result }
            condition.wait()
        }
    }
}
