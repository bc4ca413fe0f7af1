import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

@Suite struct SubscriptionTests {
    @Test func aSubscriptionCatchesUpThenFollowsAppendsFromAnotherConnection() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "live", steps: 3)
        let split = 5
        _ = try await t.journal.append(Array(run.events[..<split]), to: "live", expecting: .noRun)
        let writer = try t.reopen()
        let stream = t.journal.subscribe(to: "live", pollInterval: .milliseconds(5))
        let appender = Task {
            for e in run.events[split...] {
                _ = try await writer.append([e], to: "live", expecting: .exactly(e.seq - 1))
            }
        }
        var seen: [Int64] = []
        for try await e in stream { seen.append(e.seq) }
        try await appender.value
        #expect(seen == run.events.map(\.seq))
    }

    @Test func aSubscriptionFromTheMiddleStartsThere() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "done", steps: 2)
        _ = try t.journal.ingest(text: run.jsonl)
        var kinds: [String] = []
        for try await e in t.journal.subscribe(to: "done", from: 8) { kinds.append(e.kind) }
        #expect(kinds == run.events[7...].map(\.kind))
    }
}
