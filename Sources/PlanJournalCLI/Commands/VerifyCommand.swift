import ArgumentParser
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every hash chain and check every stored byte.",
            discussion: """
                Checks each run's chunks (they decode, hold the right events in order), the SHA-256 hash chain
                over every event, the catalog's head hashes, fork links and snapshots. A single changed byte
                anywhere is reported with its run and seq, and the exit status is 6.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "One run (default: every run).")
        var run: String?

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let report = try global.open().verify(run: run)
                if json {
                    Output.json(report)
                } else {
                    for p in report.problems {
                        Output.error(
                            "planj: verify: \(global.journalPath): run \(p.run)\(p.seq.map { " seq \($0)" } ?? ""): [\(p.code)] \(p.message)")
                    }
                    Output.line(
                        "\(report.ok ? "ok" : "FAILED"): \(report.runs) runs, \(report.events) events, \(report.chunks) chunks, \(report.snapshots) snapshots checked"
                            + (report.ok ? "" : "; \(report.problems.count) problems"))
                }
                if !report.ok { throw ExitCode(JournalError.Code.corrupt.exitStatus) }
            }
        }
    }
}
