import Foundation
import PlanJournalCore
import PlanJournalStore
import Testing

extension JournalConformance {
    /// Files ingested by one command, whether they share transactions or each has its own: each
    /// is reported in order once committed, and a rejection undoes only what its own file wrote
    /// of the run (`r` keeps `a`'s events, rejected in `b`, and takes `d`'s).
    public func filesOfOneIngestLandAsTheirOwnReportsSay() async throws {
        let directory = NSTemporaryDirectory() + "planjournal-files-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logs = try RotatedLogs(in: directory)
        for groupBytes: Int64 in [0, 1 << 30] {
            let journal = try fixture.makeJournal()
            var reports: [IngestReport] = []
            try journal.ingest(files: logs.paths, options: IngestOptions(groupBytes: groupBytes)) { reports.append($0) }
            #expect(reports.map(\.source) == logs.paths, "groupBytes \(groupBytes)")
            #expect(reports.map(\.eventsWritten) == logs.expectedWritten, "groupBytes \(groupBytes)")
            #expect(reports[1].rejected.map(\.run) == ["r"] && reports[1].rejected.first?.line == 1)
            let reopened = try fixture.reopen(journal)
            for run in [logs.r, logs.s, logs.t] {
                #expect(try reopened.events(of: run.run).map(\.jsonLine) == run.events.map(\.jsonLine), "run \(run.run)")
            }
            #expect(try reopened.verify().ok)
        }
    }
}
