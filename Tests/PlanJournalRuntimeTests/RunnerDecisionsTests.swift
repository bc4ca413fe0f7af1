import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Synchronization
import Testing

/// What the runner decides when a replan changes steps that had approvals, when an attempt is cut
/// off by the end of its process, and what `run.completed` counts.
@Suite struct RunnerDecisionsTests {
    /// x fails for good until a replan; the replan also changes g, whose approval was denied.
    static let planner = DeniedThenReplanned.planner
    static let executor = DeniedThenReplanned.executor

    @Test func aStepChangedByAReplanIsAskedForApprovalAgainAndItsSkippedDependentsRun() async throws {
        let t = try TemporaryJournal()
        let result = try await PlanRunner(
            journal: t.journal, planner: Self.planner, executor: Self.executor, approvals: DeniedThenReplanned.DenyOnce()
        ).start(.init(goal: "approvals", runID: "ap"))
        let events = try t.journal.events(of: "ap")
        #expect(events.filter { $0.knownKind == .approvalRequested }.count == 2)
        #expect(events.filter { $0.knownKind == .approvalResolved }.map { $0.dataString("decision") } == ["denied", "granted"])
        #expect(result.status == "succeeded")
        #expect(result.state.step("g")?.status == .completed && result.state.step("after")?.status == .completed)
    }

    /// An approval source that answers a word the contract does not have fails the run's start
    /// with a usage error naming it, before anything about it is journaled (it threw the journal's
    /// `event.invalid` on `data.decision`); the same run resumes once the source answers properly.
    @Test func anApprovalSourcesUnknownWordIsAUsageErrorAndTheRunResumes() async throws {
        struct Typo: ApprovalSource {
            func decision(stepID: String?, version: Int?) -> ApprovalDecision? { ApprovalDecision(decision: "approved", actor: "human:ana") }
        }
        struct Grant: ApprovalSource {
            func decision(stepID: String?, version: Int?) -> ApprovalDecision? { .granted(by: "human:ana") }
        }
        let t = try TemporaryJournal()
        do {
            _ = try await PlanRunner(journal: t.journal, planner: Self.planner, executor: Self.executor, approvals: Typo())
                .start(.init(goal: "approvals", runID: "typo"))
            Issue.record("the run went on with an approval of \"approved\"")
        } catch let error as RuntimeError {
            #expect(error.type == RuntimeError.Types.usage && error.message.contains(#""approved", which is neither granted nor denied"#))
        }
        #expect(try t.journal.events(of: "typo").allSatisfy { $0.knownKind != .approvalResolved })
        let resumed = try await PlanRunner(journal: t.journal, planner: Self.planner, executor: Self.executor, approvals: Grant())
            .resume(run: "typo")
        #expect(resumed.status != "running")
        #expect(try t.journal.events(of: "typo").contains { $0.knownKind == .approvalResolved && $0.dataString("decision") == "granted" })
    }

    /// Denies g under plan version 1, grants it under version 2 (a source a resumed process asks
    /// the same way).
    struct DenyFirstVersion: ApprovalSource {
        func decision(stepID: String?, version: Int?) -> ApprovalDecision? { nil }
        func decision(stepID: String, planVersion: Int) -> ApprovalDecision? {
            ApprovalDecision(decision: planVersion == 1 ? "denied" : "granted", actor: "human:ana")
        }
    }

    /// A denied step is journaled as skipped at once, with its dependents, as a resumed run does:
    /// cut after any event and resumed, the run journals the same skips, approvals and completions
    /// (it used to skip g and its dependent only when resumed between the denial and the replan).
    @Test(.timeLimit(.minutes(1))) func aDenialIsJournaledTheSameWhetherOrNotTheRunWasResumed() async throws {
        var options = RunnerOptions()
        options.parallel = 1
        func runner(_ journal: Journal) -> PlanRunner {
            PlanRunner(journal: journal, planner: Self.planner, executor: Self.executor, approvals: DenyFirstVersion(), options: options)
        }
        func steps(_ events: [JournalEvent]) -> [String] {
            // (An attempt the cut interrupts is tried again: its step.started and what follows come twice.)
            events.filter { $0.knownKind == .stepSkipped || $0.knownKind == .stepCompleted || $0.kind.hasPrefix("approval.") }
                .map { "\($0.kind) \($0.dataString("step_id") ?? "")" }.sorted()
        }
        let t = try TemporaryJournal()
        let whole = try await runner(t.journal).start(.init(goal: "approvals", runID: "d"))
        let events = try t.journal.events(of: "d")
        #expect(whole.status == "succeeded")
        #expect(steps(events).filter { $0.hasPrefix("step.skipped") } == ["step.skipped after", "step.skipped g"])
        for cut in 1..<(events.count - 1) {
            let j = try TemporaryJournal()
            _ = try await j.journal.append(Array(events[..<cut]), to: "d", expecting: .noRun)
            let resumed = try await runner(j.journal).resume(run: "d")
            #expect(resumed.status == "succeeded", "cut after seq \(cut)")
            #expect(steps(try j.journal.events(of: "d")) == steps(events), "cut after seq \(cut) (\(events[cut - 1].kind))")
        }
    }

    @Test func anApprovalIsNotReusedForTheChangedStep() async throws {
        let t = try TemporaryJournal()
        _ = try await PlanRunner(journal: t.journal, planner: Self.planner, executor: Self.executor)
            .start(.init(goal: "approvals", runID: "auto"))
        // Granted by policy for "publish to prod", and again for "publish to staging".
        let granted = try t.journal.events(of: "auto").filter { $0.knownKind == .approvalResolved }
        #expect(granted.count == 2)
    }

    /// An attempt cut off by the end of its process counts: when it was the last one, the resume
    /// fails the step (`interrupted`) instead of trying it for ever.
    @Test func anInterruptedLastAttemptFailsTheStepOnResume() async throws {
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.maxAttempts = 1
        options.maxReplans = 0
        let fine = ClosureExecutor(name: "e") { request, _ in StepAnswer(output: "ok") }
        let runner = PlanRunner(
            journal: t.journal, planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: [PlanStep(id: "a")]) },
            executor: fine, options: options)
        let whole = try await runner.start(.init(goal: "cut", runID: "whole"))
        let events = try t.journal.events(of: "whole")
        let started = try #require(events.firstIndex { $0.knownKind == .stepStarted })
        let cut = try TemporaryJournal()
        _ = try await cut.journal.append(Array(events[...started]), to: "whole", expecting: .noRun)
        let resumed = try await PlanRunner(
            journal: cut.journal, planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: [PlanStep(id: "a")]) },
            executor: fine, options: options
        ).resume(run: "whole")
        #expect(whole.status == "succeeded")
        #expect(resumed.status == "failed" && resumed.state.step("a")?.status == .failed)
        let failed = try #require(try cut.journal.events(of: "whole").first { $0.knownKind == .stepFailed })
        #expect(failed.data("error")?["type"]?.stringValue == "interrupted")
        #expect(failed.dataBool("retryable") == false)
    }

    /// Limits given to a resume hold for the next resume too: the resume records them.
    @Test func theLimitsOfAResumeAreRecordedForTheNext() async throws {
        let t = try TemporaryJournal()
        let planner = ClosurePlanner(name: "p") { _ in PlanProposal(steps: [PlanStep(id: "a")]) }
        let fine = ClosureExecutor(name: "e") { _, _ in StepAnswer(output: "ok") }
        _ = try await PlanRunner(journal: t.journal, planner: planner, executor: fine).start(.init(goal: "limits", runID: "l"))
        let events = try t.journal.events(of: "l")
        #expect(RunnerOptions(lastDriven: events).maxAttempts == RunnerOptions().maxAttempts)
        let started = try #require(events.firstIndex { $0.knownKind == .stepStarted })
        let cut = try TemporaryJournal()
        _ = try await cut.journal.append(Array(events[...started]), to: "l", expecting: .noRun)
        var options = RunnerOptions()
        options.maxAttempts = 5
        _ = try await PlanRunner(journal: cut.journal, planner: planner, executor: fine, options: options).resume(run: "l")
        #expect(RunnerOptions(lastDriven: try cut.journal.events(of: "l")).maxAttempts == 5)
    }

    /// The totals of `run.completed` include the model calls of the steps that finished last.
    @Test func runCompletedCountsEveryModelCall() async throws {
        let t = try TemporaryJournal()
        let executor = ClosureExecutor(name: "e") { request, _ in
            StepAnswer(output: "ok", calls: [ModelCall(model: "m", purpose: "execute", inputTokens: 7, outputTokens: 3, costUSD: 0.25)])
        }
        let result = try await PlanRunner(
            journal: t.journal,
            planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"])]) },
            executor: executor
        ).start(.init(goal: "totals", runID: "tot"))
        let completed = try #require(try t.journal.events(of: "tot").last)
        let totals = try #require(completed.data("totals"))
        #expect(totals["input_tokens"]?.int64Value == result.state.totals.inputTokens)
        #expect(totals["input_tokens"]?.int64Value == 14 && totals["output_tokens"]?.int64Value == 6)
        #expect(totals["cost_usd"]?.doubleValue == 0.5)
    }

    /// A decision another process journals is taken while other steps run (not only once they end).
    @Test(.timeLimit(.minutes(1))) func anApprovalIsNoticedWhileAnotherStepRuns() async throws {
        let t = try TemporaryJournal()
        let gateRan = Mutex(false)
        let executor = ClosureExecutor(name: "e") { request, _ in
            if request.step.id == "gate" { gateRan.withLock { $0 = true } }
            if request.step.id == "long" {
                // Ends as soon as gate has run; at the latest after 20 s.
                for _ in 0..<2000 where !gateRan.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            }
            return StepAnswer(output: "ok")
        }
        var options = RunnerOptions()
        options.approval = .ask
        options.pollInterval = .milliseconds(20)
        let runner = PlanRunner(
            journal: t.journal,
            planner: ClosurePlanner(name: "p") { _ in
                PlanProposal(steps: [PlanStep(id: "long"), PlanStep(id: "gate", requiresApproval: true)])
            },
            executor: executor, options: options)
        let running = Task { try await runner.start(.init(goal: "notice", runID: "nt")) }
        let other = try t.reopen()
        for try await e in other.subscribe(to: "nt", pollInterval: .milliseconds(10)) where e.kind == "approval.requested" {
            try await other.resolveApproval(run: "nt", step: "gate", granted: true, approver: "ana")
            break
        }
        let result = try await running.value
        #expect(result.status == "succeeded")
        let events = try t.journal.events(of: "nt")
        let gateStarted = try #require(events.first { $0.knownKind == .stepStarted && $0.dataString("step_id") == "gate" })
        let longDone = try #require(events.first { $0.knownKind == .stepCompleted && $0.dataString("step_id") == "long" })
        #expect(gateStarted.seq < longDone.seq)
    }

    /// An approval request for a step a replan then changed is no longer open: a decision for it
    /// would grant the step as it was.
    @Test func aRevisionClosesTheRequestsOfTheStepsItChanges() throws {
        var b = RunBuilder(run: "o")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"g","description":"staging","requires_approval":true},{"id":"h","requires_approval":true}]}"#)
        try b.add("approval.requested", #"{"step_id":"g","reason":"r"}"#)
        try b.add("approval.requested", #"{"step_id":"h","reason":"r"}"#)
        try b.add("plan.revised", #"{"version":2,"base_version":1,"changed":[{"id":"g","description":"prod","requires_approval":true}]}"#)
        #expect(OpenApprovals(b.events).steps == ["h"])
    }

    /// A `planj cancel` that comes while the planner thinks stops the run there: no plan, no step.
    @Test(.timeLimit(.minutes(1))) func aCancellationWhilePlanningStopsTheRunThere() async throws {
        let t = try TemporaryJournal()
        let planner = ClosurePlanner(name: "slow") { _ in
            try await Task.sleep(for: .seconds(600))
            return PlanProposal(steps: [PlanStep(id: "a")])
        }
        var options = RunnerOptions()
        options.pollInterval = .milliseconds(20)
        let runner = PlanRunner(
            journal: t.journal, planner: planner, executor: ClosureExecutor(name: "e") { _, _ in StepAnswer(output: "ok") },
            options: options)
        let running = Task { try await runner.start(.init(goal: "slow plan", runID: "sp")) }
        let other = try t.reopen()
        for try await e in other.subscribe(to: "sp", pollInterval: .milliseconds(10)) where e.kind == "run.started" {
            try await other.requestCancel(run: "sp", actor: "human:ana", reason: "wrong goal")
            break
        }
        let result = try await running.value
        #expect(result.status == "cancelled" && result.error?.message == "cancelled by human:ana: wrong goal")
        #expect(try !t.journal.events(of: "sp").contains { $0.knownKind == .planProposed || $0.knownKind == .stepStarted })
    }

    /// A run nobody drives, cut off in a step, is completed as cancelled: the step is skipped
    /// (not failed as interrupted), and nothing says it was resumed.
    @Test func aCancelledRunNobodyDrivesIsCompletedWithoutRunningAnything() async throws {
        let t = try TemporaryJournal()
        let planner = ClosurePlanner(name: "p") { _ in PlanProposal(steps: [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"])]) }
        let fine = ClosureExecutor(name: "e") { _, _ in StepAnswer(output: "ok") }
        var options = RunnerOptions()
        options.maxAttempts = 1
        _ = try await PlanRunner(journal: t.journal, planner: planner, executor: fine, options: options).start(.init(goal: "c", runID: "c"))
        let events = try t.journal.events(of: "c")
        let started = try #require(events.firstIndex { $0.knownKind == .stepStarted })
        let cut = try TemporaryJournal()
        _ = try await cut.journal.append(Array(events[...started]), to: "c", expecting: .noRun)
        try await cut.journal.requestCancel(run: "c", actor: "human:ana")
        let refusing = ClosureExecutor(name: "none") { _, _ in throw RuntimeError("unexpected", "asked to execute") }
        let result = try await PlanRunner(journal: cut.journal, planner: planner, executor: refusing, options: options)
            .completeCancelled(run: "c")
        #expect(result.status == "cancelled")
        #expect(result.state.step("a")?.status == .skipped && result.state.step("b")?.status == .skipped)
        let after = try cut.journal.events(of: "c").dropFirst(started + 2)
        #expect(after.map(\.kind) == ["step.skipped", "step.skipped", "run.completed"])
    }

    /// A step skipped for a dead dependency stays skipped when a replan changes its other
    /// dependency, and its skip is journaled once.
    @Test func aStepWithADeadDependencyStaysSkippedThroughAReplan() async throws {
        let t = try TemporaryJournal()
        let planner = ClosurePlanner(name: "p") { request in
            PlanProposal(steps: [
                PlanStep(id: "x", requiresApproval: true), PlanStep(id: "l", description: request.replan == nil ? "locate" : "locate again"),
                PlanStep(id: "w", dependsOn: ["x", "l"]),
            ])
        }
        let executor = ClosureExecutor(name: "e") { request, _ in
            // Long enough for the runner to skip w (x was denied) before l fails.
            if request.step.description == "locate" {
                try await Task.sleep(for: .seconds(1))
                throw RuntimeError("not_found", "nothing", retryable: false)
            }
            return StepAnswer(output: "ok")
        }
        struct Deny: ApprovalSource {
            func decision(stepID: String?, version: Int?) -> ApprovalDecision? { ApprovalDecision(decision: "denied", actor: "human:ana") }
        }
        var options = RunnerOptions()
        options.pollInterval = .milliseconds(20)
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: executor, approvals: Deny(), options: options)
            .start(.init(goal: "dead", runID: "d"))
        let events = try t.journal.events(of: "d")
        let wSkipped = try #require(events.first { $0.knownKind == .stepSkipped && $0.dataString("step_id") == "w" })
        let revised = try #require(events.first { $0.knownKind == .planRevised })
        #expect(wSkipped.seq < revised.seq)
        #expect(result.state.plans.count == 2 && result.state.step("w")?.status == .skipped)
        let skips = try t.journal.events(of: "d").filter { $0.knownKind == .stepSkipped && $0.dataString("step_id") == "w" }
        #expect(skips.count == 1)
    }

    /// An attempt an older planj cut off (actor `executor`, its message) is the runner's record too.
    @Test func cutOffAttemptsOfOlderRunnersAreKnown() throws {
        var b = RunBuilder(run: "o")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#)
        try b.add("step.started", #"{"step_id":"a"}"#)
        let old = try b.add(
            "step.failed", #"{"step_id":"a","error":{"type":"cancelled","message":"the run stopped while the step ran"},"retryable":true}"#,
            actor: "executor")
        let own = try b.add("step.failed", #"{"step_id":"a","error":{"type":"cancelled","message":"gave up"},"retryable":false}"#, actor: "executor")
        #expect(old.isCutOffAttempt && !own.isCutOffAttempt)
    }

    /// Parallel steps that fail for good together (their agent died): the first replan's request
    /// names the others too, so one revision can settle them all, and no replan follows for steps
    /// it replaced.
    @Test func aReplanRequestNamesTheOtherStepsThatFailedWithIt() async throws {
        let t = try TemporaryJournal()
        let requests = Mutex<[PlanningRequest]>([])
        let planner = ClosurePlanner(name: "p") { request in
            requests.withLock { $0.append(request) }
            guard request.replan != nil else {
                return PlanProposal(steps: ["a", "b", "c"].map { PlanStep(id: $0) } + [PlanStep(id: "d", dependsOn: ["a", "b", "c"])])
            }
            return PlanProposal(steps: ["a2", "b2", "c2"].map { PlanStep(id: $0) } + [PlanStep(id: "d", dependsOn: ["a2", "b2", "c2"])])
        }
        let executor = ClosureExecutor(name: "e") { request, _ in
            if ["a", "b", "c"].contains(request.step.id) {
                try await Task.sleep(for: .milliseconds(20))
                throw RuntimeError("subprocess", "the agent died", retryable: false)
            }
            return StepAnswer(output: "ok")
        }
        var options = RunnerOptions()
        options.parallel = 3
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: executor, options: options)
            .start(.init(goal: "together", runID: "tg"))
        #expect(result.status == "succeeded")
        let replans = requests.withLock { $0.filter { $0.replan != nil } }
        #expect(replans.count == 1)
        let named = Set([replans.first?.replan?.stepID].compactMap { $0 } + (replans.first?.otherFailures.compactMap(\.stepID) ?? []))
        #expect(named == ["a", "b", "c"] && replans.first?.otherFailures.count == 2)
        #expect(try t.journal.events(of: "tg").filter { $0.knownKind == .replanTriggered }.count == 1)
    }
}

