import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTools

extension Planj {
    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume",
            abstract: "Continue a crashed or interrupted run from its journal.",
            discussion: HelpText.reflow("""
                The run goes on as it would have: completed steps are not run again, retries, replans and
                approvals count as they did. A step that was started but never finished runs again as a new
                attempt; the interrupted attempt counts against --max-attempts, and when it was the last one
                the step fails (`interrupted`). The planner, executor, reviewer and tools are started again
                from the specs the run recorded (--planner and --executor override those two), and so are its
                limits (those of its last resume) and its models' prices (--price) unless given here. A fork made by `planj replay
                --executor` continues with the planner, executor, tools and limits of that replay (its first
                own event records them). A run with a `planj cancel` in its journal ends as cancelled.
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: ArgumentHelp("Override the recorded planner.", valueName: "spec"))
        var planner: String?

        @Option(help: ArgumentHelp("Override the recorded executor.", valueName: "spec"))
        var executor: String?

        @OptionGroup var openAI: OpenAIFlags

        @OptionGroup var limits: RunnerFlags

        @OptionGroup var output: RunOutputFlags

        func run() async throws {
            try await reportingErrors(json: output.json, verbose: global.verbose) {
                let journal = try global.openExisting()
                if let record = try Replayer(journal: journal).forkRecord(of: run) {
                    try await resumeFork(journal, record)
                    return
                }
                guard try journal.events(of: run, from: 1, to: 1).first != nil else {
                    throw JournalError(.notFound, "run \(run) has no events", context: .init(run: run))
                }
                let recorded = try RecordedSpecs.recorded(of: run, in: journal)?.0
                guard let plannerSpec = planner ?? recorded?.planner, let executorSpec = executor ?? recorded?.executor else {
                    throw JournalError(
                        .usage, "run \(run) was not recorded by `planj run`: give --planner and --executor",
                        context: .init(run: run))
                }
                var specs = recorded ?? RecordedSpecs(planner: plannerSpec, executor: executorSpec)
                (specs.planner, specs.executor) = (planner.map(specs.given) ?? plannerSpec, executor.map(specs.given) ?? executorSpec)
                let settings = try openAI.settings().adding(specs.prices)
                // The limits of the last resume, which may have been given new ones.
                let options = try limits.options(base: RunnerOptions(lastDriven: try journal.events(of: run)))
                for warning in OpenAIFlags.unpricedWarnings(specs: specs.roles, settings: settings, budgetUSD: options.budgetUSD) {
                    Output.error(warning)
                }
                let runner = try specs.runner(
                    journal: journal, options: options, http: settings, observer: RunDriver.observer(quiet: output.quiet))
                let id = run
                try await RunDriver.drive(json: output.json, closing: journal) { try await runner.resume(run: id) }
            }
        }

        /// Continues a replay's fork with the adapters, tool mode and limits its first own event
        /// recorded (a fork has no `run.started` of its own: its parent's names other adapters).
        private func resumeFork(_ journal: Journal, _ record: Replayer.ForkRecord) async throws {
            let recorded = RecordedSpecs.read(config: record.config)?.0
            let plannerSpec = planner ?? recorded?.planner ?? "recorded"
            let executorSpec = executor ?? recorded?.executor ?? "recorded"
            let settings = try openAI.settings().adding(recorded?.prices ?? [:])
            // The limits of the fork's last resume, else those its replay recorded.
            let options = try limits.options(base: RunnerOptions(lastResumeOf: try journal.events(of: run)) ?? record.options)
            let live = { (spec: String) in spec == "recorded" ? nil : spec }
            let fallback = try Replay.recordedPlanner(of: record.original, in: journal, executor: executorSpec, http: settings)
            let originalExecutor = try Replay.recordedExecutor(of: record.original, in: journal)
            let demo = executorSpec == "demo" || originalExecutor == "demo"
            let replayer = Replayer(journal: journal)
            let (id, observer) = (run, RunDriver.observer(quiet: output.quiet))
            // The recorded programs run where the replay started; those given here, here.
            let directory = { (given: String?) in given == nil ? recorded?.directory : nil }
            let plannerAdapter = try live(plannerSpec).map { try Adapters.planner($0, http: settings, directory: directory(planner)) }
            let executorAdapter = try live(executorSpec).map { try Adapters.executor($0, http: settings, directory: directory(executor)) }
            let tools = try Adapters.tools(recorded?.tools ?? [], demo: demo, directory: recorded?.directory)
            try await RunDriver.drive(json: output.json, closing: journal) {
                try await replayer.resumeFork(
                    id, record: record, planner: plannerAdapter, executor: executorAdapter, fallbackPlanner: fallback,
                    tools: tools, options: options, observer: observer)
            }
        }
    }
}
