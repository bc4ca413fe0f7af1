import Foundation
import PlanJournalTestSupport
import Testing

/// What `planj run` prints about a run, and what `planj help run` says of its limits.
@Suite struct RunSummaryCommandTests {
    /// a completes while b fails for good; the replan drops both for b2. The summary counts the
    /// steps of the final plan: 1 of 1, not 2 of 1.
    @Test func theSummaryCountsOnlyTheFinalPlansSteps() async throws {
        let s = try PlanjSandbox("planj-summary")
        let agent = """
            import json, sys
            plans = 0
            for line in sys.stdin:
                r = json.loads(line)
                p = r["params"]
                if r["method"] == "plan":
                    steps = [{"id": "a"}, {"id": "b"}] if plans == 0 else [{"id": "b2"}]
                    plans += 1
                    reply = {"result": {"steps": steps}}
                elif p["step"]["id"] == "b":
                    reply = {"error": {"type": "no", "message": "b cannot", "retryable": False}}
                else:
                    reply = {"result": {"output": "done " + p["step"]["id"]}}
                reply["id"] = r["id"]
                print(json.dumps(reply), flush=True)
            """
        try agent.write(toFile: s.path("agent.py"), atomically: true, encoding: .utf8)
        let spec = "cmd:python3 " + s.path("agent.py")
        let run = try await s.planj("run", "--goal", "g", "--planner", spec, "--executor", spec, "--quiet")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("1 of 1 steps completed, 1 replans"), "\(run.stdout)")
    }

    @Test func helpRunShowsTheLimitsDefaults() async throws {
        let s = try PlanjSandbox("planj-summary")
        let help = try await s.planj("help", "run")
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("Steps executing at once (default: 4; resume and replay keep the run's)"), "\(help.stdout)")
        #expect(text.contains("asked to replan (default: 2;"))
        #expect(text.contains("changes included (default: 3;"))
    }
}
