import ArgumentParser
import PlanJournalCore
import PlanJournalStore

extension Planj {
    /// `planj seal` (named so as not to hide the store's `Seal`).
    struct SealRun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seal",
            abstract: "Sign a run's hash chain with a private key, so changes after now are caught.",
            discussion: HelpText.reflow("""
                Recomputes the run's SHA-256 hash chain (a run whose stored events no
                longer match it is refused), signs the hash at its last seq with an
                Ed25519 key and stores the seal in the journal. The signed message
                names the run, the seq, the hash and the time. `planj export --format
                pjl` carries the run's seals and `planj import` restores them.

                `planj verify` checks every seal: a seal changed in the journal, or an
                event changed after sealing, is reported (with the first changed seq)
                and the exit status is 6. With --trust KEY.pub, each run must also be
                sealed by that key (exit status 1 when not).

                A seal covers seq 1 to its seq: events appended later leave it valid,
                but they are not signed, and verify --trust reports them (exit status
                1) until the run is sealed again. A run may have several seals, by one
                key or by several.

                \(sealWorkflow)
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run to seal.")
        var run: String

        @Option(
            help: ArgumentHelp(
                "The private key file (PEM, from `planj keygen` or `openssl genpkey -algorithm ed25519`).",
                valueName: "file"))
        var key: String

        @Flag(help: "Print the seal as JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let sealingKey = try SealingKey(file: key)
                let seal = try await global.withJournal { try $0.seal(run: run, with: sealingKey) }
                if json {
                    Output.json(seal)
                } else {
                    Output.line("sealed run \(seal.run) up to seq \(seal.seq) with key \(seal.keyID)")
                }
            }
        }
    }
}

/// The sealing workflow, as `keygen --help` and `seal --help` teach it.
let sealWorkflow = """
    A workflow:
      planj keygen -o ci.key                 writes ci.key, ci.key.pub
      planj seal RUN --key ci.key            sign the run as it stands
      planj export RUN --format pjl -o run.pjl
      planj --journal other.sqlite import run.pjl
      planj --journal other.sqlite verify --trust ci.key.pub
    """
