import ArgumentParser
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute every hash chain and check every stored byte.",
            discussion: HelpText.reflow("""
                Checks each run's chunks (they decode, hold the right events in
                order), the SHA-256 hash chain over every event, the catalog's head
                hashes, fork links and snapshots. A single changed byte anywhere is
                reported with its run and seq, and the exit status is 6.

                Seals (`planj seal`) are checked too: each seal's Ed25519 signature,
                and that the events it covers still hash to what it signed. A broken
                seal or an event changed after sealing is a problem (seal.broken, exit
                status 6). With --trust KEY.pub (repeatable), each run also needs a
                valid seal by one of those keys (seals by other keys are checked all
                the same, and may be there too); a run that fails only that
                (seal.untrusted) gives exit status 1.

                  planj verify                        every run, every stored seal
                  planj verify RUN --trust ci.key.pub RUN sealed by this key, unchanged
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "One run (default: every run).")
        var run: String?

        @Option(
            name: .customLong("trust"),
            help: ArgumentHelp(
                "A public key (PEM, e.g. the .pub file of `planj keygen`) whose seals count; repeatable.",
                valueName: "file"))
        var trust: [String] = []

        @Flag(help: "Print the report as JSON.")
        var json = false

        @Flag(help: "Print no progress on standard error.")
        var quiet = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let trusted = try trust.map { (file) throws(JournalError) in try SealPublicKey(file: file) }
                let journal = try global.openExisting()
                let progress = ThrottledProgressLine(enabled: !quiet && Output.stderrIsTerminal)
                // The SQLite file's own check comes first, and takes a while on a large file.
                if run == nil { progress.show("verify: checking the file") }
                let report = try journal.verify(run: run, trusting: trusted, progress: progress.show)
                progress.clear()
                if json {
                    Output.json(report)
                } else {
                    for copy in report.keptAppendLogs {
                        Output.error(
                            "planj: note: \(copy) is an append log kept aside because some of its records could not be added "
                                + "to the journal: it may hold acknowledged appends the journal lacks; look at it, then remove it")
                    }
                    for p in report.problems {
                        Output.error(
                            "planj: verify: \(Journal.displayName(global.journalPath))\(p.run.isEmpty ? "" : ": run \(p.run)")\(p.seq.map { " seq \($0)" } ?? ""): [\(p.code)] \(p.message)")
                    }
                    Output.line(
                        "\(report.ok ? "ok" : "FAILED"): " + [
                            Output.count(report.runs, "run"), Output.count(report.events, "event"), Output.count(report.chunks, "chunk"),
                            Output.count(report.snapshots, "snapshot"), Output.count(report.seals, "seal") + " checked",
                        ].joined(separator: ", ")
                            + (report.ok ? "" : "; " + Output.count(report.problems.count, "problem")))
                }
                if !report.ok {
                    // Only a question of trust (no trusted seal): 1; anything broken: 6.
                    let trustOnly = report.problems.allSatisfy { $0.code == JournalError.Code.sealUntrusted.name }
                    throw ExitCode(trustOnly ? JournalError.Code.sealUntrusted.exitStatus : JournalError.Code.corrupt.exitStatus)
                }
            }
        }
    }
}
