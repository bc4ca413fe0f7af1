import Foundation
import PlanJournalCore
import PlanJournalStore
import Testing

extension JournalConformance {
    /// Events that break the contract are refused with `event.invalid` and leave the journal as it
    /// was: a seq gap, a first event other than run.started, an unknown step id, a plan with a
    /// cycle, an event after run.completed.
    public func validationErrorsLeaveTheJournalUnchanged() async throws {
        let journal = try fixture.makeJournal()
        let done = try RunBuilder.complete(run: "done", steps: 2)
        _ = try await journal.append(done.events, to: "done", expecting: .noRun)
        var open = RunBuilder(run: "open")
        try open.add("run.started", #"{"goal":"g"}"#)
        try open.add("plan.proposed", #"{"version":1,"steps":[{"id":"a","description":"a"}]}"#, actor: "planner")
        _ = try await journal.append(open.events, to: "open", expecting: .noRun)
        let before = try journal.runs()
        let t = Timestamp(microseconds: 1_795_600_000_000_000)

        func event(_ run: String, _ seq: Int64, _ kind: String, _ data: String) throws -> JournalEvent {
            try JournalEvent(run: run, seq: seq, ts: t, kind: kind, data: JSONValue(parsing: data))
        }
        let cases: [(String, [JournalEvent], String)] = [
            ("seq gap", [try event("open", 4, "note", #"{"x":1}"#)], "open"),
            ("first event not run.started", [try event("fresh", 1, "note", #"{"x":1}"#)], "fresh"),
            ("unknown step id", [try event("open", 3, "step.started", #"{"step_id":"ghost"}"#)], "open"),
            (
                "plan with a cycle",
                [
                    try event("cyc", 1, "run.started", #"{"goal":"g"}"#),
                    try event(
                        "cyc", 2, "plan.proposed",
                        #"{"version":1,"steps":[{"id":"a","depends_on":["b"]},{"id":"b","depends_on":["a"]}]}"#),
                ], "cyc"
            ),
            ("after run.completed", [try event("done", Int64(done.events.count) + 1, "note", #"{"x":1}"#)], "done"),
            (
                "a bad event at the end of a good batch",
                [try event("open", 3, "note", #"{"x":1}"#), try event("open", 5, "note", #"{"x":2}"#)], "open"
            ),
        ]
        for (what, events, run) in cases {
            await #expect("\(what)") {
                try await journal.append(events, to: run)
            } throws: { error in
                (error as? JournalError)?.code == .invalidEvent && (error as? JournalError)?.context.run == run
            }
        }
        #expect(try journal.runs() == before)
        #expect(try journal.events(of: "open").map(\.bytes) == open.events.map(\.bytes))
        #expect(try journal.verify().ok)
    }

    /// The contract's valid examples (`../shared/contract/valid.jsonl`), appended run by run, read
    /// back value for value and byte for byte, and the same through a second handle.
    /// An ingest skips an event it already wrote earlier in the same input (a run logged twice,
    /// overlapping logs) and rejects a different event at a taken seq, naming its line.
    public func repeatedEventsOfOneIngestAreSkipped() async throws {
        let journal = try fixture.makeJournal()
        let run = try RunBuilder.complete(run: "twice", steps: 4)
        let report = try journal.ingest(text: run.jsonl + run.jsonl)
        #expect(report.rejected.isEmpty)
        #expect(report.eventsWritten == run.events.count && report.eventsSkipped == run.events.count)
        #expect(try journal.events(of: "twice").map(\.bytes) == run.events.map(\.bytes))
        let other = try RunBuilder.complete(run: "changed", steps: 4)
        let e = other.events[2]
        let changed = try JournalEvent(
            run: e.run, seq: e.seq, ts: e.ts, kind: "note", actor: e.actor, cause: e.cause, data: .object([]))
        let conflict = try journal.ingest(text: other.jsonl + changed.jsonLine + "\n")
        #expect(conflict.rejected.first?.line == other.events.count + 1)
        #expect(try journal.runs().map(\.id) == ["twice"])
    }

    public func readsTheContractBackValueForValue() async throws {
        let journal = try fixture.makeJournal()
        let lines = try Fixtures.lines(Fixtures.validContract).filter { !$0.isEmpty }
        let written = try lines.map { try JournalEvent(parsing: $0) }
        var order: [String] = []
        for e in written where !order.contains(e.run) { order.append(e.run) }
        for run in order {
            _ = try await journal.append(written.filter { $0.run == run }, to: run, expecting: .noRun)
        }
        let other = try fixture.reopen(journal)
        for handle in [journal, other] {
            for run in order {
                let expected = written.filter { $0.run == run }
                let read = try handle.events(of: run)
                try #require(read.count == expected.count, "\(run)")
                for (a, b) in zip(read, expected) {
                    #expect(a.bytes == b.bytes, "\(run) seq \(b.seq)")
                    #expect(a.seq == b.seq && a.ts == b.ts && a.kind == b.kind && a.actor == b.actor && a.cause == b.cause)
                    #expect(a.data == b.data, "\(run) seq \(b.seq)")
                }
            }
        }
        #expect(Set(try journal.runs().map(\.id)) == Set(order))
    }

    /// Events come back in seq order within any range; runs list newest first; a second handle
    /// sees the same.
    public func readsInOrder() async throws {
        let journal = try makeSmallChunkJournal()
        let older = try RunBuilder.complete(run: "older", steps: 6, payloadBytes: 400)
        var newer = RunBuilder(run: "newer", start: 1_795_600_000_000_000)
        try newer.add("run.started", #"{"goal":"newer"}"#)
        // Interleave the two runs' appends.
        _ = try await journal.append([older.events[0]], to: "older", expecting: .noRun)
        _ = try await journal.append(newer.events, to: "newer", expecting: .noRun)
        for e in older.events.dropFirst() {
            _ = try await journal.append([e], to: "older", expecting: .exactly(e.seq - 1))
            if e.seq % 4 == 0 {
                try newer.add("note", #"{"after":\#(e.seq)}"#)
                _ = try await journal.append([newer.events.last!], to: "newer", expecting: .exactly(newer.nextSeq - 2))
            }
        }
        let other = try fixture.reopen(journal)
        for handle in [journal, other] {
            #expect(try handle.runs().map(\.id) == ["newer", "older"])
            #expect(try handle.events(of: "older").map(\.seq) == older.events.map(\.seq))
            #expect(try handle.events(of: "newer").map(\.bytes) == newer.events.map(\.bytes))
            for (from, to) in [(1, 1), (3, 9), (10, 200), (Int64(older.events.count), .max)] as [(Int64, Int64)] {
                let seqs = try handle.events(of: "older", from: from, to: to).map(\.seq)
                #expect(seqs == Array(from...min(to, Int64(older.events.count))), "\(from)...\(to)")
            }
        }
    }
}
