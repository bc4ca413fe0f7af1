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

        @Option(help: ArgumentHelp("Only runs started at or after this time (RFC 3339).", valueName: "time"))
        var since: String?

        @Option(help: ArgumentHelp("Only runs whose goal contains this text (in any case).", valueName: "text"))
        var goal: String?

        @Option(help: ArgumentHelp("Only the forks made from this run (by fork or replay).", valueName: "run"))
        var forksOf: String?

        @Flag(help: "Leave forks out.")
        var noForks = false

        @Option(help: "At most this many runs.")
        var limit: Int?

        @Flag(help: "Print a JSON array.")
        var json = false

        func validate() throws {
            try RunSelection.check(status: status)
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            if forksOf != nil && noForks { throw ValidationError("give --forks-of or --no-forks, not both") }
            _ = try RunSelection.since(since)
        }

        private func filter() throws -> RunFilter {
            RunFilter(
                status: status, since: try RunSelection.since(since),
                forks: forksOf.map { .of($0) } ?? (noForks ? .excluded : .included), goal: goal)
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let filter = try filter()
                let runs = try global.openExisting().runs(filter, limit: limit)
                if json {
                    Output.jsonArray(runs.lazy.map(RunJSON.init))
                    return
                }
                guard !runs.isEmpty else {
                    let journal = Journal.displayName(global.journalPath)
                    Output.error(
                        filter == RunFilter()
                            ? "no runs in \(journal) (add some with `planj ingest FILE`)"
                            : "no runs in \(journal) match \(describe(filter))")
                    return
                }
                var table = TextTable(header: ["RUN", "STATUS", "EVENTS", "STARTED", "TOKENS", "COST", "GOAL"])
                for r in runs {
                    table.rows.append([
                        r.id, r.status, String(r.events), r.startedAt.map { String($0.description.prefix(19)) } ?? "-",
                        String(r.tokens), r.costUSD.dollarText,
                        (r.parent.map { "[fork of \($0) @\(r.forkSeq ?? 0)] " } ?? "") + (r.goal ?? ""),
                    ])
                }
                Output.line(table.render())
            }
        }

        /// The filter in words, for the message when it keeps no run.
        private func describe(_ filter: RunFilter) -> String {
            var parts: [String] = []
            if let status = filter.status { parts.append("--status \(status)") }
            if let since { parts.append("--since \(since)") }
            if let goal = filter.goal { parts.append("--goal \(String(reflecting: goal))") }
            switch filter.forks {
            case .included: break
            case .excluded: parts.append("--no-forks")
            case .of(let run): parts.append("--forks-of \(run)")
            }
            return parts.joined(separator: " ")
        }
    }
}
