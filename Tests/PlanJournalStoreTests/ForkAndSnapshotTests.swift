import Foundation
import PlanJournalCore
@testable import PlanJournalStore
import PlanJournalTestSupport
import Testing

@Suite struct ForkAndSnapshotTests {
    /// A snapshot interval of 0 stores no snapshots (it divided by zero); state is folded from
    /// the first event.
    @Test func aSnapshotIntervalOfZeroStoresNone() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(snapshotInterval: 0))
        let run = try RunBuilder.complete(run: "z", steps: 4)
        _ = try await t.journal.append(run.events, to: "z", expecting: .noRun)
        #expect(try t.journal.stats().snapshots == 0)
        #expect(try t.journal.state(of: "z", at: 5) == PlanProjection().fold(run: "z", Array(run.events.prefix(5))))
    }

    @Test func aForkReadsItsPrefixThroughTheParentAndContinuesAlone() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "parent", steps: 4)
        _ = try t.journal.ingest(text: run.jsonl)
        let fork = try t.journal.fork("parent", at: 7, as: "child")
        #expect(fork.parent == "parent" && fork.forkSeq == 7 && fork.events == 7)
        #expect(try t.journal.events(of: "child").map(\.bytes) == run.events[0..<7].map(\.bytes))
        // The fork continues with its own events.
        let e8 = try JournalEvent(
            run: "child", seq: 8, ts: Timestamp(microseconds: 1_795_514_500_000_000), kind: "step.failed",
            data: JSONValue(parsing: #"{"step_id":"s1","error":{"message":"boom"}}"#))
        _ = try await t.journal.append([e8], to: "child", expecting: .exactly(7))
        let state = try t.journal.state(of: "child")
        #expect(state.run == "child")
        #expect(state.step("s1")?.status == .failed)
        #expect(try t.journal.state(of: "parent").step("s1")?.status == .completed)
        #expect(try t.journal.stats().events == Int64(run.events.count) + 1)
        #expect(try t.journal.verify().ok)
        #expect(try t.journal.runs().first { $0.id == "child" }?.parent == "parent")
    }

    /// A fork that shares its parent's `run.completed` has ended as the parent did (it was listed
    /// as running for ever).
    @Test func aForkOfACompletedRunsLastEventHasItsStatus() throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "done", steps: 3)
        _ = try t.journal.ingest(text: run.jsonl)
        let fork = try t.journal.fork("done", at: Int64(run.events.count), as: "copy")
        #expect(fork.status == "succeeded" && fork.endedAt != nil)
        #expect(try t.journal.fork("done", at: 3, as: "early").status == "running")
    }

    /// A catalog damaged into a cycle of forks (a run its own parent, or two runs each other's) is
    /// reported corrupt: readers followed the parents until the stack overflowed.
    @Test func aCycleOfParentsIsCorruptNotACrash() throws {
        let t = try TemporaryJournal()
        _ = try t.journal.ingest(text: try RunBuilder.complete(run: "parent", steps: 4).jsonl)
        _ = try t.journal.fork("parent", at: 7, as: "child")
        let db = try SQLiteConnection(path: t.path)
        try db.run("UPDATE runs SET parent = (SELECT rid FROM runs WHERE id = 'child'), fork_seq = 5 WHERE id = 'parent'")
        let reopened = try Journal(path: t.path)
        for read in [{ _ = try reopened.events(of: "child") }, { _ = try reopened.state(of: "parent") }] {
            #expect(throws: JournalError.self) { try read() }
        }
        let report = try reopened.verify()
        #expect(!report.ok && report.problems.contains { $0.message.contains("not an earlier run") })
    }

    /// A fork of a fork of … thousands deep is read through its ancestors in a loop: reading,
    /// time travel, hashes, sealing and verifying it used to exhaust the stack (a crash).
    @Test func aChainOfThousandsOfForksIsReadWithoutRecursion() async throws {
        let t = try TemporaryJournal()
        let root = try RunBuilder.complete(run: "f0", steps: 2)
        _ = try t.journal.ingest(text: root.jsonl)
        let depth = 1500
        let head = Int64(root.events.count) - 1  // before run.completed: the forks are open
        for k in 1...depth { _ = try t.journal.fork("f\(k - 1)", at: head, as: "f\(k)") }
        let note = try JournalEvent(
            run: "f\(depth)", seq: head + 1, ts: root.events[Int(head) - 1].ts, kind: "note",
            data: JSONValue(parsing: #"{"text":"deepest"}"#))
        _ = try await t.journal.append([note], to: "f\(depth)", expecting: .exactly(head))
        let events = try t.journal.events(of: "f\(depth)")
        #expect(events.map(\.bytes) == root.events.prefix(Int(head)).map(\.bytes) + [note.bytes])
        #expect(try t.journal.state(of: "f\(depth)", at: 3).seq == 3)
        _ = try t.journal.seal(run: "f\(depth)", with: SealingKey())
        #expect(try t.journal.verify(run: "f\(depth)").ok)
    }

    /// A fork of a fork taken before its parent's own fork point reads every event through the
    /// grandparent; its time travel, hashes and seals agree with the grandparent's.
    @Test func aForkTakenBeforeItsParentsForkPointReadsThroughTheGrandparent() async throws {
        let t = try TemporaryJournal()
        let root = try RunBuilder.complete(run: "p", steps: 3)
        _ = try t.journal.ingest(text: root.jsonl)
        _ = try t.journal.fork("p", at: 7, as: "c")
        _ = try t.journal.fork("c", at: 5, as: "g")
        let prefix = root.events.prefix(5).map(\.bytes)
        #expect(try t.journal.events(of: "g").map(\.bytes) == prefix)
        #expect(try t.journal.events(of: "g", from: 2, to: 4).map(\.bytes) == Array(prefix[1..<4]))
        #expect(try t.journal.state(of: "g", at: 3).seq == 3 && t.journal.state(of: "g").seq == 5)
        #expect(try t.journal.run("g").headHash == t.journal.chainHash(of: "p", at: 5))
        _ = try t.journal.seal(run: "g", with: SealingKey())
        #expect(try t.journal.verify().ok)
    }

    @Test func stateAtEverySeqEqualsTheFoldFromScratch() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 2048, snapshotInterval: 7))
        let run = try RunBuilder.complete(run: "s", steps: 8, payloadBytes: 150)
        // Half by ingest (large chunks), half one event per append (small chunks, compaction).
        let half = run.events.count / 2
        _ = try t.journal.ingest(text: run.events[..<half].map { $0.jsonLine + "\n" }.joined())
        for e in run.events[half...] {
            _ = try await t.journal.append([e], to: "s", expecting: .exactly(e.seq - 1))
        }
        let projection = PlanProjection()
        var folded = projection.initial(run: "s")
        for e in run.events {
            projection.apply(&folded, e)
            #expect(try t.journal.state(of: "s", at: e.seq) == folded, "seq \(e.seq)")
        }
        let report = try t.journal.verify()
        #expect(report.ok)
        #expect(report.snapshots == run.events.count / 7)
    }

    /// A state far larger than the events of an interval (a plan of 2,000 steps) gets snapshots
    /// far apart: one per 250 events stored 20 MB of snapshots beside 0.2 MB of events.
    @Test func aLargeStateIsSnapshottedFarApartAndStillTravelsInTime() throws {
        let t = try TemporaryJournal()
        var b = RunBuilder(run: "wide")
        try b.add("run.started", #"{"goal":"a plan of 2000 steps"}"#)
        let ids = (0..<2000).map { "step\($0)" }
        let steps = ids.map { #"{"id":"\#($0)","description":"do \#($0)"}"# }.joined(separator: ",")
        try b.add("plan.proposed", #"{"version":1,"steps":[\#(steps)]}"#, actor: "planner")
        // Notes between the steps: events enough for snapshots a quarter of their size apart.
        let note = String(repeating: "n", count: 600)
        for id in ids {
            try b.add("step.started", #"{"step_id":"\#(id)","attempt":1}"#, actor: "executor")
            for _ in 0..<3 { try b.add("note", #"{"message":"\#(note)"}"#, actor: "executor") }
            try b.add("step.completed", #"{"step_id":"\#(id)","output":"ok"}"#, actor: "executor")
        }
        try b.add("run.completed", #"{"status":"succeeded"}"#)
        _ = try t.journal.ingest(text: b.jsonl)
        let stats = try t.journal.stats()
        #expect(stats.snapshots >= 1 && stats.snapshots <= 2, "\(stats.snapshots) snapshots for \(b.events.count) events")
        let projection = PlanProjection()
        var folded = projection.initial(run: "wide")
        for e in b.events {
            projection.apply(&folded, e)
            if e.seq % 997 == 0 || e.seq == Int64(b.events.count) {
                #expect(try t.journal.state(of: "wide", at: e.seq) == folded, "seq \(e.seq)")
            }
        }
        #expect(try t.journal.verify().ok)
    }
}

@Suite struct SnapshotFormatTests {
    /// A snapshot taken by an earlier planj (JSON, or the binary form of an earlier projection
    /// version) summarizes the events the earlier way: it is checked against its checksum but not
    /// used, so that time travel and verify agree with the fold of the projection in force.
    @Test func snapshotsOfAnEarlierProjectionAreStaleButChecked() throws {
        let events = try RunBuilder.complete(run: "old", steps: 3).events
        let state = PlanProjection().fold(run: "old", events)
        let raw = Array(try JSONEncoder().encode(state))
        let (codec, body) = Codec.encode(raw, level: 0)
        let checksum = CompressionDictionary.checksum(body)
        let back = try SnapshotCodec.decode(
            codec: codec.rawValue, rawLength: raw.count, checksum: checksum, body: body, run: "old", seq: state.seq,
            journal: "test")
        #expect(back == nil)
        // A later planj's binary form is stale here too (its events are folded instead), and so
        // is an earlier one's.
        for version in [PlanState.binaryMagic[3] + 1, PlanState.binaryMagic[3] - 1] {
            var other = state.binaryEncoded()
            other[3] = version
            let (otherCodec, otherBody) = Codec.encode(other, level: 0)
            #expect(
                try SnapshotCodec.decode(
                    codec: otherCodec.rawValue, rawLength: other.count, checksum: CompressionDictionary.checksum(otherBody),
                    body: otherBody, run: "old", seq: state.seq, journal: "test") == nil)
        }
        #expect(throws: JournalError.self) {
            try SnapshotCodec.decode(
                codec: codec.rawValue, rawLength: raw.count, checksum: checksum.map { $0 ^ 1 }, body: body, run: "old",
                seq: state.seq, journal: "test")
        }

        // A journal whose snapshots are all of version 1, with a state version 2 folds differently.
        let t = try TemporaryJournal(configuration: JournalConfiguration(snapshotInterval: 5))
        var b = RunBuilder(run: "v1")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a","tool":"t1"}]}"#)
        try b.add("plan.revised", #"{"version":2,"base_version":1,"changed":[{"id":"a","tool":"t2"}]}"#)
        for k in 0..<12 { try b.add("note", #"{"k":\#(k)}"#) }
        _ = try t.journal.ingest(text: b.jsonl)
        let db = try SQLiteConnection(path: t.path)
        var rows: [Int64] = []
        let select = try db.statement("SELECT seq FROM snapshots ORDER BY seq")
        while try select.step() { rows.append(select.int(0)) }
        select.reset()
        #expect(rows.count >= 2)
        for seq in rows {
            var old = try t.journal.state(of: "v1", at: seq)
            old.steps[0].tool = "t1"  // what version 1 folded
            var bytes = old.binaryEncoded()
            bytes[3] = 1
            let (c, body) = Codec.encode(bytes, level: 0)
            try db.statement("UPDATE snapshots SET codec = ?, raw_len = ?, checksum = ?, body = ? WHERE seq = ?")
                .bind(.int(c.rawValue), .int(Int64(bytes.count)), .blob(CompressionDictionary.checksum(body)), .blob(body), .int(seq))
                .run()
        }
        let fresh = try Journal(path: t.path)
        #expect(try fresh.state(of: "v1").step("a")?.tool == "t2")
        #expect(try fresh.state(of: "v1", at: rows.last!) == PlanProjection().fold(run: "v1", b.events.filter { $0.seq <= rows.last! }))
        let report = try fresh.verify()
        #expect(report.ok && report.snapshots == rows.count)
    }
}
