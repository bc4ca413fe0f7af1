import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

extension Planj {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a plan-and-execute agent on a goal, journaling every transition.",
            discussion: HelpText.reflow("""
                The planner writes a plan, the reviewer (if any) reviews it, approval points are decided
                (--approve), the executor runs every ready step (independent steps at once, --parallel),
                each result is observed, a step that keeps failing makes the planner revise the plan, and
                the run completes with an answer and totals. Progress goes to stderr, one line per step
                transition; the run id and a summary go to stdout (--json for scripts). Exit status 0 when
                the run succeeded, 1 otherwise. Ctrl-C ends the run as cancelled; `planj resume RUN`
                continues a run that was killed.

                Adapters (--planner, --executor, --reviewer, --analyzer, --judge):
                  demo                   the offline demo agent (no network, no key)
                  cmd:PROGRAM ARGS       a program speaking JSON Lines on stdin/stdout
                                         (see the README)
                  openai:MODEL@BASE_URL  an OpenAI-compatible server, key from
                                         $OPENAI_API_KEY, e.g.
                                         openai:gpt-4o-mini@https://api.openai.com/v1
                                         openai:llama3@http://localhost:11434/v1

                Examples:
                  planj run --goal "Summarise the README" \\
                      --planner 'cmd:python3 tools/agents/example_agent.py' \\
                      --executor 'cmd:python3 tools/agents/example_agent.py'
                  planj run --goal "..." \\
                      --planner openai:gpt-4o@https://api.openai.com/v1 \\
                      --executor openai:gpt-4o-mini@https://api.openai.com/v1 \\
                      --price gpt-4o=2.50,10 --price gpt-4o-mini=0.15,0.60 \\
                      --budget-usd 0.50
                """))

        @OptionGroup var global: GlobalOptions

        @Option(help: "What the agent should achieve.")
        var goal: String

        @Option(help: ArgumentHelp("Who writes the plan.", valueName: "spec"))
        var planner: String

        @Option(help: ArgumentHelp("Who carries out the steps.", valueName: "spec"))
        var executor: String

        @Option(help: ArgumentHelp("Who reviews each plan version before it runs.", valueName: "spec"))
        var reviewer: String?

        @Option(help: ArgumentHelp("Who analyzes the goal before the first plan (goal.analyzed; the planner is given the analysis).", valueName: "spec"))
        var analyzer: String?

        @Option(help: ArgumentHelp("Who checks each output against the step's expected output (default: a local check that there is output and no error).", valueName: "spec"))
        var judge: String?

        @Option(name: .customLong("tool"), help: ArgumentHelp("A tool the executor may call (repeatable).", valueName: "name=cmd:PROGRAM ARGS"))
        var tools: [String] = []

        @OptionGroup var openAI: OpenAIFlags

        @Option(help: ArgumentHelp("The run id (default: a new ULID).", valueName: "id"))
        var runID: String?

        @Option(name: .customLong("tag"), help: "A tag recorded with the run (repeatable).")
        var tags: [String] = []

        @OptionGroup var limits: RunnerFlags

        @OptionGroup var output: RunOutputFlags

        func run() async throws {
            try await reportingErrors(json: output.json, verbose: global.verbose) {
                let journal = try global.open()
                let settings = try openAI.settings()
                let options = try limits.options()
                for warning in OpenAIFlags.unpricedWarnings(
                    specs: [planner, executor, reviewer, analyzer, judge], settings: settings, budgetUSD: options.budgetUSD)
                {
                    Output.error(warning)
                }
                let specs = RecordedSpecs(
                    planner: planner, executor: executor, reviewer: reviewer, analyzer: analyzer, judge: judge, tools: tools,
                    prices: settings.prices)
                let runner = try specs.runner(
                    journal: journal, options: options, http: settings, observer: RunDriver.observer(quiet: output.quiet))
                let setup = PlanRunner.Setup(goal: goal, runID: runID, config: specs.members, tags: tags)
                try await RunDriver.drive(json: output.json, closing: journal) { try await runner.start(setup) }
            }
        }
    }
}
