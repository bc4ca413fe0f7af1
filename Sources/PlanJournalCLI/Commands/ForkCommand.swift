import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

extension Planj {
    struct Fork: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fork",
            abstract: "Start a new run that shares a run's first events (nothing is copied).",
            discussion: HelpText.reflow("""
                The fork reads events 1...SEQ through its parent and takes new events from SEQ+1 on
                (`planj ingest` with its run id). `planj runs` shows its parent and fork seq.
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run to fork.")
        var run: String

        @Option(help: "The last event the fork shares with its parent.")
        var at: Int64

        @Option(name: .customLong("as"), help: "The new run's id (default: a new ULID, as planj run makes).")
        var id: String?

        @Flag(help: "Print the new run as JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                try await global.withJournal { journal in
                    // A point past the end is a bad argument here, as for show --at (in a .pjl, bad input).
                    let head = try journal.run(run).events
                    guard (1...max(1, head)).contains(at) else {
                        throw JournalError(.usage, "--at \(at): a fork point must be within 1...\(head)", context: .init(run: run))
                    }
                    let fork = try journal.fork(run, at: at, as: id ?? RunID.make())
                    if json {
                        Output.json(RunJSON(summary: fork))
                    } else {
                        Output.line(fork.id)
                    }
                }
            }
        }
    }
}
