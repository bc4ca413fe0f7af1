import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTools

extension Planj {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write runs as JSON Lines, portable .pjl files, traces or reports, with secrets redacted.",
            discussion: """
                jsonl:  the run's events, one canonical JSON object per line (pipe to jq).
                pjl:    the same lines in a standard LZ4 frame: `lz4 -dc run.pjl | jq .` reads it, and
                        `planj import run.pjl` restores the run with identical hashes.
                chrome: Chrome trace-event JSON; open it in https://ui.perfetto.dev or chrome://tracing: a
                        track per parallel lane, steps, tool and model calls as spans, replans and approvals
                        as instants.
                md:     a Markdown report: goal, plan versions and revisions, steps with outcomes, approvals,
                        replans, audit findings, final answer, totals.

                Redaction: every format hides secrets by default, in every field of every event: private
                key blocks, fields named like secrets (password, api_key, authorization, token…), bearer
                tokens, API keys (sk-…, GitHub, Slack, Google, Stripe, Hugging Face), AWS keys, JWTs,
                passwords in URLs, password=… assignments and e-mail addresses. --redact-rules FILE adds
                rules, one per line: `REGEX => REPLACEMENT` ($1 names a group). A redacted jsonl or pjl
                export no longer has the journal's hashes; --no-redact exports the events as recorded.

                --all exports every run (--status, --since filter them) into the folder -o names, one
                file per run (jsonl may also go to standard output):
                  planj export --all --format md -o reports/
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case jsonl, pjl, chrome, md

            /// The file name extension of `export --all`.
            var fileExtension: String {
                switch self {
                case .jsonl, .pjl, .md: rawValue
                case .chrome: "trace.json"
                }
            }
        }

        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: RunSelection

        @Option(help: "The format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: Format = .jsonl

        @Option(
            name: [.short, .customLong("output")],
            help: ArgumentHelp("Write to this file (default: standard output); with --all, into this folder.", valueName: "path"))
        var output: String?

        @Flag(help: "Export secrets as recorded: no redaction.")
        var noRedact = false

        @Option(help: ArgumentHelp("More redaction rules, one `REGEX => REPLACEMENT` per line.", valueName: "file"))
        var redactRules: String?

        func validate() throws {
            if noRedact && redactRules != nil { throw ValidationError("--no-redact and --redact-rules contradict each other") }
            if selection.all && output == nil && format != .jsonl {
                throw ValidationError("--all writes one file per run: name a folder with -o")
            }
        }

        func run() async throws {
            try await reportingErrors(verbose: global.verbose) {
                if format == .pjl && output == nil && Output.stdoutIsTerminal {
                    throw JournalError(.usage, "a .pjl file is binary: name a file with -o, or redirect the output")
                }
                let journal = try global.open()
                let runs = try selection.runs(in: journal)
                let redactor = noRedact ? nil : Redactor(extra: try redactRules.map(RedactionRule.load) ?? [])
                var tally = Redactor.Tally()
                if selection.all, let folder = output {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                    for (k, run) in runs.enumerated() {
                        if Output.stderrIsTerminal { Output.progress("exporting \(k + 1)/\(runs.count): \(run)") }
                        let sink = try OutputFile(path: folder + "/" + Self.fileName(run) + "." + format.fileExtension)
                        try export(run, journal, redactor, &tally, to: sink)
                        try sink.close()
                    }
                    if Output.stderrIsTerminal { Output.progress(nil) }
                    Output.error("exported \(runs.count) run\(runs.count == 1 ? "" : "s") to \(folder)/")
                } else {
                    let sink = try OutputFile(path: output)
                    for run in runs { try export(run, journal, redactor, &tally, to: sink) }
                    try sink.close()
                }
                if tally.total > 0 {
                    let rules = tally.replacements.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    Output.error(
                        "planj: export: redacted \(tally.total) values in \(tally.events) events (\(rules))"
                            + (format == .jsonl || format == .pjl ? "; the export's hashes differ from the journal's" : "")
                            + "; --no-redact exports them as recorded")
                }
            }
        }

        private func export(
            _ run: String, _ journal: Journal, _ redactor: Redactor?, _ tally: inout Redactor.Tally, to sink: OutputFile
        ) throws {
            if redactor == nil, format == .jsonl || format == .pjl {
                return format == .jsonl ? try journal.exportJSONL(run: run, to: sink.write) : try journal.exportPJL(run: run, to: sink.write)
            }
            let before = tally.total
            let export = try prepare(run, journal, redactor, &tally)
            switch format {
            case .jsonl:
                try sink.write(export.events.flatMap { $0.bytes + [0x0A] })
            case .pjl:
                if tally.total == before { return try journal.exportPJL(run: run, to: sink.write) }
                let writer = try PortableWriter(to: sink.write)
                for e in export.events { try writer.append(line: e.bytes) }
                try writer.finish()
            case .chrome:
                var bytes: [UInt8] = []
                ChromeTrace.render(run: export.run, events: export.events).write(to: &bytes)
                try sink.write(bytes + [0x0A])
            case .md: try sink.write(Array(MarkdownReport.render(export.state, findings: export.findings).utf8))
            }
        }

        /// The run as the formats see it: its events redacted, and its audit findings for the reports.
        private func prepare(_ run: String, _ journal: Journal, _ redactor: Redactor?, _ tally: inout Redactor.Tally)
            throws(JournalError) -> RunExport
        {
            var events = try journal.events(of: run)
            var findings = format == .md ? try RunAudit(run: run, in: journal).findings : []
            guard let redactor else { return RunExport(run: run, events: events, findings: findings) }
            events = redactor.redact(events, tally: &tally)
            for k in findings.indices {
                findings[k].message = redactor.redact(findings[k].message, tally: &tally)
                findings[k].step = findings[k].step.map { redactor.redact($0, tally: &tally) }
            }
            return RunExport(run: events.first?.run ?? run, events: events, findings: findings)
        }

        /// A file name for a run id: safe characters kept, others replaced, and a hash of the id
        /// added when anything was replaced, so two ids never share a file.
        static func fileName(_ run: String) -> String {
            let safe = String(run.unicodeScalars.map { s in
                s.isASCII && (CharacterSet.alphanumerics.contains(s) || "-_.".unicodeScalars.contains(s)) ? Character(s) : "_"
            })
            guard safe != run || run.hasPrefix(".") else { return run }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in run.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            return safe + "-" + String(hash, radix: 16)
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
