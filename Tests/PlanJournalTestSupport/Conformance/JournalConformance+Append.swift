import PlanJournalCore
import PlanJournalStore
import Testing

extension JournalConformance {
    /// One event at a time and in batches, with `expecting:`: each append continues the run, the
    /// result names its seqs and head hash, and the events read back byte for byte.
    public func appendSingleAndBatch() async throws {
        let journal = try fixture.makeJournal()
        let run = try RunBuilder.complete(run: "append", steps: 4)
        let first = try await journal.append([run.events[0]], to: "append", expecting: .noRun)
        #expect(first.firstSeq == 1 && first.lastSeq == 1)
        let batch = try await journal.append(Array(run.events[1..<8]), to: "append", expecting: .exactly(1))
        #expect(batch.firstSeq == 2 && batch.lastSeq == 8)
        var head: Int64 = 8
        for e in run.events[8...] {
            let r = try await journal.append([e], to: "append", expecting: .exactly(head))
            head = r.lastSeq
        }
        let summary = try journal.run("append")
        #expect(summary.events == Int64(run.events.count))
        #expect(summary.status == "succeeded")
        #expect(summary.headHash == (try journal.chainHash(of: "append", at: head)))
        #expect(try journal.events(of: "append").map(\.bytes) == run.events.map(\.bytes))
        #expect(try journal.verify().ok)
    }

    /// A stale or wrong `expecting:` is a typed conflict naming the run and its actual head, and
    /// nothing of the batch is written; `.noRun` on an existing run too.
    public func expectedSeqConflictsWriteNothing() async throws {
        let journal = try fixture.makeJournal()
        let run = try RunBuilder.complete(run: "c", steps: 2)
        _ = try await journal.append(Array(run.events[0..<3]), to: "c", expecting: .noRun)
        let before = try journal.run("c")
        for expected in [ExpectedSeq.exactly(2), .exactly(5), .noRun] {
            await #expect {
                try await journal.append(Array(run.events[3..<6]), to: "c", expecting: expected)
            } throws: { Self.conflict($0)?.context.run == "c" && Self.conflict($0)?.context.seq == 3 }
        }
        #expect(try journal.run("c") == before)
        #expect(try journal.events(of: "c").count == 3)
        _ = try await journal.append(Array(run.events[3...]), to: "c", expecting: .exactly(3))
        #expect(try journal.verify().ok)
    }

    /// Appenders on two handles race for the same seq of one run: exactly one wins per seq, the
    /// others get a conflict, and the run ends whole and valid.
    public func concurrentAppendersToOneRunWinOncePerSeq() async throws {
        let journal = try fixture.makeJournal()
        let other = try fixture.reopen(journal)
        var b = RunBuilder(run: "race")
        try b.add("run.started", #"{"goal":"race"}"#)
        _ = try await journal.append(b.events, to: "race", expecting: .noRun)
        var wins = 0
        let rounds = 12
        let writers = 6
        for round in 0..<rounds {
            var next = b
            try next.add("note", #"{"round":\#(round)}"#)
            let event = try #require(next.events.last)
            let head = Int64(round + 1)
            let handles = [journal, other]
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for k in 0..<writers {
                    group.addTask {
                        do {
                            _ = try await handles[k % 2].append([event], to: "race", expecting: .exactly(head))
                            return true
                        } catch let e as JournalError where e.code == .conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1, "round \(round)")
            wins += outcomes.filter { $0 }.count
            b = next
        }
        #expect(wins == rounds)
        #expect(try other.run("race").events == Int64(rounds + 1))
        #expect(try journal.events(of: "race").map(\.bytes) == b.events.map(\.bytes))
        #expect(try journal.verify().ok)
    }

    /// Eight writers (on two handles) append disjoint runs at once, in small batches: nothing is
    /// lost or mixed up.
    public func concurrentWritersToDisjointRunsLoseNothing() async throws {
        let journal = try makeSmallChunkJournal()
        let other = try fixture.reopen(journal)
        let runs = try (0..<8).map { try RunBuilder.complete(run: "w\($0)", steps: 5, payloadBytes: 300) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (k, run) in runs.enumerated() {
                let handle = k % 2 == 0 ? journal : other
                group.addTask {
                    var head: Int64 = 0
                    for start in stride(from: 0, to: run.events.count, by: 3) {
                        let events = Array(run.events[start..<min(start + 3, run.events.count)])
                        _ = try await handle.append(events, to: run.run, expecting: head == 0 ? .noRun : .exactly(head))
                        head += Int64(events.count)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try journal.runs().count == runs.count)
        for run in runs {
            #expect(try journal.events(of: run.run).map(\.bytes) == run.events.map(\.bytes), "\(run.run)")
        }
        #expect(try journal.verify().ok)
    }
}

extension JournalConformance {
    /// A handle whose last append left it a cached head that another handle (another process) has
    /// since moved: its next append at the old next seq is a conflict naming the actual head, and
    /// writes nothing; it then appends after the actual head, and the run verifies.
    public func staleCachedHeadConflictsAndWritesNothing() async throws {
        let journal = try fixture.makeJournal()
        let other = try fixture.reopen(journal)
        let run = try RunBuilder.complete(run: "stale", steps: 2)
        _ = try await journal.append(Array(run.events[0..<4]), to: "stale", expecting: .noRun)
        _ = try await other.append([run.events[4]], to: "stale", expecting: .exactly(4))
        for expected in [ExpectedSeq.any, .exactly(4)] {
            await #expect {
                try await journal.append([run.events[4]], to: "stale", expecting: expected)
            } throws: { Self.conflict($0)?.context.run == "stale" }
        }
        #expect(try journal.events(of: "stale").map(\.bytes) == run.events[0..<5].map(\.bytes))
        for e in run.events[5...] { _ = try await journal.append([e], to: "stale", expecting: .exactly(e.seq - 1)) }
        #expect(try other.events(of: "stale").map(\.bytes) == run.events.map(\.bytes))
        #expect(try other.verify().ok)
    }
}
