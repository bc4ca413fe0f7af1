import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Add the runs of .pjl files (LZ4 frames of JSON Lines, as `export --format pjl` writes).",
            discussion: HelpText.reflow("""
                The same rules as `ingest`: runs come back with identical hashes (`planj verify` passes), and
                importing a file twice changes nothing. Seals in the file (`planj seal`) are restored
                when they still hold for the events; a seal that does not is an error and nothing is
                imported.

                A file written by `planj copy` may hold forks (their own events, and which run
                and seq they continue); it is imported as `planj copy FILE JOURNAL` would, so the
                forks arrive as forks.

                Several files are imported one after another, each in its own transaction; a
                directory stands for every .pjl file under it, as `export --all` leaves them:
                  planj export --all --format pjl -o backup/
                  planj --journal restored.sqlite import backup/
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The .pjl files (or directories of them).", valueName: "file"))
        var files: [String]

        @Flag(help: "Print a JSON summary on standard output (for several files, one line per file).")
        var json = false

        @Flag(help: "Print no progress on standard error.")
        var quiet = false

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("Name a .pjl file to import.") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let files = try InputFiles.expand(files, extensions: [".pjl"])
                let journal = try global.open()
                var failure: ExitCode?
                for file in files {
                    do {
                        if try PortableSource.hasForks(file: file) {
                            try await importWithForks(file, into: journal, oneLine: files.count > 1)
                        } else {
                            let report = try journal.importPJL(
                                file: file, options: IngestCommandSupport.options(16 << 20, quiet))
                            try IngestCommandSupport.finish(report, json: json, oneLine: files.count > 1)
                        }
                    } catch let code as ExitCode {
                        failure = failure ?? code
                    }
                }
                if let failure { throw failure }
            }
        }

        /// Imports a file with forks through the copier; a run that differs from the journal's is
        /// a conflict (exit status 4).
        private func importWithForks(_ file: String, into journal: Journal, oneLine: Bool) async throws {
            let report = try await JournalCopier(from: try PortableSource(file: file), to: journal).copy()
            for c in report.conflicts { Output.error("planj: conflict: " + c.error.description) }
            if json { Output.json(report, pretty: !oneLine) }
            var text = "imported \(report.eventsWritten) events of \(report.runsCopied.count) runs from \(file)"
            if report.eventsAlreadyThere > 0 { text += ", skipped \(report.eventsAlreadyThere) already in the journal" }
            if !report.runsSkipped.isEmpty { text += ", \(report.runsSkipped.count) runs in conflict" }
            Output.error(text + String(format: " (%.2f s)", report.seconds))
            if let first = report.conflicts.first { throw ExitCode(first.error.code.exitStatus) }
        }
    }
}
