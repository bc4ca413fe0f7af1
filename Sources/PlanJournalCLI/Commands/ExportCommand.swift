import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTools
import Synchronization

extension Planj {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write runs as JSON Lines, .pjl files, Perfetto or OpenTelemetry traces, Markdown or HTML reports.",
            discussion: HelpText.reflow("""
                Formats:
                  jsonl:  the run's events, one canonical JSON object per line (pipe to jq);
                          a fork's first lines are its parent's, under the parent's run id.
                  pjl:    the same lines in a standard LZ4 frame: `lz4 -dc run.pjl | jq .`
                          reads it, and `planj import run.pjl` restores the run with identical
                          hashes (a fork as a fork, with its parent's first events).
                  chrome: Chrome trace-event JSON; open it in https://ui.perfetto.dev or
                          chrome://tracing: a track per parallel lane, steps, tool and model
                          calls as spans, replans and approvals as instants.
                  md:     a Markdown report: goal, plan versions and revisions, steps with
                          outcomes, approvals, replans, audit findings, final answer, totals.
                  html:   one self-contained HTML page (no network): goal, status, final
                          answer and totals, audit findings, a timeline, the plan DAG coloured
                          by step status, plan version diffs, and step details with attempts,
                          outputs, errors and observations.
                  otlp:   an OTLP/JSON ExportTraceServiceRequest (OpenTelemetry GenAI
                          conventions): a trace per run, a root invoke_agent span, a span per
                          step attempt, chat spans for model calls, execute_tool spans for
                          tool calls; observations, replans and approvals as span events. Ids
                          derive from the run id: a run sent again is the same trace.
                          --otlp-endpoint URL posts it to a collector over OTLP/HTTP
                          (/v1/traces is added to a URL with no path; --header 'NAME: VALUE'
                          for auth) instead of printing it (with -o, also to the file).
                          --otlp-endpoint implies --format otlp.

                Redaction: the reports and traces (md, html, chrome, otlp) hide secrets by default, in
                every field of every event: private key blocks, fields named like secrets (password,
                api_key, authorization, token…), bearer tokens, API keys (sk-…, GitHub, Slack, Google,
                Stripe, Hugging Face, GitLab, npm, PyPI), AWS keys, JWTs, passwords in URLs, password=… assignments and
                e-mail addresses; --no-redact shows them as recorded. jsonl and pjl are the events as
                recorded, which import back with the journal's hashes (a backup, a move to another
                journal); --redact hides secrets in them too, for sharing, and the file then has
                hashes of its own. --redact-rules FILE adds rules (and implies --redact), one per
                line: `REGEX => REPLACEMENT` ($1 names a group).

                --all exports every run (--status, --since filter them) into the folder -o names, one
                file per run (jsonl may also go to standard output). --json prints which file each
                run went to:
                  planj export --all --format md -o reports/
                  planj export --all --format html -o site/ --json | jq -r '.runs[].file'
                """))

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case jsonl, pjl, chrome, md, html, otlp

            /// Whether the format is the events as recorded (redacted only when asked).
            var isRecord: Bool { self == .jsonl || self == .pjl }

            /// The file name extension of `export --all`.
            var fileExtension: String {
                switch self {
                case .jsonl, .pjl, .md, .html: rawValue
                case .chrome: "trace.json"
                case .otlp: "otlp.json"
                }
            }
        }

        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: RunSelection

        @Option(help: "The format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")) (default: from -o's extension, else jsonl; otlp with --otlp-endpoint).")
        var format: Format?

        @Option(
            name: [.short, .customLong("output")],
            help: ArgumentHelp("Write to this file (default: standard output); with --all, into this folder.", valueName: "path"))
        var output: String?

        @Flag(help: "Export secrets as recorded: no redaction (md, html, chrome and otlp are redacted by default).")
        var noRedact = false

        @Flag(help: "Redact jsonl and pjl too (they are the events as recorded by default).")
        var redact = false

        @Option(help: ArgumentHelp("More redaction rules, one `REGEX => REPLACEMENT` per line.", valueName: "file"))
        var redactRules: String?

        @Option(
            help: ArgumentHelp(
                "Send the trace as OTLP/JSON to this OpenTelemetry collector over OTLP/HTTP (e.g. http://localhost:4318); implies --format otlp.",
                valueName: "url"))
        var otlpEndpoint: String?

        @Option(help: ArgumentHelp("Seconds to wait for the OTLP collector's answer to a request (and, in all, before retrying one it answered 429, 502, 503 or 504).", valueName: "seconds"))
        var otlpTimeout: Double = 10

        @OptionGroup var http: HTTPFlags

        @Flag(help: "Print a summary as JSON on standard output: each run with the file it went to, its size and the spans sent.")
        var json = false

        /// The format given, or the one the other options imply: OTLP for a collector, else the
        /// output file's extension (`-o run.pjl`, `report.html`), else JSON Lines.
        private var chosenFormat: Format {
            if let format { return format }
            if otlpEndpoint != nil { return .otlp }
            guard let output, !selection.all else { return .jsonl }
            let name = output.lowercased()
            return Format.allCases.first { name.hasSuffix("." + $0.fileExtension) }
                ?? (name.hasSuffix(".markdown") ? .md : name.hasSuffix(".htm") ? .html : .jsonl)
        }

        /// Whether `-o` names a `.json` file of no format planj knows: an OTLP trace
        /// (`.otlp.json`) or a Chrome trace (`.trace.json`) was likely meant, not JSON Lines.
        private var outputIsAmbiguousJSON: Bool {
            guard format == nil, otlpEndpoint == nil, let output, !selection.all else { return false }
            let name = output.lowercased()
            return name.hasSuffix(".json") && chosenFormat == .jsonl
        }

        func validate() throws {
            if otlpEndpoint != nil, let format, format != .otlp {
                throw ValidationError("--otlp-endpoint sends an OTLP trace: use --format otlp or leave --format out")
            }
            if outputIsAmbiguousJSON {
                throw ValidationError(
                    "-o \(output ?? ""): a .json file could be an OTLP trace or a Chrome trace: give --format otlp or "
                        + "--format chrome (or name it .otlp.json or .trace.json; JSON Lines go in .jsonl)")
            }
            if otlpEndpoint == nil, !http.headers.isEmpty {
                throw ValidationError("--header is for the collector of --otlp-endpoint")
            }
            _ = try Seconds.duration(otlpTimeout, flag: "--otlp-timeout", atMost: Seconds.day)
            _ = try http.settings()
            if noRedact && (redactRules != nil || redact) {
                throw ValidationError("--no-redact and --\(redact ? "redact" : "redact-rules") contradict each other")
            }
            if selection.all && output == nil && otlpEndpoint == nil && chosenFormat != .jsonl {
                throw ValidationError("--all writes one file per run: name a folder with -o")
            }
            if json && (output == nil || output == "-") && otlpEndpoint == nil {
                throw ValidationError("--json prints a summary on standard output: write the export to a file with -o")
            }
        }

        func run() async throws {
            let format = chosenFormat
            // Stopped by a signal, planj removes the files it had not finished and names them.
            try await reportingErrors(json: json, verbose: global.verbose) { try await InterruptNotice.during(nil) {
                if format == .pjl && output == nil && Output.stdoutIsATTY {
                    throw JournalError(.usage, "a .pjl file is binary: name a file with -o, or redirect the output")
                }
                let journal = try global.openExisting()
                let runs = try selection.runs(in: journal)
                let redacting = !noRedact && (redact || redactRules != nil || !format.isRecord)
                let redactor = redacting ? Redactor(extra: try redactRules.map(RedactionRule.load) ?? []) : nil
                var tally = Redactor.Tally()
                var summary = ExportSummary(format: format.rawValue)
                let exporter = try collector()
                if selection.all, let folder = output {
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
                        throw JournalError(.usage, "is a file: with --all, -o names a folder (one file per run)", context: .init(file: folder))
                    }
                    do {
                        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                    } catch {
                        throw JournalError(.io, "cannot create the folder: \(ErrorReason.of(error))", context: .init(file: folder))
                    }
                    let names = try ExportFileNames.fileNames(runs, journal, redactor)
                    let progress = ThrottledProgressLine(enabled: Output.stderrIsTerminal)
                    if exporter == nil {
                        summary.runs = try exportInParallel(runs, names: names, journal, redactor, &tally, into: folder, progress: progress)
                    } else {
                        for (k, run) in runs.enumerated() {
                            progress.show("exporting \(k + 1)/\(runs.count): \(ExportFileNames.shown(run, redactor))")
                            let path = folder + "/" + names[k] + "." + format.fileExtension
                            var entry = ExportSummary.Entry(run: ExportFileNames.shown(run, redactor), file: path)
                            do {
                                let sink = try OutputFile(path: path)
                                try await export(run, journal, redactor, &tally, to: sink, collector: exporter, noting: &entry)
                                try sink.close()
                            } catch let error as JournalError where error.code != .io {
                                // A run that cannot be read: the others are exported all the same.
                                entry.error = ErrorJSON(error.adding(run: run))
                                entry.file = nil
                            }
                            summary.runs.append(entry)
                        }
                    }
                    progress.clear()
                    let done = runs.count - summary.failed.count
                    Output.error(
                        "exported \(Output.count(done, "run")) to \(folder)/"
                            + (summary.failed.isEmpty ? "" : "; \(Output.count(summary.failed.count, "run")) could not be exported"))
                } else {
                    let sink = exporter != nil && output == nil ? nil : try OutputFile(path: output)
                    for run in runs {
                        var entry = ExportSummary.Entry(run: ExportFileNames.shown(run, redactor), file: sink == nil ? nil : output)
                        try await export(run, journal, redactor, &tally, to: sink, collector: exporter, noting: &entry)
                        summary.runs.append(entry)
                    }
                    try sink?.close()
                }
                summary.redactedValues = tally.total
                summary.redactedEvents = tally.events
                if json { Output.json(summary) }
                if let first = summary.failed.first?.error {
                    if !json {
                        for entry in summary.failed { Output.error("planj: export: run \(entry.run): \(entry.error?.message ?? "")") }
                    }
                    throw ExitCode(first.exitStatus)
                }
                if format == .jsonl {
                    // JSON Lines hold a fork's events, its parent's first ones under the parent's id,
                    // but not that it is a fork: ingested, they make the parent, and the fork's own
                    // events start past seq 1.
                    let forks = try runs.filter { try journal.run($0).parent != nil }
                    if let first = forks.first {
                        Output.error(
                            "planj: export: \(forks.count == 1 ? "run \(first) is a fork" : "\(forks.count) runs are forks"): "
                                + "JSON Lines carry the events, not the fork; --format pjl (or planj copy) keeps it")
                    }
                }
                if tally.total > 0 {
                    let rules = tally.replacements.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    Output.error(
                        "planj: export: redacted \(tally.total) values in \(tally.events) events (\(rules))"
                            + (format.isRecord
                                ? "; the export's hashes differ from the journal's; without --redact the events are exported as recorded"
                                : "; --no-redact shows them as recorded"))
                } else if format.isRecord, redactor == nil, !noRedact, !selection.all {
                    // The events as recorded, by default: say so when they hold what a report would hide.
                    var would = Redactor.Tally()
                    let rules = Redactor()
                    for run in runs {
                        try journal.forEachEvent(of: run) { e in _ = rules.redact(e, tally: &would) }
                    }
                    if would.total > 0 {
                        Output.error(
                            "planj: note: the export holds \(would.total) values the redaction rules would hide (keys, tokens, "
                                + "e-mail addresses…), as recorded; --redact hides them (for sharing)")
                    }
                }
            } }
        }

        /// Writes one run to `sink` (when there is one) in the chosen format, and sends its OTLP
        /// trace to `collector` (when there is one).
        private func export(
            _ run: String, _ journal: Journal, _ redactor: Redactor?, _ tally: inout Redactor.Tally, to sink: OutputFile?,
            collector: OTLPHTTPExporter?, noting entry: inout ExportSummary.Entry
        ) async throws {
            guard let sink else {
                let trace = OTLPTrace.render(try prepare(run, journal, redactor, &tally))
                return try await send(trace, run: run, to: collector, noting: &entry)
            }
            let start = sink.bytesWritten
            defer { entry.bytes = sink.bytesWritten - start }
            if let trace = try write(run, journal, redactor, &tally, to: sink) {
                try await send(trace, run: run, to: collector, noting: &entry)
            }
        }

        /// Writes one run to `sink` in the chosen format; for `otlp`, returns its trace (to send).
        private func write(_ run: String, _ journal: Journal, _ redactor: Redactor?, _ tally: inout Redactor.Tally, to sink: OutputFile)
            throws(JournalError) -> JSONValue?
        {
            let format = chosenFormat
            if format == .jsonl || format == .pjl {
                try RedactedExport.writeLines(run, of: journal, redactor: redactor, pjl: format == .pjl, tally: &tally, to: sink.write)
                return nil
            }
            let export = try prepare(run, journal, redactor, &tally)
            switch format {
            case .jsonl, .pjl: break
            case .chrome:
                var bytes: [UInt8] = []
                ChromeTrace.render(run: export.run, events: export.events).write(to: &bytes)
                try sink.write(bytes + [0x0A])
            case .md: try sink.write(report: MarkdownReport.render(export.state, findings: export.findings))
            case .html: try sink.write(report: HTMLReport.render(export))
            case .otlp:
                let trace = OTLPTrace.render(export)
                var bytes: [UInt8] = []
                trace.write(to: &bytes)
                try sink.write(bytes + [0x0A])
                return trace
            }
            return nil
        }

        /// `--all` into `folder` with no collector: runs are independent files, written on a few
        /// threads (redaction and rendering are CPU work); the entries come back in `runs` order.
        private func exportInParallel(
            _ runs: [String], names: [String], _ journal: Journal, _ redactor: Redactor?, _ tally: inout Redactor.Tally,
            into folder: String, progress: ThrottledProgressLine
        ) throws -> [ExportSummary.Entry] {
            let extensionName = chosenFormat.fileExtension
            let done = Atomic<Int>(0)
            // An I/O error (a full disk) is not one run's: the first stops the export.
            let stopped = Mutex<JournalError?>(nil)
            let exported = ParallelWork.map(count: runs.count) { k in
                let path = folder + "/" + names[k] + "." + extensionName
                let shown = ExportFileNames.shown(runs[k], redactor)
                var mine = Redactor.Tally()
                var entry = ExportSummary.Entry(run: shown, file: path)
                if stopped.withLock({ $0 != nil }) { return (entry, mine) }
                do throws(JournalError) {
                    let sink = try OutputFile(path: path)
                    _ = try write(runs[k], journal, redactor, &mine, to: sink)
                    try sink.close()
                    entry.bytes = sink.bytesWritten
                } catch {
                    if error.code == .io { stopped.withLock { $0 = $0 ?? error } }
                    // A run that cannot be read: the others are exported all the same.
                    (entry.error, entry.file, mine) = (ErrorJSON(error.adding(run: runs[k])), nil, Redactor.Tally())
                }
                let finished = done.add(1, ordering: .relaxed).newValue
                progress.show("exported \(finished)/\(runs.count): \(shown)", final: finished == runs.count)
                return (entry, mine)
            }
            if let error = stopped.withLock({ $0 }) {
                progress.clear()
                throw error
            }
            for (_, mine) in exported { tally.add(mine) }
            return exported.map(\.0)
        }

        /// The run as the formats see it (``RedactedExport/prepare(_:of:redactor:audited:tally:)``).
        private func prepare(_ run: String, _ journal: Journal, _ redactor: Redactor?, _ tally: inout Redactor.Tally)
            throws(JournalError) -> RunExport
        {
            let audited = chosenFormat == .md || chosenFormat == .html
            return try RedactedExport.prepare(run, of: journal, redactor: redactor, audited: audited, tally: &tally)
        }
    }
}
