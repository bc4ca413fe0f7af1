import PlanJournalCore
import PlanJournalStore
import Testing

extension JournalConformance {
    /// A parent and a fork with events of its own: the fork reads 1...N through the parent (the
    /// parent's run id and bytes), continues on its own, and its hashes chain on from the parent's.
    public static func makeParentAndFork(_ journal: Journal) async throws -> (parent: RunBuilder, own: [JournalEvent]) {
        let parent = try RunBuilder.complete(run: "parent", steps: 4, payloadBytes: 300)
        _ = try await journal.append(parent.events, to: "parent", expecting: .noRun)
        _ = try journal.fork("parent", at: 7, as: "child")
        let t = parent.events[6].ts.microseconds
        let own = [
            try JournalEvent(
                run: "child", seq: 8, ts: Timestamp(microseconds: t + 10), kind: "step.failed",
                data: JSONValue(parsing: #"{"step_id":"s1","error":{"message":"boom"}}"#)),
            try JournalEvent(
                run: "child", seq: 9, ts: Timestamp(microseconds: t + 20), kind: "run.completed",
                data: JSONValue(parsing: #"{"status":"failed"}"#)),
        ]
        _ = try await journal.append(own, to: "child", expecting: .exactly(7))
        return (parent, own)
    }

    /// Forks read their prefix through the parent, continue alone, chain their hashes on from the
    /// parent's at the fork point, and are listed with their parent.
    public func forksReadThroughTheirParent() async throws {
        let journal = try makeSmallChunkJournal()
        let (parent, own) = try await Self.makeParentAndFork(journal)
        let child = try journal.run("child")
        #expect(child.parent == "parent" && child.forkSeq == 7 && child.events == 9)
        #expect(child.status == "failed")
        let read = try journal.events(of: "child")
        #expect(read.map(\.bytes) == parent.events[0..<7].map(\.bytes) + own.map(\.bytes))
        #expect(read.prefix(7).allSatisfy { $0.run == "parent" })
        #expect(read.suffix(2).allSatisfy { $0.run == "child" })
        #expect(try journal.events(of: "child", from: 6, to: 8).map(\.seq) == [6, 7, 8])
        for seq in Int64(1)...7 {
            #expect(try journal.chainHash(of: "child", at: seq) == journal.chainHash(of: "parent", at: seq))
        }
        #expect(try journal.chainHash(of: "child", at: 8) != journal.chainHash(of: "parent", at: 8))
        #expect(child.headHash == (try journal.chainHash(of: "child", at: 9)))
        #expect(try journal.run("parent").events == Int64(parent.events.count))
        #expect(try journal.state(of: "child").step("s1")?.status == .failed)
        #expect(try journal.state(of: "parent").step("s1")?.status == .completed)
        let other = try fixture.reopen(journal)
        #expect(try other.events(of: "child").map(\.bytes) == read.map(\.bytes))
        #expect(try other.runs().first { $0.id == "child" }?.parent == "parent")
        // Filtered and limited in the database, a fork still names a parent left out of the list.
        let failed = try journal.runs(status: "failed")
        #expect(failed.map(\.id) == ["child"] && failed.first?.parent == "parent")
        #expect(try journal.runs(status: "succeeded").map(\.id) == ["parent"])
        #expect(try journal.runs(limit: 1).count == 1)
        // A fork starts when its parent did: runs of one start time come by id, on every backend
        // and whatever order they were written in.
        #expect(try journal.runs(limit: 5).map(\.id) == ["parent", "child"])
        #expect(try journal.runs(status: "cancelled").isEmpty)
        // The other filters, in the database too (but for the goal's text).
        #expect(try journal.runs(RunFilter(forks: .of("parent"))).map(\.id) == ["child"])
        #expect(try journal.runs(RunFilter(forks: .of("child"))).isEmpty)
        #expect(try journal.runs(RunFilter(forks: .excluded)).map(\.id) == ["parent"])
        #expect(throws: JournalError.self) { try journal.runs(RunFilter(forks: .of("no-such-run"))) }
        let started = try #require(try journal.run("parent").startedAt)
        #expect(try journal.runs(RunFilter(since: started)).count == 2)
        #expect(try journal.runs(RunFilter(since: Timestamp(microseconds: started.microseconds + 1))).isEmpty)
        // A fork's goal is its parent's.
        #expect(try journal.runs(RunFilter(goal: "GOAL FOR PAR")).map(\.id) == ["parent", "child"])
        #expect(try journal.runs(RunFilter(goal: "goal for nobody")).isEmpty)
        #expect(try journal.runs(RunFilter(status: "failed", goal: "goal for")).map(\.id) == ["child"])
        #expect(try journal.runs(RunFilter(goal: "test"), limit: 1).count == 1)
        #expect { try journal.fork("parent", at: 3, as: "child") } throws: { Self.conflict($0) != nil }
        #expect(throws: JournalError.self) { try journal.fork("parent", at: 99, as: "late") }
        #expect(try journal.verify().ok)
    }

    /// `state(of:at:)` (from the nearest snapshot) equals a full fold of the events, at every seq
    /// of a run written in many small appends, and of a fork.
    public func snapshotsMatchAFullFold() async throws {
        let journal = try makeSmallChunkJournal()
        let run = try RunBuilder.complete(run: "s", steps: 7, payloadBytes: 150)
        let half = run.events.count / 2
        _ = try await journal.append(Array(run.events[..<half]), to: "s", expecting: .noRun)
        for e in run.events[half...] {
            _ = try await journal.append([e], to: "s", expecting: .exactly(e.seq - 1))
        }
        let projection = PlanProjection()
        var folded = projection.initial(run: "s")
        let other = try fixture.reopen(journal)
        for e in run.events {
            projection.apply(&folded, e)
            #expect(try journal.state(of: "s", at: e.seq) == folded, "seq \(e.seq)")
            #expect(try other.state(of: "s", at: e.seq) == folded, "seq \(e.seq), second handle")
        }
        #expect(try journal.state(of: "s") == journal.fold(projection, run: "s"))
        _ = try journal.fork("s", at: 12, as: "s-fork")
        #expect(try journal.state(of: "s-fork") == journal.fold(projection, run: "s-fork"))
        let report = try journal.verify()
        #expect(report.ok)
        #expect(report.snapshots > 0)
    }
}

extension JournalConformance {
    /// A run claimed by one driver cannot be claimed by another until the claim is released
    /// (another journal object stands for another process: the locks are per open file or per
    /// database session, not per process). Other runs are not held up, whatever their ids.
    public func aRunIsDrivenByOneClaimAtATime() throws {
        let journal = try makeSmallChunkJournal()
        let other = try Journal(path: journal.path, configuration: journal.configuration)
        var first: RunClaim? = try journal.claim(run: "r")
        #expect { _ = try other.claim(run: "r") } throws: { ($0 as? JournalError)?.code == .conflict }
        let unrelated = try other.claim(run: "s")
        first = nil
        let second = try other.claim(run: "r")
        // Two ids whose hashes agree in their low 32 bits are claimed apart all the same.
        let near = (try journal.claim(run: "run-352881"), try other.claim(run: "run-524990"))
        withExtendedLifetime((first, unrelated, second, near)) {}
    }
}
