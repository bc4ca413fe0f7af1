import Synchronization
import PlanJournalCore
import PlanJournalRuntime

/// A planner that answers from a recorded run: it replans where the recording did (after a failure
/// of the same step), answering with the recording's next plan version. A replan the recording does
/// not have goes to `fallback` (the original's planner, say) when there is one, and is otherwise
/// declined (the failed step stays failed, its dependents are skipped).
public final class RecordedPlanner: Planner, ReplanPolicy {
    /// The run answered from.
    public let recording: RecordedRun
    /// Asked for replans the recording does not have.
    public let fallback: (any Planner)?
    /// Where the replay is in the recording.
    private let cursor: Synchronization.Mutex<Cursor>

    private struct Cursor {
        /// The next recorded plan version to answer with (an index into `recording.plans`).
        var nextPlan: Int
        /// The recorded replans made so far (an index into `recording.replannedSteps`).
        var replans: Int
        /// Whether the replan just agreed to is a recorded one (`plan` follows `shouldReplan`).
        var nextIsRecorded = true
    }

    /// `recorded:` and the recorded run's id.
    public var name: String { "recorded:\(recording.run)" }

    /// - Parameters:
    ///   - versionsAlreadyPlanned: plan versions the replay already has (its fork point's).
    ///   - replansAlreadyMade: replans the replay already has.
    public init(
        _ recording: RecordedRun, versionsAlreadyPlanned: Int, replansAlreadyMade: Int = 0, fallback: (any Planner)? = nil
    ) {
        self.recording = recording
        self.fallback = fallback
        cursor = Synchronization.Mutex(Cursor(nextPlan: versionsAlreadyPlanned, replans: replansAlreadyMade))
    }

    /// Answers with the recording's next plan version (its model calls included), or asks
    /// ``fallback`` for a replan the recording does not have.
    /// - Throws: ``RuntimeError`` `divergence` when the recording has no further plan version, or what
    ///   ``fallback`` throws.
    public func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        let (recorded, n) = cursor.withLock { c in
            defer { c.nextIsRecorded = true }
            if !c.nextIsRecorded && fallback != nil { return (false, 0) }
            c.nextPlan += 1
            return (true, c.nextPlan - 1)
        }
        if !recorded, let fallback { return try await fallback.plan(request) }
        guard n < recording.plans.count else {
            throw RuntimeError(
                "divergence",
                "the replay needs plan version \(n + 1) but run \(recording.run) recorded \(recording.plans.count)")
        }
        return PlanProposal(
            steps: recording.plans[n], rationale: "recorded in run \(recording.run)", calls: recording.planCalls[n])
    }

    /// The recording's next replans come first, in its order.
    public func priority(of reason: ReplanReason) -> Int {
        let remaining = recording.replannedSteps.dropFirst(cursor.withLock { $0.replans })
        return remaining.firstIndex(of: reason.stepID ?? "").map { $0 - remaining.startIndex } ?? .max
    }

    /// Agrees to the recording's next replan (of the same step); declines one the recording makes
    /// later, so that it waits its turn; any other goes to ``fallback``, or is declined without one.
    public func shouldReplan(_ reason: ReplanReason) -> Bool {
        cursor.withLock { c in
            if c.replans < recording.replannedSteps.count, recording.replannedSteps[c.replans] == (reason.stepID ?? "") {
                c.replans += 1
                c.nextIsRecorded = true
                return true
            }
            // A replan the recording makes later waits its turn; one it never makes goes to the fallback.
            if recording.replannedSteps.dropFirst(c.replans).contains(reason.stepID ?? "") { return false }
            c.nextIsRecorded = false
            return fallback != nil
        }
    }
}

/// A reviewer that answers with the recorded run's review of the same plan version, its model
/// calls included; a version the recording never reviewed is approved (the fork has left the
/// recording then, and its diff says so).
public struct RecordedReviewer: Reviewer {
    /// The run answered from.
    public let recording: RecordedRun
    /// `recorded:` and the recorded run's id.
    public var name: String { "recorded:\(recording.run)" }

    /// Creates a reviewer answering from `recording`.
    public init(_ recording: RecordedRun) { self.recording = recording }

    /// The recording's review of plan version `version`, or an approval when it has none.
    public func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        recording.reviews[version] ?? PlanReview(verdict: "approved", comments: ["run \(recording.run) has no review of version \(version)"])
    }
}

/// An executor (and judge) that answers each step attempt with the recorded run's outcome for
/// the same attempt: its output or its failure (the last one once attempts run out), and its
/// recorded judgement. A step the recording never finished is an error naming it (a divergence).
public struct RecordedExecutor: Executor, Judge {
    /// The run answered from.
    public let recording: RecordedRun
    /// Whether to make each attempt's recorded tool calls again (with the run's tools) before
    /// answering: `--executor recorded --tools live` keeps the model's decisions and runs the tools
    /// for real, so observations that drifted from the recording show. Otherwise they are
    /// journaled as recorded.
    public let reissueToolCalls: Bool
    private let judged: Tally
    /// Attempts being answered from the recording right now.
    private let answering = Counter()
    /// `recorded:` and the recorded run's id.
    public var name: String { "recorded:\(recording.run)" }

    /// - Parameters:
    ///   - judged: judgements per step given already (a resumed replay).
    public init(_ recording: RecordedRun, reissueToolCalls: Bool = false, judged: [String: Int] = [:]) {
        self.recording = recording
        self.reissueToolCalls = reissueToolCalls
        self.judged = Tally(judged)
    }

    /// Answers with the recording's outcome for `request.attempt` (its last one past the recorded
    /// attempts), after journaling its tool calls as recorded or making them again
    /// (``reissueToolCalls``).
    /// - Throws: the recorded failure as a ``RuntimeError`` (retryable when the recording tried the step
    ///   again in the same plan); `divergence` when the recording has no outcome for the step;
    ///   `run_cancelled` where the recording was cancelled.
    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        let id = request.step.id
        guard let outcomes = recording.outcomes[id], !outcomes.isEmpty else {
            if recording.finalStatus == "cancelled" {
                try await waitForTheOthers()
                throw RuntimeError(RuntimeError.Types.runCancelled, "run \(recording.run) was cancelled before step \(id) ran")
            }
            throw RuntimeError("divergence", "run \(recording.run) has no recorded outcome for step \(id)")
        }
        // The attempt the runner asks for, as the run numbers them (a fork's shared events and an
        // interrupted attempt included), is the recording's attempt of that number; counting the
        // calls of this process gave a fork from mid-run, or a resumed one, an earlier answer.
        let n = min(max(request.attempt, 1), outcomes.count)
        if case .failed(let type, _, _) = outcomes[n - 1], type == "cancelled", recording.finalStatus == "cancelled" {
            // The attempt the recording's cancellation cut off: the fork is cancelled there.
            try await waitForTheOthers()
            throw RuntimeError(RuntimeError.Types.runCancelled, "run \(recording.run) was cancelled while step \(id) ran")
        }
        let work = recording.attempts[id]?[n - 1] ?? RecordedRun.AttemptWork()
        answering.add(1)
        defer { answering.add(-1) }
        try await replayToolCalls(work.toolCalls, context: context)
        switch outcomes[n - 1] {
        case .completed(let output, let summary):
            return StepAnswer(value: output, summary: summary, calls: work.modelCalls, source: "recorded")
        case .failed(let type, let message, _):
            // Retry exactly when the recording did: another attempt of this step follows, in the
            // same plan (after a failure the run replanned, the runner must replan too).
            let replanned = recording.replannedFailures[id]?.contains(n - 1) ?? false
            throw RuntimeError(type, message, retryable: n < outcomes.count && !replanned, calls: work.modelCalls)
        }
    }

    /// Waits until the steps answered from the recording beside this one, or started with it, have
    /// answered (replaying their calls takes a moment), until none has been for 20 ms: the
    /// recording's cancellation came after the steps it finished.
    private func waitForTheOthers() async throws {
        var quiet = 0
        while quiet < 20 {
            quiet = answering.count > 0 ? 0 : quiet + 1
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// The attempt's recorded tool calls, journaled as recorded, or made again with the run's
    /// tools (``reissueToolCalls``) so that observations that drifted show.
    private func replayToolCalls(_ indexes: [Int], context: StepContext) async throws {
        for call in indexes.map({ recording.toolCalls[$0] }) {
            if reissueToolCalls {
                _ = try? await context.callTool(call.tool, args: call.args)
            } else if var output = call.output {
                output.source = "recorded"
                try await context.recordToolCall(call.tool, args: call.args, output: output, durationMs: call.durationMs)
            }
        }
    }

    /// The recording's judgement of the step's next completion (its last one past them), with the
    /// judge's model calls; unknown (`matches` `nil`) when the recording has none.
    public func judge(goal: String, step: PlanStep, output: String) async throws -> Judgement {
        let recorded = recording.judgements[step.id] ?? []
        let n = judged.next(step.id)
        guard !recorded.isEmpty else { return Judgement(matches: nil, reason: "no recorded judgement") }
        let k = min(n, recorded.count) - 1
        return Judgement(matches: recorded[k], reason: "recorded", calls: recording.judgeCalls[step.id]?[k] ?? [])
    }
}

/// A count shared by concurrent tasks.
final class Counter: Sendable {
    private let value = Synchronization.Mutex(0)
    var count: Int { value.withLock { $0 } }
    func add(_ n: Int) { value.withLock { $0 += n } }
}

/// Counts per key, from 1.
final class Tally: Sendable {
    private let counts: Synchronization.Mutex<[String: Int]>
    init(_ start: [String: Int] = [:]) { counts = Synchronization.Mutex(start) }
    func next(_ key: String) -> Int { counts.withLock { $0[key, default: 0] += 1; return $0[key]! } }
}

/// An executor that answers chosen steps with given outputs (what-if forks: "what if this step
/// had returned X") and hands every other step to `base`.
public struct OverridingExecutor: Executor {
    /// Executes every step without an override.
    public let base: any Executor
    /// Output by step id.
    public let overrides: [String: String]
    /// The base executor's name.
    public var name: String { base.name }

    /// Creates an executor answering the steps of `overrides` (output by step id) and handing the
    /// others to `base`.
    public init(base: any Executor, overrides: [String: String]) {
        self.base = base
        self.overrides = overrides
    }

    /// The override of the step (source `override`), else the base's answer (source `live` unless
    /// it set one).
    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        if let output = overrides[request.step.id] { return StepAnswer(output: output, source: "override") }
        var answer = try await base.execute(request, context: context)
        if answer.source == nil { answer.source = "live" }
        return answer
    }
}
