import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

extension Replayer {
    /// What a re-execution recorded about its fork in the fork's first own event (the `note`
    /// with `replay_of`): the original, and in `config` the fork's limits, tool mode, overrides
    /// and the adapter specs the caller gave.
    public struct ForkRecord: Sendable {
        /// The run the fork replays.
        public var original: String
        /// The fork's limits, adapter specs (`planner_spec`, `executor_spec`, … as the caller
        /// named them), `tool_mode` and `overrides`.
        public var config: JSONValue

        /// The fork's limits.
        public var options: RunnerOptions { RunnerOptions(recorded: config) }
        /// Where its tool calls are answered.
        public var toolMode: ToolMode { config["tool_mode"]?.stringValue.flatMap(ToolMode.init(rawValue:)) ?? .recordedElseLive }
        /// Whether its approval points get the original's decisions (else its own policy decides).
        public var recordedDecisions: Bool { config["recorded_decisions"]?.boolValue ?? true }
        /// Its what-if outputs by step id.
        public var overrides: [String: String] {
            var result: [String: String] = [:]
            for member in config["overrides"]?.objectMembers ?? [] { result[member.key] = member.value.stringValue }
            return result
        }
    }

    /// The record a re-execution left in fork `run`'s first own event; `nil` when `run` is not
    /// such a fork (or one made before forks recorded it).
    /// - Throws: `JournalError` `.notFound`.
    public func forkRecord(of run: String) throws -> ForkRecord? {
        guard let forkSeq = try journal.run(run).forkSeq,
            let first = try journal.events(of: run, from: forkSeq + 1, to: forkSeq + 1).first,
            first.knownKind == .note, let original = first.dataString("replay_of")
        else { return nil }
        return ForkRecord(original: original, config: first.data("config") ?? .object([]))
    }

    /// Continues a re-execution's fork that was interrupted (killed), as
    /// ``reexecute(_:at:as:planner:executor:overrides:toolMode:fallbackPlanner:tools:options:specs:observer:)``
    /// drove it: `nil` planner or executor answers from the original's recording again, from where
    /// the fork's own events left it; approvals, tool mode and overrides are the fork's.
    public func resumeFork(
        _ fork: String, record: ForkRecord, planner: (any Planner)?, executor: (any Executor)?,
        fallbackPlanner: (any Planner)? = nil, tools: ToolRegistry = ToolRegistry(), options: RunnerOptions? = nil,
        observer: (@Sendable (JournalEvent) -> Void)? = nil
    ) async throws -> RunResult {
        let recording = RecordedRun(run: record.original, events: try journal.events(of: record.original))
        let forkSeq = try journal.run(fork).forkSeq ?? 0
        // The judgements the recorded executor gave in the fork's own part already.
        var judged: [String: Int] = [:]
        for e in try journal.events(of: fork, from: forkSeq + 1) where e.knownKind == .stepCompleted {
            if let id = e.dataString("step_id") { judged[id, default: 0] += 1 }
        }
        let state = try journal.state(of: fork)
        let runner = forkRunner(
            recording, state: state, planner: planner, executor: executor,
            recordedExecutor: RecordedExecutor(
                recording, reissueToolCalls: record.toolMode == .live, judged: judged),
            overrides: record.overrides, toolMode: record.toolMode, fallbackPlanner: fallbackPlanner, tools: tools,
            options: options ?? record.options, recordedDecisions: record.recordedDecisions, observer: observer)
        return try await runner.resume(run: fork)
    }
}
