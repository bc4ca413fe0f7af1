import Foundation
import PlanJournalCore
import PlanJournalRuntime
import Synchronization

/// In-process adapters for runner tests: a planner that returns given plans in turn, and an
/// executor whose behaviour per step is scripted.
final class ScriptedPlanner: Planner {
    let name = "scripted-planner"
    let plans: [[PlanStep]]

    init(plans: [[PlanStep]]) { self.plans = plans }
    let requests = Mutex<[PlanningRequest]>([])

    func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        let n = requests.withLock { r in
            r.append(request)
            return r.count - 1
        }
        let steps = plans[min(n, plans.count - 1)]
        return PlanProposal(
            steps: steps, rationale: "plan \(n + 1)",
            calls: [ModelCall(model: "planner-m", purpose: "", inputTokens: 100, outputTokens: 50, costUSD: 0.001)])
    }
}

/// An executor that sleeps `delay`, fails the steps in `failing` (retryable), and counts calls.
final class ScriptedExecutor: Executor {
    let name = "scripted-executor"
    let delay: Duration
    let failing: Set<String>
    let calls = Mutex<[String]>([])

    init(delay: Duration = .milliseconds(20), failing: Set<String> = []) {
        self.delay = delay
        self.failing = failing
    }

    func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
        calls.withLock { $0.append(request.step.id) }
        try await Task.sleep(for: delay)
        try await context.record(
            ModelCall(model: "executor-m", purpose: "execute", inputTokens: 10, outputTokens: 5, costUSD: 0.0001))
        if failing.contains(request.step.id) {
            throw RuntimeError("boom", "step \(request.step.id) failed on purpose", retryable: true)
        }
        let inputs = request.step.dependsOn.map { "\($0)=\(request.dependencyOutputs[$0] ?? "?")" }
        return StepAnswer(output: "out(\(request.step.id))" + (inputs.isEmpty ? "" : "<" + inputs.joined(separator: ",")))
    }

    func count(_ id: String) -> Int { calls.withLock { $0.filter { $0 == id }.count } }
}

func step(_ id: String, _ deps: [String] = [], approval: Bool = false) -> PlanStep {
    PlanStep(id: id, description: "do \(id)", dependsOn: deps, expectedOutput: .string("text"), requiresApproval: approval)
}
