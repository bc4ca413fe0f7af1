import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Synchronization
import Testing

/// The optional goal-analysis stage: journaled before the first plan, given to every planning
/// request, kept across a resume, and ending the run when the analyzer fails.
@Suite struct GoalAnalysisTests {
    let plan = [step("a"), step("b", ["a"])]

    @Test func theAnalysisIsJournaledBeforeThePlanAndGivenToThePlanner() async throws {
        let t = try TemporaryJournal()
        let planner = ScriptedPlanner(plans: [plan])
        let analyzer = ClosureAnalyzer(name: "analyst") { goal, tools in
            GoalAnalysis(
                summary: "do \(goal)", constraints: ["under $1"], successCriteria: ["b done"],
                calls: [ModelCall(model: "analyst-m", purpose: "", inputTokens: 7, outputTokens: 3)])
        }
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: ScriptedExecutor(), analyzer: analyzer)
            .start(.init(goal: "the thing"))
        #expect(result.status == "succeeded")
        let events = try t.journal.events(of: result.run)
        #expect(Array(events.map(\.kind).prefix(4)) == ["run.started", "call.model", "goal.analyzed", "call.model"])
        #expect(events[1].dataString("purpose") == "analyze" && events[1].dataString("model") == "analyst-m")
        let analyzed = events[2]
        #expect(analyzed.dataString("summary") == "do the thing")
        #expect(analyzed.data("success_criteria") == .strings(["b done"]))
        #expect(planner.requests.withLock { $0.first?.analysis?.constraints } == ["under $1"])
        #expect(result.state.totals.inputTokens == 7 + 100 + 2 * 10)  // analysis, plan, two steps
    }

    @Test func aFailingAnalyzerEndsTheRunWithAClearStatus() async throws {
        let t = try TemporaryJournal()
        let analyzer = ClosureAnalyzer(name: "broken") { _, _ in throw RuntimeError("bad_reply", "no JSON in the reply") }
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [plan]), executor: ScriptedExecutor(), analyzer: analyzer
        ).start(.init(goal: "g"))
        #expect(result.status == "failed" && result.stoppedBy == "analyzer_error")
        #expect(try t.journal.events(of: result.run).map(\.kind) == ["run.started", "run.completed"])
    }

    @Test func aResumedRunKeepsItsAnalysisAndDoesNotAskAgain() async throws {
        let t = try TemporaryJournal()
        var b = RunBuilder(run: "interrupted")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("goal.analyzed", #"{"summary":"recorded","constraints":["c1"],"success_criteria":[]}"#, actor: "planner")
        _ = try t.journal.ingest(text: b.jsonl)
        let planner = ScriptedPlanner(plans: [plan])
        let analyzer = ClosureAnalyzer(name: "never") { _, _ in Issue.record("asked again"); return GoalAnalysis(summary: nil) }
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: ScriptedExecutor(), analyzer: analyzer)
            .resume(run: "interrupted")
        #expect(result.status == "succeeded")
        #expect(planner.requests.withLock { $0.first?.analysis?.summary } == "recorded")
        #expect(try t.journal.events(of: "interrupted").filter { $0.kind == "goal.analyzed" }.count == 1)
    }

    @Test func theOpenAIAnalyzerAsksTheServerForAnAnalysis() async throws {
        let server = try FakeOpenAIServer(["--model", "analyst"])
        var settings = OpenAISettings(environment: [:])
        settings.backoff = .milliseconds(10)
        let client = OpenAIClient(model: "analyst", baseURL: server.baseURL, settings: settings)
        let analysis = try await OpenAIAnalyzer(client: client).analyze(goal: "explain WAL", tools: ["lookup"])
        #expect(analysis.summary == "what is asked" && analysis.constraints == ["be brief"] && analysis.successCriteria == ["an answer"])
        #expect(analysis.calls.first?.model == "analyst")
    }
}
