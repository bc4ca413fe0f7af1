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
                format version is left as it is. A journal written by a newer planj is refused (exit 7).
                """))

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let version = try global.open().formatVersion()
                if json {
                    Output.json(MigrateResult(journal: Journal.displayName(global.journalPath), formatVersion: version))
                } else {
                    Output.line("journal \(Journal.displayName(global.journalPath)) is at format version \(version)")
                }
            }
        }
    }
}

/// What `planj migrate --json` prints.
struct MigrateResult: Encodable {
    var journal: String
    var formatVersion: Int
}
