import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// How `planj run` takes the replies of a `cmd:` executor that are not as the protocol has them.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ExecuteReplyTests {
    let sandbox: PlanjSandbox

    init() throws {
        sandbox = try PlanjSandbox("planj-replies")
        // Plans one step, `a`; answers its first execution as EDGE says (its lines in
        // `first_reply` with ID for the id), and the next ones with an output.
        try #"""
            import json, os, sys, time
            first = True
            for line in sys.stdin:
                r = json.loads(line)
                if r['method'] == 'plan':
                    print(json.dumps({'id': r['id'], 'result': {'steps': [{'id': 'a'}]}}), flush=True)
                elif first and os.environ['FIRST_REPLY'] == 'HUGE':
                    first = False
                    sys.stdout.write('{"id": %d, "result": {"output": "' % r['id'])
                    for _ in range(65):
                        sys.stdout.write('x' * (1 << 20))
                    print('"}}', flush=True)
                elif first and os.environ['FIRST_REPLY'] == 'HUGE_ID_LAST':
                    # The id after the result, then the newline, each a write of its own a moment later.
                    first = False
                    sys.stdout.write('{"result": {"output": "')
                    for _ in range(65):
                        sys.stdout.write('x' * (1 << 20))
                    sys.stdout.write('"}')
                    sys.stdout.flush()
                    time.sleep(0.3)
                    sys.stdout.write(', "id": %d}' % r['id'])
                    sys.stdout.flush()
                    time.sleep(0.3)
                    print('', flush=True)
                elif first:
                    first = False
                    print(os.environ['FIRST_REPLY'].replace('ID', str(r['id'])), flush=True)
                else:
                    print(json.dumps({'id': r['id'], 'result': {'output': 'done'}}), flush=True)
            """#.write(toFile: sandbox.path("agent.py"), atomically: true, encoding: .utf8)
    }

    /// Runs the agent with `reply` as its first execution's answer; the run's events, and what
    /// planj said on its standard error.
    func run(_ id: String, firstReply reply: String) async throws -> (events: [JournalEvent], stderr: String) {
        let agent = "cmd:python3 agent.py"
        let ran = try await sandbox.planj(
            "run", "--goal", "g", "--planner", agent, "--executor", agent, "--run-id", id, "--quiet",
            environment: ["FIRST_REPLY": reply])
        #expect(ran.status == 0, "\(ran.stderr)")
        return (try Journal(path: sandbox.journal).events(of: id), ran.stderr)
    }

    /// The message of the run's first `step.failed`.
    func failure(_ events: [JournalEvent]) -> String? {
        events.first { $0.kind == "step.failed" }?.data("error")?["message"]?.stringValue
    }

    /// A reply that is not JSON fails its attempt as retryable, and the step is tried again (as
    /// the program's end, which says nothing either, is); it was journaled `retryable: false`,
    /// and the planner was asked to replan.
    @Test func aReplyThatIsNotJSONIsRetried() async throws {
        let (events, _) = try await run("bad-json", firstReply: #"{"id": ID, "result": {"output": 'single quotes'}}"#)
        let failed = try #require(events.first { $0.kind == "step.failed" })
        #expect(failed.data("error")?["message"]?.stringValue?.contains("not valid JSON") == true)
        #expect(failed.dataBool("retryable") == true)
        #expect(!events.contains { $0.kind == "replan.triggered" })
        #expect(events.filter { $0.kind == "step.started" }.count == 2)
    }

    /// A reply line over 64 MiB fails its call saying so, without planj holding the whole line.
    /// (Its id is read at its start, or at its end when the middle between was dropped.)
    @Test(arguments: ["HUGE", "HUGE_ID_LAST"])
    func aReplyOverTheLimitFailsItsCall(reply: String) async throws {
        let (events, _) = try await run("huge-\(reply.count)", firstReply: reply)
        #expect(failure(events)?.contains("answered call") == true, "\(failure(events) ?? "")")
        #expect(failure(events)?.contains("over the 67108864-byte limit for one reply") == true, "\(failure(events) ?? "")")
        #expect(events.contains { $0.kind == "step.completed" })
    }

    /// An output of `null`, which the journal reads as no output, fails its attempt saying so
    /// (it said the reply had no "output"), as does a result that is not an object.
    @Test func aNullOutputOrAResultThatIsNoObjectIsSaidAsItIs() async throws {
        let null = try await run("null-output", firstReply: #"{"id": ID, "result": {"output": null}}"#).events
        #expect(failure(null)?.contains(#"the execute reply's "output" is null"#) == true, "\(failure(null) ?? "")")
        let text = try await run("text-result", firstReply: #"{"id": ID, "result": "just a string"}"#).events
        #expect(failure(text)?.contains("the execute reply's result is a string, not an object") == true, "\(failure(text) ?? "")")
    }

    /// The parts of a reply planj cannot use are said in a note, one for the reply, instead of
    /// being dropped without a word: model calls without a model, tool calls that are not a
    /// list, counts that are not numbers, NaN and Infinity (read as null).
    @Test func whatAReplyHoldsThatCannotBeUsedIsSaid() async throws {
        let (events, stderr) = try await run(
            "bad-parts",
            firstReply: #"{"id": ID, "result": {"output": "x", "tool_calls": "not a list", "calls": [{"purpose": "no model"}, {"model": "m", "usage": {"input_tokens": "12"}}]}}"#)
        #expect(events.contains { $0.kind == "step.completed" })
        let notes = stderr.split(separator: "\n").filter { $0.contains("the execute reply's") }
        #expect(notes.count == 1, "\(stderr)")
        #expect(notes.first?.contains(#"tool_calls is a string ("not a list"), not a list (ignored)"#) == true, "\(stderr)")
        #expect(notes.first?.contains(#"calls[0] has no "model" (not journaled)"#) == true, "\(stderr)")
        #expect(notes.first?.contains(#"calls[1].usage.input_tokens is a string ("12"), not a whole number (counted as 0)"#) == true)
        let nan = try await run(
            "nan", firstReply: #"{"id": ID, "result": {"output": "x", "calls": [{"model": "m", "cost_usd": NaN, "usage": {"input_tokens": Infinity}}]}}"#)
        #expect(nan.stderr.contains("with NaN or Infinity, read as null"), "\(nan.stderr)")
    }
}
