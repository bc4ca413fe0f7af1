import Foundation
import PlanJournalCore
import PlanJournalStore

/// The adapter specs a run records in `run.started` `config`, so `planj resume` can start them again
/// (passwords in `openai:` base URLs recorded as `***`: such a run is resumed with the spec given again).
public struct RecordedSpecs: Sendable {
    /// The planner's spec: `demo`, `cmd:PROGRAM ARGS` or `openai:MODEL@BASE_URL`.
    public var planner: String
    /// The executor's spec, written as the planner's.
    public var executor: String
    /// The reviewer's spec; `nil` when the run has no reviewer.
    public var reviewer: String?
    /// The goal analyzer's spec; `nil` when the run has none.
    public var analyzer: String?
    /// The judge's spec; `nil` when outputs are checked locally.
    public var judge: String?
    /// Extra tools, as `NAME=cmd:PROGRAM ARGS`.
    public var tools: [String]
    /// The models' prices (`--price`), so that a resume counts the cost of its calls, and its
    /// budget, as the run did.
    public var prices: [String: TokenPrice] = [:]
    /// Where the `cmd:` programs run: the directory the run started in, when it is another than
    /// this process's (a resume elsewhere); `nil` for this process's.
    public var directory: String?

    /// Specs as given (`nil` for roles left out).
    public init(
        planner: String, executor: String, reviewer: String? = nil, analyzer: String? = nil, judge: String? = nil,
        tools: [String] = [], prices: [String: TokenPrice] = [:]
    ) {
        self.planner = planner
        self.executor = executor
        self.reviewer = reviewer
        self.analyzer = analyzer
        self.judge = judge
        self.tools = tools
        self.prices = prices
    }

    /// The `config` members that record these specs (passwords in URLs redacted), and the
    /// folder relative paths in them start from.
    public var members: [JSONValue.Member] {
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
        m.append(.init("cwd", .string(directory ?? FileManager.default.currentDirectoryPath)))
        return m
    }

    /// The specs and options recorded by the run's `run.started`.
    public static func read(_ started: JournalEvent) -> (RecordedSpecs, RunnerOptions)? {
        read(config: started.data("config"))
    }

    /// The specs and options recorded in a `config` object (of `run.started`, or of a replay's
    /// fork note).
    public static func read(config: JSONValue?) -> (RecordedSpecs, RunnerOptions)? {
        guard let planner = config?["planner_spec"]?.stringValue, let executor = config?["executor_spec"]?.stringValue else {
            return nil
        }
        let o = RunnerOptions(recorded: config)
        var specs = RecordedSpecs(
            planner: planner, executor: executor, reviewer: config?["reviewer_spec"]?.stringValue,
            analyzer: config?["analyzer_spec"]?.stringValue, judge: config?["judge_spec"]?.stringValue,
            tools: config?["tool_specs"]?.arrayValue?.compactMap(\.stringValue) ?? [], prices: recordedPrices(config))
        // The programs run where the run started (`cmd:node agent.js` names a file there), when
        // that directory is still there.
        var isDirectory: ObjCBool = false
        if let cwd = config?["cwd"]?.stringValue, cwd != FileManager.default.currentDirectoryPath,
            FileManager.default.fileExists(atPath: cwd, isDirectory: &isDirectory), isDirectory.boolValue
        {
            specs.directory = cwd
        }
        return (specs, o)
    }

    /// The prices a `config` recorded.
    public static func recordedPrices(_ config: JSONValue?) -> [String: TokenPrice] {
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

    /// A spec given on this command line in place of a recorded one: programs run in
    /// ``directory``, so its relative paths are made absolute from this process's directory.
    public func given(_ spec: String) -> String {
        directory == nil ? spec : AdapterSpec.resolvingRelativePaths(spec, against: FileManager.default.currentDirectoryPath)
    }

    /// The specs and options `planj run` recorded for `run` in its `run.started`, if it did.
    public static func recorded(of run: String, in journal: Journal) throws -> (RecordedSpecs, RunnerOptions)? {
        try journal.events(of: run, from: 1, to: 1).first.flatMap { read($0) }
    }

    /// Every role's spec, `nil` for the roles left out (for warnings about each).
    public var roles: [String?] { [planner, executor, reviewer, analyzer, judge] }

    /// A runner with the adapters these specs name, on `journal`.
    /// - Throws: ``RuntimeError`` for a bad spec or a program that cannot start.
    public func runner(
        journal: Journal, options: RunnerOptions, http: OpenAISettings, observer: (@Sendable (JournalEvent) -> Void)?
    ) throws -> PlanRunner {
        let adapters = try Adapters(
            planner: planner, executor: executor, reviewer: reviewer, analyzer: analyzer, judge: judge, tools: tools, http: http,
            directory: directory)
        return PlanRunner(
            journal: journal, planner: adapters.planner, executor: adapters.executor, reviewer: adapters.reviewer,
            analyzer: adapters.analyzer, judge: adapters.judge, tools: adapters.tools, options: options, observer: observer)
    }
}
