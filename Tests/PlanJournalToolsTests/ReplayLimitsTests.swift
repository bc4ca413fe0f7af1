import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import PlanJournalTools
import Synchronization
import Testing

/// A recorded replay runs with the limits the original recorded, so it retries, replans and
/// stops where the original did.
@Suite struct ReplayLimitsTests {
    let chain = [
        PlanStep(id: "a", description: "a"), PlanStep(id: "b", description: "b", dependsOn: ["a"]),
        PlanStep(id: "c", description: "c", dependsOn: ["b"]),
    ]

    /// With one attempt per step, a first failure is a replan; the replay must replan too, not
    /// retry within the first plan version.
    @Test func aReplayRetriesAndReplansAsTheOriginalDid() async throws {
        let t = try TemporaryJournal()
        let failedOnce = Mutex(false)
        let executor = ClosureExecutor(name: "e") { request, _ in
            if request.step.id == "a" && !failedOnce.withLock({ f in defer { f = true }; return f }) {
                throw RuntimeError("boom", "first try fails", retryable: true)
            }
            return StepAnswer(output: "out " + request.step.id)
        }
        var options = RunnerOptions()
        options.maxAttempts = 1
        let chain = self.chain
        let original = try await PlanRunner(
            journal: t.journal, planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: chain) }, executor: executor,
            options: options
        ).start(.init(goal: "retry", runID: "orig"))
        #expect(original.status == "succeeded" && original.state.totals.replans == 1)
        let replayer = Replayer(journal: t.journal)
        let fork = try await replayer.reexecute(
            "orig", at: try replayer.forkPoint(of: "orig"), as: "orig.r", planner: nil, executor: nil)
        #expect(fork.state.totals.replans == 1)
        #expect(fork.state.plans.count == original.state.plans.count)
        #expect(try RunDiff("orig", "orig.r", in: t.journal).agree)
    }

    /// A run stopped by --max-steps is replayed to the same stop (not to a divergence past it).
    @Test func aReplayStopsAtTheOriginalsLimit() async throws {
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.maxSteps = 2
        let chain = self.chain
        let original = try await PlanRunner(
            journal: t.journal, planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: chain) },
            executor: ClosureExecutor(name: "e") { request, _ in StepAnswer(output: "out " + request.step.id) },
            options: options
        ).start(.init(goal: "capped", runID: "capped"))
        #expect(original.stoppedBy == "max_steps")
        let replayer = Replayer(journal: t.journal)
        #expect(try replayer.recordedOptions(of: "capped").maxSteps == 2)
        let fork = try await replayer.reexecute(
            "capped", at: try replayer.forkPoint(of: "capped"), as: "capped.r", planner: nil, executor: nil)
        #expect(fork.stoppedBy == "max_steps" && fork.status == original.status)
        #expect(try RunDiff("capped", "capped.r", in: t.journal).agree)
    }
}
