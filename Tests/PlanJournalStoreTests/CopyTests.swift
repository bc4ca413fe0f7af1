import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// ``JournalCopier`` through `.pjl` files: ``PortableDestination`` and ``PortableSource``.
@Suite struct CopyTests {
    /// A journal with a parent, its fork with events of its own, and a sealed run.
    private func makeSource() async throws -> (TemporaryJournal, SealingKey) {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 2048, snapshotInterval: 5))
        let parent = try RunBuilder.complete(run: "parent", steps: 4, payloadBytes: 300)
        _ = try await t.journal.append(parent.events, to: "parent", expecting: .noRun)
        _ = try t.journal.fork("parent", at: 7, as: "child")
        let e8 = try JournalEvent(
            run: "child", seq: 8, ts: Timestamp(microseconds: parent.events[6].ts.microseconds + 5), kind: "step.failed",
            data: JSONValue(parsing: #"{"step_id":"s1","error":{"message":"boom"}}"#))
        _ = try await t.journal.append([e8], to: "child", expecting: .exactly(7))
        _ = try t.journal.ingest(file: Fixtures.validContract)
        let key = SealingKey()
        _ = try t.journal.seal(run: "child", with: key)
        return (t, key)
    }

    private func heads(_ j: any CopySource) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try j.runs(status: nil, limit: nil).map { ($0.id, $0.headHash) })
    }

    /// A run the source holds damaged is reported and skipped with its fork; the runs after it
    /// are still copied (a nightly backup must not stop at it), and copying again does the same.
    @Test func aDamagedRunOfTheSourceIsSkippedAndTheOthersCopied() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 2048))
        for id in ["a", "b", "c"] {
            let run = try RunBuilder.complete(run: id, steps: 3, payloadBytes: 40)
            _ = try await t.journal.append(run.events, to: id, expecting: .noRun)
        }
        _ = try t.journal.fork("b", at: 4, as: "b-fork")
        try StoredEventTamperer.flipMiddleByte(
            ofChunk: "SELECT c.cid, c.body FROM chunks c JOIN runs r ON r.rid = c.rid WHERE r.id = 'b' ORDER BY c.cid", in: t.path)
        let source = try t.reopen()
        let destination = try TemporaryJournal()
        for _ in 0..<2 {
            let report = try await JournalCopier(from: source, to: destination.journal).copy()
            #expect(report.unreadable.map(\.run) == ["b"] && report.unreadable.first?.code == "journal.corrupt", "\(report)")
            #expect(report.runsSkipped.sorted() == ["b", "b-fork"] && !report.ok)
            #expect(Set(try destination.journal.runs().map(\.id)) == ["a", "c"])
        }
        #expect(try destination.journal.verify().ok)
    }

    @Test func aPJLFileCarriesForksAndSealsBackIntoAJournal() async throws {
        let (t, key) = try await makeSource()
        let file = t.directory + "/all.pjl"
        let writer = try PortableDestination(path: file)
        let out = try await JournalCopier(from: t.journal, to: writer).copy()
        #expect(!FileManager.default.fileExists(atPath: file), "the file appears only when finished")
        try writer.finish()
        #expect(out.ok && out.runsCopied.count == 4 && out.sealsWritten == 1)

        let read = try PortableSource(file: file)
        #expect(try PortableSource.hasForks(file: file))
        #expect(try heads(read) == heads(t.journal))
        let child = try #require(try read.runs(status: nil, limit: nil).first { $0.id == "child" })
        #expect(child.parent == "parent" && child.forkSeq == 7 && child.events == 8 && child.status == "running")
        var readBack: [JournalEvent] = []
        try read.forEachEvent(of: "child", from: 1, to: .max) { readBack.append($0) }
        #expect(readBack.map(\.bytes) == (try t.journal.events(of: "child")).map(\.bytes))
        #expect(try read.seals(of: "child") == t.journal.seals(of: "child"))

        let back = try TemporaryJournal()
        let report = try await JournalCopier(from: read, to: back.journal).copy()
        #expect(report.ok && report.sealsWritten == 1)
        #expect(try heads(back.journal) == heads(t.journal))
        #expect(try back.journal.run("child").parent == "parent")
        #expect(try back.journal.verify(run: "child", trusting: [key.publicKey]).ok)
        // A plain import (no fork records) still reads such a file's other runs.
        #expect(try back.journal.importPJL(file: file).eventsWritten == 0)
    }

    @Test func aForkWithoutItsForkRecordIsCorrupt() async throws {
        let (t, _) = try await makeSource()
        // The lines `export --format pjl` writes for a fork, without its fork record: the fork's
        // own events then start at seq 8 with nothing to continue.
        let pjl = t.directory + "/exported.pjl"
        #expect(FileManager.default.createFile(atPath: pjl, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: pjl))
        let writer = try PortableWriter(to: { (b) throws(JournalError) in handle.write(Data(b)) })
        for e in try t.journal.events(of: "child") { try writer.append(line: e.bytes) }
        try writer.finish()
        try handle.close()
        #expect { try PortableSource(file: pjl) } throws: { ($0 as? JournalError)?.context.run == "child" }
        // With it (as `exportPJL` writes it), the parent is held up to the fork point only.
        let whole = t.directory + "/whole.pjl"
        #expect(FileManager.default.createFile(atPath: whole, contents: nil))
        let out = try #require(FileHandle(forWritingAtPath: whole))
        try t.journal.exportPJL(run: "child") { (b) throws(JournalError) in out.write(Data(b)) }
        try out.close()
        let source = try PortableSource(file: whole)
        #expect(try source.runs(status: nil, limit: nil).map { "\($0.id):\($0.events)" }.sorted() == ["child:8", "parent:7"])
    }

    /// Run ids that differ only in Unicode normalization are two runs through a `.pjl` file too
    /// (the file's writer and reader keyed them as Swift strings: one was a false conflict).
    @Test func runIDsThatDifferOnlyInNormalizationCopyAsTwoRuns() async throws {
        let t = try TemporaryJournal()
        let (nfc, nfd) = ("caf\u{e9}", "cafe\u{301}")
        for id in [nfc, nfd] { _ = try t.journal.ingest(text: try RunBuilder.complete(run: id, steps: 1).jsonl) }
        #expect(try t.journal.runs().count == 2)
        let file = t.directory + "/both.pjl"
        let writer = try PortableDestination(path: file)
        let out = try await JournalCopier(from: t.journal, to: writer).copy()
        try writer.finish()
        #expect(out.ok && out.runsCopied.count == 2, "\(out.conflicts)")
        let read = try PortableSource(file: file)
        #expect(try read.runs(status: nil, limit: nil).count == 2)
        let back = try TemporaryJournal()
        let report = try await JournalCopier(from: read, to: back.journal).copy()
        #expect(report.ok && report.runsCopied.count == 2)
        let pairs = { (j: Journal) in try j.runs().map { Array($0.id.utf8) + Array($0.headHash.utf8) }.sorted { $0.lexicographicallyPrecedes($1) } }
        #expect(try pairs(back.journal) == pairs(t.journal))
    }

    /// A `.pjl` being written checks an append's expected head as a journal does.
    @Test func aPJLFileBeingWrittenChecksTheExpectedHead() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "r", steps: 1)
        let file = try PortableDestination(path: t.directory + "/r.pjl")
        await #expect(throws: JournalError.self) { _ = try await file.append(run.events, to: "r", expecting: .exactly(3)) }
        _ = try await file.append(Array(run.events[..<2]), to: "r", expecting: .noRun)
        do {
            _ = try await file.append(Array(run.events[2...]), to: "r", expecting: .noRun)
            Issue.record("appended to a run expected to be absent")
        } catch {
            #expect(error.code == .conflict && error.context.seq == 2, "\(error)")
        }
        _ = try await file.append(Array(run.events[2...]), to: "r", expecting: .exactly(2))
        try file.finish()
        #expect(try PortableSource(file: t.directory + "/r.pjl").runs(status: nil, limit: nil).first?.events == Int64(run.events.count))
    }

    @Test func copyingIntoTheSameKindOfFileTwiceNeedsNoJournal() async throws {
        let (t, _) = try await makeSource()
        let first = t.directory + "/a.pjl"
        let second = t.directory + "/b.pjl"
        let w1 = try PortableDestination(path: first)
        _ = try await JournalCopier(from: t.journal, to: w1, options: CopyOptions(runs: ["child"])).copy()
        try w1.finish()
        let w2 = try PortableDestination(path: second)
        let report = try await JournalCopier(from: try PortableSource(file: first), to: w2).copy()
        try w2.finish()
        #expect(Set(report.runsCopied) == ["parent", "child"])
        #expect(FileManager.default.contents(atPath: first) == FileManager.default.contents(atPath: second))
    }

    /// Copies of one source into one destination at once (three processes, say) all succeed:
    /// what another copy wrote meanwhile is checked like a run that was there (it was reported as
    /// a conflict, "another writer got there first", though the runs were the same).
    @Test func copiesOfOneSourceAtOnceAllSucceed() async throws {
        let source = try TemporaryJournal()
        let dest = try TemporaryJournal()
        for k in 0..<12 { _ = try source.journal.ingest(text: try RunBuilder.complete(run: "r\(k)", steps: 4).jsonl) }
        let reports = try await withThrowingTaskGroup(of: CopyReport.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    var options = CopyOptions()
                    options.batchEvents = 3
                    return try await JournalCopier(from: source.journal, to: try Journal(path: dest.path), options: options).copy()
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.allSatisfy { $0.conflicts.isEmpty && $0.runsSkipped.isEmpty })
        #expect(try dest.journal.runs().count == 12 && dest.journal.verify().ok)
    }

    /// A destination holding the source's run and more events after it (appended there, or
    /// copied by another copy that read the source later) holds the run already; one that holds
    /// another event at some seq is a conflict.
    @Test func aDestinationAheadOfTheSourceHoldsTheRunUnlessItDiffers() async throws {
        let source = try TemporaryJournal()
        let dest = try TemporaryJournal()
        var run = RunBuilder(run: "r")
        try run.add("run.started", #"{"goal":"g"}"#)
        try run.add("note", #"{"n":1}"#)
        _ = try await source.journal.append(run.events, to: "r", expecting: .noRun)
        try run.add("note", #"{"n":2}"#)
        _ = try await dest.journal.append(run.events, to: "r", expecting: .noRun)
        let report = try await JournalCopier(from: source.journal, to: dest.journal).copy()
        #expect(report.ok && report.conflicts.isEmpty && report.runsAlreadyThere == ["r"])
        #expect(try dest.journal.run("r").events == 3)

        var other = RunBuilder(run: "r")
        try other.add("run.started", #"{"goal":"g"}"#)
        try other.add("note", #"{"n":"other"}"#)
        try other.add("note", #"{"n":2}"#)
        let diverged = try TemporaryJournal()
        _ = try await diverged.journal.append(other.events, to: "r", expecting: .noRun)
        let conflict = try await JournalCopier(from: source.journal, to: diverged.journal).copy()
        #expect(conflict.runsSkipped == ["r"] && conflict.conflicts.first?.seq == 2)
    }
}
