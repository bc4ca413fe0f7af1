import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy runs between journals and into or out of .pjl files, with their hashes intact.",
            discussion: HelpText.reflow("""
                SOURCE and DEST are each a journal (an SQLite file or a
                postgres:// URL) or, when the name ends in .pjl, a portable file. Events are copied as
                stored, so every hash carries over: `planj verify` passes on
                the copy and head hashes equal the source's. Seals come along
                (`verify --trust KEY.pub` passes on the copy). A fork arrives
                as a fork of the same parent at the same seq (its parent is
                copied first, whatever the filters say): nothing is stored
                twice.

                Copying again is safe: runs the destination already holds are
                left alone, and an interrupted copy continues where it
                stopped. A run that differs between SOURCE and DEST (another
                event at some seq) is a conflict: it is reported with the
                first differing seq and left as it is, the other runs are
                still copied, and the exit status is 4. A run the source
                holds damaged (see `planj verify`) is reported and skipped,
                with its forks; the others are still copied, and the exit
                status is 6.

                Into a .pjl file, the selected runs go into one file, written
                whole or not at all: an LZ4 frame of JSON Lines that
                `lz4 -dc FILE` prints and `planj import FILE` adds to a
                journal. An existing file is replaced only with --force.
                From a .pjl file, the file is read whole first: one that is
                damaged anywhere is refused and nothing is copied (`planj
                import` takes the runs that are whole and rejects the others).

                Examples:
                  planj copy journals/planjournal.sqlite backup.sqlite
                  planj copy prod.sqlite mine.sqlite --run r-1 --run r-2
                  planj copy prod.sqlite failed.pjl --status failed \\
                      --since 2026-11-01T00:00:00Z
                  planj copy failed.pjl mine.sqlite --status failed
                  planj copy prod.sqlite backup.sqlite --json | jq .events_written
                """))

        // No --journal: SOURCE and DEST name both ends.
        @Flag(help: "Print errors with their causes.")
        var verbose = false

        @Argument(help: ArgumentHelp("The journal or .pjl file to copy from.", valueName: "source"))
        var source: String

        @Argument(help: ArgumentHelp("The journal or .pjl file to copy into (a journal is created if needed).", valueName: "dest"))
        var destination: String

        @Option(name: .customLong("run"), help: ArgumentHelp("Copy only this run (repeatable).", valueName: "id"))
        var runs: [String] = []

        @Option(help: ArgumentHelp("Copy only runs started at or after this RFC 3339 time.", valueName: "time"))
        var since: String?

        @Option(help: ArgumentHelp("Copy only runs with this status (running, succeeded, failed, ...).", valueName: "status"))
        var status: String?

        @Option(help: ArgumentHelp("The most events written in one transaction.", visibility: .hidden))
        var batchEvents = 2000

        @Flag(help: "Replace DEST when it is an existing .pjl file.")
        var force = false

        @Flag(help: "Print a JSON summary on standard output.")
        var json = false

        @Flag(help: "Print no progress on standard error.")
        var quiet = false

        func validate() throws {
            try RunSelection.check(status: status)
            _ = try RunSelection.since(since)
            if batchEvents < 1 { throw ValidationError("--batch-events must be at least 1") }
            var isDirectory: ObjCBool = false
            if destination.hasSuffix("/"), !destination.contains("://"),
                !(FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory) && isDirectory.boolValue)
            {
                throw ValidationError("\(destination) names a folder that does not exist: name the journal or .pjl file to write")
            }
        }

        func run() async throws {
            // Stopped by a signal, a .pjl destination not finished is removed and named; into a
            // journal, the runs copied so far stay, and the same copy goes on.
            let interrupted =
                CopyEndpoints.isPortable(destination)
                ? nil
                : "the runs copied so far are in \(Journal.displayName(destination)); the same planj copy goes on where it stopped."
            try await reportingErrors(json: json, verbose: verbose) { try await InterruptNotice.during(interrupted) {
                let endpoints = try CopyEndpoints(source: source, destination: destination, force: force)
                let progress = ThrottledProgressLine(enabled: !quiet && Output.stderrIsTerminal)
                let options = CopyOptions(
                    runs: runs, since: try RunSelection.since(since), status: status,
                    batchEvents: batchEvents, progress: progress.show)
                let (from, into) = try endpoints.open()
                let report = try await JournalCopier(from: from, to: into.destination, options: options).copy()
                try into.finish()
                progress.clear()
                try finish(report)
            } }
        }

        /// Prints conflicts and damaged runs, the summary line and the JSON report; throws exit status 6 when
        /// a run of the source is damaged, else 4 on a conflict.
        private func finish(_ report: CopyReport) throws {
            for c in report.conflicts {
                Output.error("planj: conflict: " + c.error.description)
            }
            for u in report.unreadable {
                Output.error("planj: copy: run \(u.run)\(u.seq.map { " seq \($0)" } ?? ""): not copied, the source cannot read it: \(u.message)")
            }
            if json { Output.json(report) }
            var text = "copied \(Output.count(report.runsCopied.count, "run")) (\(Output.count(report.eventsWritten, "event"))"
            if report.sealsWritten > 0 { text += ", \(Output.count(report.sealsWritten, "seal"))" }
            text += ") from \(Journal.displayName(source)) to \(Journal.displayName(destination))"
            if !report.runsAlreadyThere.isEmpty { text += "; \(report.runsAlreadyThere.count) already there" }
            if !report.runsSkipped.isEmpty {
                let why = [
                    report.conflicts.isEmpty ? nil : Output.count(report.conflicts.count, "conflict"),
                    report.unreadable.isEmpty ? nil : "\(report.unreadable.count) damaged in the source",
                ].compactMap { $0 }.joined(separator: ", ")
                text += "; \(report.runsSkipped.count) skipped (\(why))"
            }
            text += String(format: " (%.2f s)", report.seconds)
            Output.error(text)
            if let status = report.failureStatus { throw ExitCode(status) }
        }
    }
}
