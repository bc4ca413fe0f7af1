import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runs",
            abstract: "List the runs in the journal, newest first.",
            discussion: HelpText.reflow("""
                --json prints an array with one object per run: id, goal, status, events, started_at,
                ended_at, parent, fork_seq, tokens, input_tokens, output_tokens, cost_usd, head_hash, bytes.
                """))

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only runs with this status: running, succeeded, failed, partially_succeeded, cancelled.")
        var status: String?

        @Option(help: "At most this many runs.")
        var limit: Int?

        @Flag(help: "Print a JSON array.")
        var json = false

        func validate() throws {
            try RunSelection.check(status: status)
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let runs = try global.openExisting().runs(status: status, limit: limit)
                if json {
                    Output.jsonArray(runs.lazy.map(RunJSON.init))
                    return
                }
                guard !runs.isEmpty else {
                    let journal = Journal.displayName(global.journalPath)
                    Output.error(
                        status.map { "no \($0) runs in \(journal)" }
                            ?? "no runs in \(journal) (add some with `planj ingest FILE`)")
                    return
                }
                var table = TextTable(header: ["RUN", "STATUS", "EVENTS", "STARTED", "TOKENS", "COST", "GOAL"])
                for r in runs {
                    table.rows.append([
                        r.id, r.status, String(r.events), r.startedAt.map { String($0.description.prefix(19)) } ?? "-",
                        String(r.tokens), String(format: "$%.4f", r.costUSD),
                        (r.parent.map { "[fork of \($0) @\(r.forkSeq ?? 0)] " } ?? "") + (r.goal ?? ""),
                    ])
                }
                Output.line(table.render())
            }
        }
    }
}
