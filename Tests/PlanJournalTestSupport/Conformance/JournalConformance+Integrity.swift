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
