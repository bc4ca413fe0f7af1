import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// `planj resume` of a replay's fork that was killed.
@Suite struct ForkResumeCommandTests {
    let agent = "cmd:python3 " + Fixtures.repositoryRoot + "/tools/agents/example_agent.py"

    /// `planj replay orig --executor cmd:python3 SCRIPT --as fork`, started and not waited for.
    private func replay(in s: PlanjSandbox, executor script: String, extra: [String] = []) throws -> TestProcess {
        let p = try PlanjBinary.process(
            ["--journal", s.journal, "replay", "orig", "--executor", "cmd:python3 \(script)", "--as", "fork", "--quiet"] + extra,
            in: s.directory)
        p.standardOutput = Pipe()
        p.standardError = Pipe()
        try p.run()
        return p
    }

    /// An executor that answers `<prefix>:<step>`, noting each step in `ran-here` where it runs;
    /// the first time it gets step total (no `stalled` file there yet), it hangs until planj is gone.
    private static func stallingAgent(answering prefix: String) -> String {
        """
        import json, os, sys, time
        for line in sys.stdin:
            r = json.loads(line)
            step = r["params"]["step"]["id"]
            open("ran-here", "a").write(step + "\\n")
            if step == "total" and not os.path.exists("stalled"):
                open("stalled", "w").close()
                parent = os.getppid()
                while os.getppid() == parent: time.sleep(0.05)
                os._exit(0)
            print(json.dumps({"id": r["id"], "result": {"output": "\(prefix):" + step}}), flush=True)
        """
    }

    /// Whether an event of `run` matching `found` appears within 30 s.
    private func wait(for run: String, in j: Journal, _ found: (JournalEvent) -> Bool) async throws -> Bool {
        for _ in 0..<1500 {
            if (try? j.events(of: run))?.contains(where: found) == true { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// A run resumed from another directory starts its `cmd:` programs where it started: a spec
    /// that names a file there by a bare name (`cmd:python3 agent.py`, as `node agent.js` is
    /// written) still finds it, and the program's own relative paths too.
    @Test func aRunResumedElsewhereStartsItsProgramsWhereItStarted() async throws {
        let s = try PlanjSandbox("planj-resume-elsewhere")
        let agent = Self.stallingAgent(answering: "A")
        try agent.write(toFile: s.path("agent.py"), atomically: true, encoding: .utf8)
        let p = try PlanjBinary.process(
            ["--journal", s.journal, "run", "--goal", "one two three four", "--planner", self.agent, "--executor", "cmd:python3 agent.py",
             "--run-id", "r", "--quiet"], in: s.directory)
        p.standardOutput = Pipe()
        p.standardError = Pipe()
        try p.run()
        let j = try Journal(path: s.journal)
        #expect(try await wait(for: "r", in: j) { $0.kind == "step.started" && $0.dataString("step_id") == "total" })
        p.signal(SIGKILL)
        await p.exited()
        let elsewhere = s.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let resumed = try await PlanjBinary.run(["--journal", s.journal, "resume", "r"], in: elsewhere)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try j.run("r").status == "succeeded")
        #expect(!FileManager.default.fileExists(atPath: elsewhere + "/ran-here"))
        #expect(try String(contentsOfFile: s.path("ran-here"), encoding: .utf8).hasSuffix("total\ntotal\n"))
    }

    /// A re-execution killed after it made its fork but before the fork's first own event (the
    /// one that names the replay, which `resume` needs) left a fork no command could go on with:
    /// the same replay again takes that fork up, under the name it chose or the one given.
    @Test func aReplayTakesUpTheForkAKilledReplayLeftEmpty() async throws {
        let s = try PlanjSandbox("planj-replay-empty-fork")
        #expect(try await s.planj("run", "--goal", "one two three", "--planner", "demo", "--executor", "demo", "--run-id", "orig", "--quiet").status == 0)
        // As a killed replay leaves it: the fork, and nothing of its own.
        #expect(try await s.planj("fork", "orig", "--at", "5", "--as", "orig.replay-1").status == 0)
        #expect(try await s.planj("fork", "orig", "--at", "5", "--as", "given").status == 0)
        for extra in [[], ["--as", "given"]] {
            let r = try await s.planj(["replay", "orig", "--executor", "demo", "--from", "6", "--quiet"] + extra)
            #expect(r.status == 0 || r.status == 1, "\(extra): \(r.stderr)")
        }
        let j = try Journal(path: s.journal)
        #expect(Set(try j.runs().map(\.id)) == ["orig", "orig.replay-1", "given"])
        for id in ["orig.replay-1", "given"] {
            #expect(try j.run(id).events > 5 && j.state(of: id).status != "running", "\(id)")
        }
    }

    /// The fork goes on with the replay's executor (not its parent's), and its duration is its own.
    @Test func aKilledForkResumesWithTheReplaysExecutor() async throws {
        let s = try PlanjSandbox("planj-fork-resume")
        let other = Self.stallingAgent(answering: "B")
        try other.write(toFile: s.path("other.py"), atomically: true, encoding: .utf8)
        let original = try await s.planj(
            "run", "--goal", "one two three four", "--planner", agent, "--executor", agent, "--run-id", "orig", "--quiet")
        #expect(original.status == 0, "\(original.stderr)")
        // The parent's start is well before the fork's.
        try await Task.sleep(for: .seconds(2))
        let p = try replay(in: s, executor: s.path("other.py"), extra: ["--max-attempts", "3"])
        let j = try Journal(path: s.journal)
        #expect(try await wait(for: "fork", in: j) { $0.kind == "step.started" && $0.dataString("step_id") == "total" })
        p.signal(SIGKILL)
        await p.exited()
        let resumed = try await s.planj("resume", "fork")
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let forkSeq = try #require(try j.run("fork").forkSeq)
        let outputs = try j.events(of: "fork", from: forkSeq + 1).filter { $0.kind == "step.completed" }
            .compactMap { $0.dataString("output") }
        #expect(outputs.sorted() == ["B:count_first_half", "B:count_second_half", "B:total"])
        // The fork's limits came with it: --max-attempts 3 of the replay.
        let note = try #require(try j.events(of: "fork", from: forkSeq + 1, to: forkSeq + 1).first)
        #expect(note.data("config")?["max_attempts"]?.int64Value == 3)
        #expect(note.data("config")?["executor_spec"]?.stringValue == "cmd:python3 \(s.path("other.py"))")
        // "… steps completed, … replans, … tokens, $…, SECONDSs, … events": the fork's own seconds.
        let seconds = try #require(
            resumed.stdout.split(separator: ",").first { $0.hasSuffix("s") && $0.contains(".") && !$0.contains("$") })
        let value = try #require(Double(seconds.trimmingCharacters(in: .whitespaces).dropLast()))
        // Measured from the fork's first own event, not the parent's start (2 s and more before).
        let all = try j.events(of: "fork")
        let (first, own, last) = (all[0].ts.microseconds, all[Int(forkSeq)].ts.microseconds, all[all.count - 1].ts.microseconds)
        #expect(abs(value - Double(last - own) / 1e6) < 0.5, "\(resumed.stdout)")
        #expect(value < Double(last - first) / 1e6 - 1.5, "\(resumed.stdout)")
    }

    /// Ctrl-C during a replay with a swapped executor cancels the fork's run, journaled as
    /// cancelled, as `planj run` does (the fork was left `running` with a step under way).
    @Test(.timeLimit(.minutes(1))) func anInterruptedReplayJournalsItsForkAsCancelled() async throws {
        let s = try PlanjSandbox("planj-replay-interrupt")
        let slow = """
            import json, sys, time
            for line in sys.stdin:
                r = json.loads(line)
                time.sleep(60)
            """
        try slow.write(toFile: s.path("slow.py"), atomically: true, encoding: .utf8)
        let original = try await s.planj(
            "run", "--goal", "one two three four", "--planner", agent, "--executor", agent, "--run-id", "orig", "--quiet")
        #expect(original.status == 0, "\(original.stderr)")
        let p = try replay(in: s, executor: s.path("slow.py"))
        let j = try Journal(path: s.journal)
        #expect(try await wait(for: "fork", in: j) { $0.kind == "step.started" })
        p.signal(SIGINT)
        await p.exited()
        #expect(p.terminationStatus != 0)
        #expect(try j.run("fork").status == "cancelled")
        // With an error object, as a `planj cancel` journals it (it was `null`).
        let end = try #require(try j.events(of: "fork").last)
        #expect(end.data("error")?["type"]?.stringValue == "run_cancelled", "\(end.data("error") ?? .null)")
        #expect(end.data("error")?["message"]?.stringValue?.contains("Ctrl-C") == true)
        #expect(try j.verify(run: "fork").ok)
    }
}
