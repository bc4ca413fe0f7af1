import ArgumentParser
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the runs of a .pjl file (an LZ4 frame of JSON Lines, as `export --format pjl` writes).",
            discussion: """
                The same rules as `ingest`: runs come back with identical hashes (`planj verify` passes), and
                importing a file twice changes nothing. Seals in the file (`planj seal`) are restored
                when they still hold for the events; a seal that does not is an error and nothing is
                imported.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The .pjl file.", valueName: "file"))
        var file: String

        @Flag(help: "Print a JSON summary on standard output.")
        var json = false

        @Flag(help: "Print no progress on standard error.")
        var quiet = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let journal = try global.open()
                let report = try journal.importPJL(file: file, options: IngestCommandSupport.options(16 << 20, quiet))
                try IngestCommandSupport.finish(report, json: json)
            }
        }
    }
}
