import ArgumentParser
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Create or upgrade the journal's schema (other commands do this on first use).",
            discussion: HelpText.reflow("""
                Safe to run from several processes at once, and again: a journal already at this planj's \
                format version is left as it is. A journal written by a newer planj is refused (exit 7). \
                It also recomputes the run catalog (what `runs` lists) from the events where an older planj \
                counted a value otherwise, such as a token count written as 2.0, which `verify` reports.
                """))

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                try await global.withJournal(creating: true) { journal in
                    let version = try journal.formatVersion()
                    let refreshed = try journal.refreshCatalog()
                    if json {
                        Output.json(
                            MigrateResult(
                                journal: Journal.displayName(global.journalPath), formatVersion: version, catalogRefreshed: refreshed))
                    } else {
                        Output.line("journal \(Journal.displayName(global.journalPath)) is at format version \(version)")
                        if !refreshed.isEmpty { Output.line("recomputed the catalog of \(Output.count(refreshed.count, "run")) from the events") }
                    }
                }
            }
        }
    }
}

/// What `planj migrate --json` prints.
struct MigrateResult: Encodable {
    var journal: String
    var formatVersion: Int
    /// The runs whose catalog row was recomputed from their events.
    var catalogRefreshed: [String]
}
