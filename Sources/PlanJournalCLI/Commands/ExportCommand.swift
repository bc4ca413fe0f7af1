import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTools

extension Planj {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a run as JSON Lines, a portable .pjl file, a Chrome/Perfetto trace, a Markdown or an HTML report.",
            discussion: """
                jsonl:  the run's events, one canonical JSON object per line (pipe to jq).
                pjl:    the same lines in a standard LZ4 frame: `lz4 -dc run.pjl | jq .` reads it, and
                        `planj import run.pjl` restores the run with identical hashes.
                chrome: Chrome trace-event JSON; open it in https://ui.perfetto.dev or chrome://tracing: a
                        track per parallel lane, steps, tool and model calls as spans, replans and approvals
                        as instants.
                md:     a Markdown report: goal, plan versions and revisions, steps with outcomes, approvals,
                        replans, final answer, totals.
                html:   one self-contained HTML page (no network): header with goal, status, final answer and
                        totals, findings, a timeline, the plan DAG coloured by step status, plan version
                        diffs, and step details with attempts, outputs, errors and observations.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case jsonl, pjl, chrome, md, html
        }

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: "The format: jsonl, pjl, chrome, md or html.")
        var format: Format = .jsonl

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file (default: standard output).", valueName: "file"))
        var output: String?

        func run() async throws {
            try await reportingErrors(verbose: global.verbose) {
                if format == .pjl && output == nil && Output.stdoutIsTerminal {
                    throw JournalError(.usage, "a .pjl file is binary: name a file with -o, or redirect the output")
                }
                let journal = try global.open()
                _ = try journal.run(run)
                let sink = try OutputFile(path: output)
                switch format {
                case .jsonl: try journal.exportJSONL(run: run, to: sink.write)
                case .pjl: try journal.exportPJL(run: run, to: sink.write)
                case .chrome:
                    var bytes: [UInt8] = []
                    ChromeTrace.render(run: run, events: try prepare(journal).events).write(to: &bytes)
                    try sink.write(bytes + [0x0A])
                case .md: try sink.write(Array(MarkdownReport.render(try prepare(journal).state).utf8))
                case .html: try sink.write(Array(HTMLReport.render(try prepare(journal)).utf8))
                }
                try sink.close()
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
