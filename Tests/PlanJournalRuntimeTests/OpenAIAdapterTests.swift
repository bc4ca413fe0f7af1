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

    /// A call's latency is the answered attempt's: not the retries and the backoff before it.
    @Test func theLatencyOfACallLeavesOutItsRetries() async throws {
        let server = try FakeOpenAIServer(["--model", "m", "--error-first", "1"])
        var s = settings(key: nil)
        s.backoff = .seconds(2)
        let clock = ContinuousClock()
        let started = clock.now
        let reply = try await OpenAIClient(model: "m", baseURL: server.baseURL, settings: s)
            .chat([.record(["role": .string("user"), "content": .string("hi")])], purpose: "test")
        let elapsed = started.duration(to: clock.now)
        #expect(try server.requests().count == 2)
        // Measured against the call's whole time, not a fixed bound: a loaded machine is slow.
        let latency = Duration.milliseconds(try #require(reply.call.latencyMs))
        #expect(latency + .seconds(2) <= elapsed + .milliseconds(50), "the latency holds the 2 s backoff: \(latency) of \(elapsed)")
    }

    /// An executor whose key the server refuses cannot do any step: the run stops at the first
    /// such failure instead of replanning (each replan a paid planner call).
    @Test func anExecutorWhoseKeyIsRefusedStopsTheRun() async throws {
        let planner = try FakeOpenAIServer(["--model", "planner-m"])
        let executor = try FakeOpenAIServer(["--model", "exec-m", "--require-key", "right"])
        let t = try TemporaryJournal()
        let result = try await PlanRunner(
            journal: t.journal,
            planner: OpenAIPlanner(client: OpenAIClient(model: "planner-m", baseURL: planner.baseURL, settings: settings(key: nil))),
            executor: OpenAIExecutor(client: OpenAIClient(model: "exec-m", baseURL: executor.baseURL, settings: settings(key: "wrong")))
        ).start(.init(goal: "explain WAL"))
        #expect(result.status == "failed" && result.stoppedBy == "executor_error")
        #expect(result.error?.message.contains("HTTP 401") == true)
        #expect(result.state.totals.replans == 0)
        // The steps that did not run will not: none is left pending in the finished run.
        let steps = try #require(result.state.currentPlan?.steps.map(\.id))
        #expect(steps.count > 1 && steps.allSatisfy { [.failed, .skipped].contains(result.state.step($0)?.status) })
        #expect(try t.journal.events(of: result.run).contains { $0.dataString("reason") == "run stopped by executor_error" })
    }

    @Test func anExecutorReplyCutOffIsAStepFailureAndEveryFinishReasonIsJournaled() async throws {
        let planner = try FakeOpenAIServer(["--model", "planner-m"])
        let executor = try FakeOpenAIServer(["--model", "cut-m", "--finish-reason", "length"])
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.maxReplans = 0
        let result = try await PlanRunner(
            journal: t.journal,
            planner: OpenAIPlanner(client: OpenAIClient(model: "planner-m", baseURL: planner.baseURL, settings: settings(key: nil))),
            executor: OpenAIExecutor(client: OpenAIClient(model: "cut-m", baseURL: executor.baseURL, settings: settings(key: nil))),
            options: options
        ).start(.init(goal: "explain WAL"))
        #expect(result.status == "failed")
        let events = try t.journal.events(of: result.run)
        let failures = events.filter { $0.kind == "step.failed" }
        #expect(!failures.isEmpty)
        #expect(failures.allSatisfy {
            $0.data("error")?["type"]?.stringValue == "cut_off"
                && $0.data("error")?["message"]?.stringValue == "cut-m: the model's reply was cut off (finish_reason: length)"
        })
        #expect(!events.contains { $0.kind == "step.completed" })
        let reasons = events.filter { $0.kind == "call.model" }.map { ($0.dataString("purpose") ?? "", $0.dataString("finish_reason")) }
        #expect(reasons.filter { $0.0 == "plan" }.map(\.1) == ["stop"])
        #expect(!reasons.filter { $0.0 == "execute" }.isEmpty && reasons.filter { $0.0 == "execute" }.allSatisfy { $0.1 == "length" })
    }

    @Test func aPlanCutOffSaysSoInItsInvalidPlanError() async throws {
        let server = try FakeOpenAIServer(["--model", "cut-m", "--finish-reason", "length"])
        let t = try TemporaryJournal()
        let client = OpenAIClient(model: "cut-m", baseURL: server.baseURL, settings: settings(key: nil))
        let result = try await PlanRunner(journal: t.journal, planner: OpenAIPlanner(client: client), executor: OpenAIExecutor(client: client))
            .start(.init(goal: "anything"))
        #expect(result.status == "failed" && result.stoppedBy == "invalid_plan")
        let completed = try #require(try t.journal.events(of: result.run).last)
        let message = try #require(completed.data("error")?["message"]?.stringValue)
        #expect(message.hasSuffix("(the model's reply was cut off (finish_reason: length))"), "\(message)")
    }

    @Test func plansAreReadFromJSONFencedBlocksAndBareArrays() throws {
        let fenced = try PlanReply.proposal(from: .string("Sure!\n```json\n{\"steps\":[{\"id\":\"a\"}]}\n```\nDone."))
        #expect(fenced.steps.map(\.id) == ["a"])
        let bare = try PlanReply.proposal(from: .string(#"[{"id":"x"},{"id":"y","depends_on":["x"]}]"#))
        #expect(bare.steps.map(\.id) == ["x", "y"])
        #expect(throws: RuntimeError.self) { try PlanReply.proposal(from: .string(#"{"steps":[{"name":"no id"}]}"#)) }
        // An object in prose, with other braces around it, and a reasoning section before it.
        let prose = try PlanReply.proposal(
            from: .string(#"<think>maybe {"steps":[{"id":"no"}]}</think>Use {braces} sparingly. Plan: {"steps":[{"id":"p","description":"a } in text"}]} (set {x})"#))
        #expect(prose.steps.map(\.id) == ["p"])
        // Reasoning whose <think> was in the prompt's template: only its </think> is in the reply.
        let closeOnly = try PlanReply.proposal(
            from: .string(#"draft {"steps":[{"id":"draft_only"}]} hmm</think>\n\n{"steps":[{"id":"real"}]}"#))
        #expect(closeOnly.steps.map(\.id) == ["real"])
        #expect(PlanReply.withoutReasoning("<think>a</think>answer") == "answer")
        #expect(PlanReply.withoutReasoning("so {x}</think>\nthe answer is 42") == "\nthe answer is 42")
    }
}

/// Servers that speak the chat-completions API their own way.
@Suite struct OpenAIDialectTests {
    private func settings() -> OpenAISettings {
        var s = OpenAISettings(environment: [:])
        s.backoff = .milliseconds(10)
        return s
    }

    @Test func contentPartsObjectArgumentsThinkSectionsAndOtherUsageNamesAreUnderstood() async throws {
        let server = try FakeOpenAIServer(["--model", "variant-m", "--dialect", "variant"])
        let t = try TemporaryJournal()
        // The base URL given with the endpoint's path on it.
        let client = OpenAIClient(model: "variant-m", baseURL: server.baseURL + "/chat/completions", settings: settings())
        let result = try await PlanRunner(
            journal: t.journal, planner: OpenAIPlanner(client: client), executor: OpenAIExecutor(client: client),
            tools: ToolRegistry([ClosureTool("lookup.facts") { args in ToolOutput(content: "FACTS for \(args["step"]?.stringValue ?? "?")") }])
        ).start(.init(goal: "explain WAL"))
        #expect(result.status == "succeeded")
        // The plan after the <think> section, not the draft inside it.
        #expect(result.state.currentPlan?.steps.map(\.id) == ["research", "outline", "write"])
        let events = try t.journal.events(of: result.run)
        // Arguments sent as an object arrive as that object.
        let args = events.filter { $0.kind == "call.tool" }.compactMap { $0.data("args") }
        #expect(args.count == 3)
        #expect(args.allSatisfy { $0["step"]?.stringValue != nil })
        #expect(result.finalAnswer == "variant-m did write using FACTS for write")
        #expect(result.state.totals.inputTokens > 0 && result.state.totals.outputTokens > 0)
        #expect(try server.requests().allSatisfy { $0["path"] as? String == "/v1/chat/completions" })
    }

    @Test func theWaitARateLimitAsksForIsReadInItsThreeForms() throws {
        func delay(_ headers: [String: String]) -> Duration? {
            let now = Date(timeIntervalSince1970: 1_795_000_000)
            return OpenAIClient.retryDelay(asked: { name in headers.first { $0.key.lowercased() == name.lowercased() }?.value }, now: now)
        }
        #expect(delay(["Retry-After": "2"]) == .seconds(2))
        #expect(delay(["Retry-After": "0.5"]) == .milliseconds(500))
        #expect(delay(["retry-after-ms": "250", "Retry-After": "9"]) == .milliseconds(250))
        // 1_795_000_000 is Wed, 18 Nov 2026 11:06:40 GMT: seven seconds later.
        #expect(delay(["Retry-After": "Wed, 18 Nov 2026 11:06:47 GMT"]) == .seconds(7))
        #expect(delay(["Retry-After": "Wed, 18 Nov 2026 11:00:00 GMT"]) == .zero)
        #expect(delay(["Retry-After": "3600"]) == .seconds(30))
        #expect(delay(["Retry-After": "soon"]) == nil)
        #expect(delay([:]) == nil)
    }

    @Test func aServerOfTheOlderFunctionCallAPIGetsItsCallsAndResults() async throws {
        let server = try FakeOpenAIServer(["--model", "functions-m", "--dialect", "functions"])
        let (result, events) = try await explainWAL(with: OpenAIClient(model: "functions-m", baseURL: server.baseURL, settings: settings()))
        #expect(result.status == "succeeded")
        #expect(events.filter { $0.kind == "call.tool" }.compactMap { $0.data("args")?["step"]?.stringValue }.sorted() == ["outline", "research", "write"])
        #expect(result.finalAnswer == "functions-m did write using FACTS for write")
        // Each result went back as a `function` message naming the function.
        let results = try server.requests().compactMap { $0["last"] as? [String: Any] }.filter { $0["role"] as? String == "function" }
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0["name"] as? String == "lookup_facts" && ($0["content"] as? String)?.hasPrefix("FACTS for ") == true })
    }

    /// Groq refuses an assistant message with more than the standard fields (`reasoning`), Gemini
    /// a tool's parameters with `additionalProperties`, both a tool result that names no call:
    /// the fake's strict dialect refuses the same, and replies as they may (two calls without
    /// ids, content "" beside them; streamed, without their index).
    @Test(arguments: ["json", "sse-noindex"])
    func strictServersGetStandardMessagesBackAndCallsWithoutIDsStayApart(format: String) async throws {
        let server = try FakeOpenAIServer(["--model", "strict-m", "--dialect", "strict", "--reply-format", format])
        let (result, events) = try await explainWAL(with: OpenAIClient(model: "strict-m", baseURL: server.baseURL, settings: settings()))
        #expect(result.status == "succeeded", "\(result.error?.message ?? "")")
        let args = events.filter { $0.kind == "call.tool" }.compactMap { $0.data("args") }
        #expect(args.count == 6 && args.filter { $0["n"]?.int64Value == 2 }.count == 3)
        // A reply of tool calls with content "" is journaled whole: its calls are in its response.
        let withCalls = events.filter { $0.kind == "call.model" && $0.dataString("finish_reason") == "tool_calls" }
        #expect(withCalls.count == 3 && withCalls.allSatisfy { $0.data("response")?["tool_calls"]?.arrayValue?.count == 2 })
    }

    /// DeepSeek's thinking mode refuses a tool-call turn sent back without its `reasoning_content`,
    /// Gemini 3 one without each call's `extra_content` (its thought signature): the fake's
    /// thinking dialect refuses the same, and both go back, streamed or not.
    @Test(arguments: ["json", "sse"])
    func whatThinkingServersAskToGetBackGoesBack(format: String) async throws {
        let server = try FakeOpenAIServer(["--model", "think-m", "--dialect", "thinking", "--reply-format", format])
        let (result, events) = try await explainWAL(with: OpenAIClient(model: "think-m", baseURL: server.baseURL, settings: settings()))
        #expect(result.status == "succeeded", "\(result.error?.message ?? "")")
        #expect(events.filter { $0.kind == "call.tool" }.count == 3)
    }

    /// A server that does not count tokens leaves `usage` out of the call: unknown, not 0.
    @Test func aReplyWithoutUsageGetsNoUsageAndNoCost() async throws {
        let server = try FakeOpenAIServer(["--no-usage"])
        let (result, events) = try await explainWAL(with: OpenAIClient(model: "fake-model", baseURL: server.baseURL, settings: settings()))
        #expect(result.status == "succeeded")
        let calls = events.filter { $0.kind == "call.model" }
        #expect(calls.count > 3 && calls.allSatisfy { $0.data("usage") == nil && $0.data("cost_usd") == nil })
        #expect(result.state.totals.inputTokens == 0 && result.state.totals.costUSD == 0)
    }

    /// An executor's server that still answers 503 after every retry stops the run (for
    /// `planj resume` once it is back): no other plan can use it, and replans cost the planner.
    @Test func anExecutorServerThatStaysDownStopsTheRun() async throws {
        let planner = try FakeOpenAIServer(["--model", "planner-m"])
        let executor = try FakeOpenAIServer(["--model", "exec-m", "--fail-first", "1000", "--fail-status", "503"])
        let t = try TemporaryJournal()
        let result = try await PlanRunner(
            journal: t.journal,
            planner: OpenAIPlanner(client: OpenAIClient(model: "planner-m", baseURL: planner.baseURL, settings: settings())),
            executor: OpenAIExecutor(client: OpenAIClient(model: "exec-m", baseURL: executor.baseURL, settings: settings()))
        ).start(.init(goal: "explain WAL"))
        #expect(result.status == "failed" && result.stoppedBy == "executor_error")
        #expect(result.error?.message.contains("answered HTTP 503") == true, "\(result.error?.message ?? "")")
        #expect(result.state.totals.replans == 0)
        // The first attempt of each of the two steps that started: four requests each.
        #expect(try executor.requests().count <= 8)
    }

    /// What a proxy or a busy server answers once (408, 409, 429, 502) is asked again.
    @Test(arguments: [408, 409, 429, 502])
    func aStatusAServerMayAnswerOnceIsRetried(status: Int) async throws {
        let server = try FakeOpenAIServer(["--fail-first", "1", "--fail-status", "\(status)"])
        let message = JSONValue.record(["role": .string("user"), "content": .string("Step a: go")])
        let reply = try await OpenAIClient(model: "m", baseURL: server.baseURL, settings: settings()).chat([message], purpose: "test")
        #expect(reply.content == "fake-model did a")
        #expect(try server.requests().count == 2)
    }

    @Test func aReplyOf200WithAnErrorObjectIsRetriedAndNamedWhenItPersists() async throws {
        let flaky = try FakeOpenAIServer(["--error-first", "1"])
        var s = settings()
        let message = JSONValue.record(["role": .string("user"), "content": .string("Step a: go")])
        let reply = try await OpenAIClient(model: "m", baseURL: flaky.baseURL, settings: s).chat([message], purpose: "test")
        #expect(reply.content == "fake-model did a")
        #expect(try flaky.requests().count == 2)
        // The answer it could not use is journaled before the one it used (the server may bill it).
        #expect(reply.calls.count == 2 && reply.calls[0].response?["error"]?.stringValue?.contains("upstream overloaded") == true)
        let broken = try FakeOpenAIServer(["--error-first", "100"])
        s.retries = 1
        await #expect {
            _ = try await OpenAIClient(model: "m", baseURL: broken.baseURL, settings: s).chat([message], purpose: "test")
        } throws: { error in
            let e = error as? RuntimeError
            return e?.type == "bad_reply" && e?.message.contains("upstream overloaded") == true && e?.calls.count == 2
        }
    }
}

/// How replies travel: compressed, in chunks, through a proxy.
@Suite struct HTTPTransportTests {
    private func settings() -> OpenAISettings {
        var s = OpenAISettings(environment: [:])
        s.backoff = .milliseconds(10)
        s.retries = 0
        return s
    }

    private let message = JSONValue.record(["role": .string("user"), "content": .string("Step a: go")])

    @Test(arguments: ["gzip", "chunked", "json-as-sse"])
    func aCompressedOrChunkedReplyIsRead(format: String) async throws {
        let server = try FakeOpenAIServer(["--reply-format", format])
        let reply = try await OpenAIClient(model: "m", baseURL: server.baseURL, settings: settings()).chat([message], purpose: "test")
        #expect(reply.content == "fake-model did a")
    }

    @Test(arguments: [307, 308])
    func aRedirectKeepsThePOSTAndItsBodyAndTheCredentialsStayWithTheirOrigin(status: Int) async throws {
        var s = settings()
        s.apiKey = "k"
        s.headers = ["X-Api-Key": "secret", "X-Test": "yes"]
        // To another server: the body follows, the caller's headers do not (any may be a
        // credential: X-Honeycomb-Team, uptrace-dsn).
        let target = try FakeOpenAIServer(["--model", "moved-to"])
        let elsewhere = try FakeOpenAIServer(["--redirect", "\(status)", "--redirect-to", target.baseURL + "/chat/completions"])
        let reply = try await OpenAIClient(model: "m", baseURL: elsewhere.baseURL, settings: s).chat([message], purpose: "test")
        #expect(reply.content == "moved-to did a")
        let moved = try #require(try target.requests().first)
        #expect((moved["body_len"] as? Int ?? 0) > 0 && (moved["last"] as? [String: Any])?["content"] as? String == "Step a: go")
        #expect(moved["authorization"] is NSNull && moved["x_api_key"] is NSNull && moved["x_test"] is NSNull)
        // On the same server: everything follows.
        let same = try FakeOpenAIServer(["--redirect", "\(status)", "--redirect-to", "/moved/v1/chat/completions"])
        _ = try await OpenAIClient(model: "m", baseURL: same.baseURL, settings: s).chat([message], purpose: "test")
        let requests = try same.requests()
        #expect(requests.map { $0["path"] as? String } == ["/v1/chat/completions", "/moved/v1/chat/completions"])
        #expect(requests.allSatisfy { $0["authorization"] as? String == "Bearer k" && $0["x_api_key"] as? String == "secret" })
        #expect((requests.last?["body_len"] as? Int ?? 0) > 0)
    }

    /// Bytes that are not UTF-8 in a reply read as U+FFFD, as they do in an event stream.
    @Test func bytesThatAreNotUTF8ReadAsReplacementCharacters() async throws {
        let server = try FakeOpenAIServer(["--reply-format", "nonutf8"])
        let reply = try await OpenAIClient(model: "m", baseURL: server.baseURL, settings: settings()).chat([message], purpose: "test")
        #expect(reply.content == "fake-model did \u{FFFD}\u{FFFD} a")
    }

    /// vLLM and other FastAPI servers answer with an error object of their own shape; one with a
    /// 4xx code is the request's fault, and not asked again.
    @Test func aVLLMErrorObjectIsNamedAndItsBadRequestNotRetried() async throws {
        let server = try FakeOpenAIServer(["--reply-format", "vllm-error"])
        var s = settings()
        s.retries = 3
        await #expect {
            _ = try await OpenAIClient(model: "m", baseURL: server.baseURL, settings: s).chat([message], purpose: "test")
        } throws: { error in
            let e = error as? RuntimeError
            return e?.message.contains("answered with an error: This model's maximum context length is 4096 tokens") == true
                && e?.retryable == false && e?.calls.count == 1
        }
        #expect(try server.requests().count == 1)
    }

    /// A model that refuses fails its step saying what it said, and is not asked again.
    @Test func aRefusalFailsTheStepWithItsText() async throws {
        let planner = try FakeOpenAIServer([])
        let executor = try FakeOpenAIServer(["--reply-format", "refusal"])
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.maxReplans = 0
        let result = try await PlanRunner(
            journal: t.journal, planner: OpenAIPlanner(client: OpenAIClient(model: "p", baseURL: planner.baseURL, settings: settings())),
            executor: OpenAIExecutor(client: OpenAIClient(model: "m", baseURL: executor.baseURL, settings: settings())), options: options
        ).start(.init(goal: "explain WAL"))
        let failures = try t.journal.events(of: result.run).filter { $0.kind == "step.failed" }
        #expect(!failures.isEmpty && failures.allSatisfy { $0.data("error")?["type"]?.stringValue == "refused" })
        #expect(failures.first?.data("error")?["message"]?.stringValue == "m refused: I'm sorry, I can't help with that.")
        // One request per attempt: a refusal is not retried.
        #expect(try executor.requests().count == failures.count)
    }

    @Test func aReplyWithAByteOrderMarkIsRead() async throws {
        let server = try FakeOpenAIServer(["--reply-format", "bom"])
        let reply = try await OpenAIClient(model: "m", baseURL: server.baseURL, settings: settings()).chat([message], purpose: "test")
        #expect(reply.content == "fake-model did a")
    }

    @Test func aStreamedReplyIsPutTogetherWithItsToolCallsUsageAndFinishReason() async throws {
        let server = try FakeOpenAIServer(["--model", "streamer", "--reply-format", "sse"])
        let (result, events) = try await explainWAL(with: OpenAIClient(model: "streamer", baseURL: server.baseURL, settings: settings()))
        #expect(result.status == "succeeded")
        #expect(result.state.currentPlan?.steps.map(\.id) == ["research", "outline", "write"])
        #expect(result.finalAnswer == "streamer did write using FACTS for write")
        #expect(events.filter { $0.kind == "call.tool" }.compactMap { $0.data("args")?["step"]?.stringValue }.sorted() == ["outline", "research", "write"])
        let calls = events.filter { $0.kind == "call.model" }
        #expect(calls.allSatisfy { $0.dataString("model") == "streamer" && ($0.data("usage")?["input_tokens"]?.int64Value ?? 0) > 0 })
        #expect(Set(calls.compactMap { $0.dataString("finish_reason") }) == ["stop", "tool_calls"])
    }

    @Test(arguments: [
        ("html", "answered HTTP 200 with an HTML page (Content-Type: text/html): <html>"), ("empty", "answered HTTP 200 with an empty body"),
        // A stream the text of which was cut short: by an upstream failure, or by the connection.
        ("sse-error", "answered with an error: Provider disconnected"), ("sse-cut", "the event stream was cut off"),
    ])
    func aReplyThatIsNoCompletionIsARetryableErrorNamingWhatCame(format: String, named: String) async throws {
        let server = try FakeOpenAIServer(["--reply-format", format])
        await #expect {
            _ = try await OpenAIClient(model: "m", baseURL: server.baseURL, settings: settings()).chat([message], purpose: "test")
        } throws: { error in
            let e = error as? RuntimeError
            return e?.type == "bad_reply" && e?.retryable == true && e?.message.contains(named) == true
        }
    }

    @Test func requestsGoThroughTheProxyOfHttpProxyUnlessNoProxyNamesTheHost() async throws {
        let proxy = try FakeOpenAIServer(["--model", "via-proxy"])
        var s = settings()
        s.proxies = HTTPProxies(environment: ["http_proxy": proxy.baseURL.replacingOccurrences(of: "/v1", with: ""), "no_proxy": "localhost"])
        // No server listens on the origin: only the proxy can answer.
        let reply = try await OpenAIClient(model: "m", baseURL: "http://model.invalid:9/v1", settings: s).chat([message], purpose: "test")
        #expect(reply.content == "via-proxy did a")
        // A tunnel to the origin, then the request through it.
        let requests = try proxy.requests()
        #expect(requests.first?["connect"] as? String == "model.invalid:9")
        #expect(requests.last?["host"] as? String == "model.invalid:9")
        // A host no_proxy names is reached directly.
        let direct = try FakeOpenAIServer(["--model", "direct"])
        let port = try #require(URLComponents(string: direct.baseURL)?.port)
        let again = try await OpenAIClient(model: "m", baseURL: "http://localhost:\(port)/v1", settings: s).chat([message], purpose: "test")
        #expect(again.content == "direct did a")
        #expect(try proxy.requests().count == 2)
    }
}

/// Base URLs taken apart: credentials, query strings, the path of the endpoint.
@Suite struct OpenAIEndpointTests {
    @Test func thePasswordIsHiddenInEveryURLOfAText() throws {
        let endpoint = try OpenAIEndpoint(parsing: "http://bob:hunter2@host:8080/v1")
        #expect(endpoint.description == "http://bob:***@host:8080/v1")
        #expect(endpoint.chatCompletionsURL == "http://host:8080/v1/chat/completions")
        #expect(endpoint.user == "bob" && endpoint.password == "hunter2")
        #expect(
            OpenAIEndpoint.redacting("openai:m@http://bob:p@ss@h/v1 and https://u:x@y.example/?a=b@c")
                == "openai:m@http://bob:***@h/v1 and https://u:***@y.example/?a=b@c")
        #expect(OpenAIEndpoint.redacting("http://bob@host/v1 http://host/v1") == "http://bob@host/v1 http://host/v1")
    }

    /// Gateways that take the key in the query (`?subscription-key=`, `?key=`) get it hidden as a
    /// password is; other parameters stay as they are.
    @Test func aKeyInTheQueryStringIsHiddenAsAPasswordIs() throws {
        let endpoint = try OpenAIEndpoint(parsing: "https://gw.example/v1?api-version=2024-06-01&subscription-key=abc123")
        #expect(endpoint.description == "https://gw.example/v1?api-version=2024-06-01&subscription-key=***")
        #expect(endpoint.chatCompletionsURL == "https://gw.example/v1/chat/completions?api-version=2024-06-01&subscription-key=abc123")
        #expect(!endpoint.isPasswordHidden)
        #expect(try OpenAIEndpoint(parsing: endpoint.description).isPasswordHidden)
        #expect(
            OpenAIEndpoint.redacting("openai:m@https://h/v1?key=AIza99&x=1 failed; see https://h/?sig=s%2F&api_token=t\"")
                == "openai:m@https://h/v1?key=***&x=1 failed; see https://h/?sig=***&api_token=***\"")
        #expect(AdapterSpec.redacting("openai:m@https://h/v1?model=a&monkey") == "openai:m@https://h/v1?model=a&monkey")
    }

    @Test func theEndpointsPathGoesBeforeTheQueryString() throws {
        let azure = try OpenAIEndpoint(parsing: "https://acme.openai.azure.com/openai/deployments/gpt4o/?api-version=2024-06-01")
        #expect(azure.chatCompletionsURL == "https://acme.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01")
        let full = try OpenAIEndpoint(parsing: "HTTP://Host/v1/chat/completions?x=1")
        #expect(full.chatCompletionsURL == "http://Host/v1/chat/completions?x=1")
        #expect(throws: RuntimeError.self) { try OpenAIEndpoint(parsing: "ftp://host/v1") }
    }

    @Test func aQueryStringReachesTheServerAfterThePath() async throws {
        let server = try FakeOpenAIServer([])
        var s = OpenAISettings(environment: [:])
        s.retries = 0
        let client = OpenAIClient(model: "m", baseURL: server.baseURL + "?api-version=2024-06-01", settings: s)
        let reply = try await client.chat([.record(["role": .string("user"), "content": .string("Step a: go")])], purpose: "test")
        #expect(reply.content == "fake-model did a")
        #expect(try server.requests().first?["path"] as? String == "/v1/chat/completions?api-version=2024-06-01")
    }
}

/// `openai:MODEL@BASE_URL` specs.
@Suite struct AdapterSpecTests {
    @Test func theModelEndsAtTheAtSignThatStartsTheURL() throws {
        #expect(
            try AdapterSpec(parsing: "openai:claude-3-5-sonnet@20240620@https://proxy.example/v1")
                == .openAI(model: "claude-3-5-sonnet@20240620", baseURL: "https://proxy.example/v1"))
        #expect(
            try AdapterSpec(parsing: "openai:pm@HTTP://bob:pw@host:8080/v1")
                == .openAI(model: "pm", baseURL: "HTTP://bob:pw@host:8080/v1"))
        #expect(try AdapterSpec(parsing: "openai:pm@HTTP://bob:pw@host:8080/v1").description == "openai:pm@HTTP://bob:***@host:8080/v1")
        #expect(throws: RuntimeError.self) { try AdapterSpec(parsing: "openai:@http://host/v1") }
        #expect(throws: RuntimeError.self) { try AdapterSpec(parsing: "openai:m@ftp://host/v1") }
    }
}

/// A run of the goal "explain WAL" with `client` as planner and executor and a `lookup.facts`
/// tool, and its events.
private func explainWAL(with client: OpenAIClient) async throws -> (result: RunResult, events: [JournalEvent]) {
    let t = try TemporaryJournal()
    let result = try await PlanRunner(
        journal: t.journal, planner: OpenAIPlanner(client: client), executor: OpenAIExecutor(client: client),
        tools: ToolRegistry([ClosureTool("lookup.facts") { args in ToolOutput(content: "FACTS for \(args["step"]?.stringValue ?? "?")") }])
    ).start(.init(goal: "explain WAL"))
    return (result, try t.journal.events(of: result.run))
}

/// Plans as planners' replies give them.
@Suite struct PlanReplyTests {
    /// A bad step of a plan reply is named by its place, as the contract's errors are.
    @Test func aBadStepIsNamedByItsPlace() throws {
        for (step, named) in [
            (JSONValue.record(["id": .int(1)]), "the plan reply's steps[1].id must be a non-empty string"),
            (.record(["id": .string("b"), "depends_on": .string("a")]), "the plan reply's steps[1].depends_on must be an array"),
        ] {
            #expect {
                _ = try PlanReply.proposal(from: .record(["steps": .array([.record(["id": .string("a")]), step])]))
            } throws: { error in
                (error as? RuntimeError)?.message.hasPrefix(named) == true
            }
        }
    }
}
