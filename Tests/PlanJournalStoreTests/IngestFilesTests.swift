import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// `Journal.ingest(files:)`: files ingested in turn, validated and reported one by one, committed
/// in groups that never change what lands.
@Suite struct IngestFilesTests {
    /// Four files: run `r` starts in `a` and continues in `d`; `b` continues it with a step no
    /// plan names (rejected: `r` keeps what `a` wrote); `a` and `c` also hold complete runs.
    private struct Logs {
        let r: RunBuilder
        let s: RunBuilder
        let t: RunBuilder
        let split: Int
        let paths: [String]

        init(in directory: String) throws {
            r = try RunBuilder.complete(run: "r", steps: 4)
            s = try RunBuilder.complete(run: "s", steps: 2)
            t = try RunBuilder.complete(run: "t", steps: 2)
            split = r.events.count / 2
            let first = r.events[..<split].map { $0.jsonLine + "\n" }.joined()
            let rest = r.events[split...].map { $0.jsonLine + "\n" }.joined()
            let next = r.events[split]
            let bad = #"{"v":1,"run":"r","seq":\#(next.seq),"ts":"2026-11-26T10:00:00.000000Z","kind":"step.started","actor":"executor","data":{"step_id":"nope","attempt":1}}"#
            let files = [
                "a.jsonl": first + s.jsonl,
                "b.jsonl": bad + "\n",
                "c.jsonl": t.jsonl,
                "d.jsonl": rest,
            ]
            paths = try files.keys.sorted().map { name in
                let path = directory + "/" + name
                try files[name]!.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
        }
    }

    private func ingest(_ logs: Logs, into journal: Journal, groupBytes: Int64) throws -> [IngestReport] {
        var reports: [IngestReport] = []
        try journal.ingest(files: logs.paths, options: IngestOptions(groupBytes: groupBytes)) { reports.append($0) }
        return reports
    }

    @Test(arguments: [0, 1 << 30] as [Int64])
    func filesAreReportedInOrderAndARejectionUndoesOnlyItsOwnFile(groupBytes: Int64) throws {
        let t = try TemporaryJournal()
        let logs = try Logs(in: t.directory)
        let reports = try ingest(logs, into: t.journal, groupBytes: groupBytes)
        #expect(reports.map { URL(fileURLWithPath: $0.source).lastPathComponent } == ["a.jsonl", "b.jsonl", "c.jsonl", "d.jsonl"])
        #expect(reports.map(\.eventsWritten) == [logs.split + logs.s.events.count, 0, logs.t.events.count, logs.r.events.count - logs.split])
        #expect(reports[1].rejected.map(\.run) == ["r"])
        #expect(reports[1].rejected.first?.line == 1)
        #expect(reports.allSatisfy { $0.bytes > 0 && $0.lines > 0 })
        for run in [logs.r, logs.s, logs.t] {
            #expect(try t.journal.events(of: run.run).map(\.jsonLine) == run.events.map(\.jsonLine), "run \(run.run)")
        }
        #expect(try t.journal.verify().ok)
        #expect(try t.journal.state(of: "r").steps.allSatisfy { $0.status == .completed })
    }

    @Test func aFileThatCannotBeOpenedStopsTheIngestBeforeAnythingIsWritten() throws {
        let t = try TemporaryJournal()
        let logs = try Logs(in: t.directory)
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
    }

    /// A FIFO among the files is opened in its turn only: opening it earlier to check it would
    /// wait for its writer, or take the writer's lines and drop them.
    @Test(.timeLimit(.minutes(1))) func aFIFOIsReadInItsTurn() throws {
        let t = try TemporaryJournal()
        let logs = try Logs(in: t.directory)
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
        let logs = try Logs(in: t.directory)
        _ = try ingest(logs, into: t.journal, groupBytes: 1 << 30)
        let again = try ingest(logs, into: t.journal, groupBytes: 1 << 30)
        #expect(again.map(\.eventsWritten) == [0, 0, 0, 0])
        #expect(again.map(\.eventsSkipped).reduce(0, +) == logs.r.events.count + logs.s.events.count + logs.t.events.count)
        #expect(again[1].rejected.map(\.run) == ["r"], "the bad line is still a conflict at a seq r holds")
    }
}
