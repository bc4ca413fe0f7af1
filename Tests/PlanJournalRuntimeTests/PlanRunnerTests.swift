import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Synchronization
import Testing

@Suite struct PlanRunnerTests {
    let diamond = [step("a"), step("b"), step("c"), step("d", ["a", "b", "c"])]

    @Test func independentStepsRunConcurrentlyAndTheRunSucceeds() async throws {
        let t = try TemporaryJournal()
        let executor = ScriptedExecutor(delay: .milliseconds(150))
        let runner = PlanRunner(journal: t.journal, planner: ScriptedPlanner(plans: [diamond]), executor: executor)
        let result = try await runner.start(.init(goal: "diamond"))
        #expect(result.status == "succeeded")
        #expect(result.state.steps.map(\.status) == Array(repeating: .completed, count: 4))
        #expect(result.finalAnswer == "out(d)<a=out(a),b=out(b),c=out(c)")
        let events = try t.journal.events(of: result.run)
        let kinds = events.map(\.kind)
        // a, b and c all start before the first of them completes: they overlap.
        let firstCompleted = try #require(kinds.firstIndex(of: "step.completed"))
        let startedBefore = events[..<firstCompleted].filter { $0.kind == "step.started" }.compactMap { $0.dataString("step_id") }
        #expect(Set(startedBefore) == ["a", "b", "c"])
        #expect(kinds.first == "run.started" && kinds.last == "run.completed")
        #expect(try t.journal.verify(run: result.run).ok)
        #expect(result.state.totals.modelCalls == 5)
    }

    /// A journal failure under the executor (recording a tool call) stops the run with that
    /// failure: it is not the executor's, to be recorded as a failed attempt and tried again.
    @Test func aJournalFailureInsideAStepStopsTheRunInsteadOfFailingTheStep() async throws {
        final class JournalFailingExecutor: Executor {
            let name = "journal-failing"
            let calls = Mutex(0)
            func execute(_ request: StepRequest, context: StepContext) async throws -> StepAnswer {
                calls.withLock { $0 += 1 }
                throw JournalError(.io, "disk I/O error", context: .init(journalPath: "j.sqlite"))
            }
        }
        let t = try TemporaryJournal()
        let executor = JournalFailingExecutor()
        var options = RunnerOptions()
        options.maxAttempts = 3
        let runner = PlanRunner(journal: t.journal, planner: ScriptedPlanner(plans: [[step("a")]]), executor: executor, options: options)
        await #expect(throws: JournalError.self) { try await runner.start(.init(goal: "g", runID: "jf")) }
        #expect(executor.calls.withLock { $0 } == 1)
        let events = try t.journal.events(of: "jf")
        #expect(!events.contains { $0.kind == "step.failed" })
        #expect(!events.contains { $0.kind == "run.completed" })
    }

    @Test func aStepThatKeepsFailingIsRetriedThenReplannedAround() async throws {
        let t = try TemporaryJournal()
        let revised = [step("a"), step("b2"), step("c"), step("d", ["a", "b2", "c"])]
        let planner = ScriptedPlanner(plans: [diamond, revised])
        let executor = ScriptedExecutor(failing: ["b"])
        var options = RunnerOptions()
        options.maxAttempts = 2
        let runner = PlanRunner(journal: t.journal, planner: planner, executor: executor, options: options)
        let result = try await runner.start(.init(goal: "replan"))
        #expect(result.status == "succeeded")
        #expect(executor.count("b") == 2)
        #expect(executor.count("a") == 1 && executor.count("c") == 1)
        let replan = try #require(planner.requests.withLock { $0.last?.replan })
        #expect(replan.stepID == "b" && replan.reason == "step_failed")
        #expect(result.state.plans.count == 2)
        let v2 = result.state.plans[1]
        #expect(v2.added == ["b2"] && v2.removed == ["b"] && v2.changed == ["d"])
        #expect(result.state.replans.count == 1)
        #expect(result.state.step("b")?.status == .removed)
        #expect(try t.journal.verify(run: result.run).ok)
    }

    @Test func theRunFailsWhenReplansRunOut() async throws {
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.maxReplans = 1
        options.maxAttempts = 1
        let runner = PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [diamond]), executor: ScriptedExecutor(failing: ["b"]),
            options: options)
        let result = try await runner.start(.init(goal: "hopeless"))
        #expect(result.status == "partially_succeeded")
        #expect(result.stoppedBy == "max_replans")
        #expect(result.state.totals.replans == 1)
    }

    @Test func gatedStepsAreGrantedByPolicyInAutoMode() async throws {
        let t = try TemporaryJournal()
        let plan = [step("a"), step("publish", ["a"], approval: true)]
        let runner = PlanRunner(journal: t.journal, planner: ScriptedPlanner(plans: [plan]), executor: ScriptedExecutor())
        let result = try await runner.start(.init(goal: "gate"))
        #expect(result.status == "succeeded")
        let approvals = result.state.approvals.map { "\($0.decision):\($0.stepID ?? "-"):\($0.actor ?? "-")" }
        #expect(approvals == ["requested:publish:system", "granted:publish:policy"])
        let kinds = try t.journal.events(of: result.run).map(\.kind)
        #expect(kinds.firstIndex(of: "approval.resolved")! < kinds.lastIndex(of: "step.started")!)
    }

    @Test(arguments: ["granted", "denied"])
    func askModeWaitsForADecisionFromAnotherWriter(decision: String) async throws {
        let t = try TemporaryJournal()
        let plan = [step("a"), step("publish", ["a"], approval: true), step("announce", ["publish"])]
        var options = RunnerOptions()
        options.approval = .ask
        options.pollInterval = .milliseconds(20)
        let runner = PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [plan]), executor: ScriptedExecutor(), options: options)
        let running = Task { try await runner.start(.init(goal: "ask", runID: "ask-run")) }
        let other = try t.reopen()
        for try await e in other.subscribe(to: "ask-run", pollInterval: .milliseconds(10))
        where e.kind == "approval.requested" {
            // The run's one open request is publish's.
            let answer = try await other.resolveApproval(run: "ask-run", granted: decision == "granted", approver: "ana")
            #expect(answer.dataString("step_id") == "publish" && answer.actor == "human:ana")
            break
        }
        let result = try await running.value
        if decision == "granted" {
            #expect(result.status == "succeeded")
        } else {
            #expect(result.state.step("publish")?.status == .skipped)
            #expect(result.state.approvals.last?.decision == "denied")
            #expect(result.state.step("announce")?.status == .skipped)
            #expect(result.status == "partially_succeeded")
        }
        #expect(try t.journal.verify(run: "ask-run").ok)
    }

    @Test func limitsEndTheRunWithAClearStatus() async throws {
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.timeout = .milliseconds(300)
        // Steps that would sleep 5 minutes: the run must end before they would. The bound is only
        // that: the test pool is shared with CPU-bound tests on a 2-core machine, and a CI run once
        // took 63 s to get this 300 ms timeout's turn.
        let slow = ScriptedExecutor(delay: .seconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        let timedOut = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [diamond]), executor: slow, options: options
        ).start(.init(goal: "slow"))
        #expect(clock.now - start < .seconds(240))
        #expect(timedOut.stoppedBy == "timeout" && timedOut.status == "failed")
        #expect(timedOut.state.steps.allSatisfy { $0.status != .running })

        var budget = RunnerOptions()
        budget.budgetUSD = 0.0012
        budget.parallel = 1
        let broke = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [diamond]), executor: ScriptedExecutor(), options: budget
        ).start(.init(goal: "budget"))
        #expect(broke.stoppedBy == "budget_usd")
        #expect(broke.state.steps.filter { $0.status == .completed }.count == 2)
        // The limits are recorded, for `resume` and for the audit.
        #expect(try t.journal.events(of: timedOut.run, to: 1)[0].data("config")?["timeout_s"]?.doubleValue == 0.3)
        #expect(try t.journal.events(of: broke.run, to: 1)[0].data("config")?["budget_usd"]?.doubleValue == 0.0012)
        // --max-steps: stepsALimitLeavesPendingAreSkipped.
    }

    /// The steps a limit leaves pending are skipped, saying which limit, as a cancelled run's are.
    @Test func stepsALimitLeavesPendingAreSkipped() async throws {
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.maxSteps = 2
        options.parallel = 1
        let capped = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [diamond]), executor: ScriptedExecutor(), options: options
        ).start(.init(goal: "steps"))
        #expect(capped.stoppedBy == "max_steps" && capped.status == "partially_succeeded")
        #expect(capped.state.steps.map(\.status) == [.completed, .completed, .skipped, .skipped])
        let reasons = try t.journal.events(of: capped.run).filter { $0.kind == "step.skipped" }.compactMap { $0.dataString("reason") }
        #expect(reasons == ["run stopped by max_steps", "run stopped by max_steps"])
        #expect(try t.journal.verify(run: capped.run).ok)
    }

    @Test func cancellingTheTaskJournalsACancelledRun() async throws {
        let t = try TemporaryJournal()
        let runner = PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [diamond]),
            executor: ScriptedExecutor(delay: .seconds(30)))
        let task = Task { try await runner.start(.init(goal: "cancel me", runID: "c1")) }
        for try await e in t.journal.subscribe(to: "c1", pollInterval: .milliseconds(10)) where e.kind == "step.started" {
            task.cancel()
            break
        }
        let result = try await task.value
        #expect(result.status == "cancelled")
        #expect(result.state.status == "cancelled")
        #expect(try t.journal.verify(run: "c1").ok)
    }

    @Test func anInvalidPlanIsAJournaledFailure() async throws {
        let t = try TemporaryJournal()
        let cyclic = [step("a", ["b"]), step("b", ["a"])]
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [cyclic]), executor: ScriptedExecutor()
        ).start(.init(goal: "cycle"))
        #expect(result.status == "failed" && result.stoppedBy == "invalid_plan")
        let last = try #require(try t.journal.events(of: result.run).last)
        #expect(last.kind == "run.completed")
        #expect(last.data("error")?["type"]?.stringValue == "invalid_plan")
        #expect(last.data("error")?["message"]?.stringValue?.contains("cycle") == true)
    }

    /// A step id the wire format refuses (empty, or with a NUL) is an invalid plan too, not a
    /// rejected append that leaves the run `running`.
    @Test(arguments: ["", "a\u{0}b"])
    func aStepIDTheWireRefusesIsAnInvalidPlan(id: String) async throws {
        let t = try TemporaryJournal()
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [[step(id, [])]]), executor: ScriptedExecutor()
        ).start(.init(goal: "bad id"))
        #expect(result.status == "failed" && result.stoppedBy == "invalid_plan")
        #expect(try t.journal.run(result.run).status == "failed")
    }

    /// A run stopped right after a step's approval was denied journals the step as skipped when
    /// resumed, as the run would have (it was left `denied`, and its dependents skipped).
    @Test func resumeSkipsAStepWhoseApprovalWasDenied() async throws {
        let t = try TemporaryJournal()
        var r = RunBuilder(run: "denied")
        try r.add("run.started", #"{"goal":"deny"}"#)
        try r.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"publish","depends_on":["a"],"requires_approval":true}]}"#, actor: "planner")
        try r.add("step.started", #"{"step_id":"a","attempt":1}"#)
        try r.add("step.completed", #"{"step_id":"a","output":"A"}"#)
        try r.add("approval.requested", #"{"step_id":"publish"}"#, actor: "policy")
        try r.add("approval.resolved", #"{"step_id":"publish","decision":"denied"}"#, actor: "human:bo")
        _ = try await t.journal.append(r.events, to: "denied", expecting: .noRun)
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: []), executor: ScriptedExecutor()
        ).resume(run: "denied")
        #expect(result.state.step("publish")?.status == .skipped)
        #expect(try t.journal.events(of: "denied").contains { $0.kind == "step.skipped" && $0.dataString("step_id") == "publish" })
    }

    @Test func resumeFinishesAnInterruptedRunWithoutRedoingCompletedSteps() async throws {
        let t = try TemporaryJournal()
        // What a killed runner leaves: a done, b started and never finished.
        var r = RunBuilder(run: "crashed")
        try r.add("run.started", #"{"goal":"resume me"}"#)
        try r.add(
            "plan.proposed",
            #"{"version":1,"steps":[{"id":"a"},{"id":"b"},{"id":"c","depends_on":["a","b"]}]}"#, actor: "planner")
        try r.add("step.started", #"{"step_id":"a","attempt":1}"#)
        try r.add("step.started", #"{"step_id":"b","attempt":1}"#)
        try r.add("step.completed", #"{"step_id":"a","output":"A"}"#)
        _ = try await t.journal.append(r.events, to: "crashed", expecting: .noRun)
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [diamond]), executor: executor
        ).resume(run: "crashed")
        #expect(result.status == "succeeded")
        #expect(executor.count("a") == 0 && executor.count("b") == 1 && executor.count("c") == 1)
        #expect(result.state.step("b")?.attempts == 2)
        #expect(result.finalAnswer == "out(c)<a=A,b=out(b)")
        await #expect(throws: RuntimeError.self) {
            _ = try await PlanRunner(
                journal: t.journal, planner: ScriptedPlanner(plans: [diamond]), executor: executor
            ).resume(run: "crashed")
        }
    }
}

/// A judge that rejects the outputs of some steps and cannot read others.
struct ScriptedJudge: Judge {
    let name = "scripted-judge"
    let rejects: Set<String>
    let unreadable: Set<String>

    func judge(goal: String, step: PlanStep, output: String) async throws -> Judgement {
        if unreadable.contains(step.id) { return Judgement(matches: nil, reason: "could not parse") }
        return Judgement(
            matches: !rejects.contains(step.id), reason: "scripted",
            calls: [ModelCall(model: "judge-m", purpose: "judge", inputTokens: 3, outputTokens: 1)])
    }
}

@Suite struct JudgeTests {
    @Test func aRejectedOutputTriggersAReplanAndAnUnreadableVerdictIsUnknown() async throws {
        let t = try TemporaryJournal()
        let first = [step("a"), step("b"), step("c", ["a", "b"])]
        let second = [step("a"), step("b2"), step("c", ["a", "b2"])]
        let runner = PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [first, second]), executor: ScriptedExecutor(),
            judge: ScriptedJudge(rejects: ["b"], unreadable: ["a"]))
        let result = try await runner.start(.init(goal: "judged"))
        #expect(result.status == "succeeded")
        let events = try t.journal.events(of: result.run)
        let observed = Dictionary(
            events.filter { $0.kind == "step.observed" }.map { ($0.dataString("step_id")!, $0.data("matches_expected")!) },
            uniquingKeysWith: { a, _ in a })
        #expect(observed["a"] == .null)
        #expect(observed["b"] == .bool(false))
        #expect(observed["c"] == .bool(true))
        let replan = try #require(events.first { $0.kind == "replan.triggered" })
        #expect(replan.dataString("reason") == "observation_mismatch" && replan.dataString("step_id") == "b")
        #expect(result.state.step("b")?.matchesExpected == false)
        #expect(events.contains { $0.kind == "call.model" && $0.actor == "judge" })
    }
}
