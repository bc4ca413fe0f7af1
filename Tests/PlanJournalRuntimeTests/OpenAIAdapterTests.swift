import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// The OpenAI-compatible adapters against real HTTP servers on loopback (`tools/fake_openai.py`).
@Suite struct OpenAIAdapterTests {
    func settings(key: String? = "test-key") -> OpenAISettings {
        var s = OpenAISettings(environment: [:])
        s.apiKey = key
        s.backoff = .milliseconds(10)
        s.headers = ["X-Test": "yes"]
        s.pricePerMillion = (input: 1, output: 2)
        return s
    }

    @Test func plannerAndExecutorAreDifferentModelsOnDifferentServers() async throws {
        let plannerServer = try FakeOpenAIServer(["--model", "big-planner", "--require-key", "test-key"])
        let executorServer = try FakeOpenAIServer(["--model", "small-executor", "--require-key", "test-key", "--fail-first", "1"])
        let t = try TemporaryJournal()
        let runner = PlanRunner(
            journal: t.journal,
            planner: OpenAIPlanner(client: OpenAIClient(model: "big-planner", baseURL: plannerServer.baseURL, settings: settings())),
            executor: OpenAIExecutor(client: OpenAIClient(model: "small-executor", baseURL: executorServer.baseURL, settings: settings())),
            tools: ToolRegistry([ClosureTool("lookup.facts") { _ in ToolOutput(content: "FACTS") }]))
        let result = try await runner.start(.init(goal: "explain WAL"))
        #expect(result.status == "succeeded")
        #expect(result.state.currentPlan?.steps.map(\.id) == ["research", "outline", "write"])
        let events = try t.journal.events(of: result.run)
        let models = events.filter { $0.kind == "call.model" }.map { ($0.dataString("purpose") ?? "", $0.dataString("model") ?? "") }
        #expect(models.filter { $0.0 == "plan" }.map(\.1) == ["big-planner"])
        #expect(Set(models.filter { $0.0 == "execute" }.map(\.1)) == ["small-executor"])
        // The executor asked for the tool by its function name; the run journaled it under its own name.
        let tools = events.filter { $0.kind == "call.tool" }.compactMap { $0.dataString("tool") }
        #expect(tools == ["lookup.facts", "lookup.facts", "lookup.facts"])
        #expect(result.finalAnswer == "small-executor did write using FACTS")
        #expect(result.state.totals.inputTokens > 0 && result.state.totals.costUSD > 0)
        // The key went to both servers as a bearer token, with the extra header.
        for server in [plannerServer, executorServer] {
            let requests = try server.requests()
            #expect(!requests.isEmpty)
            #expect(requests.allSatisfy { $0["authorization"] as? String == "Bearer test-key" && $0["x_test"] as? String == "yes" })
        }
        // The first executor request got a 429 and was retried.
        #expect(try executorServer.requests().count == 7)
        #expect(try t.journal.verify(run: result.run).ok)
    }

    @Test func aMalformedPlanReplyIsAJournaledFailure() async throws {
        let server = try FakeOpenAIServer(["--model", "rambler", "--malformed-plan"])
        let t = try TemporaryJournal()
        let client = OpenAIClient(model: "rambler", baseURL: server.baseURL, settings: settings(key: nil))
        let result = try await PlanRunner(
            journal: t.journal, planner: OpenAIPlanner(client: client), executor: OpenAIExecutor(client: client)
        ).start(.init(goal: "anything"))
        #expect(result.status == "failed" && result.stoppedBy == "invalid_plan")
        let kinds = try t.journal.events(of: result.run).map(\.kind)
        #expect(kinds == ["run.started", "call.model", "run.completed"])
        let completed = try #require(try t.journal.events(of: result.run).last)
        #expect(completed.data("error")?["message"]?.stringValue?.contains("not JSON") == true)
    }

    @Test func aWrongKeyIsAClearErrorWithoutRetries() async throws {
        let server = try FakeOpenAIServer(["--require-key", "right"])
        let client = OpenAIClient(model: "m", baseURL: server.baseURL, settings: settings(key: "wrong"))
        await #expect {
            _ = try await client.chat([.record(["role": .string("user"), "content": .string("hi")])], purpose: "test")
        } throws: { error in
            let e = error as? RuntimeError
            return e?.type == "http_status" && e?.message.contains("401") == true && e?.retryable == false
        }
        #expect(try server.requests().count == 1)
    }

    @Test func plansAreReadFromJSONFencedBlocksAndBareArrays() throws {
        let fenced = try PlanReply.proposal(from: .string("Sure!\n```json\n{\"steps\":[{\"id\":\"a\"}]}\n```\nDone."))
        #expect(fenced.steps.map(\.id) == ["a"])
        let bare = try PlanReply.proposal(from: .string(#"[{"id":"x"},{"id":"y","depends_on":["x"]}]"#))
        #expect(bare.steps.map(\.id) == ["x", "y"])
        #expect(throws: RuntimeError.self) { try PlanReply.proposal(from: .string(#"{"steps":[{"name":"no id"}]}"#)) }
    }
}
