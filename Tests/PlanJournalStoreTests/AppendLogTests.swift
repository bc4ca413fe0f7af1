import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// The append log (`<journal>-pjlog`) of write windows: what a writer that died leaves there is
/// replayed by the next writer, and appends in a window are read at once within the process.
@Suite struct AppendLogTests {
    /// A record of the log's format, as a writer writes it before acknowledging an append.
    private func record(_ events: ArraySlice<JournalEvent>) -> [UInt8] {
        var lines: [UInt8] = []
        for e in events {
            lines.append(contentsOf: e.bytes)
            lines.append(UInt8(ascii: "\n"))
        }
        return Array("@\(events.count) \(lines.count)\n".utf8) + lines
    }

    @Test func aLogLeftByAWriterThatDiedIsReplayedWhenTheJournalOpens() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(commitWindowMicroseconds: 0))
        let run = try RunBuilder.complete(run: "a", steps: 3)
        _ = try await t.journal.append(Array(run.events[0..<2]), to: "a", expecting: .noRun)
        // Committed before the writer died (skipped), then two appends that were not, then one
        // cut short by the kill (never acknowledged: dropped).
        var log = record(run.events[0..<2]) + record(run.events[2..<4]) + record(run.events[4..<6])
        log += record(run.events[6..<8]).dropLast(5)
        try Data(log).write(to: URL(fileURLWithPath: t.path + "-pjlog"))
        let reopened = try t.reopen()
        #expect(try reopened.events(of: "a").map(\.bytes) == run.events[0..<6].map(\.bytes))
        #expect(try reopened.verify().ok)
        // Emptied: the file is kept for the next window, its first byte no longer starts a record.
        let emptied = try Data(contentsOf: URL(fileURLWithPath: t.path + "-pjlog"))
        #expect(emptied.first != UInt8(ascii: "@"))
        let next = try await reopened.append(Array(run.events[6...]), to: "a", expecting: .exactly(6))
        #expect(next.lastSeq == Int64(run.events.count))
    }

    @Test func appendsOfAnOpenWindowAreReadAtOnceAndByTheNextJournal() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "a", steps: 3)
        for (k, e) in run.events.enumerated() {
            _ = try await t.journal.append([e], to: "a", expecting: .exactly(Int64(k)))
            #expect(try t.journal.run("a").events == k + 1)
        }
        let other = try t.reopen()
        #expect(try other.events(of: "a").map(\.bytes) == run.events.map(\.bytes))
        #expect(try other.verify().ok)
    }

    @Test func aSecondJournalOnTheFileTurnsWindowsOffAndBothSeeEveryAppend() async throws {
        let t = try TemporaryJournal()
        let other = try t.reopen()
        let run = try RunBuilder.complete(run: "a", steps: 3)
        for (k, e) in run.events.enumerated() {
            let journal = k % 2 == 0 ? t.journal : other
            _ = try await journal.append([e], to: "a", expecting: .exactly(Int64(k)))
            #expect(try t.journal.run("a").events == k + 1)
            #expect(try other.run("a").events == k + 1)
        }
    }
}
