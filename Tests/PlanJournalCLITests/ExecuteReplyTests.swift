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
            import json, os, sys
            first = True
            for line in sys.stdin:
                r = json.loads(line)
                if r['method'] == 'plan':
                    print(json.dumps({'id': r['id'], 'result': {'steps': [{'id': 'a'}]}}), flush=True)
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
}
