import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

@Suite struct AppendTests {
    /// An append to no run id (empty, too long, with a NUL), even of no events, or expecting a
    /// negative head, is refused before anything is read or written.
    @Test func anAppendToNoRunIDOrANegativeHeadIsRefused() async throws {
        let t = try TemporaryJournal()
        for run in ["", "a\u{0}b", String(repeating: "r", count: JournalEvent.maxRunIDBytes + 1)] {
            await #expect { _ = try await t.journal.append([], to: run) } throws: { ($0 as? JournalError)?.code == .invalidEvent }
        }
        await #expect { _ = try await t.journal.append([], to: "r", expecting: .exactly(-5)) } throws: { ($0 as? JournalError)?.code == .usage }
        #expect(try t.journal.runs().isEmpty)
    }

    @Test func appendsAreAtomicAndContinueTheRun() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "a", steps: 3)
        let r1 = try await t.journal.append(Array(run.events[0..<4]), to: "a", expecting: .noRun)
        #expect(r1.firstSeq == 1 && r1.lastSeq == 4)
        let r2 = try await t.journal.append(Array(run.events[4...]), to: "a", expecting: .exactly(4))
        #expect(r2.lastSeq == Int64(run.events.count))
        #expect(try t.journal.events(of: "a").map(\.bytes) == run.events.map(\.bytes))
        #expect(try t.journal.run("a").status == "succeeded")
        #expect(try t.journal.verify().ok)
    }

    /// A journal deleted (or replaced) while a process appends takes no more appends: they would
    /// be acknowledged into a file no one opens again.
    @Test(arguments: [false, true]) func appendsToADeletedOrReplacedJournalFail(replaced: Bool) async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "d", steps: 2)
        _ = try await t.journal.append([run.events[0]], to: "d", expecting: .noRun)
        for suffix in ["", "-wal", "-shm", "-pjlog"] { unlink(t.path + suffix) }
        if replaced { _ = try Journal(path: t.path) }
        // The writer looks at most every few milliseconds.
        try await Task.sleep(for: .milliseconds(20))
        await #expect {
            _ = try await t.journal.append([run.events[1]], to: "d", expecting: .exactly(1))
        } throws: { error in
            let e = error as? JournalError
            return e?.code == .io && e?.message.contains(replaced ? "was replaced by another file" : "was deleted") == true
        }
    }

    /// Only the writer creates the file: a reader (or the checkpointer) opened after the journal
    /// was deleted made an empty database in its place, which the writer then took for a
    /// replacement.
    @Test func aReaderOpenedAfterTheJournalIsDeletedMakesNoFile() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "d", steps: 2)
        _ = try await t.journal.append([run.events[0]], to: "d", expecting: .noRun)
        for suffix in ["", "-wal", "-shm", "-pjlog"] { unlink(t.path + suffix) }
        #expect { try t.journal.run("d") } throws: { ($0 as? JournalError)?.message.contains("is gone (deleted or moved") == true }
        #expect(!FileManager.default.fileExists(atPath: t.path))
    }

    /// Appends whose `COMMIT` lost its connection are settled by what the journal holds: one
    /// whose events are there succeeds, one whose run ends where it would start is done again,
    /// one whose seqs hold other events stays uncertain.
    @Test func appendsOfAnUncertainCommitAreSettledByWhatTheJournalHolds() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "u", steps: 2)
        _ = try await t.journal.append(Array(run.events[0..<3]), to: "u", expecting: .noRun)
        var other = run.events[2]
        other = try JournalEvent(run: "u", seq: other.seq, ts: other.ts, kind: "note", data: .record(["text": .string("not ours")]))
        let requests = [
            AppendRequest(events: Array(run.events[1..<3]), run: "u", expecting: .exactly(1)),
            AppendRequest(events: Array(run.events[3..<5]), run: "u", expecting: .exactly(3)),
            AppendRequest(events: [other], run: "u", expecting: .exactly(2)),
        ]
        let uncertain = JournalError(.commitUncertain, "the connection was lost as it committed")
        let settled = try t.journal.withWriter { (w) throws(JournalError) in
            w.settleUncertain(requests, requests.map { _ in .failure(uncertain) })
        }
        #expect((try? settled[0].get()).map { [$0.firstSeq, $0.lastSeq] } == [2, 3])
        #expect((try? settled[1].get()).map { [$0.firstSeq, $0.lastSeq] } == [4, 5])
        #expect(throws: JournalError.self) { try settled[2].get() }
        #expect(try t.journal.events(of: "u").map(\.bytes) == run.events[0..<5].map(\.bytes))
        #expect(try t.journal.verify().ok)
    }

    @Test func aStaleExpectedSeqThrowsConflictAndWritesNothing() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "a", steps: 2)
        _ = try await t.journal.append(Array(run.events[0..<3]), to: "a", expecting: .noRun)
        await #expect {
            try await t.journal.append(Array(run.events[3..<5]), to: "a", expecting: .exactly(2))
        } throws: { ($0 as? JournalError)?.code == .conflict && ($0 as? JournalError)?.context.seq == 3 }
        await #expect(throws: JournalError.self) {
            try await t.journal.append(Array(run.events[0..<1]), to: "a", expecting: .noRun)
        }
        #expect(try t.journal.run("a").events == 3)
    }

    @Test func anAnyConflictSaysWhatHeadItExpectedAndWhatItFound() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "a", steps: 2)
        _ = try await t.journal.append(Array(run.events[0..<3]), to: "a", expecting: .noRun)
        do {
            _ = try await t.journal.append(Array(run.events[1..<4]), to: "a")
            Issue.record("an append of seqs already taken was accepted")
        } catch {
            #expect(error.code == .conflict && error.context.run == "a" && error.context.seq == 3)
            #expect(error.context.journalPath != nil)
            #expect(
                error.message
                    == "another writer got there first: its events start at seq 2, so the append expected the head of run a "
                    + "at seq 1, but found its head at seq 3; nothing of the append was written")
        }
        #expect(try t.journal.run("a").events == 3)
    }

    @Test func anInvalidEventRejectsTheWholeBatch() async throws {
        let t = try TemporaryJournal()
        var b = RunBuilder(run: "a")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("note", #"{"x":1}"#)
        try b.add("step.started", #"{"step_id":"ghost"}"#)
        await #expect {
            try await t.journal.append(b.events, to: "a")
        } throws: { ($0 as? JournalError)?.context.field == "data.step_id" }
        #expect(try t.journal.runs().isEmpty)
    }

    /// An append refused at its first event changed nothing: the run's cached cursor stays (a
    /// long run's state was read again for every refused line); refused later in its batch, the
    /// cursor is dropped. Either way the next appends continue the run as stored.
    @Test func anAppendRefusedAtItsFirstEventKeepsTheRunsCursor() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "c", steps: 3)
        let events = run.events.dropLast()
        _ = try await t.journal.append(Array(events.prefix(4)), to: "c")
        func cached() throws -> Bool { try t.journal.withWriter { w in w.cache["c"] != nil } }
        #expect(try cached())
        let ghost = try JournalEvent(
            run: "c", seq: 5, ts: events[4].ts, kind: "step.started", data: JSONValue(parsing: #"{"step_id":"ghost"}"#))
        await #expect(throws: JournalError.self) { try await t.journal.append([ghost], to: "c") }
        #expect(try cached())
        await #expect(throws: JournalError.self) { try await t.journal.append([events[4], ghost], to: "c") }
        #expect(try !cached())
        _ = try await t.journal.append(Array(events.dropFirst(4)), to: "c")
        #expect(try t.journal.events(of: "c").map(\.bytes) == events.map(\.bytes))
        #expect(try t.journal.verify().ok)
    }

    @Test func aRejectedAppendTakesBackTheDictionaryItTrained() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 1024, dictionaryTrainingBytes: 4096))
        var bad = try RunBuilder.complete(run: "bad", steps: 6, payloadBytes: 600)
        try bad.add("note", "{}")  // after run.completed: the whole batch is rejected
        await #expect(throws: JournalError.self) { try await t.journal.append(bad.events, to: "bad") }
        let good = try RunBuilder.complete(run: "good", steps: 6, payloadBytes: 600)
        _ = try await t.journal.append(good.events, to: "good")
        let stats = try t.journal.stats()
        #expect(stats.dictionaries == 1, "\(stats)")
        #expect(try t.journal.verify().ok)
        #expect(try t.journal.events(of: "good").count == good.events.count)
    }

    @Test func concurrentWritersOnOneRunWinExactlyOncePerSeq() async throws {
        let t = try TemporaryJournal()
        var b = RunBuilder(run: "race")
        try b.add("run.started", #"{"goal":"race"}"#)
        _ = try await t.journal.append(b.events, to: "race", expecting: .noRun)
        let second = try t.reopen()
        var wins = 0
        var conflicts = 0
        for round in 0..<20 {
            var next = b
            try next.add("note", #"{"round":\#(round)}"#)
            let event = next.events.last!
            let head = Int64(round + 1)
            let journals = [t.journal, second]
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for k in 0..<6 {
                    group.addTask {
                        do {
                            _ = try await journals[k % 2].append([event], to: "race", expecting: .exactly(head))
                            return true
                        } catch let e as JournalError where e.code == .conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            wins += outcomes.filter { $0 }.count
            conflicts += outcomes.filter { !$0 }.count
            b = next
        }
        #expect(wins == 20)
        #expect(conflicts == 100)
        #expect(try t.journal.run("race").events == 21)
        #expect(try t.journal.verify().ok)
    }

    /// With `.full` durability, appends that arrive while earlier groups wait for the log's sync
    /// go through the drain thread and are acknowledged from the sync queue.
    @Test(arguments: [JournalConfiguration.Durability.normal, .full])
    func groupCommitLandsEveryConcurrentAppend(_ durability: JournalConfiguration.Durability) async throws {
        let t = try TemporaryJournal(
            configuration: JournalConfiguration(durability: durability, chunkBytes: 4096, snapshotInterval: 10))
        let runs = try (0..<8).map { try RunBuilder.complete(run: "w\($0)", steps: 6, payloadBytes: 300) }
        let appends = try await withThrowingTaskGroup(of: Int.self) { group in
            for run in runs {
                group.addTask {
                    var head: Int64 = 0
                    var appends = 0
                    for batch in stride(from: 0, to: run.events.count, by: 3) {
                        let events = Array(run.events[batch..<min(batch + 3, run.events.count)])
                        let result = try await t.journal.append(events, to: run.run, expecting: .exactly(head))
                        #expect(result.lastSeq == head + Int64(events.count))
                        head += Int64(events.count)
                        appends += 1
                    }
                    return appends
                }
            }
            return try await group.reduce(0, +)
        }
        let syncs = t.journal.writer.with { w in w.appendLog?.syncer?.syncs ?? -1 }
        if durability == .full {
            #expect((1...appends).contains(syncs), "\(syncs) syncs for \(appends) appends")
        } else {
            #expect(syncs == 0)
        }
        for run in runs {
            #expect(try t.journal.events(of: run.run).map(\.bytes) == run.events.map(\.bytes))
        }
        let report = try t.journal.verify()
        #expect(report.ok)
        #expect(report.snapshots > 0)
    }
}
