import Synchronization
import PlanJournalCore
import PlanJournalRuntime

/// A planner that answers from a recorded run: the n-th request gets the run's n-th plan version.
/// A request the recording has no answer for is an error naming it (a divergence).
public struct RecordedPlanner: Planner {
    public let recording: RecordedRun
    /// How many plan versions the fork already holds (the next request gets the next one).
    let offset: Int
    private let counter = Counter()

    public var name: String { "recorded:\(recording.run)" }

    public init(_ recording: RecordedRun, versionsAlreadyPlanned: Int) {
        self.recording = recording
        offset = versionsAlreadyPlanned
    }

    public func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        let n = offset + counter.next() - 1
        guard n < recording.plans.count else {
            throw RuntimeError(
                "divergence",
                "the replay needs plan version \(n + 1) but run \(recording.run) recorded \(recording.plans.count)")
        }
        return PlanProposal(steps: recording.plans[n], rationale: "recorded in run \(recording.run)")
    }
}

/// An executor that answers each step with the recorded run's outcome for it: its output, or
/// its failure. A step the recording never finished is an error naming it (a divergence).
public struct RecordedExecutor: Executor {
    public let recording: RecordedRun
    public var name: String { "recorded:\(recording.run)" }

    public init(_ recording: RecordedRun) { self.recording = recording }

    public func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        switch recording.outcomes[request.step.id] {
        case .completed(let output, let summary)?:
            return StepAnswer(output: output, summary: summary)
        case .failed(let type, let message, let retryable)?:
            throw RuntimeError(type, message, retryable: retryable)
        case nil:
            throw RuntimeError(
                "divergence", "run \(recording.run) has no recorded outcome for step \(request.step.id)")
        }
    }
}

/// Counts calls, from 1.
final class Counter: Sendable {
    private let value = Synchronization.Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
