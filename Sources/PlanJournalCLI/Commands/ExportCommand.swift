import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTools

extension Planj {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write a run as JSON Lines, a portable .pjl file, a Chrome/Perfetto trace, an OpenTelemetry trace or a Markdown report.",
            discussion: """
                jsonl:  the run's events, one canonical JSON object per line (pipe to jq).
                pjl:    the same lines in a standard LZ4 frame: `lz4 -dc run.pjl | jq .` reads it, and
                        `planj import run.pjl` restores the run with identical hashes.
                chrome: Chrome trace-event JSON; open it in https://ui.perfetto.dev or chrome://tracing: a
                        track per parallel lane, steps, tool and model calls as spans, replans and approvals
                        as instants.
                md:     a Markdown report: goal, plan versions and revisions, steps with outcomes, approvals,
                        replans, final answer, totals.
                otlp:   an OTLP/JSON ExportTraceServiceRequest (OpenTelemetry GenAI
                        conventions): a trace per run, a root invoke_agent span, a span
                        per step attempt, chat spans for model calls, execute_tool spans
                        for tool calls; observations, replans and approvals as span
                        events. Ids derive from the run id: a run sent again is the same
                        trace. --otlp-endpoint URL posts it to a collector over OTLP/HTTP
                        (/v1/traces is added to a URL with no path; --header NAME:VALUE
                        for auth) instead of printing it (with -o, also to the file).
                        --otlp-endpoint implies --format otlp.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case jsonl, pjl, chrome, md, otlp
        }

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: "The format: jsonl, pjl, chrome, md or otlp (default: jsonl; otlp with --otlp-endpoint).")
        var format: Format?

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file (default: standard output).", valueName: "file"))
        var output: String?

        @Option(
            help: ArgumentHelp(
                "Send the run as OTLP/JSON to this OpenTelemetry collector over OTLP/HTTP (e.g. http://localhost:4318); implies --format otlp.",
                valueName: "url"))
        var otlpEndpoint: String?

        @Option(help: ArgumentHelp("Seconds to wait for the OTLP collector.", valueName: "seconds"))
        var otlpTimeout: Double = 10

        @OptionGroup var http: HTTPFlags

        func validate() throws {
            if otlpEndpoint != nil, let format, format != .otlp {
                throw ValidationError("--otlp-endpoint sends an OTLP trace: use --format otlp or leave --format out")
            }
            if otlpEndpoint == nil, !http.headers.isEmpty {
                throw ValidationError("--header is for the collector of --otlp-endpoint")
            }
            guard otlpTimeout > 0, otlpTimeout <= 86_400 else {
                throw ValidationError("--otlp-timeout must be more than 0 and at most 86400 seconds")
            }
            _ = try http.settings()
        }

        func run() async throws {
            let format = self.format ?? (otlpEndpoint != nil ? .otlp : .jsonl)
            try await reportingErrors(verbose: global.verbose) {
                if format == .pjl && output == nil && Output.stdoutIsTerminal {
                    throw JournalError(.usage, "a .pjl file is binary: name a file with -o, or redirect the output")
                }
                let journal = try global.open()
                _ = try journal.run(run)
                if format == .otlp {
                    try await exportOTLP(try prepare(journal))
                    return
                }
                let sink = try OutputFile(path: output)
                switch format {
                case .jsonl: try journal.exportJSONL(run: run, to: sink.write)
                case .pjl: try journal.exportPJL(run: run, to: sink.write)
                case .chrome:
                    var bytes: [UInt8] = []
                    ChromeTrace.render(run: run, events: try prepare(journal).events).write(to: &bytes)
                    try sink.write(bytes + [0x0A])
                case .md: try sink.write(Array(MarkdownReport.render(try prepare(journal).state).utf8))
                case .otlp: break
                }
                try sink.close()
            }
        }

        /// Writes the OTLP trace to the output (unless only sending it) and sends it to the collector.
        private func exportOTLP(_ export: RunExport) async throws {
            let trace = OTLPTrace.render(export)
            // Only the --header values: $OPENAI_API_KEY is for model servers, never for a collector.
            let headers = try http.settings().headers
            var exporter: OTLPHTTPExporter?
            if let otlpEndpoint {
                do throws(OTLPExportError) {
                    exporter = try OTLPHTTPExporter(
                        endpoint: otlpEndpoint, headers: headers, timeout: .milliseconds(Int64(otlpTimeout * 1000)))
                } catch {
                    throw RuntimeError("usage", error.description)
                }
            }
            if exporter == nil || output != nil {
                let sink = try OutputFile(path: output)
                var bytes: [UInt8] = []
                trace.write(to: &bytes)
                try sink.write(bytes + [0x0A])
                try sink.close()
            }
            guard let exporter else { return }
            do throws(OTLPExportError) {
                let response = try await exporter.send(trace)
                let spans = OTLPTrace.spanCount(of: trace)
                Output.error("planj: sent \(spans) span\(spans == 1 ? "" : "s") of run \(run) to \(exporter.url.absoluteString)")
                if response.rejectedSpans > 0 {
                    Output.error(
                        "planj: warning: the collector rejected \(response.rejectedSpans) span(s)\(response.message.map { ": " + $0 } ?? "")")
                }
            } catch {
                throw RuntimeError("otlp_export", error.description)
            }
        }

        /// The run as the rendered formats see it.
        private func prepare(_ journal: Journal) throws(JournalError) -> RunExport {
            RunExport(run: run, events: try journal.events(of: run))
        }
    }
}

/// Standard output or a file written through a temporary name and renamed when complete.
final class OutputFile {
    private let handle: FileHandle
    private let path: String?
    private let temporary: String?

    init(path: String?) throws(JournalError) {
        self.path = path
        guard let path, path != "-" else {
            handle = .standardOutput
            temporary = nil
            return
        }
        let temp = path + ".partial"
        guard FileManager.default.createFile(atPath: temp, contents: nil), let h = FileHandle(forWritingAtPath: temp) else {
            throw JournalError(.usage, "cannot write the output file", context: .init(file: path))
        }
        handle = h
        temporary = temp
    }

    func write(_ bytes: [UInt8]) throws(JournalError) {
        do {
            try handle.write(contentsOf: Data(bytes))
        } catch {
            throw JournalError(.io, "cannot write the output: \(error.localizedDescription)", context: .init(file: path))
        }
    }

    func close() throws(JournalError) {
        guard let temporary, let path else { return }
        try? handle.close()
        do {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            throw JournalError(.io, "cannot move the output into place", context: .init(file: path))
        }
    }
}
