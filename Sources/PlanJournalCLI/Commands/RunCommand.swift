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
                let adapters = try Adapters(
                    planner: planner, executor: executor, reviewer: reviewer, analyzer: analyzer, judge: judge, tools: tools,
                    http: settings)
                let runner = PlanRunner(
                    journal: journal, planner: adapters.planner, executor: adapters.executor,
                    reviewer: adapters.reviewer, analyzer: adapters.analyzer, judge: adapters.judge, tools: adapters.tools,
                    options: options,
                    observer: RunDriver.observer(quiet: output.quiet))
                let setup = PlanRunner.Setup(
                    goal: goal, runID: runID,
                    config: RecordedSpecs(
                        planner: planner, executor: executor, reviewer: reviewer, analyzer: analyzer, judge: judge, tools: tools,
                        prices: settings.prices
                    ).members,
                    tags: tags)
                try await RunDriver.drive(json: output.json, closing: journal) { try await runner.start(setup) }
            }
        }
    }
}

/// The adapter specs a run records in `run.started` `config`, so `planj resume` can start them again
/// (passwords in `openai:` base URLs recorded as `***`: such a run is resumed with the spec given again).
struct RecordedSpecs {
    var planner: String
    var executor: String
    var reviewer: String?
    var analyzer: String?
    var judge: String?
    var tools: [String]
    /// The models' prices (`--price`), so that a resume counts the cost of its calls, and its
    /// budget, as the run did.
    var prices: [String: TokenPrice] = [:]

    var members: [JSONValue.Member] {
        func spec(_ text: String) -> JSONValue { .string(AdapterSpec.redacting(text)) }
        var m: [JSONValue.Member] = [.init("planner_spec", spec(planner)), .init("executor_spec", spec(executor))]
        if let reviewer { m.append(.init("reviewer_spec", spec(reviewer))) }
        if let analyzer { m.append(.init("analyzer_spec", spec(analyzer))) }
        if let judge { m.append(.init("judge_spec", spec(judge))) }
        if !tools.isEmpty { m.append(.init("tool_specs", .strings(tools))) }
        if !prices.isEmpty {
            m.append(
                .init(
                    "prices",
                    .object(
                        prices.sorted { $0.key < $1.key }.map {
                            .init($0.key, .record(["input": .double($0.value.input), "output": .double($0.value.output)]))
                        })))
        }
        // Where relative paths in cmd: specs start from, for a resume elsewhere.
        m.append(.init("cwd", .string(FileManager.default.currentDirectoryPath)))
        return m
    }

    /// The specs and options recorded by the run's `run.started`.
    static func read(_ started: JournalEvent) -> (RecordedSpecs, RunnerOptions)? {
        read(config: started.data("config"))
    }

    /// The specs and options recorded in a `config` object (of `run.started`, or of a replay's
    /// fork note).
    static func read(config: JSONValue?) -> (RecordedSpecs, RunnerOptions)? {
        guard let planner = config?["planner_spec"]?.stringValue, let executor = config?["executor_spec"]?.stringValue else {
            return nil
        }
        let o = RunnerOptions(recorded: config)
        // Relative paths in cmd: specs name files where the run started.
        let cwd = config?["cwd"]?.stringValue
        let here = FileManager.default.currentDirectoryPath
        let resolve = { (spec: String) in cwd.map { $0 == here ? spec : AdapterSpec.resolvingRelativePaths(spec, against: $0) } ?? spec }
        let specs = RecordedSpecs(
            planner: resolve(planner), executor: resolve(executor), reviewer: config?["reviewer_spec"]?.stringValue.map(resolve),
            analyzer: config?["analyzer_spec"]?.stringValue.map(resolve), judge: config?["judge_spec"]?.stringValue.map(resolve),
            tools: (config?["tool_specs"]?.arrayValue?.compactMap(\.stringValue) ?? []).map(resolve),
            prices: recordedPrices(config))
        return (specs, o)
    }

    /// The prices a `config` recorded.
    static func recordedPrices(_ config: JSONValue?) -> [String: TokenPrice] {
        var prices: [String: TokenPrice] = [:]
        guard case .object(let members)? = config?["prices"] else { return prices }
        for member in members {
            guard let input = member.value["input"]?.doubleValue, let output = member.value["output"]?.doubleValue,
                input >= 0, output >= 0
            else { continue }
            prices[member.key] = TokenPrice(input: input, output: output)
        }
        return prices
    }
}
