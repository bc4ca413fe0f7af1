import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

/// Re-executes a recorded run as a new run forked from it: the events before the fork point are
/// read through the original, then the runner carries on with the given planner and executor.
public struct Replayer: Sendable {
    /// The journal holding the recorded runs; forks are written to it.
    public let journal: Journal

    /// Creates a replayer of `journal`'s runs.
    public init(journal: Journal) { self.journal = journal }

    /// Where a re-execution forks: right before the first `step.started` (of `step`, when given),
    /// so the plan, its review and approvals are shared and every step from there runs again.
    /// - Throws: `JournalError` `.notFound`; ``RuntimeError`` `nothing_to_replay` when the run never started
    ///   that step or any step.
    public func forkPoint(of run: String, step: String? = nil) throws -> Int64 {
        let events = try journal.events(of: run)
        guard let first = events.first(where: { $0.knownKind == .stepStarted && (step == nil || $0.dataString("step_id") == step) })
        else {
            throw RuntimeError(RuntimeError.Types.nothingToReplay, "run \(run) never started \(step.map { "step \($0)" } ?? "a step"): nothing to replay from")
        }
        return first.seq - 1
    }

    /// The limits `run` ran with, as its `run.started` `config` recorded them, so that a fork
    /// retries, replans and stops where the original did. A limit the run did not record (an
    /// ingested run) is at least as loose as what the recording did.
    /// - Throws: `JournalError` `.notFound`.
    public func recordedOptions(of run: String) throws -> RunnerOptions {
        Self.recordedOptions(of: try journal.events(of: run))
    }

    /// The runner of a fork of `recording` whose state is `state`: `nil` planner or executor
    /// answer from the recording (the recorded executor judges then too), `overrides` replace
    /// outputs, plan versions get the recorded reviews, and approval points the recorded decisions
    /// when `recordedDecisions` (else the policy of `options`).
    func forkRunner(
        _ recording: RecordedRun, state: PlanState, planner: (any Planner)?, executor: (any Executor)?,
        recordedExecutor: RecordedExecutor, overrides: [String: String], toolMode: ToolMode,
        fallbackPlanner: (any Planner)?, tools: ToolRegistry, options: RunnerOptions, recordedDecisions: Bool,
        observer: (@Sendable (JournalEvent) -> Void)?
    ) -> PlanRunner {
        var recording = recording
        recording.answersApprovals = recordedDecisions
        let base: any Executor = executor ?? recordedExecutor
        return PlanRunner(
            journal: journal,
            planner: planner
                ?? RecordedPlanner(
                    recording, versionsAlreadyPlanned: state.plans.count, replansAlreadyMade: state.totals.replans,
                    fallback: fallbackPlanner),
            executor: overrides.isEmpty && executor == nil ? base : OverridingExecutor(base: base, overrides: overrides),
            reviewer: recording.reviews.isEmpty ? nil : RecordedReviewer(recording),
            judge: executor == nil ? recordedExecutor : nil, approvals: recording,
            tools: RecordedTools(recording, mode: toolMode, live: tools).registry, options: options, observer: observer)
    }

    static func recordedOptions(of events: [JournalEvent]) -> RunnerOptions {
        let config = events.first { $0.knownKind == .runStarted }?.data("config")
        var options = RunnerOptions(recorded: config)
        let recording = RecordedRun(run: events.first?.run ?? "", events: events)
        if config?["max_attempts"] == nil {
            options.maxAttempts = max(options.maxAttempts, recording.outcomes.values.map(\.count).max() ?? 0)
        }
        if config?["max_replans"] == nil {
            options.maxReplans = max(options.maxReplans, recording.replannedSteps.count)
        }
        if config?["max_steps"] == nil {
            options.maxSteps = max(options.maxSteps, recording.outcomes.values.reduce(0) { $0 + $1.count } * 2)
        }
        // Approval points are decided by the recording first; new ones by policy.
        options.approval = .auto
        return options
    }

    /// Whether `id` is a fork of `run` at `seq` with no event of its own: one a re-execution
    /// made and was killed before it wrote its first (which names the replay, for `resume`).
    /// A re-execution of `run` from `seq` as `id` takes it up instead of failing on the id.
    public static func isUnstartedFork(_ id: String, of run: String, at seq: Int64, in journal: Journal) throws -> Bool {
        guard let fork = try journal.existingRun(id) else { return false }
        return fork.parent == run && fork.forkSeq == seq && fork.events == seq
    }

    /// Forks `run` at `seq` as `forkID` and drives the fork to its end with `planner` and
    /// `executor` (`nil`: answers recorded in `run`); approval points get the recorded decisions. Each step's `step.completed` says where its
    /// answer came from (`source`: `recorded`, `live` or `override`).
    /// - Parameters:
    ///   - overrides: outputs that replace the executor's for these step ids (what-if forks).
    ///   - toolMode: where tool calls are answered from (`tools` are the live ones).
    ///   - fallbackPlanner: with the recorded planner (`planner` nil), asked for the replans the
    ///     recording does not have.
    ///   - specs: `config` members naming the fork's adapters (`planner_spec`, `executor_spec`,
    ///     `tool_specs`, `tool_mode`, as the CLI's specs), journaled in the fork's first own event
    ///     with its limits, so that ``resumeFork(_:planner:executor:fallbackPlanner:tools:options:observer:)``
    ///     continues it with them.
    ///   - options: the fork's limits; `nil`: the original's, as its `run.started` recorded them
    ///     (``recordedOptions(of:)``).
    ///   - recordedDecisions: whether approval points get the original's decisions (journaled as
    ///     the `policy`'s, naming who decided); `false`: the approval policy of `options` decides
    ///     them (`ask` waits for `planj approve`).
    public func reexecute(
        _ run: String, at seq: Int64, as forkID: String, planner: (any Planner)?, executor: (any Executor)?,
        overrides: [String: String] = [:], toolMode: ToolMode = .recordedElseLive, fallbackPlanner: (any Planner)? = nil,
        tools: ToolRegistry = ToolRegistry(), options: RunnerOptions? = nil, recordedDecisions: Bool = true,
        specs: [JSONValue.Member] = [], observer: (@Sendable (JournalEvent) -> Void)? = nil
    ) async throws -> RunResult {
        let events = try journal.events(of: run)
        let recording = RecordedRun(run: run, events: events)
        // Checked before the fork is made: a fork that could not run would stay behind.
        let count = events.count
        guard seq >= 1, seq <= count else {
            throw RuntimeError("usage", "run \(run) has \(count) events: a re-execution starts from seq 2...\(count), not \(seq + 1) (the fork shares the events before)")
        }
        let shared = try journal.state(of: run, at: seq)
        guard shared.endedAt == nil else {
            throw RuntimeError("usage", "run \(run) had completed by seq \(seq): re-execute from an earlier seq")
        }
        if !(try Self.isUnstartedFork(forkID, of: run, at: seq, in: journal)) {
            _ = try journal.fork(run, at: seq, as: forkID)
        }
        let options = options ?? Self.recordedOptions(of: events)
        let runner = forkRunner(
            recording, state: shared, planner: planner, executor: executor,
            recordedExecutor: RecordedExecutor(recording, reissueToolCalls: toolMode == .live), overrides: overrides,
            toolMode: toolMode, fallbackPlanner: fallbackPlanner, tools: tools, options: options,
            recordedDecisions: recordedDecisions, observer: observer)
        let note: [JSONValue.Member] = [
            .init("replay_of", .string(run)),
            .init(
                "config",
                .object(
                    options.recordedMembers + [
                        .init("tool_mode", .string(toolMode.rawValue)),
                        .init("recorded_decisions", .bool(recordedDecisions)),
                        .init("overrides", .object(overrides.sorted { $0.key < $1.key }.map { .init($0.key, .string($0.value)) })),
                    ] + specs)),
        ]
        return try await runner.resume(run: forkID, note: note)
    }
}
