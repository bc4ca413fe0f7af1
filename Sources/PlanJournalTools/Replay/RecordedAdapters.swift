import Synchronization
import PlanJournalCore
import PlanJournalRuntime

/// A planner that answers from a recorded run: it replans where the recording did (after a failure
/// of the same step), answering with the recording's next plan version. A replan the recording does
/// not have goes to `fallback` (the original's planner, say) when there is one, and is otherwise
/// declined (the failed step stays failed, its dependents are skipped).
public struct RecordedPlanner: Planner, ReplanPolicy {
    public let recording: RecordedRun
    /// Asked for replans the recording does not have.
    public let fallback: (any Planner)?
    /// How many plan versions the fork already holds (the next recorded answer is the next one).
    let offset: Int
    private let served = Counter()
    private let replans: Counter
    /// Whether the replan just agreed to is a recorded one (`plan` follows `shouldReplan`).
    private let nextIsRecorded = Flag(true)

    public var name: String { "recorded:\(recording.run)" }

    /// - Parameters:
    ///   - versionsAlreadyPlanned: plan versions the replay already has (its fork point's).
    ///   - replansAlreadyMade: replans the replay already has.
    public init(
        _ recording: RecordedRun, versionsAlreadyPlanned: Int, replansAlreadyMade: Int = 0, fallback: (any Planner)? = nil
    ) {
        self.recording = recording
        self.fallback = fallback
        offset = versionsAlreadyPlanned
        replans = Counter(start: replansAlreadyMade)
    }

    public func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        if !nextIsRecorded.value, let fallback {
            nextIsRecorded.value = true
            return try await fallback.plan(request)
        }
        let n = offset + served.next() - 1
        guard n < recording.plans.count else {
            throw RuntimeError(
                "divergence",
                "the replay needs plan version \(n + 1) but run \(recording.run) recorded \(recording.plans.count)")
        }
        return PlanProposal(steps: recording.plans[n], rationale: "recorded in run \(recording.run)")
    }

    /// The recording's next replans come first, in its order.
    public func priority(of reason: ReplanReason) -> Int {
        let remaining = recording.replannedSteps.dropFirst(replans.peek())
        return remaining.firstIndex(of: reason.stepID ?? "").map { $0 - remaining.startIndex } ?? .max
    }

    public func shouldReplan(_ reason: ReplanReason) -> Bool {
        let next = replans.peek()
        if next < recording.replannedSteps.count, recording.replannedSteps[next] == (reason.stepID ?? "") {
            _ = replans.next()
            nextIsRecorded.value = true
            return true
        }
        guard fallback != nil else { return false }
        nextIsRecorded.value = false
        return true
    }
}

/// An executor (and judge) that answers each step attempt with the recorded run's outcome for
/// the same attempt: its output or its failure (the last one once attempts run out), and its
/// recorded judgement. A step the recording never finished is an error naming it (a divergence).
public struct RecordedExecutor: Executor, Judge {
    public let recording: RecordedRun
    /// Whether to make the step's recorded tool calls again (with the run's tools) before
    /// answering: `--executor recorded --tools live` keeps the model's decisions and runs the tools
    /// for real, so observations that drifted from the recording show.
    public let reissueToolCalls: Bool
    private let attempts = Tally()
    private let judged = Tally()
    public var name: String { "recorded:\(recording.run)" }

    public init(_ recording: RecordedRun, reissueToolCalls: Bool = false) {
        self.recording = recording
        self.reissueToolCalls = reissueToolCalls
    }

    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        let id = request.step.id
        if reissueToolCalls && attempts.peek(id) == 0 {
            for call in recording.toolCalls where call.stepID == id {
                _ = try? await context.callTool(call.tool, args: call.args)
            }
        }
        guard let outcomes = recording.outcomes[id], !outcomes.isEmpty else {
            if recording.finalStatus == "cancelled" {
                throw RuntimeError("run_cancelled", "run \(recording.run) was cancelled before step \(id) ran")
            }
            throw RuntimeError("divergence", "run \(recording.run) has no recorded outcome for step \(id)")
        }
        let n = min(attempts.next(id), outcomes.count)
        switch outcomes[n - 1] {
        case .completed(let output, let summary):
            return StepAnswer(output: output, summary: summary, source: "recorded")
        case .failed(let type, let message, _):
            // Retry exactly when the recording did: another attempt of this step follows.
            throw RuntimeError(type, message, retryable: n < outcomes.count)
        }
    }

    public func judge(goal: String, step: PlanStep, output: String) async throws -> Judgement {
        let recorded = recording.judgements[step.id] ?? []
        let n = judged.next(step.id)
        guard !recorded.isEmpty else { return Judgement(matches: nil, reason: "no recorded judgement") }
        return Judgement(matches: recorded[min(n, recorded.count) - 1], reason: "recorded")
    }
}

/// A Boolean shared between tasks.
final class Flag: Sendable {
    private let state: Synchronization.Mutex<Bool>
    init(_ value: Bool) { state = Synchronization.Mutex(value) }
    var value: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

/// Counts per key, from 1.
final class Tally: Sendable {
    private let counts = Synchronization.Mutex([String: Int]())
    func next(_ key: String) -> Int { counts.withLock { $0[key, default: 0] += 1; return $0[key]! } }
    func peek(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
}

/// Counts calls, from 1.
final class Counter: Sendable {
    private let value: Synchronization.Mutex<Int>
    init(start: Int = 0) { value = Synchronization.Mutex(start) }
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
    /// How many calls so far.
    func peek() -> Int { value.withLock { $0 } }
}

/// An executor that answers chosen steps with given outputs (what-if forks: "what if this step
/// had returned X") and hands every other step to `base`.
public struct OverridingExecutor: Executor {
    public let base: any Executor
    /// Output by step id.
    public let overrides: [String: String]
    public var name: String { base.name }

    public init(base: any Executor, overrides: [String: String]) {
        self.base = base
        self.overrides = overrides
    }

    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        if let output = overrides[request.step.id] { return StepAnswer(output: output, source: "override") }
        var answer = try await base.execute(request, context: context)
        if answer.source == nil { answer.source = "live" }
        return answer
    }
}
