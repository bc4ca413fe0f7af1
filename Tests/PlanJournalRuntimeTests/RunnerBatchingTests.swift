import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// The runner writes a finished step's events together with the next `step.started` round: the
/// journal must still show every step started once, after its dependencies completed.
@Suite struct RunnerBatchingTests {
    @Test func everyStepStartsAfterItsDependenciesCompletedAndCompletesOnce() async throws {
        let t = try TemporaryJournal()
        // Layers of independent steps, each depending on two of the layer before.
        var plan: [PlanStep] = []
        for layer in 0..<6 {
            for k in 0..<8 {
                let deps = layer == 0 ? [] : ["s\(layer - 1)-\(k)", "s\(layer - 1)-\((k + 3) % 8)"]
                plan.append(step("s\(layer)-\(k)", deps))
            }
        }
        var options = RunnerOptions()
        options.parallel = 3
        let runner = PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [plan]), executor: ScriptedExecutor(delay: .zero),
            options: options)
        let result = try await runner.start(.init(goal: "layers"))
        #expect(result.status == "succeeded")
        let events = try t.journal.events(of: result.run)
        var completed: Set<String> = []
        var started: [String: Int] = [:]
        for event in events {
            guard let id = event.dataString("step_id") else { continue }
            switch event.kind {
            case "step.started":
                started[id, default: 0] += 1
                let deps = plan.first { $0.id == id }?.dependsOn ?? []
                #expect(deps.allSatisfy(completed.contains), "\(id) started before \(deps) completed")
            case "step.completed":
                #expect(!completed.contains(id))
                completed.insert(id)
            default: break
            }
        }
        #expect(completed.count == plan.count)
        #expect(started.values.allSatisfy { $0 == 1 })
        // Each step's observation comes right before its completion.
        for (index, event) in events.enumerated() where event.kind == "step.completed" {
            #expect(events[index - 1].kind == "step.observed")
            #expect(events[index - 1].dataString("step_id") == event.dataString("step_id"))
        }
        #expect(try t.journal.verify(run: result.run).ok)
    }
}
