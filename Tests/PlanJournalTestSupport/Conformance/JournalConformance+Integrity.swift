import PlanJournalCore
import PlanJournalStore
import Testing

extension JournalConformance {
    /// `verify` passes on a journal of several runs, a fork and the contract's examples, and
    /// counts every event once.
    public func verifyPasses() async throws {
        let journal = try makeSmallChunkJournal()
        let (parent, own) = try await Self.makeParentAndFork(journal)
        let contract = try Fixtures.lines(Fixtures.validContract).filter { !$0.isEmpty }.map { try JournalEvent(parsing: $0) }
        for run in Set(contract.map(\.run)) {
            _ = try await journal.append(contract.filter { $0.run == run }, to: run, expecting: .noRun)
        }
        let report = try journal.verify()
        #expect(report.ok, "\(report.problems)")
        #expect(report.runs == 2 + Set(contract.map(\.run)).count)
        #expect(report.events == Int64(parent.events.count + own.count + contract.count))
        #expect(try journal.verify(run: "child").ok)
    }

    /// An event changed in storage (``JournalBackendFixture/tamper(_:run:seq:)``) is found by
    /// `verify`, named by run and located at or before its seq; other runs stay clean.
    public func tamperIsDetected() async throws {
        let journal = try makeSmallChunkJournal()
        for run in ["victim", "bystander"] {
            _ = try await journal.append(
                try RunBuilder.complete(run: run, steps: 5, payloadBytes: 300).events, to: run, expecting: .noRun)
        }
        #expect(try journal.verify().ok)
        try fixture.tamper(journal, run: "victim", seq: 17)
        let report = try fixture.reopen(journal).verify()
        #expect(!report.ok, "a changed event was not detected")
        #expect(report.problems.allSatisfy { $0.run == "victim" }, "\(report.problems)")
        #expect(report.problems.contains { ($0.seq ?? .max) <= 17 }, "\(report.problems)")
        #expect(try journal.verify(run: "bystander").ok)
    }

    /// Seals: a sealed run verifies and its seal checks valid; an event changed after sealing is
    /// reported as such at its exact seq; a seal of the wrong events is refused.
    public func sealsCatchChangesAfterSealing() async throws {
        let journal = try makeSmallChunkJournal()
        let run = try RunBuilder.complete(run: "sealed", steps: 5, payloadBytes: 300)
        _ = try await journal.append(run.events, to: "sealed", expecting: .noRun)
        let key = SealingKey()
        let seal = try journal.seal(run: "sealed", with: key)
        #expect(seal.seq == Int64(run.events.count))
        #expect(seal.hash == (try journal.run("sealed").headHash))
        #expect(try journal.seals(of: "sealed") == [seal])
        #expect(try journal.checkSeals(run: "sealed", trusting: [key.publicKey]).map(\.status) == [.valid])
        #expect(try journal.verify(trusting: [key.publicKey]).ok)
        // Storing the same seal again is harmless; a seal of other events is refused.
        #expect(try journal.storeSeals([seal]) == 0)
        var forged = seal
        forged.seq = 3
        #expect(throws: JournalError.self) { try journal.storeSeals([forged]) }

        try fixture.tamper(journal, run: "sealed", seq: 11)
        let checks = try fixture.reopen(journal).checkSeals(run: "sealed")
        #expect(checks.map(\.status) == [.changedAfterSealing])
        #expect(checks.first?.seq == 11)
        #expect(!(try journal.verify().ok))
    }
}

extension JournalConformance {
    /// A long string that an earlier run of the same ingest holds is stored once (a reference
    /// to it); every run reads back as ingested, also after a run it referenced was rejected,
    /// and `verify` passes.
    public func repeatedStringsAreStoredOnce() async throws {
        let journal = try fixture.makeJournal(configuration: JournalConfiguration())
        let file = String(repeating: #"line of a file that every run reads, \"quoted\"\n"#, count: 30)
        let other = String(repeating: "another file, first read by the second run; ", count: 20)
        func run(_ id: String, content: String, notes: String) throws -> RunBuilder {
            var b = RunBuilder(run: id)
            try b.add("run.started", #"{"goal":"read the files"}"#)
            try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"read","description":"read","depends_on":[]}]}"#)
            try b.add("step.started", #"{"step_id":"read","attempt":1}"#)
            try b.add("step.observed", #"{"step_id":"read","ok":true,"content":"\#(content)","notes":"\#(notes)"}"#)
            try b.add("step.completed", #"{"step_id":"read","output":"done"}"#)
            try b.add("run.completed", #"{"status":"succeeded"}"#)
            return b
        }
        // `second` references `file` in `first`; `first` is then rejected (a line after its
        // run.completed), so `second` is stored with the file in place; `third` references
        // `other` in `second`.
        let first = try run("first", content: file, notes: "none")
        let second = try run("second", content: file, notes: other)
        let third = try run("third", content: other, notes: "none")
        var late = first
        try late.add("note", #"{"text":"too late"}"#)
        let report = try journal.ingest(text: first.jsonl + second.jsonl + late.events.last!.jsonLine + "\n" + third.jsonl)
        #expect(report.rejected.map(\.run) == ["first"])
        #expect(try journal.stats().referencingChunks == 1)
        let reopened = try fixture.reopen(journal)
        for r in [second, third] {
            #expect(try reopened.events(of: r.run).map(\.jsonLine) == r.events.map(\.jsonLine))
        }
        #expect(try reopened.verify().ok)
    }
}
