import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTools
import Synchronization

extension Planj {
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Check runs for broken integrity, broken plan invariants and suspicious behaviour.",
            discussion: HelpText.reflow("""
                Each finding has a severity (error, warning, info), a code, the seq and step it concerns, and
                a one-line explanation:
                  error    integrity.*     a stored byte, the hash chain or a head
                                           hash is wrong
                  error    seal.broken     a seal's signature fails, or an event
                                           changed after sealing
                  error    seal.untrusted  with --trust: no valid seal by a trusted
                                           key
                  error    order.*         a step ran outside its plan, before its
                                           dependencies, without its approval or after
                                           a denial; events after run.completed; a
                                           step that never ended in a run that was not
                                           cancelled; (warning) a cause that names no
                                           earlier event
                  warning  plan.version-*  plan versions numbered again or downwards;
                                           reviews and approvals of versions no plan
                                           defined
                  warning  behaviour.*     tool loops (same tool, same arguments),
                                           retry and replan storms, observations that
                                           did not match their expected output
                  warning  limit.*         cost, tokens, time, steps or replans over
                                           the limits in run.started
                  info     behaviour.*     steps the final answer never used,
                                           unusually slow or expensive steps
                The exit status is 1 when a finding at or above --fail-on exists, so CI can gate on it:
                  planj audit --all --fail-on warning --json > audit.json
                """))

        enum Threshold: String, ExpressibleByArgument, CaseIterable {
            case info, warning, error, never
        }

        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: RunSelection

        @Option(
            name: .customLong("trust"),
            help: ArgumentHelp("A public key (PEM, the .pub of `planj keygen`) each run must be sealed by; repeatable.", valueName: "file"))
        var trust: [String] = []

        @Option(help: "Exit 1 when a finding of this severity or worse exists: info, warning, error or never.")
        var failOn: Threshold = .error

        @Flag(help: "Print a JSON object: runs (each with its findings) and counts by severity.")
        var json = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let journal = try global.openExisting()
                let runs = try selection.runs(in: journal)
                let trusted = try trust.map { (file) throws(JournalError) in try SealPublicKey(file: file) }
                let audits = try Self.audit(runs, in: journal, trusting: trusted)
                let report = AuditReport(audits: audits)
                if json {
                    Output.json(report)
                } else {
                    print(report)
                }
                if let limit = Finding.Severity(rawValue: failOn.rawValue), let worst = audits.compactMap(\.worst).max(), worst >= limit {
                    throw ExitCode(1)
                }
            }
        }

        /// Audits `runs` on a few threads at a time; the audits come back in the order of `runs`.
        private static func audit(_ runs: [String], in journal: Journal, trusting trusted: [SealPublicKey])
            throws(JournalError) -> [RunAudit]
        {
            let done = Atomic<Int>(0)
            let progress = ThrottledProgressLine(enabled: runs.count > 1 && Output.stderrIsTerminal)
            let audits = try ParallelWork.map(count: runs.count) { (k) throws(JournalError) in
                let audit = try RunAudit(run: runs[k], in: journal, trusting: trusted)
                let finished = done.add(1, ordering: .relaxed).newValue
                progress.show("audited \(finished)/\(runs.count): \(runs[k])", final: finished == runs.count)
                return audit
            }
            progress.clear()
            return audits
        }

        private func print(_ report: AuditReport) {
            for audit in report.runs {
                for f in audit.findings {
                    let place = [f.seq.map { "seq \($0)" }, f.step.map { "step \($0)" }].compactMap { $0 }.joined(separator: " ")
                    Output.line("\(f.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(f.code)  run \(f.run)\(place.isEmpty ? "" : " \(place)"): \(f.message)")
                }
            }
            let c = report.counts
            Output.line(
                "audited \(Output.count(report.runs.count, "run")): \(Output.count(c.error, "error")), "
                    + "\(Output.count(c.warning, "warning")), \(c.info) info")
        }
    }
}

/// `planj audit --json`: every run's findings and the counts by severity.
struct AuditReport: Encodable {
    struct Counts: Encodable {
        var error = 0
        var warning = 0
        var info = 0
    }

    var runs: [RunAudit]
    var counts = Counts()

    init(audits: [RunAudit]) {
        runs = audits
        for f in audits.flatMap(\.findings) {
            switch f.severity {
            case .error: counts.error += 1
            case .warning: counts.warning += 1
            case .info: counts.info += 1
            }
        }
    }
}
