import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

extension Planj {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "demo",
            abstract: "Record a realistic run of an offline demo agent (no network, no key).",
            discussion: HelpText.reflow("""
                The demo agent researches three storage engines: its plan fetches three sources in
                parallel (the steps really overlap), one source keeps failing so the planner revises the
                plan, the publish step is an approval point granted by policy, and the run completes.
                Everything is journaled; then try the commands it prints.
                """))

        @OptionGroup var global: GlobalOptions

        @Option(help: "Multiply every step's duration by this (0 runs as fast as possible).")
        var pace: Double = 1

        @OptionGroup var output: RunOutputFlags

        func validate() throws {
            // The longest step lasts a few seconds at pace 1: a thousand times that is hours.
            guard pace >= 0, pace <= 1000 else {
                throw ValidationError("--pace must be a number from 0 to 1000, not \(pace)")
            }
        }

        func run() async throws {
            try await reportingErrors(json: output.json, verbose: global.verbose) {
                let journal = try global.open()
                var options = RunnerOptions()
                options.maxAttempts = 2
                let runner = PlanRunner(
                    journal: journal, planner: DemoPlanner(), executor: DemoExecutor(pace: pace), reviewer: DemoReviewer(),
                    tools: DemoExecutor.tools, options: options, observer: RunDriver.observer(quiet: output.quiet))
                let setup = PlanRunner.Setup(
                    goal: DemoPlanner.goal,
                    config: RecordedSpecs(planner: "demo", executor: "demo", reviewer: "demo", judge: nil, tools: []).members,
                    tags: ["demo"])
                let jsonOutput = output.json
                // A database URL without its password (it must not reach a terminal or a log).
                let journalFlag = global.journal.map { " --journal " + Journal.displayName($0).shellWord } ?? ""
                try await RunDriver.drive(json: output.json, closing: journal) {
                    let result = try await runner.start(setup)
                    if !jsonOutput { Output.error(Self.nextSteps(run: result.run, journalFlag: journalFlag)) }
                    return result
                }
            }
        }

        /// What to try on the recorded run, as aligned command lines.
        private static func nextSteps(run: String, journalFlag: String) -> String {
            let tips = [
                ("show \(run)", "the plan versions and each step"),
                ("show \(run) --at 20", "the state after event 20 (time travel)"),
                ("watch \(run)", "the plan as a tree"),
                ("events \(run) --kind 'step.*'", "the step events as JSON Lines"),
                ("verify \(run)", "recompute its hash chain"),
                ("export \(run) --format pjl -o demo.pjl", "a portable file (lz4 -dc demo.pjl)"),
            ].map { ("planj\(journalFlag) " + $0.0, $0.1) }
            let width = tips.map(\.0.count).max() ?? 0
            return "\nWhat to try next:\n"
                + tips.map { "  " + $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }
                    .joined(separator: "\n")
        }
    }
}
