import PlanJournalCore
import PlanJournalStore
import Testing

extension JournalConformance {
    /// ``JournalCopier`` between two journals of the backend: runs, a fork (arriving as a fork)
    /// and a seal, with equal head hashes; a second copy changes nothing; a destination holding
    /// part of a run is continued; a run that differs is a conflict at its first differing seq and
    /// the others still copy.
    public func copyBetweenTwoJournals() async throws {
        let source = try makeSmallChunkJournal()
        _ = try await Self.makeParentAndFork(source)
        let plain = try RunBuilder.complete(run: "plain", steps: 6, payloadBytes: 300)
        _ = try await source.append(plain.events, to: "plain", expecting: .noRun)
        let key = SealingKey()
        _ = try source.seal(run: "child", with: key)
        _ = try source.seal(run: "plain", with: key)

        let destination = try fixture.makeJournal()
        // Part of "plain" is already there (an interrupted copy); "clash" differs at seq 3.
        _ = try await destination.append(Array(plain.events[..<10]), to: "plain", expecting: .noRun)
        var clash = RunBuilder(run: "clash")
        try clash.add("run.started", #"{"goal":"clash"}"#)
        try clash.add("note", #"{"n":1}"#)
        var clashThere = clash
        try clash.add("note", #"{"n":2}"#)
        try clashThere.add("note", #"{"n":"other"}"#)
        _ = try await source.append(clash.events, to: "clash", expecting: .noRun)
        _ = try await destination.append(clashThere.events, to: "clash", expecting: .noRun)

        let report = try await JournalCopier(from: source, to: destination).copy()
        #expect(report.conflicts.map(\.run) == ["clash"])
        #expect(report.conflicts.first?.seq == 3)
        #expect(Set(report.runsCopied) == ["parent", "child", "plain"])
        #expect(report.eventsAlreadyThere == 10)
        #expect(report.sealsWritten == 2)
        let child = try destination.run("child")
        #expect(child.parent == "parent" && child.forkSeq == 7)
        var heads = try Self.heads(source)
        heads["clash"] = try destination.run("clash").headHash
        #expect(try Self.heads(destination) == heads)
        #expect(try destination.verify(trusting: [key.publicKey]).problems.allSatisfy { $0.run == "clash" || $0.run == "parent" })
        #expect(try destination.verify().ok)

        let again = try await JournalCopier(from: source, to: destination, options: CopyOptions(runs: ["child", "plain"]))
            .copy()
        #expect(again.ok && again.eventsWritten == 0 && again.sealsWritten == 0)
        #expect(Set(again.runsAlreadyThere) == ["parent", "child", "plain"])
    }
}
