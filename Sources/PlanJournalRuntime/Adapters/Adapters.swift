import PlanJournalCore

/// Builds the adapters a run's specs name. Programs named by `cmd:` are started once per role.
public struct Adapters: Sendable {
    /// The planner the `planner` spec names.
    public var planner: any Planner
    /// The executor the `executor` spec names.
    public var executor: any Executor
    /// The reviewer the `reviewer` spec names; `nil` without one.
    public var reviewer: (any Reviewer)?
    /// The goal analyzer the `analyzer` spec names; `nil` without one.
    public var analyzer: (any GoalAnalyzer)?
    /// The judge the `judge` spec names; `nil` without one.
    public var judge: (any Judge)?
    /// The tools the `tools` specs name, after the demo's tools when the executor is `demo`.
    public var tools: ToolRegistry

    /// - Parameters:
    ///   - tools: extra tools as `NAME=cmd:PROGRAM ARGS`.
    ///   - http: settings of OpenAI-compatible servers.
    ///   - directory: where `cmd:` programs run (`nil`: in this process's directory).
    /// - Throws: ``RuntimeError`` for a bad spec or a program that cannot start.
    public init(
        planner: String, executor: String, reviewer: String? = nil, analyzer: String? = nil, judge: String? = nil,
        tools: [String] = [], http: OpenAISettings = OpenAISettings(), directory: String? = nil
    ) throws {
        let d = directory
        self.analyzer = try analyzer.map { try Self.make(AdapterSpec(parsing: $0), role: .analyzer, http: http, directory: d) }
        self.planner = try Self.make(AdapterSpec(parsing: planner), role: .planner, http: http, directory: d)
        self.executor = try Self.make(AdapterSpec(parsing: executor), role: .executor, http: http, directory: d)
        self.reviewer = try reviewer.map { try Self.make(AdapterSpec(parsing: $0), role: .reviewer, http: http, directory: d) }
        self.judge = try judge.map { try Self.make(AdapterSpec(parsing: $0), role: .judge, http: http, directory: d) }
        let demo: Bool
        if case .demo = try AdapterSpec(parsing: executor) { demo = true } else { demo = false }
        let registry = try Self.tools(tools, demo: demo, directory: directory)
        self.tools = registry
    }

    /// The tools `NAME=cmd:PROGRAM ARGS` specs name (each program started once, in `directory`
    /// when one is given), after the demo's tools when `demo`.
    public static func tools(_ specs: [String], demo: Bool = false, directory: String? = nil) throws -> ToolRegistry {
        var registry = demo ? DemoExecutor.tools : ToolRegistry()
        for tool in specs {
            guard let eq = tool.firstIndex(of: "="),
                case .command(let words) = try AdapterSpec(parsing: String(tool[tool.index(after: eq)...]))
            else {
                throw RuntimeError("usage", "write a tool as NAME=cmd:PROGRAM ARGS, not '\(tool)'")
            }
            registry.register(try SubprocessTool(name: String(tool[..<eq]), arguments: words, directory: directory))
        }
        return registry
    }

    /// The planner a spec names (a `cmd:` program run in `directory` when one is given).
    public static func planner(_ spec: String, http: OpenAISettings = OpenAISettings(), directory: String? = nil) throws
        -> any Planner
    {
        try make(AdapterSpec(parsing: spec), role: .planner, http: http, directory: directory)
    }

    /// The executor a spec names (a `cmd:` program run in `directory` when one is given).
    public static func executor(_ spec: String, http: OpenAISettings = OpenAISettings(), directory: String? = nil) throws
        -> any Executor
    {
        try make(AdapterSpec(parsing: spec), role: .executor, http: http, directory: directory)
    }

    enum Role { case planner, executor, reviewer, analyzer, judge }

    private static func make<T: Sendable>(
        _ spec: AdapterSpec, role: Role, http: OpenAISettings, directory: String? = nil
    ) throws -> T {
        let adapter: any Sendable
        switch spec {
        case .demo:
            switch role {
            case .planner: adapter = DemoPlanner()
            case .executor: adapter = DemoExecutor()
            case .reviewer: adapter = DemoReviewer()
            case .analyzer: adapter = DemoAnalyzer()
            case .judge: throw RuntimeError("usage", "the demo has no judge: use cmd: or openai:")
            }
        case .command(let words):
            adapter = try SubprocessAgent(arguments: words, directory: directory, role: "\(role)")
        case .openAI(let model, let baseURL):
            let client = OpenAIClient(model: model, baseURL: baseURL, settings: http)
            switch role {
            case .planner: adapter = OpenAIPlanner(client: client)
            case .executor: adapter = OpenAIExecutor(client: client)
            case .reviewer: adapter = OpenAIReviewer(client: client)
            case .analyzer: adapter = OpenAIAnalyzer(client: client)
            case .judge: adapter = OpenAIExecutor(client: client)
            }
        }
        guard let typed = adapter as? T else { throw RuntimeError("usage", "\(spec) cannot act as \(role)") }
        return typed
    }
}
