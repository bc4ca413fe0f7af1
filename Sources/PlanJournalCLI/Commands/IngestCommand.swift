import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Add events from JSON Lines files in the wire format (- reads standard input).",
            discussion: HelpText.reflow("""
                Each line is one event: {"v":1,"run":ID,"seq":N,"ts":TIME,"kind":KIND,"actor":WHO,"data":{...}}.
                Runs may interleave. Every run is validated whole: a run with a bad line is rejected with an
                error naming the line, run, seq and field, and nothing of it is written; the other runs land,
                and the exit status is non-zero. Events already in the journal (same run, seq and bytes), or
                earlier in the same input, are skipped: an interrupted ingest is finished by running it
                again, and logs that overlap may be ingested whole. A different event at a seq already
                taken is a conflict. Appending to a run continues its seq. TIME is RFC 3339 (any offset,
                stored as UTC with microseconds; a finer time is rounded down, with a note) or integer
                microseconds since the epoch (one before 1973 gets a note: it was most likely meant as
                seconds or milliseconds). Integers may be written as whole floats (2.0, 1e3), as JSON
                Schema takes them (and kept as written). An unpaired surrogate escape ("\\ud83e",
                which JSON.stringify writes for text cut inside an emoji) is stored as U+FFFD. A
                call.model cost_usd that is no JSON number, or a token count that is no integer, counts
                0 in totals and budgets: ingest notes how many events hold one. JSON nested deeper than
                200 levels is refused. A line that names no run
                (cut off, or not an object) rejects the runs open at it, which it may belong to.

                An input is committed when it ends (for standard input, when its writer closes it). For
                a stream that stays open while an agent runs, use `planj append`, which commits and
                acknowledges each event as it comes.

                Several files are ingested one after another, each validated and reported on its own (a
                run may start in one and continue in the next, as rotated logs do); a directory stands
                for every .jsonl and .ndjson file under it, in the order of their paths. Small files are
                committed together (up to 16 MB or half a second at a time), and a file's report is
                printed once its events are committed:
                  planj ingest logs/agent-*.jsonl --json | jq -c '{source, events_written}'
                  planj ingest logs/
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(
            help: ArgumentHelp(
                "JSON Lines files (or directories of them), each ingested in turn (a run may continue in the next one), or - for standard input.",
                valueName: "file"))
        var files: [String]

        @Flag(help: "Print a JSON summary on standard output (for several files, one line per file).")
        var json = false

        @Flag(help: "Print no progress on standard error.")
        var quiet = false

        @Option(help: "The longest line accepted as one event, in bytes.")
        var maxLineBytes = 16 << 20

        @OptionGroup var storage: StorageOptions

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("Name a JSON Lines file to ingest, or - for standard input.") }
            guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("Standard input (-) can be read once.") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let files = try InputFiles.expand(files)
                try await InterruptNotice.during(Self.interrupted) {
                    try await global.withJournal(creating: true, configuration: storage.configuration) { journal in
                        var failure: ExitCode?
                        // Several files in text: one line for them all (besides each file's rejections and notes).
                        let several = files.count > 1
                        var total = IngestCommandSupport.Total()
                        try journal.ingest(files: files, options: IngestCommandSupport.options(maxLineBytes, quiet)) { report in
                            total.add(report)
                            do {
                                try IngestCommandSupport.finish(report, json: json, summaryLine: !several)
                            } catch {
                                let code = ((error as? ExitCode) ?? .failure).rawValue
                                failure = ExitCode(IngestCommandSupport.severest((failure.map { [$0.rawValue] } ?? []) + [code]))
                            }
                        }
                        if several && !json { Output.error(total.summary(files: files.count)) }
                        if let failure { throw failure }
                    }
                }
            }
        }

        /// Said when a signal stops an ingest.
        static let interrupted =
            "what this ingest read since it last committed is not in the journal (it commits "
            + "when its input ends, or between files). Ingesting the same input again skips what the journal "
            + "holds; feed a live stream to `planj append`, which commits each event as it comes."
    }
}

/// What `ingest` and `import` share: progress and the closing report.
enum IngestCommandSupport {
    /// The exit status of an ingest or import that rejected runs with `statuses`, whatever their
    /// order: a conflict (4) before invalid input (3), as the journal holds other data than the
    /// input; then the first.
    static func severest(_ statuses: [Int32]) -> Int32 {
        let conflict = JournalError.Code.conflict.exitStatus
        return statuses.contains(conflict) ? conflict : statuses.first ?? 1
    }

    /// `PLANJOURNAL_INGEST_GROUP_BYTES` sets ``IngestOptions/groupBytes`` (0: a transaction per
    /// file) and `PLANJOURNAL_INGEST_BUFFERED_BYTES` ``IngestOptions/bufferedBytes``, for tests,
    /// the crash harness and benchmarks.
    static func options(_ maxLineBytes: Int, _ quiet: Bool) -> IngestOptions {
        var options = IngestOptions(maxLineBytes: maxLineBytes, progress: quiet ? nil : printProgress)
        let environment = ProcessInfo.processInfo.environment
        if let bytes = environment["PLANJOURNAL_INGEST_GROUP_BYTES"].flatMap({ Int64($0) }) {
            options.groupBytes = bytes
        }
        if let bytes = environment["PLANJOURNAL_INGEST_BUFFERED_BYTES"].flatMap({ Int($0) }) {
            options.bufferedBytes = bytes
        }
        return options
    }

    @Sendable static func printProgress(_ p: IngestProgress) {
        let mb = Double(p.bytes) / 1_000_000
        let rate = p.seconds > 0 ? Double(p.eventsWritten) / p.seconds : 0
        let files = p.filesTotal > 1 ? "\(p.filesDone) of \(p.filesTotal) files, " : ""
        let text =
            "ingest: " + files
            + String(format: "%d lines, %.1f MB, %d events written, %.0f events/s", p.lines, mb, p.eventsWritten, rate)
        if Output.stderrIsTerminal {
            Output.writeError(Array(("\r" + text).utf8))
        } else {
            Output.error(text)
        }
    }

    /// What the files of one command added up to (a run continued across files counts once; a
    /// run rejected in two files, twice), for the one line printed for several files.
    struct Total {
        var written = 0
        var skipped = 0
        /// By their bytes (two spellings of one text are two runs, as in the journal).
        var runs: Set<[UInt8]> = []
        var rejected = 0
        /// Files that could not be read or decoded (nothing of them written).
        var failedFiles = 0
        let started = ContinuousClock.now

        mutating func add(_ report: IngestReport) {
            add(written: report.eventsWritten, skipped: report.eventsSkipped, runs: report.runsWritten, rejected: report.rejected.count)
        }

        mutating func add(written: Int, skipped: Int, runs: [String], rejected: Int) {
            self.written += written
            self.skipped += skipped
            self.runs.formUnion(runs.map { Array($0.utf8) })
            self.rejected += rejected
        }

        func summary(files: Int, verb: String = "ingested") -> String {
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let failed = failedFiles == 0 ? "" : ", \(failedFiles) of them not \(verb) (see above)"
            return IngestCommandSupport.summary(
                verb: verb, written: written, runs: runs.count, source: Output.count(files, "file") + failed, skipped: skipped,
                rejected: rejected, seconds: seconds)
        }
    }

    /// "ingested N events of R runs from SOURCE ..." for a report.
    static func summary(_ report: IngestReport, verb: String = "ingested") -> String {
        summary(
            verb: verb, written: report.eventsWritten, runs: report.runsWritten.count, source: report.source,
            skipped: report.eventsSkipped, rejected: report.rejected.count, seconds: report.seconds)
    }

    static func summary(
        verb: String = "ingested", written: Int, runs: Int, source: String, skipped: Int, rejected: Int, seconds: Double
    ) -> String {
        var text = "\(verb) \(Output.count(written, "event")) of \(Output.count(runs, "run")) from \(source)"
        if skipped > 0 { text += ", skipped \(skipped) already in the journal" }
        if rejected > 0 { text += ", rejected \(Output.count(rejected, "run"))" }
        return text + String(format: " (%.2f s)", seconds)
    }

    /// Prints the report and throws the exit status when something was rejected. With `json`,
    /// the report is one line of JSON on standard output (one per file, whatever their number),
    /// rejections included, and nothing goes to standard error.
    /// - Parameter summaryLine: print the report's "ingested ..." line (text only).
    static func finish(_ report: IngestReport, verb: String = "ingested", json: Bool, summaryLine: Bool = true) throws {
        // Clears a progress line (of this file, or of the files committed with it).
        if Output.stderrIsTerminal { Output.writeError(Array("\r\u{1B}[K".utf8)) }
        if json {
            Output.json(report, pretty: false)
        } else {
            for r in report.rejected {
                var text = "planj: rejected: " + r.error(source: report.source).description
                if r.ignoredLines > 0 {
                    text += r.run == nil ? " (and \(r.ignoredLines) more lines that name no run)" : " (\(r.ignoredLines) more lines of this run ignored)"
                }
                Output.error(text)
            }
            if summaryLine { Output.error(summary(report, verb: verb)) }
            if report.timestampsRounded > 0 {
                Output.error(
                    "planj: note: \(report.timestampsRounded) events of \(report.source) have a ts finer than microseconds "
                        + "or a leap second: the journal keeps times to the microsecond (rounded down) and a leap second "
                        + "as :59.999999")
            }
            if report.measuresUncounted > 0, let line = report.firstMeasureUncounted {
                Output.error(
                    "planj: note: \(report.measuresUncounted) call.model events of \(report.source) have a cost or token count "
                        + "that counts 0 (first at line \(line): \(report.firstMeasuresUncounted.joined(separator: ", "))): "
                        + "cost_usd must be a number a double holds (not 1e400), and token counts integers from 0 to 2^63-1")
            }
            if let first = report.unknownKinds.first {
                let kinds = report.unknownKinds.count > 1 ? "\(report.unknownKinds.count) kinds, the first" : "first"
                Output.error(
                    "planj: note: \(Output.count(report.unknownKindEvents, "event")) of \(report.source) have a kind "
                        + "this version does not know (\(kinds) at line \(first.line)): " + EventKind.unknownKindNote(first.kind))
            }
            if let torn = report.tornLine {
                let run = torn.run.map { " of run \($0)" } ?? ""
                Output.error(
                    "planj: note: \(report.source): line \(torn.line)\(run) is cut off (\(Output.count(torn.bytes, "byte")), "
                        + "no newline after it, \(torn.reason)): left out, as a writer that stopped in the middle of a line "
                        + "leaves it; the events before it are ingested, and ingesting the file again once the line "
                        + "is whole adds it")
            }
            if report.timestampsNearEpoch > 0 {
                let line = report.firstTimestampNearEpoch.map { " (first at line \($0))" } ?? ""
                Output.error(
                    "planj: note: \(Output.count(report.timestampsNearEpoch, "event")) of \(report.source) with an integer ts before 1973"
                        + "\(line): an integer ts is microseconds since the epoch, so seconds or milliseconds "
                        + "land in 1970; multiply by 1000000 or 1000, or write an RFC 3339 time")
            }
        }
        if !report.rejected.isEmpty {
            throw ExitCode(severest(report.rejected.map { $0.error(source: report.source).code.exitStatus }))
        }
    }
}
