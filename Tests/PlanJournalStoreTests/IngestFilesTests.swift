import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// `Journal.ingest(files:)` on SQLite, beyond the conformance check
/// (`filesOfOneIngestLandAsTheirOwnReportsSay`): what is checked before anything is written, and
/// inputs that are not regular files.
@Suite struct IngestFilesTests {
    private func ingest(_ logs: RotatedLogs, into journal: Journal) throws -> [IngestReport] {
        var reports: [IngestReport] = []
        try journal.ingest(files: logs.paths) { reports.append($0) }
        return reports
    }

    @Test func aFileThatCannotBeOpenedStopsTheIngestBeforeAnythingIsWritten() throws {
        let t = try TemporaryJournal()
        let logs = try RotatedLogs(in: t.directory)
        var reports: [IngestReport] = []
        let missing = t.directory + "/missing.jsonl"
        #expect {
            try t.journal.ingest(files: logs.paths + [missing]) { reports.append($0) }
        } throws: { error in
            guard let e = error as? JournalError else { return false }
            return e.code == .usage && e.context.file == missing
        }
        #expect(reports.isEmpty)
        #expect(try t.journal.runs().isEmpty)
        // A path that names nothing is a usage error; a file that is there but cannot be read
        // (permissions, a failing disk) an I/O error.
        #expect(JournalError.cannotOpen(missing, errno: ENOENT).code == .usage)
        #expect(JournalError.cannotOpen(missing, errno: EACCES).code == .io)
        #expect(JournalError.cannotOpen(missing, errno: EACCES).description.contains("Permission denied"))
    }

    /// A FIFO among the files is opened in its turn only: opening it earlier to check it would
    /// wait for its writer, or take the writer's lines and drop them.
    @Test(.timeLimit(.minutes(1))) func aFIFOIsReadInItsTurn() throws {
        let t = try TemporaryJournal()
        let logs = try RotatedLogs(in: t.directory)
        let fifo = t.directory + "/live.jsonl"
        #expect(mkfifo(fifo, 0o600) == 0)
        let live = try RunBuilder.complete(run: "live", steps: 2).jsonl
        let writer = Thread { try? live.write(toFile: fifo, atomically: false, encoding: .utf8) }
        writer.start()
        var reports: [IngestReport] = []
        try t.journal.ingest(files: [logs.paths[0], fifo]) { reports.append($0) }
        #expect(reports.map(\.source) == [logs.paths[0], fifo])
        #expect(try t.journal.events(of: "live").map { $0.jsonLine + "\n" }.joined() == live)
    }

    /// Ingesting the same files again writes nothing and skips what the first ingest wrote.
    @Test func aSecondIngestOfTheSameFilesSkipsEverything() throws {
        let t = try TemporaryJournal()
        let logs = try RotatedLogs(in: t.directory)
        _ = try ingest(logs, into: t.journal)
        let again = try ingest(logs, into: t.journal)
        #expect(again.map(\.eventsWritten) == [0, 0, 0, 0])
        #expect(again.map(\.eventsSkipped).reduce(0, +) == logs.r.events.count + logs.s.events.count + logs.t.events.count)
        #expect(again[1].rejected.map(\.run) == ["r"], "the bad line is still a conflict at a seq r holds")
    }
}
