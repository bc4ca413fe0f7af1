import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

extension Planj {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a realistic run of an offline demo agent (no network, no key).",
            discussion: """
                The demo agent researches three storage engines: its plan fetches three sources in
                parallel (the steps really overlap), one source keeps failing so the planner revises the
                plan, the publish step is an approval point granted by policy, and the run completes.
                Everything is journaled; then try the commands it prints.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "Multiply every step's duration by this (0 runs as fast as possible).")
        var pace: Double = 1

        @Flag(help: "Print the summary as JSON.")
        var json = false

        @Flag(help: "No progress lines on stderr.")
        var quiet = false

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let journal = try global.open()
                var options = RunnerOptions()
                options.maxAttempts = 2
                let runner = PlanRunner(
                    journal: journal, planner: DemoPlanner(), executor: DemoExecutor(pace: pace), reviewer: DemoReviewer(),
                    tools: DemoExecutor.tools, options: options, observer: RunDriver.observer(quiet: quiet))
                let setup = PlanRunner.Setup(
                    goal: DemoPlanner.goal,
                    config: RecordedSpecs(planner: "demo", executor: "demo", reviewer: "demo", judge: nil, tools: []).members,
                    tags: ["demo"])
                let jsonOutput = json
                let journalFlag = global.journal.map { " --journal \($0)" } ?? ""
                try await RunDriver.drive(json: json) {
                    let result = try await runner.start(setup)
                    if !jsonOutput {
                        Output.error(
                            """

                            What to try next:
                              planj\(journalFlag) show \(result.run)                   the plan versions and each step
                              planj\(journalFlag) show \(result.run) --at 20           the state after event 20 (time travel)
                              planj\(journalFlag) events \(result.run) --kind 'step.*' the step events as JSON Lines
                              planj\(journalFlag) verify \(result.run)                 recompute its hash chain
                              planj\(journalFlag) export \(result.run) --format pjl -o demo.pjl
                            """)
                    }
                    return result
                }
            }
        }
    }
}
