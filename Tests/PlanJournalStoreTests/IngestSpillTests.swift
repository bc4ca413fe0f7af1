import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// Ingest of many runs open at once with a small ``IngestOptions/bufferedBytes``: the buffers go
/// to a temporary file and come back whole, so the journal is the one an unlimited ingest makes.
@Suite struct IngestSpillTests {
    /// 30 runs interleaved event by event: all of them open until the end of the input.
    private let runs: [[JournalEvent]]
    private let input: String

    init() throws {
        runs = try (0..<30).map { try RunBuilder.complete(run: "r\($0)", steps: 4, payloadBytes: 2500).events }
        input = RunBuilder.interleaved(runs)
    }

    /// Chunks of 16 KiB, so that runs also fill chunks after some of their lines were spilled.
    private func journal() throws -> TemporaryJournal {
        try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 16 << 10))
    }

    @Test func spilledLinesComeBackWholeAndTheJournalIsTheSame() throws {
        let unlimited = try journal()
        let plain = try unlimited.journal.ingest(text: input)
        #expect(plain.spilledBytes == 0)
        let limited = try journal()
        let report = try limited.journal.ingest(text: input, options: IngestOptions(bufferedBytes: 8 << 10))
        #expect(report.spilledBytes > Int64(input.utf8.count / 2), "most lines went through the spill file")
        #expect(report.eventsWritten == plain.eventsWritten && report.rejected.isEmpty)
        for run in runs {
            #expect(try limited.journal.events(of: run[0].run).map(\.bytes) == run.map(\.bytes))
        }
        let (a, b) = (try unlimited.journal.stats(), try limited.journal.stats())
        #expect(a.chunks == b.chunks && a.chunkBytes == b.chunkBytes, "chunks as large as without the limit")
        #expect(try limited.journal.verify().ok)
    }

    /// A repeat of a spilled line is skipped; a different line at its seq rejects its run (read
    /// back from the spill file to compare), and its spilled lines are dropped with it.
    @Test func repeatsAndConflictsAreFoundInSpilledLines() throws {
        let t = try journal()
        let head = runs.map { Array($0.prefix(6)) }
        let tail = runs.map { Array($0.dropFirst(6)) }
        let conflicting = runs[3][1].jsonLine.replacingOccurrences(of: #""actor":"planner""#, with: #""actor":"someone""#)
        try #require(conflicting != runs[3][1].jsonLine)
        let text =
            RunBuilder.interleaved(head) + RunBuilder.interleaved(head.map { Array($0.prefix(2)) })
            + conflicting + "\n" + RunBuilder.interleaved(tail)
        let report = try t.journal.ingest(text: text, options: IngestOptions(bufferedBytes: 4 << 10))
        #expect(report.spilledBytes > 0)
        #expect(report.eventsSkipped == 2 * runs.count)
        #expect(report.rejected.map(\.run) == ["r3"] && report.rejected.first?.code == "event.invalid")
        #expect(try t.journal.runs().count == runs.count - 1)
        #expect(try t.journal.events(of: "r7").map(\.bytes) == runs[7].map(\.bytes))
        #expect(try t.journal.verify().ok)
    }
}
