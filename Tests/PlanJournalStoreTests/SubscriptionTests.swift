import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

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

    /// A subscription reads a batch at a time as it is consumed: a long run comes whole across
    /// batches, a fork's through its parent's first events, and from near the largest seq it
    /// does not overflow.
    @Test func aSubscriptionReadsALongRunAcrossBatches() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "long", steps: 700, payloadBytes: 20)
        #expect(run.events.count > 2 * Int(Journal.subscriptionBatch))
        _ = try t.journal.ingest(text: run.jsonl)
        var seqs: [Int64] = []
        for try await e in t.journal.subscribe(to: "long", from: 500) { seqs.append(e.seq) }
        #expect(seqs == Array(500...Int64(run.events.count)))
        _ = try t.journal.fork("long", at: 1500, as: "fork")
        // The fork has no run.completed: read up to its last event.
        var forkSeqs: [Int64] = []
        for try await e in t.journal.subscribe(to: "fork", from: 1000, pollInterval: .milliseconds(10)) {
            forkSeqs.append(e.seq)
            if e.seq == 1500 { break }
        }
        #expect(forkSeqs == Array(1000...1500))
        var none = 0
        for try await _ in t.journal.subscribe(to: "long", from: .max - 1) { none += 1 }
        #expect(none == 0)
    }

    /// A subscription waiting for a run that is not there yet keeps waiting; one whose journal
    /// cannot be read any more (here its run catalog is gone) ends with the error rather than
    /// polling for ever.
    @Test func aSubscriptionEndsWhenItsJournalCannotBeRead() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "later", steps: 1)
        _ = try await t.journal.append([run.events[0]], to: "later", expecting: .noRun)
        let stream = t.journal.subscribe(to: "later", pollInterval: .milliseconds(5))
        let outcome = Task { () -> String in
            do {
                for try await _ in stream {}
                return "ended"
            } catch {
                return (error as? JournalError)?.message ?? "\(error)"
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        try SQLiteConnection(path: t.path).execute("ALTER TABLE runs RENAME TO runs_gone")
        let deadline = Task {
            try await Task.sleep(for: .seconds(20))
            outcome.cancel()
        }
        let message = await outcome.value
        deadline.cancel()
        #expect(message.contains("runs"), "\(message)")
    }
}
