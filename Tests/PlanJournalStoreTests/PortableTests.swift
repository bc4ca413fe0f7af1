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

    @Test func aFileCompressedByTheLZ4CommandImports() async throws {
        let t = try TemporaryJournal()
        let compressed = try await run(["lz4", "-9", "-c", Fixtures.validContract])
        #expect(compressed.status == 0)
        let file = t.directory + "/contract.pjl"
        try Data(compressed.output).write(to: URL(fileURLWithPath: file))
        let report = try t.journal.importPJL(file: file)
        #expect(report.eventsWritten == 33)
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
        #expect { try t.journal.importPJL(file: foreign) } throws: { ($0 as? JournalError)?.code == .corrupt }
        #expect(try t.journal.runs().isEmpty)
    }
}
