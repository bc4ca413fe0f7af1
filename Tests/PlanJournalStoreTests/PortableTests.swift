import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

@Suite struct PortableTests {
    /// Runs a command, feeding `input`, and returns its standard output.
    private func run(_ arguments: [String], input: [UInt8]? = nil) async throws -> (status: Int32, output: [UInt8]) {
        let r = try await ChildProcess.run(arguments[0], Array(arguments.dropFirst()), stdin: input.map { Data($0) })
        return (r.status, Array(r.stdoutData))
    }

    private func collect(_ body: (([UInt8]) throws(JournalError) -> Void) throws(JournalError) -> Void) async throws -> [UInt8] {
        var out: [UInt8] = []
        try body { (b) throws(JournalError) in out.append(contentsOf: b) }
        return out
    }

    @Test func pjlIsAStandardLZ4FrameThatImportsWithIdenticalHashes() async throws {
        let t = try TemporaryJournal()
        _ = try t.journal.ingest(file: Fixtures.validContract)
        let big = try RunBuilder.complete(run: "big", steps: 30, payloadBytes: 20_000)
        _ = try t.journal.ingest(text: big.jsonl)
        for run in try t.journal.runs() {
            let jsonl = try await collect { (sink) throws(JournalError) in try t.journal.exportJSONL(run: run.id, to: sink) }
            let pjl = try await collect { (sink) throws(JournalError) in try t.journal.exportPJL(run: run.id, to: sink) }
            #expect(pjl.count < jsonl.count)
            // The lz4 command reads it.
            let decoded = try await self.run(["lz4", "-dc"], input: pjl)
            #expect(decoded.status == 0)
            #expect(decoded.output == jsonl)
            // And import restores the run bit for bit.
            let file = t.directory + "/run.pjl"
            try Data(pjl).write(to: URL(fileURLWithPath: file))
            let other = try TemporaryJournal()
            let report = try other.journal.importPJL(file: file)
            #expect(report.rejected.isEmpty)
            #expect(try other.journal.run(run.id).headHash == run.headHash)
            #expect(try other.journal.verify().ok)
            // Importing again changes nothing.
            let again = try other.journal.importPJL(file: file)
            #expect(again.eventsWritten == 0 && again.eventsSkipped == Int(run.events))
        }
    }

    /// A fork of a fork taken before its parent's own fork point reads only the first run's
    /// events: its file names that run as the parent, and imports (it named the middle run, as a
    /// fork past the end of what the file holds, and the import refused it).
    @Test func aForkOfAForkBeforeItsParentsForkPointImports() async throws {
        let t = try TemporaryJournal()
        let origin = try RunBuilder.complete(run: "o", steps: 6)
        _ = try t.journal.ingest(text: origin.jsonl)
        func note(_ run: String, _ seq: Int64) -> String {
            #"{"run":"\#(run)","seq":\#(seq),"ts":"2026-11-24T10:00:00Z","kind":"note","data":{"x":1}}"# + "\n"
        }
        _ = try t.journal.fork("o", at: 20, as: "a")
        _ = try t.journal.ingest(text: note("a", 21))
        _ = try t.journal.fork("a", at: 10, as: "b")
        _ = try t.journal.ingest(text: note("b", 11))
        let pjl = try await collect { (sink) throws(JournalError) in try t.journal.exportPJL(run: "b", to: sink) }
        let file = t.directory + "/b.pjl"
        try Data(pjl).write(to: URL(fileURLWithPath: file))
        let other = try TemporaryJournal()
        let report = try await JournalCopier(from: try PortableSource(file: file), to: other.journal).copy()
        #expect(report.ok)
        #expect(try other.journal.run("b").headHash == t.journal.run("b").headHash)
        #expect(try other.journal.events(of: "b").map(\.bytes) == t.journal.events(of: "b").map(\.bytes))
        #expect(try other.journal.verify().ok)
    }

    @Test func aFileCompressedByTheLZ4CommandImports() async throws {
        let t = try TemporaryJournal()
        let compressed = try await run(["lz4", "-9", "-c", Fixtures.validContract])
        #expect(compressed.status == 0)
        let file = t.directory + "/contract.pjl"
        try Data(compressed.output).write(to: URL(fileURLWithPath: file))
        let report = try t.journal.importPJL(file: file)
        #expect(report.eventsWritten == 33)
    }

    /// The legacy format (`lz4 -l`: blocks of 8 MiB after their sizes), alone or before a frame
    /// of the standard format, imports and copies like the standard one.
    @Test func aFileOfTheLegacyLZ4FormatImportsAndCopies() async throws {
        let t = try TemporaryJournal()
        let big = try RunBuilder.complete(run: "big", steps: 40, payloadBytes: 300_000)
        let source = t.directory + "/big.jsonl"
        try big.jsonl.write(toFile: source, atomically: true, encoding: .utf8)
        let legacy = try await run(["lz4", "-l", "-c", source])
        let standard = try await run(["lz4", "-9", "-c", Fixtures.validContract])
        #expect(legacy.status == 0 && standard.status == 0 && legacy.output.count > 0)
        let file = t.directory + "/mixed.pjl"
        try Data(legacy.output + standard.output).write(to: URL(fileURLWithPath: file))
        let report = try t.journal.importPJL(file: file)
        #expect(report.rejected.isEmpty && report.eventsWritten == big.events.count + 33)
        #expect(try t.journal.events(of: "big").map(\.bytes) == big.events.map(\.bytes))
        let copied = try TemporaryJournal()
        let copy = try await JournalCopier(from: try PortableSource(file: file), to: copied.journal).copy()
        let (copiedHead, head) = (try copied.journal.run("big").headHash, try t.journal.run("big").headHash)
        #expect(copy.conflicts.isEmpty && copiedHead == head)
    }

    /// `hasForks` walks frames by their headers: every option of the frame format the `lz4`
    /// command writes (content size, block and content checksums, small blocks, several frames)
    /// is walked, a fork frame is found wherever it is, and a cut anywhere inside a frame is found.
    @Test func forksAreFoundByWalkingTheFramesOfAnyLayout() async throws {
        let t = try TemporaryJournal()
        let contract = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.validContract)))
        let big = Array((0..<40).map { _ in contract }.joined())  // several 64 KiB blocks
        var frames: [[UInt8]] = []
        for options in [["-1"], ["-9", "--content-size"], ["-BX", "-B4"], ["--no-frame-crc", "-B4", "--content-size"]] {
            let r = try await run(["lz4", "-c"] + options, input: big)
            try #require(r.status == 0)
            frames.append(r.output)
        }
        // A skippable frame with the magic of `planj copy`'s forks (0x184D2A5B), and another one.
        let fork: [UInt8] = [0x5B, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 1, 2, 3]
        let other: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0]
        let write = { (name: String, bytes: [UInt8]) throws -> String in
            let path = t.directory + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let all = Array(frames.joined())
        #expect(try !PortableSource.hasForks(file: write("plain.pjl", all + other)))
        #expect(try PortableSource.hasForks(file: write("last.pjl", all + fork)))
        #expect(try PortableSource.hasForks(file: write("between.pjl", frames[0] + fork + frames[1] + frames[3])))
        #expect(try t.journal.importPJL(file: write("import.pjl", all + other)).eventsWritten == 33)

        var cuts = 0
        for frame in frames {
            for end in stride(from: 1, to: frame.count, by: max(1, frame.count / 60)) {
                let path = try write("cut.pjl", fork + Array(frame.prefix(end)))
                #expect { try PortableSource.hasForks(file: path) } throws: { ($0 as? JournalError)?.code == .badInput }
                cuts += 1
            }
        }
        #expect(cuts > 200)
        #expect { try PortableSource.hasForks(file: write("foreign.pjl", Array("not lz4".utf8))) } throws: {
            ($0 as? JournalError)?.message.contains("unknown magic") == true
        }
    }

    @Test func aCutOffOrForeignPJLIsRefusedAndWritesNothing() async throws {
        let t = try TemporaryJournal()
        let source = try TemporaryJournal()
        _ = try source.journal.ingest(file: Fixtures.validContract)
        let pjl = try await collect { (sink) throws(JournalError) in
            try source.journal.exportPJL(run: "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", to: sink)
        }
        let cut = t.directory + "/cut.pjl"
        try Data(pjl.prefix(pjl.count - 9)).write(to: URL(fileURLWithPath: cut))
        #expect(throws: JournalError.self) { try t.journal.importPJL(file: cut) }
        let foreign = t.directory + "/foreign.pjl"
        try Data("not lz4 at all".utf8).write(to: URL(fileURLWithPath: foreign))
        #expect { try t.journal.importPJL(file: foreign) } throws: { ($0 as? JournalError)?.code == .badInput }
        #expect(try t.journal.runs().isEmpty)
    }
}
