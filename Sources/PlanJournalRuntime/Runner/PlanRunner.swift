import Foundation
import PlanJournalCore
import PlanJournalStore

/// The plan-and-execute loop, journal first: the planner writes a plan, an optional reviewer and
/// approval points gate it, the executor runs every ready step (independent steps concurrently),
/// each result is observed, a final failure triggers a replan, and the run completes with an answer
/// and totals. Every transition is an event in the journal before the runner acts on it, so a
/// crashed run is resumed from the journal (``resume(run:)``).
public struct PlanRunner: Sendable {
    /// The journal the run's events are written to, each before the runner acts on it.
    public let journal: Journal
    /// Writes the first plan and every revision.
    public let planner: any Planner
    /// Runs the steps, one call per attempt.
    public let executor: any Executor
    /// Reviews each plan before its steps run; none: plans run unreviewed.
    public let reviewer: (any Reviewer)?
    /// Studies the goal before the first plan (`goal.analyzed`); none: the planner starts at once.
    public let analyzer: (any GoalAnalyzer)?
    /// Checks each output against the step's expected output; without one, the check is local
    /// (the step produced output and no error).
    public let judge: (any Judge)?
    /// Decides approval points before `options.approval` does (replays of recorded decisions).
    public let approvals: (any ApprovalSource)?
    /// The tools executors may call through their ``StepContext``; their names are recorded in
    /// `run.started` and given to the planner and analyzer.
    public let tools: ToolRegistry
    /// Limits (parallel steps, attempts, steps, replans, budget, timeout) and the approval policy.
    public let options: RunnerOptions
    /// Called with each event once it is in the journal (progress display).
    public let observer: (@Sendable (JournalEvent) -> Void)?

    /// Creates a runner; nothing is read or written until ``start(_:)``, ``resume(run:note:)`` or
    /// ``completeCancelled(run:)``.
    /// - Parameters:
    ///   - journal: where the run's events are written.
    ///   - planner: writes the first plan and every revision.
    ///   - executor: runs the steps.
    ///   - reviewer: reviews each plan before its steps run; `nil`: no review.
    ///   - analyzer: studies the goal before the first plan; `nil`: the planner starts at once.
    ///   - judge: checks outputs against expected outputs; `nil`: the check is local.
    ///   - approvals: decides approval points before `options.approval` does; `nil`: the policy decides.
    ///   - tools: the tools executors may call.
    ///   - options: limits and policies (``RunnerOptions``'s defaults when left out).
    ///   - observer: called with each event once it is in the journal (progress display).
    public init(
        journal: Journal, planner: any Planner, executor: any Executor, reviewer: (any Reviewer)? = nil,
        analyzer: (any GoalAnalyzer)? = nil, judge: (any Judge)? = nil, approvals: (any ApprovalSource)? = nil, tools: ToolRegistry = ToolRegistry(), options: RunnerOptions = RunnerOptions(),
        observer: (@Sendable (JournalEvent) -> Void)? = nil
    ) {
        self.journal = journal
        self.planner = planner
        self.executor = executor
        self.reviewer = reviewer
        self.analyzer = analyzer
        self.judge = judge
        self.approvals = approvals
        self.tools = tools
        self.options = options
        self.observer = observer
    }

    /// What a new run records about itself in `run.started`.
    public struct Setup: Sendable {
        /// What the run is to achieve: `run.started` `goal`, given to every agent.
        public var goal: String
        /// The run id; a new ULID when `nil`.
        public var runID: String?
        /// Extra `config` members (the CLI stores the adapter specs here, for `resume`).
        public var config: [JSONValue.Member]
        /// Labels recorded in `run.started` `tags`.
        public var tags: [String]

        /// Describes a new run.
        /// - Parameters:
        ///   - goal: what the run is to achieve.
        ///   - runID: the run id; `nil` makes a new ULID. ``PlanRunner/start(_:)`` throws `.conflict` when
        ///     the journal already holds a run of this id.
        ///   - config: extra members of `run.started` `config`, after the runner's own options.
        ///   - tags: labels recorded with the run.
        public init(goal: String, runID: String? = nil, config: [JSONValue.Member] = [], tags: [String] = []) {
            self.goal = goal
            self.runID = runID
            self.config = config
            self.tags = tags
        }
    }

    /// Starts a new run and drives it to its end.
    ///
    /// Cancelling the task that awaits it (or `journal.requestCancel(run:actor:reason:)`) cancels the run: it is
    /// journaled as `cancelled`, its unfinished steps skipped, and it cannot be resumed. A run
    /// left as journaled, resumable with ``resume(run:note:)``, is one whose process ends without
    /// finishing it (planj does so on SIGTERM).
    /// - Throws: `JournalError` when the journal cannot be written (the run then stays resumable);
    ///   `.conflict` when a run with the given id exists or another process drives it.
    public func start(_ setup: Setup) async throws -> RunResult {
        let run = setup.runID ?? RunID.make()
        let claim = try journal.claim(run: run)
        if setup.runID != nil, (try? journal.run(run)) != nil {
            throw JournalError(
                .conflict, "a run with this id already exists: choose another --run-id, or `planj resume` it",
                context: .init(journalPath: journal.displayPath, run: run))
        }
        let recorder = RunRecorder(journal: journal, run: run, head: 0, observer: observer)
        try await recorder.record(.runStarted, actor: "system", data: startedData(setup))
        var progress = RunProgress(goal: setup.goal)
        progress.claim = claim
        return try await drive(&progress, recorder: recorder)
    }

    /// Continues a run that was interrupted (crash, kill, a stop at an approval point) from its
    /// journal: completed steps are not run again; a step started but never finished runs again as a
    /// new attempt. Cancelling the task that awaits it cancels the run, as for ``start(_:)``.
    /// - Parameter note: members added to the `note` this journals first (`message` `resumed`): a
    ///   replay records its fork's adapters and limits there, for a later `resume` of the fork.
    /// - Throws: ``RuntimeError`` `already_completed` when the run has ended; `JournalError` `.notFound`,
    ///   or `.conflict` when another process drives the run.
    public func resume(run: String, note: [JSONValue.Member] = []) async throws -> RunResult {
        var (progress, recorder, head) = try await takeOver(run)
        // The limits this resume runs with, for the next resume (a replay's fork records its own).
        let limits: [JSONValue.Member] =
            note.contains { $0.key == "config" } ? [] : [.init("limits", .object(options.recordedMembers))]
        let resumed = try await recorder.record(
            .note, actor: "system",
            data: .object(
                [.init("message", .string("resumed")), .init("resumed_after_seq", .int(head))] + limits + note))
        // A run to be cancelled skips its interrupted steps instead.
        for id in progress.cancelRequested == nil ? progress.interrupted : [] {
            // The interrupted attempt was the step's last try: it failed for good (a step whose
            // attempts end the process is not tried for ever).
            let attempt = progress.attempts[id] ?? 1
            let failure = RuntimeError(
                "interrupted", "the run was interrupted during attempt \(attempt), its last try (--max-attempts \(options.maxAttempts))")
            try await recorder.record(
                .stepFailed, actor: "system",
                data: .record([
                    "step_id": .string(id), "attempt": .int(attempt),
                    "error": .record(["type": .string(failure.type), "message": .string(failure.message)]),
                    "retryable": .bool(false),
                ]))
            progress.record(StepFinish(stepID: id, outcome: .failed(failure, mismatch: false)), maxAttempts: options.maxAttempts)
        }
        progress.interrupted.removeAll()
        // A fork's own part starts at its first own event (before it, its parent's run).
        if let forkSeq = try journal.run(run).forkSeq {
            progress.startedAt = try journal.events(of: run, from: forkSeq + 1, to: forkSeq + 1).first?.ts ?? resumed.ts
        }
        return try await drive(&progress, recorder: recorder)
    }

    /// Completes a run that no process drives and whose journal asks for its cancellation
    /// (`planj cancel`, ``Journal/requestCancel(run:actor:reason:)``): its steps left are skipped
    /// and it ends `cancelled`. The planner and executor are not asked anything.
    /// - Throws: as ``resume(run:note:)``; ``RuntimeError`` `not_cancelled` when nothing asks for it.
    public func completeCancelled(run: String) async throws -> RunResult {
        var (progress, recorder, _) = try await takeOver(run)
        guard progress.cancelRequested != nil else {
            throw RuntimeError("not_cancelled", "nothing in run \(run)'s journal asks for its cancellation")
        }
        return try await drive(&progress, recorder: recorder)
    }

    /// Claims `run` and reads back where it stands, to drive it from there.
    /// - Returns: its progress, a recorder continuing its events, and its head seq.
    private func takeOver(_ run: String) async throws -> (RunProgress, RunRecorder, Int64) {
        // Before its state is read: another driver's steps would otherwise run a second time.
        let claim = try journal.claim(run: run)
        let events = try journal.events(of: run)
        let state = try journal.state(of: run)
        guard state.endedAt == nil else {
            throw RuntimeError(RuntimeError.Types.alreadyCompleted, "run \(run) already completed with status \(state.status)")
        }
        guard let goal = state.goal else { throw RuntimeError("no_goal", "run \(run) has no run.started goal") }
        let recorder = RunRecorder(journal: journal, run: run, head: state.seq, observer: observer)
        await recorder.seedTotals(
            costUSD: state.totals.costUSD, inputTokens: state.totals.inputTokens,
            outputTokens: state.totals.outputTokens)
        var progress = RunProgress(resuming: events, goal: goal, options: options)
        progress.claim = claim
        return (progress, recorder, state.seq)
    }

    private func startedData(_ setup: Setup) -> JSONValue {
        return .record([
            "goal": .string(setup.goal),
            "agent": .record(["name": .string("planj"), "version": .string(PlanJournalRuntime.version)]),
            "planner": .record(["model": .string(planner.name)]),
            "executor": .record(["model": .string(executor.name)]),
            "tools": .strings(tools.names),
            "config": .object(options.recordedMembers + setup.config),
            "tags": .strings(setup.tags),
        ])
    }
}

/// The runtime's version, recorded in `run.started`.
public enum PlanJournalRuntime {
    /// This library's version, recorded as `agent.version` in `run.started`.
    public static let version = "0.2.1"
}
