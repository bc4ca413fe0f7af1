import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Count runs, events and bytes, and show the compression ratio.")

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let s = try global.openExisting().stats()
                if json {
                    Output.json(s)
                    return
                }
                var lines = [
                    "journal:      \(Journal.displayName(global.journalPath))",
                    "runs:         \(s.runs)",
                    "events:       \(s.events)",
                    "chunks:       \(s.chunks) (\(s.referencingChunks) referencing repeated strings stored earlier)",
                    "snapshots:    \(s.snapshots) (\(s.snapshotBytes) bytes)",
                    "dictionaries: \(s.dictionaries)",
                    "JSON Lines:   \(s.jsonlBytes) bytes",
                    "on disk:      \(s.fileBytes) bytes (\(Journal.isDatabaseURL(global.journalPath) ? "its tables and indexes" : "database and WAL"))",
                ]
                let ratio = String(format: "%.2f", s.compressionRatio)
                if s.readModelBytes > 0 {
                    lines.append("read model:   \(s.readModelBytes) bytes of them (planj sql's tables)")
                    lines.append("compression:  \(ratio)x (the journal less the read model)")
                } else {
                    lines.append("compression:  \(ratio)x")
                }
                Output.line(lines.joined(separator: "\n"))
            }
        }
    }
}
