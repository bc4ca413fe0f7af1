import Foundation
import Synchronization
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// Chunks are read in batches bounded in bytes as well as in number: a run of events of
/// megabytes each reads back whole, a few chunks at a time.
@Suite struct ChunkBatchTests {
    @Test func aRunOfLargeEventsReadsBackWholeAFewChunksAtATime() async throws {
        let t = try TemporaryJournal()
        var run = RunBuilder(run: "big")
        try run.add("run.started", #"{"goal":"g"}"#)
        // 3 MiB of pseudo-random hex each: a chunk each, that LZ4 barely shrinks.
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        let hex = Array("0123456789abcdef".utf8)
        for k in 0..<7 {
            var text = [UInt8](repeating: 0, count: 3 << 20)
            for i in text.indices {
                x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text[i] = hex[Int(x >> 60)]
            }
            try run.add("note", #"{"k":\#(k),"text":"\#(String(decoding: text, as: UTF8.self))"}"#)
        }
        _ = try await t.journal.append(run.events, to: "big", expecting: .noRun)
        let rid = try t.journal.withReader { (r) throws(JournalError) in try r.requireRun("big").rid }
        let firstBatch = try t.journal.withReader { (r) throws(JournalError) in
            try r.chunks(rid: rid, from: 1, to: .max, limit: JournalReader.ChunkSource.batchSize, maxBytes: JournalReader.ChunkSource.batchBytes)
        }
        // The batch ends at the chunk that takes its bodies to the byte limit.
        let sizes = firstBatch.map(\.body.count)
        #expect(firstBatch.count < 8)
        #expect(sizes.dropLast().reduce(0, +) < JournalReader.ChunkSource.batchBytes)
        #expect(sizes.reduce(0, +) >= JournalReader.ChunkSource.batchBytes)
        #expect(try t.journal.events(of: "big").map(\.seq) == Array(1...8))
        #expect(try t.journal.events(of: "big", from: 4, to: 6).map(\.seq) == [4, 5, 6])
        let report = try t.journal.verify()
        #expect(report.ok && report.events == 8)
    }

    /// A reader takes a run's chunks a batch at a time; when a writer merges the small chunks at
    /// the run's end between two batches, the next batch starts with the merged chunk, which
    /// holds events already read: each is still read once.
    @Test(.timeLimit(.minutes(1))) func chunksMergedBetweenTwoBatchesAreNotReadTwice() async throws {
        let config = JournalConfiguration(commitWindowMicroseconds: 0)
        let t = try TemporaryJournal(configuration: config)
        var run = RunBuilder(run: "tail")
        _ = try await t.journal.append([try run.add("run.started", #"{"goal":"g"}"#)], to: "tail", expecting: .noRun)
        // One small chunk per append: more than a batch of them.
        let small = JournalReader.ChunkSource.batchSize + 8
        for k in 1..<small { _ = try await t.journal.append([try run.add("note", #"{"k":\#(k)}"#)], to: "tail", expecting: .any) }
        let chunksBefore = try t.journal.stats().chunks
        #expect(chunksBefore >= small)

        // The reader runs on a thread of its own and stops after its first event, with its first
        // batch of chunks read, until the merge is committed.
        let paused = DispatchSemaphore(value: 0)
        let resume = DispatchSemaphore(value: 0)
        let seqs = Mutex<[Int64]>([])
        let reader = try t.reopen(configuration: config)
        let thread = Thread {
            try? reader.forEachEvent(of: "tail") { e in
                if e.seq == 1 {
                    paused.signal()
                    resume.wait()
                }
                seqs.withLock { $0.append(e.seq) }
            }
            paused.signal()
        }
        thread.start()
        await Task.detached { paused.wait() }.value
        // A full chunk closes the small ones before it: they are merged into one from seq 1.
        let payload = String(repeating: "x", count: 40_000)
        var big: [JournalEvent] = []
        for _ in 0..<2 { big.append(try run.add("note", #"{"text":"\#(payload)"}"#)) }
        _ = try await t.journal.append(big, to: "tail", expecting: .any)
        #expect(try t.journal.stats().chunks < chunksBefore)
        resume.signal()
        await Task.detached { paused.wait() }.value
        #expect(seqs.withLock { $0 } == Array(1...Int64(small)))
    }
}

