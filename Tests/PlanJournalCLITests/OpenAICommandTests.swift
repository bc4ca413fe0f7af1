import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// `planj run`, `resume` and `replay` with OpenAI-compatible models on loopback
/// (`tools/fake_openai.py`), as real processes.
@Suite struct OpenAICommandTests {
    let sandbox: PlanjSandbox

    init() throws { sandbox = try PlanjSandbox("planj-openai") }

    /// No key and no proxy from the test's own environment.
    let environment = ["OPENAI_API_KEY": "", "no_proxy": "*"]

    /// Every event of every run, as text.
    func journalText() throws -> String {
        let journal = try Journal(path: sandbox.journal)
        return try journal.runs().flatMap { try journal.events(of: $0.id) }.map { String(decoding: $0.dataBytes, as: UTF8.self) }.joined(separator: "\n")
    }

    /// `http://bob:hunter2@127.0.0.1:PORT/v1` for a server at `http://127.0.0.1:PORT/v1`.
    func withCredentials(_ url: String) -> String {
        url.replacingOccurrences(of: "http://", with: "http://bob:hunter2@")
    }

    @Test func aPasswordInTheBaseURLIsSentAsBasicAuthButNeverShownOrJournaled() async throws {
        let server = try FakeOpenAIServer(["--model", "pm"])
        let spec = "openai:pm@" + withCredentials(server.baseURL)
        let result = try await sandbox.planj("run", "--goal", "g", "--planner", spec, "--executor", spec, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let requests = try server.requests()
        #expect(!requests.isEmpty)
        #expect(requests.allSatisfy { $0["authorization"] as? String == "Basic " + Data("bob:hunter2".utf8).base64EncodedString() })
        let journaled = try journalText()
        #expect(!journaled.contains("hunter2"))
        #expect(journaled.contains("bob:***@127.0.0.1"))

        // A server that refuses: the error names the server, without the password.
        let refusing = try FakeOpenAIServer(["--require-key", "k"])
        let refused = "openai:pm@" + withCredentials(refusing.baseURL)
        let failed = try await sandbox.planj("run", "--goal", "g", "--planner", refused, "--executor", "demo", environment: environment)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("pm@http://bob:***@127.0.0.1") && failed.stdout.contains("401"), "\(failed.stdout)")
        #expect(!(failed.stdout + failed.stderr).contains("hunter2"))
        #expect(!(try journalText()).contains("hunter2"))
    }

    /// A server that reports no usage is said once per model; a key in the base URL's query is
    /// sent, and neither shown nor journaled.
    @Test func aModelWithoutUsageIsSaidOnceAndAQueryKeyIsNeverShown() async throws {
        let server = try FakeOpenAIServer(["--model", "pm", "--no-usage"])
        let spec = "openai:pm@" + server.baseURL + "?api-version=1&subscription-key=hunter2"
        let result = try await sandbox.planj("run", "--goal", "g", "--planner", spec, "--executor", spec, "--quiet", environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let warning = "planj: warning: pm reported no token usage: its calls are journaled without tokens or cost"
        #expect(result.stderr.components(separatedBy: warning).count == 2, "\(result.stderr)")
        #expect(try server.requests().allSatisfy { ($0["path"] as? String)?.hasSuffix("&subscription-key=hunter2") == true })
        let journaled = try journalText()
        #expect(!journaled.contains("hunter2") && journaled.contains("subscription-key=***"))
    }

    @Test func aRequestTimeoutIsSetOnTheCommandLineAndNamedWithItsAttempts() async throws {
        let server = try FakeOpenAIServer(["--hang"])
        let result = try await sandbox.planj(
            "run", "--goal", "g", "--planner", "openai:pm@" + server.baseURL, "--executor", "demo", "--request-timeout", "0.2",
            environment: environment)
        #expect(result.status == 1)
        #expect(result.stdout.contains("error: timeout: pm@\(server.baseURL): timed out after 0.2 s (4 attempts)"), "\(result.stdout)")
        #expect(try server.requests().count == 4)
        let help = try await sandbox.planj("run", "--help")
        #expect(help.stdout.contains("--request-timeout <seconds>"))
        let bad = try await sandbox.planj("run", "--goal", "g", "--planner", "demo", "--executor", "demo", "--request-timeout", "0")
        #expect(bad.status != 0 && bad.stderr.contains("--request-timeout must be a number of seconds above 0"))
    }

    /// A run whose --timeout passes while a call waits to retry names what it was retrying
    /// after: the planner's in the run's error, a step's in its `step.failed`.
    @Test func aTimeoutDuringRetriesNamesWhatWasRetried() async throws {
        let server = try FakeOpenAIServer(["--model", "pm", "--fail-first", "100", "--retry-after", "30"])
        let spec = "openai:pm@" + server.baseURL
        let cause = "a call was retrying after: pm@\(server.baseURL) answered HTTP 429"
        let planning = try await sandbox.planj(
            "run", "--goal", "g", "--planner", spec, "--executor", "demo", "--timeout", "1", "--quiet", environment: environment)
        #expect(planning.status == 1 && planning.stdout.contains("the run took longer than --timeout (\(cause)"), "\(planning.stdout)")
        let stepping = try await sandbox.planj(
            "run", "--goal", "one two", "--planner", "demo", "--executor", spec, "--timeout", "1", "--run-id", "s", "--quiet",
            environment: environment)
        #expect(stepping.status == 1, "\(stepping.stdout)")
        let failed = try Journal(path: sandbox.journal).events(of: "s").filter { $0.kind == "step.failed" }
        #expect(!failed.isEmpty)
        for e in failed {
            #expect(e.isCutOffAttempt)
            #expect(String(decoding: e.dataBytes, as: UTF8.self).contains("(it was retrying after: pm@"), "\(String(decoding: e.bytes, as: UTF8.self))")
        }
    }

    @Test func anUnknownModelIsNotRetriedAndTheErrorNamesModelAndServer() async throws {
        let server = try FakeOpenAIServer(["--model", "small", "--strict-model"])
        let result = try await sandbox.planj(
            "run", "--goal", "g", "--planner", "openai:gpt-5@" + server.baseURL, "--executor", "demo", environment: environment)
        #expect(result.status == 1)
        #expect(result.stdout.contains("gpt-5@\(server.baseURL) answered HTTP 404"), "\(result.stdout)")
        #expect(result.stdout.contains("check the model name 'gpt-5' and the base URL"), "\(result.stdout)")
        #expect(try server.requests().count == 1)
    }

    @Test func replayTakesTheOpenAIOptionsOfRun() async throws {
        let server = try FakeOpenAIServer(["--model", "m", "--require-key", "k"])
        let spec = "openai:m@" + server.baseURL
        let original = try await sandbox.planj(
            "run", "--goal", "g", "--planner", spec, "--executor", spec, "--header", "Authorization: Bearer k", "--json",
            environment: environment)
        #expect(original.status == 0, "\(original.stdout)")
        let run = try #require((try JSONSerialization.jsonObject(with: Data(original.stdout.utf8)) as? [String: Any])?["run"] as? String)
        let before = try server.requests().count
        let replay = try await sandbox.planj(
            "replay", run, "--executor", spec, "--header", "Authorization: Bearer k", "--request-timeout", "30",
            environment: environment)
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let replayed = try server.requests().dropFirst(before)
        #expect(!replayed.isEmpty && replayed.allSatisfy { $0["authorization"] as? String == "Bearer k" })
    }

    @Test func pricesLetABudgetCountOpenAICallsAndAnUnpricedModelIsWarnedAbout() async throws {
        let server = try FakeOpenAIServer(["--model", "m"])
        let spec = "openai:m@" + server.baseURL
        // Priced: the first calls cost more than the budget, which stops the run.
        let priced = try await sandbox.planj(
            "run", "--goal", "g", "--planner", spec, "--executor", spec, "--budget-usd", "0.001", "--price", "m=100,100", "--json",
            environment: environment)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(priced.stdout.utf8)) as? [String: Any])
        #expect(summary["stopped_by"] as? String == "budget_usd", "\(priced.stdout)")
        #expect(((summary["totals"] as? [String: Any])?["cost_usd"] as? Double ?? 0) > 0.001)
        #expect(!priced.stderr.contains("warning"))
        // Unpriced: a warning at the start, once per model.
        let unpriced = try await sandbox.planj(
            "run", "--goal", "g", "--planner", spec, "--executor", spec, "--budget-usd", "0.001", "--quiet", environment: environment)
        #expect(unpriced.status == 0)
        let warnings = unpriced.stderr.split(separator: "\n").filter { $0.contains("warning") }
        #expect(
            warnings == [
                "planj: warning: --budget-usd cannot count the calls of \(spec): its price is unknown (give --price m=IN,OUT, US dollars per million input and output tokens)"
            ], "\(unpriced.stderr)")
        // No budget, no warning; a malformed price is a usage error.
        let noBudget = try await sandbox.planj("run", "--goal", "g", "--planner", spec, "--executor", "demo", "--quiet", environment: environment)
        #expect(!noBudget.stderr.contains("warning"))
        let bad = try await sandbox.planj("run", "--goal", "g", "--planner", spec, "--executor", "demo", "--price", "m=1")
        #expect(bad.status != 0 && bad.stderr.contains("--price must be MODEL=IN,OUT"), "\(bad.stderr)")
    }

    /// A resume counts its calls' cost at the prices the run was given: they are recorded with it
    /// (a resume's own --price would win).
    @Test func aResumeCountsCostsAtTheRunsPrices() async throws {
        let server = try FakeOpenAIServer(["--model", "m"])
        let spec = "openai:m@" + server.baseURL
        let whole = try await sandbox.planj(
            "run", "--goal", "g", "--planner", spec, "--executor", spec, "--price", "m=100,100", "--run-id", "p", "--quiet",
            environment: environment)
        #expect(whole.status == 0, "\(whole.stderr)")
        let events = try Journal(path: sandbox.journal).events(of: "p")
        #expect(events.first?.data("config")?["prices"]?["m"]?["input"]?.doubleValue == 100)
        // Cut before the first step started, resumed with no --price.
        let cut = try #require(events.firstIndex { $0.kind == "step.started" })
        let other = sandbox.directory + "/cut.sqlite"
        _ = try await Journal(path: other).append(Array(events[..<cut]), to: "p", expecting: .noRun)
        let resumed = try await PlanjBinary.run(["--journal", other, "resume", "p", "--quiet"], in: sandbox.directory, environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let calls = try Journal(path: other).events(of: "p").dropFirst(cut).filter { $0.kind == "call.model" }
        #expect(!calls.isEmpty && calls.allSatisfy { ($0.dataDouble("cost_usd") ?? 0) > 0 })
    }

    /// A replay with a swapped executor, given no --tool and no --price, uses the tools and prices
    /// the original recorded: with live tools the tool runs for real (not "no tool named"), and
    /// the calls cost what the original's did.
    @Test func aReplayUsesTheToolsAndPricesTheRunRecorded() async throws {
        let server = try FakeOpenAIServer(["--model", "m"])
        let spec = "openai:m@" + server.baseURL
        let tool = "word_count=cmd:python3 " + Fixtures.repositoryRoot + "/tools/agents/example_agent.py"
        let run = try await sandbox.planj(
            "run", "--goal", "count these words", "--planner", spec, "--executor", spec, "--tool", tool, "--price", "m=100,100",
            "--run-id", "tp", "--quiet", environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let replay = try await sandbox.planj(
            "replay", "tp", "--executor", spec, "--tools", "live", "--as", "tp.r", "--quiet", environment: environment)
        #expect(replay.status == 0, "\(replay.stdout) \(replay.stderr)")
        let journal = try Journal(path: sandbox.journal)
        let forkSeq = try #require(try journal.run("tp.r").forkSeq)
        let own = try journal.events(of: "tp.r", from: forkSeq + 1)
        let observations = own.filter { $0.kind == "step.observed" }
        #expect(!observations.isEmpty && observations.allSatisfy { $0.dataBool("ok") == true }, "\(observations.map(\.jsonLine))")
        let calls = own.filter { $0.kind == "call.model" }
        #expect(!calls.isEmpty && calls.allSatisfy { ($0.dataDouble("cost_usd") ?? 0) > 0 })
    }

    /// A run planj did not record, replayed with a live model: no recorded planner for replans,
    /// and a tool call with no recorded answer and no live tool, are each said once.
    @Test func aReplayOfARunPlanjDidNotRecordSaysWhatItLacks() async throws {
        let server = try FakeOpenAIServer(["--model", "m"])
        var b = RunBuilder(run: "hand")
        try b.add("run.started", #"{"goal":"fetch it"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a","description":"fetch the page","tool":"http_get"}]}"#)
        try b.add("step.started", #"{"step_id":"a"}"#)
        try b.add("call.tool", #"{"step_id":"a","call_id":"c1","tool":"http_get","args":{"url":"http://x"}}"#)
        try b.add("step.observed", #"{"step_id":"a","call_id":"c1","ok":true,"content":"page"}"#)
        try b.add("step.completed", #"{"step_id":"a","output":"page"}"#)
        try b.add("run.completed", #"{"status":"succeeded"}"#)
        #expect(try await sandbox.planj("ingest", "-", stdin: b.jsonl).status == 0)
        let replay = try await sandbox.planj("replay", "hand", "--executor", "openai:m@" + server.baseURL, "--quiet", environment: environment)
        #expect(replay.stderr.contains("run hand recorded no planner: a replan the recording does not have is not made"), "\(replay.stderr)")
        let lacking = "run hand has no recorded answer for a call of http_get, and there is no live tool of that name"
        #expect(replay.stderr.components(separatedBy: lacking).count == 2, "\(replay.stderr)")
    }
}
