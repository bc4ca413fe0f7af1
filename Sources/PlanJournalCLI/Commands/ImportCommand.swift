import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Add the runs of .pjl files (LZ4 frames of JSON Lines, as `export --format pjl` writes; - reads standard input).",
            discussion: HelpText.reflow("""
                The same rules as `ingest`: runs come back with identical hashes (`planj verify` passes), and
                importing a file twice changes nothing. Seals in the file (`planj seal`) are restored
                when they still hold for the events; a seal that does not is an error and nothing is
                imported.

                A file written by `planj copy` may hold forks (their own events, and which run
                and seq they continue); it is imported as `planj copy FILE JOURNAL` would, so the
                forks arrive as forks.

                Several files are imported one after another, each in its own transaction. A file that
                cannot be decoded (cut off, not LZ4, a seal that does not hold) is reported, naming it,
                and nothing of it is written; the other files are imported, and the exit status is
                non-zero. A directory stands for every .pjl file under it, as `export --all` leaves them:
                  planj export --all --format pjl -o backup/
                  planj --journal restored.sqlite import backup/
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The .pjl files (or directories of them), or - for standard input.", valueName: "file"))
        var files: [String]

        @Flag(help: "Print a JSON summary on standard output (for several files, one line per file).")
        var json = false

        @Flag(help: "Print no progress on standard error.")
        var quiet = false

        @Option(
            help: """
                The longest line accepted as one event, in bytes (256 MiB: a .pjl holds what a journal \
                held, such as a run's 20 MB output, where ingest takes 16 MiB from an agent).
                """)
        var maxLineBytes = 256 << 20

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("Name a .pjl file to import.") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let files = try InputFiles.expand(files, extensions: [".pjl"])
                try await InterruptNotice.during(Self.interrupted) {
                    try await global.withJournal(creating: true) { journal in
                        var failure: ExitCode?
                        // Several files in text: one line for them all (besides each file's rejections).
                        let several = files.count > 1
                        var total = IngestCommandSupport.Total()
                        for file in files {
                            do {
                                try await importFile(file, into: journal, several: several, total: &total)
                            } catch let code as ExitCode {
                                failure = ExitCode(IngestCommandSupport.severest((failure.map { [$0.rawValue] } ?? []) + [code.rawValue]))
                            } catch let error as JournalError {
                                let error = error.adding(journalPath: Journal.displayName(journal.path))
                                // Only this file is at fault: the others are still imported.
                                guard several && Self.isFault(error, of: file) else { throw error }
                                total.failedFiles += 1
                                // With --json, a line for this file too: one line per file, whatever happened to it.
                                if json { Output.json(FailedFileJSON(source: file, error: ErrorJSON(error)), pretty: false) }
                                let code = Output.fail(error, json: json, verbose: global.verbose)
                                failure = failure ?? code
                            }
                        }
                        if several && !json { Output.error(total.summary(files: files.count, verb: "imported")) }
                        if let failure { throw failure }
                    }
                }
            }
        }

        /// Said when a signal stops an import.
        static let interrupted =
            "the file being imported is not in the journal; the files before it are. "
            + "Importing the same files again skips what the journal holds."

        /// Imports one file, through the copier when it holds forks. Standard input or a pipe is
        /// first copied to a temporary file, as the file is read twice (for forks, then to import).
        private func importFile(
            _ file: String, into journal: Journal, several: Bool, total: inout IngestCommandSupport.Total
        ) async throws {
            let spool = try SpooledInput(ifNeededFor: file)
            let path = spool?.path ?? file
            do {
                if try PortableSource.hasForks(file: path) {
                    try await importWithForks(path, named: file, into: journal, several: several, total: &total)
                } else {
                    var report = try journal.importPJL(file: path, options: IngestCommandSupport.options(maxLineBytes, quiet))
                    report.source = file
                    total.add(report)
                    try IngestCommandSupport.finish(
                        report, verb: "imported", json: json, summaryLine: !several)
                }
            } catch var error as JournalError where error.context.file == path {
                error.context.file = file
                throw error
            }
        }

        /// Whether `error` is about the content of the input `file` (it cannot be decoded, or a
        /// seal in it does not hold), not about the journal or the machine: an import of several
        /// files reports it and goes on with the next file.
        static func isFault(_ error: JournalError, of file: String) -> Bool {
            error.context.file == file && [.badInput, .corrupt, .syntax, .invalidEvent, .sealBroken].contains(error.code)
        }

        /// Imports a file with forks through the copier; a run that differs from the journal's is
        /// a conflict (exit status 4).
        private func importWithForks(
            _ path: String, named file: String, into journal: Journal, several: Bool,
            total: inout IngestCommandSupport.Total
        ) async throws {
            let report = try await JournalCopier(from: try PortableSource(file: path), to: journal).copy()
            total.add(
                written: Int(report.eventsWritten), skipped: Int(report.eventsAlreadyThere), runs: report.runsCopied,
                rejected: report.runsSkipped.count)
            if json {
                Output.json(ForkImportJSON(source: file, report), pretty: false)
            } else {
                for c in report.conflicts { Output.error("planj: conflict: " + c.error.description) }
            }
            if let status = report.failureStatus, several || json { throw ExitCode(status) }
            guard !several && !json else { return }
            var text = "imported \(Output.count(report.eventsWritten, "event")) of \(Output.count(report.runsCopied.count, "run")) from \(file)"
            if report.eventsAlreadyThere > 0 { text += ", skipped \(report.eventsAlreadyThere) already in the journal" }
            if !report.runsSkipped.isEmpty { text += ", \(Output.count(report.runsSkipped.count, "run")) in conflict" }
            Output.error(text + String(format: " (%.2f s)", report.seconds))
            if let status = report.failureStatus { throw ExitCode(status) }
        }
    }
}

/// `import --json` of a `.pjl` file with forks (imported as `planj copy` would): the keys of a
/// plain import's report, with the copy's seals, so a script reads both alike.
struct ForkImportJSON: Encodable {
    struct Rejected: Encodable {
        var run: String
        var seq: Int64?
        var code = JournalError.Code.conflict.name
        var message: String
    }

    var source: String
    var eventsWritten: Int64
    var eventsSkipped: Int64
    var runsWritten: [String]
    var rejected: [Rejected]
    var sealsWritten: Int
    var seconds: Double

    init(source: String, _ r: CopyReport) {
        self.source = source
        eventsWritten = r.eventsWritten
        eventsSkipped = r.eventsAlreadyThere
        runsWritten = r.runsCopied
        rejected = r.conflicts.map { Rejected(run: $0.run, seq: $0.seq, message: $0.message) }
        sealsWritten = r.sealsWritten
        seconds = r.seconds
    }
}

/// `import --json`'s line for a file that could not be imported (cut off, not LZ4).
struct FailedFileJSON: Encodable {
    var source: String
    var error: ErrorJSON
}
