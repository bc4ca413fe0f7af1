import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import PlanJournalTools
import Synchronization
import Testing

@Suite struct ReplayTests {
    /// A run that never started a step has nothing to replay: a condition of the data (exit
    /// status 1), not a usage error (2), which the command line was not.
    @Test func aRunWithoutStepsHasNothingToReplay() async throws {
        let t = try TemporaryJournal()
        var b = RunBuilder(run: "idle")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#)
        _ = try await t.journal.append(b.events, to: "idle", expecting: .noRun)
        do {
            _ = try Replayer(journal: t.journal).forkPoint(of: "idle")
            Issue.record("a fork point of a run that never started a step")
        } catch let error as RuntimeError {
            #expect(error.type == RuntimeError.Types.nothingToReplay && error.message.contains("never started a step"))
        }
    }

    /// Every sample run that started a step replays deterministically from its recording.
    @Test func sampleRunsReplayDeterministicallyWithTheRecordedPlannerAndExecutor() async throws {
        let t = try TemporaryJournal()
        _ = try t.journal.importPJL(file: Fixtures.repositoryRoot + "/journals/agent-runs.pjl")
        let replayer = Replayer(journal: t.journal)
        var replayed = 0
        for run in try t.journal.runs() {
            guard let seq = try? replayer.forkPoint(of: run.id) else { continue }
            let result = try await replayer.reexecute(run.id, at: seq, as: run.id + ".r", planner: nil, executor: nil)
            let diff = try RunDiff(run.id, result.run, in: t.journal)
            #expect(diff.agree, "\(run.id): \(diff.steps.filter { $0.status != "same" }.map(\.stepID))")
            #expect(diff.firstDivergence == nil, "\(run.id): \(diff.firstDivergence?.reason ?? "")")
            #expect(try t.journal.run(result.run).parent == run.id)
            #expect(try t.journal.verify(run: result.run).ok)
            replayed += 1
        }
        #expect(replayed >= 8)
    }

    /// Executor A and executor B are two HTTP servers; B answers one step differently. The fork
    /// differs at exactly that step, and the diff says where.
    @Test func aForkWithASwappedExecutorDiffersExactlyWhereTheExecutorDoes() async throws {
        let serverA = try FakeOpenAIServer(["--model", "exec-a"])
        let serverB = try FakeOpenAIServer(["--model", "exec-a", "--differ-step", "outline"])
        let t = try TemporaryJournal()
        var settings = OpenAISettings(environment: [:])
        settings.backoff = .milliseconds(10)
        let planner = OpenAIPlanner(client: OpenAIClient(model: "planner", baseURL: serverA.baseURL, settings: settings))
        let original = try await PlanRunner(
            journal: t.journal, planner: planner,
            executor: OpenAIExecutor(client: OpenAIClient(model: "exec-a", baseURL: serverA.baseURL, settings: settings))
        ).start(.init(goal: "swap", runID: "orig"))
        #expect(original.status == "succeeded")
        let replayer = Replayer(journal: t.journal)
        let seq = try replayer.forkPoint(of: "orig")
        let fork = try await replayer.reexecute(
            "orig", at: seq, as: "orig.b", planner: nil,
            executor: OpenAIExecutor(client: OpenAIClient(model: "exec-a", baseURL: serverB.baseURL, settings: settings)))
        #expect(fork.status == "succeeded")
        let fk = try t.journal.run("orig.b")
        #expect(fk.parent == "orig" && fk.forkSeq == seq)
        let diff = try RunDiff("orig", "orig.b", in: t.journal)
        // outline answers differently; write, which depends on it, ran again with its new output.
        #expect(diff.steps.filter { $0.status == "differs" }.map(\.stepID) == ["outline", "write"])
        #expect(diff.steps.first { $0.stepID == "write" }?.b?.output == "exec-a did write (after a different input)")
        #expect(diff.steps.first { $0.stepID == "research" }?.status == "same")
        #expect(diff.steps.first { $0.stepID == "outline" }?.outputDiff == ["- exec-a did outline", "+ exec-a did outline differently"])
        let divergence = try #require(diff.firstDivergence)
        #expect(divergence.reason == "step outline completed in both runs, with different outputs")
        #expect(!diff.agree)
        // Deterministic replay of the fork reproduces it.
        let again = try await replayer.reexecute("orig.b", at: try replayer.forkPoint(of: "orig.b"), as: "orig.b.r", planner: nil, executor: nil)
        #expect(try RunDiff("orig.b", again.run, in: t.journal).agree)
    }

    @Test func auditEntriesShowEachEventsStateChange() throws {
        var r = RunBuilder(run: "audit")
        try r.add("run.started", #"{"goal":"g"}"#)
        try r.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]}]}"#)
        try r.add("step.started", #"{"step_id":"a"}"#)
        try r.add("call.model", #"{"step_id":"a","model":"m","usage":{"input_tokens":5,"output_tokens":2},"cost_usd":0.5}"#)
        try r.add("step.completed", #"{"step_id":"a","output":"x"}"#)
        let entries = ReplayEntry.entries(run: "audit", events: r.events)
        #expect(entries.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(entries[1].planVersion == .init(from: nil, to: 1))
        #expect(entries[1].steps["b"] == .init(from: nil, to: "pending"))
        #expect(entries[2].steps == ["a": .init(from: "pending", to: "running")])
        #expect(entries[3].tokens == 7 && entries[3].costUSD == 0.5 && entries[3].steps.isEmpty)
        #expect(entries[4].steps == ["a": .init(from: "running", to: "completed")])
    }

    /// The audit compares only the steps an event can change; its entries equal those of a full
    /// comparison of every step before and after each event, on the contract's runs and on a run
    /// with revisions, approvals and steps no plan holds.
    @Test func auditEntriesEqualAFullComparisonOfEveryStep() throws {
        var r = RunBuilder(run: "full")
        try r.add("run.started", #"{"goal":"g"}"#)
        try r.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]},{"id":"c"}]}"#)
        try r.add("approval.requested", #"{"step_id":"c"}"#)
        try r.add("step.started", #"{"step_id":"a"}"#)
        try r.add("approval.resolved", #"{"step_id":"c","decision":"denied"}"#)
        try r.add("step.failed", #"{"step_id":"a","error":{"type":"T","message":"m"}}"#)
        try r.add("plan.revised", #"{"version":2,"base_version":1,"removed":["a","b"],"added":[{"id":"d"}]}"#)
        try r.add("note", #"{"text":"between"}"#)
        try r.add("plan.revised", #"{"version":3,"base_version":2,"added":[{"id":"b"}]}"#)
        try r.add("step.started", #"{"step_id":"b"}"#)
        try r.add("step.skipped", #"{"step_id":"d","reason":"not needed"}"#)
        try r.add("run.completed", #"{"status":"partially_succeeded"}"#)
        var runs: [(String, [JournalEvent])] = [("full", r.events)]
        let contract = try Fixtures.lines(Fixtures.validContract).map { try JournalEvent(parsing: $0) }
        for run in Set(contract.map(\.run)).sorted() { runs.append((run, contract.filter { $0.run == run })) }
        for (run, events) in runs {
            let projection = PlanProjection()
            var state = PlanState(run: run)
            var expected: [[String: ReplayEntry.Change<String?>]] = []
            for e in events {
                let before = Dictionary(state.steps.map { ($0.id, $0.status.rawValue) }, uniquingKeysWith: { a, _ in a })
                projection.apply(&state, e)
                var changes: [String: ReplayEntry.Change<String?>] = [:]
                for step in state.steps where before[step.id] != step.status.rawValue {
                    changes[step.id] = .init(from: before[step.id], to: step.status.rawValue)
                }
                expected.append(changes)
            }
            #expect(ReplayEntry.entries(run: run, events: events).map(\.steps) == expected, "\(run)")
        }
        #expect(ReplayEntry.entries(run: "full", events: r.events)[6].steps.keys.sorted() == ["a", "b", "d"])
    }

    @Test func aWhatIfForkReplacesOneStepsOutputAndTheRestPlaysOut() async throws {
        let t = try TemporaryJournal()
        let plan = [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"]), PlanStep(id: "c", dependsOn: ["b"])]
        let planner = ClosurePlanner(name: "p") { _ in PlanProposal(steps: plan) }
        let executor = ClosureExecutor(name: "e") { request, _ in
            StepAnswer(output: request.step.id + "(" + request.step.dependsOn.compactMap { request.dependencyOutputs[$0] }.joined() + ")")
        }
        let original = try await PlanRunner(journal: t.journal, planner: planner, executor: executor)
            .start(.init(goal: "what if", runID: "w"))
        #expect(original.finalAnswer == "c(b(a()))")
        let replayer = Replayer(journal: t.journal)
        let fork = try await replayer.reexecute(
            "w", at: try replayer.forkPoint(of: "w", step: "b"), as: "w.what-if", planner: nil, executor: executor,
            overrides: ["b": "B!"])
        #expect(fork.finalAnswer == "c(B!)")
        let sources = try t.journal.events(of: "w.what-if").filter { $0.kind == "step.completed" }
            .map { "\($0.dataString("step_id")!)=\($0.dataString("source") ?? "-")" }
        #expect(sources.suffix(2) == ["b=override", "c=live"])
        let diff = try RunDiff("w", "w.what-if", in: t.journal)
        #expect(diff.steps.map(\.status) == ["same", "differs", "differs"])
        #expect(diff.firstDivergence?.reason.contains("step b") == true)
    }

    @Test func aChangedPlanIsReportedAsDivergingAtThePlanRevision() async throws {
        let t = try TemporaryJournal()
        let v1 = [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"])]
        let v2 = [PlanStep(id: "a"), PlanStep(id: "b2", dependsOn: ["a"])]
        let v2Changed = [PlanStep(id: "a"), PlanStep(id: "b3", dependsOn: ["a"])]
        let failing = ClosureExecutor(name: "e") { request, _ in
            if request.step.id == "b" { throw RuntimeError("boom", "b fails") }
            return StepAnswer(output: "ok " + request.step.id)
        }
        let original = try await PlanRunner(
            journal: t.journal, planner: ClosurePlanner(name: "p") { r in PlanProposal(steps: r.replan == nil ? v1 : v2) },
            executor: failing
        ).start(.init(goal: "diverge", runID: "d"))
        #expect(original.status == "succeeded")
        let revisedAt = try #require(try t.journal.events(of: "d").first { $0.kind == "plan.revised" }?.seq)
        let replayer = Replayer(journal: t.journal)
        // The planner now revises the plan differently.
        let fork = try await replayer.reexecute(
            "d", at: try replayer.forkPoint(of: "d"), as: "d.new-planner",
            planner: ClosurePlanner(name: "p2") { r in PlanProposal(steps: r.replan == nil ? v1 : v2Changed) }, executor: failing)
        let forkRevisedAt = try #require(try t.journal.events(of: fork.run).first { $0.kind == "plan.revised" }?.seq)
        let diff = try RunDiff("d", fork.run, in: t.journal)
        let divergence = try #require(diff.firstDivergence)
        #expect(divergence.seqA == revisedAt && divergence.seqB == forkRevisedAt)
        #expect(divergence.reason == "plan version 2 in both runs, with different steps")
        #expect(diff.steps.map { "\($0.stepID):\($0.status)" } == ["a:same", "b:same", "b2:only_in_a", "b3:only_in_b"])
    }

    @Test func toolsAreAnsweredFromTheRecordingOrLiveAndDriftIsReported() async throws {
        let t = try TemporaryJournal()
        let plan = [PlanStep(id: "look", tool: "lookup", args: .record(["q": .string("x")])), PlanStep(id: "use", dependsOn: ["look"])]
        let planner = ClosurePlanner(name: "p") { _ in PlanProposal(steps: plan) }
        let executor = ClosureExecutor(name: "e") { request, context in
            guard let tool = request.step.tool else { return StepAnswer(output: "used " + (request.dependencyOutputs["look"] ?? "")) }
            return StepAnswer(output: try await context.callTool(tool, args: request.step.args ?? .null).content)
        }
        let v1 = ToolRegistry([ClosureTool("lookup") { _ in ToolOutput(content: "v1") }])
        let v2 = ToolRegistry([ClosureTool("lookup") { _ in ToolOutput(content: "v2") }])
        _ = try await PlanRunner(journal: t.journal, planner: planner, executor: executor, tools: v1)
            .start(.init(goal: "tools", runID: "t"))
        let replayer = Replayer(journal: t.journal)
        let seq = try replayer.forkPoint(of: "t")
        // A live executor whose tool calls are answered from the recording: the same answer, marked recorded.
        let recorded = try await replayer.reexecute("t", at: seq, as: "t.rec", planner: nil, executor: executor, toolMode: .recorded, tools: v2)
        #expect(recorded.finalAnswer == "used v1")
        let observed = try #require(try t.journal.events(of: "t.rec").last { $0.kind == "step.observed" && $0.dataString("call_id") != nil })
        #expect(observed.dataString("source") == "recorded")
        // The recorded executor with live tools: the model's decisions stay, the tool runs for real and drifted.
        _ = try await replayer.reexecute("t", at: seq, as: "t.live", planner: nil, executor: nil, toolMode: .live, tools: v2)
        let drift = ObservationDrift.find(original: try t.journal.events(of: "t"), fork: try t.journal.events(of: "t.live"))
        #expect(drift.map(\.stepID) == ["look"])
        #expect(drift.first?.tool == "lookup")
    }

    @Test func aReplanTheOriginalDidNotHaveGoesToTheFallbackPlannerOrIsDeclined() async throws {
        let t = try TemporaryJournal()
        let v1 = [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"]), PlanStep(id: "c", dependsOn: ["b"])]
        let fine = ClosureExecutor(name: "ok") { request, _ in StepAnswer(output: "ok " + request.step.id) }
        _ = try await PlanRunner(
            journal: t.journal, planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: v1) }, executor: fine
        ).start(.init(goal: "fallback", runID: "f"))
        let breaksB = ClosureExecutor(name: "new") { request, _ in
            if request.step.id == "b" { throw RuntimeError("boom", "b breaks with the new executor") }
            return StepAnswer(output: "ok " + request.step.id)
        }
        let replayer = Replayer(journal: t.journal)
        let seq = try replayer.forkPoint(of: "f")
        let fallback = ClosurePlanner(name: "original-planner") { request in
            PlanProposal(steps: [PlanStep(id: "a"), PlanStep(id: "b_alt", dependsOn: ["a"]), PlanStep(id: "c", dependsOn: ["b_alt"])])
        }
        let replanned = try await replayer.reexecute(
            "f", at: seq, as: "f.fallback", planner: nil, executor: breaksB, fallbackPlanner: fallback)
        #expect(replanned.status == "succeeded")
        #expect(Set(replanned.state.currentPlan?.steps.map(\.id) ?? []) == ["a", "b_alt", "c"])
        let declined = try await replayer.reexecute("f", at: seq, as: "f.declined", planner: nil, executor: breaksB)
        #expect(declined.state.step("b")?.status == .failed && declined.state.step("c")?.status == .skipped)
        #expect(declined.state.replans.isEmpty)
    }

    /// A step that failed for good, was replanned (keeping its id) and then completed replays as
    /// it ran: a replan, not a retry of the failed attempt.
    @Test func aFailureTheOriginalReplannedAfterIsReplannedInTheReplay() async throws {
        let t = try TemporaryJournal()
        let failures = Mutex(0)
        let executor = ClosureExecutor(name: "once") { request, _ in
            if request.step.id == "b" && failures.withLock({ $0 += 1; return $0 }) == 1 { throw RuntimeError("tool_error", "b fails once", retryable: false) }
            return StepAnswer(output: "ok " + request.step.id)
        }
        let plan = [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"])]
        let original = try await PlanRunner(
            journal: t.journal, planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: plan) }, executor: executor
        ).start(.init(goal: "replan", runID: "nr"))
        #expect(original.status == "succeeded" && original.state.plans.count == 2 && original.state.replans.count == 1)
        let replayer = Replayer(journal: t.journal)
        let replay = try await replayer.reexecute("nr", at: try replayer.forkPoint(of: "nr"), as: "nr.r", planner: nil, executor: nil)
        #expect(replay.state.plans.count == 2 && replay.state.replans.count == 1)
        #expect(try RunDiff("nr", "nr.r", in: t.journal).agree)
    }

    /// A replay forked after a failed attempt answers the next attempt with the recording's next
    /// outcome (it answered with the failure again: the fork's shared attempt was not counted).
    @Test func aReplayFromAfterAFailedAttemptAnswersTheNextAttempt() async throws {
        let t = try TemporaryJournal()
        let failures = Mutex(0)
        let executor = ClosureExecutor(name: "flaky") { request, _ in
            if request.step.id == "b" && failures.withLock({ $0 += 1; return $0 }) == 1 { throw RuntimeError("timeout", "b times out once", retryable: true) }
            return StepAnswer(output: "ok " + request.step.id)
        }
        let plan = [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"]), PlanStep(id: "c", dependsOn: ["b"])]
        _ = try await PlanRunner(
            journal: t.journal, planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: plan) }, executor: executor
        ).start(.init(goal: "flaky", runID: "fl"))
        let failed = try #require(try t.journal.events(of: "fl").first { $0.knownKind == .stepFailed })
        let replay = try await Replayer(journal: t.journal).reexecute("fl", at: failed.seq, as: "fl.r", planner: nil, executor: nil)
        #expect(replay.status == "succeeded" && replay.state.step("b")?.attempts == 2)
        #expect(try RunDiff("fl", "fl.r", in: t.journal).agree)
    }

    /// A replay answering from the recording journals what each recorded attempt did on its way:
    /// the executor's model calls (a failed attempt's too), its tool calls with their recorded
    /// observations, and the planner's calls for the replan, so the fork costs what the original did.
    @Test func aRecordedReplayCostsWhatTheOriginalDidAndMakesItsToolCalls() async throws {
        let t = try TemporaryJournal()
        let tries = Mutex(0)
        @Sendable func call(_ purpose: String, _ tokens: Int64) -> ModelCall {
            ModelCall(model: "m", purpose: purpose, inputTokens: tokens, outputTokens: 1, costUSD: Double(tokens) / 1000)
        }
        let executor = ClosureExecutor(name: "e") { request, context in
            switch request.step.id {
            case "a":
                if tries.withLock({ $0 += 1; return $0 }) == 1 {
                    throw RuntimeError("timeout", "a times out once", retryable: true, calls: [call("execute", 4)])
                }
                let found = try await context.callTool("lookup", args: .record(["q": .string("x")]))
                return StepAnswer(output: "a saw " + found.content, calls: [call("execute", 7)])
            case "b": throw RuntimeError("broken", "b breaks", retryable: false, calls: [call("execute", 5)])
            default: return StepAnswer(output: "ok " + request.step.id, calls: [call("execute", 2)])
            }
        }
        let planner = ClosurePlanner(name: "p") { request in
            request.replan == nil
                ? PlanProposal(steps: [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"])], calls: [call("plan", 3)])
                : PlanProposal(steps: [PlanStep(id: "a"), PlanStep(id: "b2", dependsOn: ["a"])], calls: [call("replan", 9)])
        }
        let tools = ToolRegistry([ClosureTool("lookup") { _ in ToolOutput(content: "v1") }])
        // Each plan version is reviewed; the review of the replanned one is the fork's own.
        let reviewer = ClosureReviewer(name: "r") { _, _, version in
            PlanReview(verdict: "approved", calls: [call("review", Int64(20 + version))])
        }
        let original = try await PlanRunner(journal: t.journal, planner: planner, executor: executor, reviewer: reviewer, tools: tools)
            .start(.init(goal: "costs", runID: "c"))
        // The failed attempt's call is journaled: 4 + 7 tokens of input for a, 1 of output each.
        #expect(original.state.step("a")?.tokens == 13)
        #expect(original.state.totals.tokens == 4 + 13 + 6 + 10 + 3 + 22 + 23)
        let replayer = Replayer(journal: t.journal)
        let replay = try await replayer.reexecute("c", at: try replayer.forkPoint(of: "c"), as: "c.r", planner: nil, executor: nil)
        #expect(replay.state.totals.tokens == original.state.totals.tokens)
        #expect(replay.state.totals.costUSD.withoutFloatNoise == original.state.totals.costUSD.withoutFloatNoise)
        for id in ["a", "b", "b2"] { #expect(replay.state.step(id)?.tokens == original.state.step(id)?.tokens, "\(id)") }
        #expect(try t.journal.events(of: "c.r").filter { $0.knownKind == .planReviewed }.count == 2)
        let observed = try t.journal.events(of: "c.r").filter { $0.knownKind == .stepObserved && $0.dataString("call_id") != nil }
        #expect(observed.map { $0.dataString("content") } == ["v1"])
        #expect(observed.first?.dataString("source") == "recorded")
        #expect(try RunDiff("c", "c.r", in: t.journal).agree)
    }

    /// A run cancelled by `planj cancel` while a step ran replays as cancelled, at the same point.
    @Test(.timeLimit(.minutes(1))) func aCancelledRunReplaysAsCancelled() async throws {
        let t = try TemporaryJournal()
        let plan = [PlanStep(id: "a"), PlanStep(id: "b", dependsOn: ["a"]), PlanStep(id: "c", dependsOn: ["b"])]
        let executor = ClosureExecutor(name: "e") { request, _ in
            // b runs until the run is cancelled (at the latest after 30 s).
            if request.step.id == "b" { try await Task.sleep(for: .seconds(30)) }
            return StepAnswer(output: "ok " + request.step.id)
        }
        var options = RunnerOptions()
        options.pollInterval = .milliseconds(20)
        let runner = PlanRunner(
            journal: t.journal, planner: ClosurePlanner(name: "p") { _ in PlanProposal(steps: plan) }, executor: executor,
            options: options)
        let running = Task { try await runner.start(.init(goal: "cancel me", runID: "k")) }
        let other = try t.reopen()
        for try await e in other.subscribe(to: "k", pollInterval: .milliseconds(10))
        where e.kind == "step.started" && e.dataString("step_id") == "b" {
            try await other.requestCancel(run: "k", actor: "human:ana")
            break
        }
        #expect(try await running.value.status == "cancelled")
        let replayer = Replayer(journal: t.journal)
        let replay = try await replayer.reexecute("k", at: try replayer.forkPoint(of: "k"), as: "k.r", planner: nil, executor: nil)
        #expect(replay.status == "cancelled")
        #expect(replay.state.step("a")?.status == .completed && replay.state.step("c")?.status == .skipped)
        #expect(try RunDiff("k", "k.r", in: t.journal).agree)
    }

    /// A run another agent wrote, cancelled by a person after a failure (a note, then the skips),
    /// replays as cancelled there too, not as a run that ended on its own.
    @Test func aRunCancelledAfterAFailureReplaysAsCancelled() async throws {
        var b = RunBuilder(run: "h")
        try b.add("run.started", #"{"goal":"g"}"#)
        // c needs b: nothing is left to run once b fails, so only the recorded cancellation ends the fork.
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]},{"id":"c","depends_on":["b"]}]}"#)
        try b.add("step.started", #"{"step_id":"a"}"#)
        try b.add("step.completed", #"{"step_id":"a","output":"x"}"#)
        try b.add("step.started", #"{"step_id":"b"}"#)
        try b.add("step.failed", #"{"step_id":"b","error":{"type":"http","message":"404"},"retryable":false}"#)
        try b.add("note", #"{"text":"stop, b keeps failing"}"#, actor: "human:kofi")
        try b.add("step.skipped", #"{"step_id":"c","reason":"run cancelled by human:kofi"}"#, actor: "policy")
        try b.add("run.completed", #"{"status":"cancelled"}"#)
        let t = try TemporaryJournal()
        _ = try await t.journal.append(b.events, to: "h", expecting: .noRun)
        let replayer = Replayer(journal: t.journal)
        let replay = try await replayer.reexecute("h", at: try replayer.forkPoint(of: "h"), as: "h.r", planner: nil, executor: nil)
        #expect(replay.status == "cancelled" && replay.state.step("c")?.status == .skipped)
        let diff = try RunDiff("h", "h.r", in: t.journal)
        #expect(diff.agree, "\(diff.firstDivergence?.reason ?? "")")
    }

    /// A denial and a cancellation read in the same pass: the denied step is journaled as
    /// skipped, as a denial alone makes it, and its replay (which cancels before asking) agrees.
    @Test(.timeLimit(.minutes(1))) func aDenialThatComesWithACancellationIsJournaledAsASkip() async throws {
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.approval = .ask
        options.pollInterval = .milliseconds(400)
        let runner = PlanRunner(
            journal: t.journal,
            planner: ClosurePlanner(name: "p") { _ in
                PlanProposal(steps: [PlanStep(id: "a"), PlanStep(id: "gate", dependsOn: ["a"], requiresApproval: true)])
            },
            executor: ClosureExecutor(name: "e") { _, _ in StepAnswer(output: "ok") }, options: options)
        let running = Task { try await runner.start(.init(goal: "deny and cancel", runID: "dc")) }
        let other = try t.reopen()
        for try await e in other.subscribe(to: "dc", pollInterval: .milliseconds(10)) where e.kind == "approval.requested" {
            // Both in one append, as `planj approve` and `planj cancel` write them: the runner reads
            // them in one pass however slowly this test runs (two appends could straddle a poll).
            let head = try other.run("dc").events
            let denial = try JournalEvent(
                run: "dc", seq: head + 1, ts: .now, kind: "approval.resolved", actor: "human:ana",
                data: .record(["decision": .string("denied"), "step_id": .string("gate"), "version": .int(1)]))
            let cancel = try JournalEvent(
                run: "dc", seq: head + 2, ts: .now, kind: "note", actor: "human:ana",
                data: .record(["text": .string("cancel requested"), "cancel": .bool(true)]))
            _ = try await other.append([denial, cancel], to: "dc", expecting: .exactly(head))
            break
        }
        let result = try await running.value
        #expect(result.status == "cancelled")
        #expect(result.state.step("gate")?.status == .skipped)
        let skip = try t.journal.events(of: "dc").first { $0.knownKind == .stepSkipped && $0.dataString("step_id") == "gate" }
        #expect(skip?.dataString("reason") == "approval denied")
        let replayer = Replayer(journal: t.journal)
        let replay = try await replayer.reexecute("dc", at: try replayer.forkPoint(of: "dc"), as: "dc.r", planner: nil, executor: nil)
        let diff = try RunDiff("dc", "dc.r", in: t.journal)
        #expect(replay.status == "cancelled" && diff.agree, "\(diff.firstDivergence?.reason ?? "")")
    }

    /// A cancel request that reached the journal while the runner was already completing the run
    /// otherwise (its note lands before `run.completed`) is not replayed: the fork ends as the
    /// run did.
    @Test func aCancelRequestTheRunDidNotActOnIsNotReplayed() async throws {
        var b = RunBuilder(run: "late")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"}]}"#)
        try b.add("step.started", #"{"step_id":"a"}"#)
        try b.add("step.completed", #"{"step_id":"a","output":"x"}"#)
        try b.add("step.started", #"{"step_id":"b"}"#)
        try b.add("step.failed", #"{"step_id":"b","error":{"type":"http","message":"404"},"retryable":false}"#)
        try b.add("note", #"{"cancel":true,"text":"stop"}"#, actor: "human:ana")
        try b.add("run.completed", #"{"status":"partially_succeeded"}"#)
        let t = try TemporaryJournal()
        _ = try await t.journal.append(b.events, to: "late", expecting: .noRun)
        let replayer = Replayer(journal: t.journal)
        let replay = try await replayer.reexecute(
            "late", at: try replayer.forkPoint(of: "late"), as: "late.r", planner: nil, executor: nil)
        #expect(replay.status == "partially_succeeded")
        let diff = try RunDiff("late", "late.r", in: t.journal)
        #expect(diff.agree, "\(diff.firstDivergence?.reason ?? "")")
    }

    /// A step denied, changed by a replan, then granted: each of its two requests gets the
    /// decision recorded for it (both used to get the last one, so the fork ran the step as it
    /// was first planned).
    @Test func eachApprovalRequestOfAStepGetsItsOwnRecordedDecision() async throws {
        let t = try TemporaryJournal()
        let original = try await PlanRunner(
            journal: t.journal, planner: DeniedThenReplanned.planner, executor: DeniedThenReplanned.executor,
            approvals: DeniedThenReplanned.DenyOnce())
            .start(.init(goal: "approvals", runID: "ap"))
        #expect(original.status == "succeeded")
        let replayer = Replayer(journal: t.journal)
        // From the plan (both requests asked again), and from the first decision on.
        for (seq, name) in [(2, "ap.plan"), (try replayer.forkPoint(of: "ap"), "ap.r")] {
            let fork = try await replayer.reexecute("ap", at: seq, as: name, planner: nil, executor: nil)
            let decisions = try t.journal.events(of: fork.run).filter { $0.knownKind == .approvalResolved }
            // The fork's own decisions are the policy's, naming who made them in the original (a
            // fork from the plan shares the first one).
            let own = decisions.filter { $0.seq > (try? t.journal.run(fork.run).forkSeq ?? 0) ?? 0 }
            #expect(own.allSatisfy { $0.actor == "policy" && $0.dataString("comment")?.contains("as human:ana decided in run ap at seq") == true })
            #expect(decisions.map { $0.dataString("decision") ?? "-" } == ["denied", "granted"])
            #expect(own.count == (name == "ap.plan" ? 2 : 1))
            let diff = try RunDiff("ap", fork.run, in: t.journal)
            #expect(diff.agree, "\(name): \(diff.firstDivergence?.reason ?? "")")
            // Event for event (but the fork's note of where it resumed): the skips of the denial too.
            #expect(try t.journal.events(of: fork.run).map(\.kind).filter { $0 != "note" } == t.journal.events(of: "ap").map(\.kind))
        }
    }

    /// A fork given an approval policy of its own (`--approve ask`) does not take the original's
    /// decisions: it waits for one, as `planj run` does.
    @Test func aForkWithAnApprovalPolicyOfItsOwnAsksAgain() async throws {
        let t = try TemporaryJournal()
        _ = try await PlanRunner(
            journal: t.journal, planner: DeniedThenReplanned.planner, executor: DeniedThenReplanned.executor,
            approvals: DeniedThenReplanned.DenyOnce())
            .start(.init(goal: "approvals", runID: "ask"))
        let replayer = Replayer(journal: t.journal)
        var options = try replayer.recordedOptions(of: "ask")
        options.approval = .ask
        options.timeout = .milliseconds(800)
        let fork = try await replayer.reexecute(
            "ask", at: 2, as: "ask.r", planner: nil, executor: nil, options: options, recordedDecisions: false)
        let events = try t.journal.events(of: fork.run).filter { $0.seq > 2 }
        #expect(events.contains { $0.knownKind == .approvalRequested })
        #expect(!events.contains { $0.knownKind == .approvalResolved })
        #expect(fork.stoppedBy == "timeout", "\(fork.status) \(fork.stoppedBy ?? "-")")
        #expect(try replayer.forkRecord(of: "ask.r")?.recordedDecisions == false)
    }
}

