import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

extension Planj {
    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Grant or deny an approval a run is waiting for.",
            discussion: HelpText.reflow("""
                Appends `approval.resolved` to the run. A run started with --approve ask that is waiting
                continues at once; a stopped one continues with `planj resume RUN`. Without --step, the
                run's one open request is answered (the plan's, or a single step's).
                  planj approve RUN                     grant the open request
                  planj approve RUN --step publish      grant step publish
                  planj approve RUN --deny --comment "not on Fridays"
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: "The step whose approval to decide.")
        var step: String?

        @Flag(help: "Deny instead of grant.")
        var deny = false

        @Option(help: "Why.")
        var comment: String?

        @Option(name: .customLong("as"), help: ArgumentHelp("Who decides (default: $USER, else cli).", valueName: "name"))
        var approver: String?

        @Flag(help: "Print the appended event as JSON.")
        var json = false

        func validate() throws {
            if approver?.isEmpty == true { throw ValidationError("--as needs a name: who decides goes into the audit trail") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                try await global.withJournal { journal in
                    let event = try await journal.resolveApproval(
                        run: run, step: step, granted: !deny,
                        approver: HumanActor.name(approver), comment: comment)
                    if json {
                        Output.line(event.jsonLine)
                    } else {
                        let what = event.dataString("step_id").map { "step \($0)" } ?? "plan v\(event.dataInt("version") ?? 0)"
                        Output.line("\(deny ? "denied" : "granted") \(what) of run \(run) (seq \(event.seq))")
                    }
                }
            }
        }
    }
}
