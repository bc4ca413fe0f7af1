import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// Reads long enough to be fetched in batches and decoded by ``ChunkPipeline`` workers deliver the same events, in the
/// same order, as reading chunk by chunk, and stop at a damaged chunk naming it.
@Suite struct ChunkPipelineTests {
    /// A run of many small chunks, half of it a fork.
    private static func manyChunks() throws -> (TemporaryJournal, [JournalEvent]) {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 2048, snapshotInterval: 50))
        let run = try RunBuilder.complete(run: "long", steps: 120, payloadBytes: 300)
        _ = try t.journal.ingest(text: run.jsonl)
        return (t, run.events)
    }

    @Test func everyRangeOfAManyChunkRunReadsBackInOrder() throws {
        let (t, events) = try Self.manyChunks()
        let reader = JournalReader(db: try SQLiteConnection(path: t.journal.path))
        let chunks = try reader.chunks(rid: try reader.requireRun("long").rid, from: 1, to: .max)
        #expect(chunks.count > JournalReader.ChunkSource.batchSize, "several batches of chunks")
        #expect(ChunkPipeline.worthIt(chunks: chunks.count) || ProcessInfo.processInfo.activeProcessorCount == 1)
        let n = events.count
        for (from, to) in [(1, n), (2, n - 1), (n / 3, 2 * n / 3), (n / 2, n / 2), (1, 1), (n, n), (5, n + 40)] {
            let read = try t.journal.events(of: "long", from: Int64(from), to: Int64(to))
            #expect(read.map(\.bytes) == events[(from - 1)..<min(to, n)].map(\.bytes), "\(from)...\(to)")
        }
        #expect(try t.journal.fold(PlanProjection(), run: "long") == PlanProjection().fold(run: "long", events))
    }

    @Test func aForkReadsItsParentsChunksThenItsOwn() async throws {
        let (t, events) = try Self.manyChunks()
        let forkSeq = Int64(events.count - 10)
        _ = try t.journal.fork("long", at: forkSeq, as: "branch")
        var own: [JournalEvent] = []
        for e in events[Int(forkSeq)...] {
            let moved = try JournalEvent(
                run: "branch", seq: e.seq, ts: e.ts, kind: e.kind, actor: e.actor, cause: e.cause, data: e.data)
            own.append(moved)
        }
        _ = try await t.journal.append(own, to: "branch", expecting: .exactly(forkSeq))
        let read = try t.journal.events(of: "branch")
        #expect(read.map(\.bytes) == events[..<Int(forkSeq)].map(\.bytes) + own.map(\.bytes))
    }

    @Test func aDamagedChunkInTheMiddleStopsTheReadNamingItsSeq() throws {
        let (t, events) = try Self.manyChunks()
        let db = try SQLiteConnection(path: t.journal.path)
        let reader = JournalReader(db: db)
        let chunks = try reader.chunks(rid: try reader.requireRun("long").rid, from: 1, to: .max)
        let victim = chunks[chunks.count / 2]
        var body = victim.body
        body[body.count / 2] ^= 0x20
        try db.statement("UPDATE chunks SET body = ? WHERE cid = ?").bind(.blob(body), .int(victim.cid)).run()
        var seen: [Int64] = []
        let error = #expect(throws: JournalError.self) {
            try t.journal.forEachEvent(of: "long") { seen.append($0.seq) }
        }
        #expect(error?.code == .corrupt)
        #expect(error?.context.seq == victim.firstSeq)
        #expect(seen == Array(1..<victim.firstSeq), "every event before the damaged chunk, in order, and none after")
        #expect(events.count > Int(victim.lastSeq))
    }
}
