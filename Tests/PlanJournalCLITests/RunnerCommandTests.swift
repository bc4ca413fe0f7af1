import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// `planj demo`, `run`, `approve`, `watch` and `resume` as real processes.
@Suite(.serialized) struct RunnerCommandTests {
    let directory: String
    let journal: String
    let agent = "cmd:python3 " + Fixtures.repositoryRoot + "/tools/agents/example_agent.py"

    init() throws {
        directory = NSTemporaryDirectory() + "planj-runner-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        journal = directory + "/j.sqlite"
    }

    @discardableResult
    func planj(_ arguments: String..., environment: [String: String] = [:]) async throws -> PlanjBinary.Result {
        try await PlanjBinary.run(["--journal", journal] + arguments, in: directory, environment: environment)
    }

    func runID(_ json: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return try #require(object?["run"] as? String)
    }

    /// A replay from a seq the run does not have, or after its end, is refused before a fork is made.
    @Test func aReplayFromOutsideTheRunLeavesNoFork() async throws {
        #expect(try await planj("run", "--goal", "one", "--planner", "demo", "--executor", "demo", "--run-id", "orig", "--quiet").status == 0)
        let count = try Journal(path: journal).run("orig").events
        for from in ["0", "1", String(count + 1), String(count + 5)] {
            let r = try await planj("replay", "orig", "--from", from, "--executor", "demo", "--quiet")
            #expect(r.status == 2, "--from \(from): \(r.stderr)")
        }
        #expect(try Journal(path: journal).runs().count == 1)
        // The audit view, too, starts only at a seq the run has.
        let past = try await planj("replay", "orig", "--at", String(count + 1))
        #expect(past.status == 2 && past.stderr.contains("the run has \(count) events"))
        // Options of re-execution without --executor, or of the audit with it, are refused (they
        // were ignored: a "replay from 3" printed the audit from seq 1).
        for options in [["--from", "3"], ["--as", "x"], ["--max-steps", "2"], ["--override", "a=f"]] {
            let r = try await PlanjBinary.run(["--journal", journal, "replay", "orig"] + options, in: directory)
            #expect(r.status == 2 && r.stderr.contains("\(options[0]) re-executes the run: give --executor too"), "\(options)")
        }
        let atWithExecutor = try await planj("replay", "orig", "--executor", "demo", "--at", "3")
        #expect(atWithExecutor.status == 2 && atWithExecutor.stderr.contains("--at is for stepping through a recording"))
        // A check made once the command runs is its usage error, not the top-level usage line.
        let all = try await planj("replay", "--all")
        #expect(all.status == 2 && all.stderr == "planj: error: --all needs --executor\n", "\(all.stderr)")
        let noStep = try await planj("replay", "orig", "--step", "nosuch")
        #expect(noStep.status == 2 && noStep.stderr.contains("--step nosuch: no event of the run names this step"))
        #expect(try Journal(path: journal).runs().count == 1)
    }

    /// `--run-id` of a run that exists is a conflict (exit status 4), not an invalid event.
    @Test func aRunIDThatExistsIsAConflict() async throws {
        #expect(try await planj("run", "--goal", "one", "--planner", "demo", "--executor", "demo", "--run-id", "taken", "--quiet").status == 0)
        let again = try await planj("run", "--goal", "two", "--planner", "demo", "--executor", "demo", "--run-id", "taken", "--quiet")
        #expect(again.status == 4 && again.stderr.contains("a run with this id already exists"), "\(again.stderr)")
    }

    /// An executor that dies on its first step is started again for the next attempt; a planner
    /// that ignores the end of its input does not outlive the run.
    @Test func aDeadAgentIsStartedAgainAndNoAgentOutlivesTheRun() async throws {
        let marker = directory + "/died-once"
        let pidFile = directory + "/planner.pid"
        let planner = """
            import json, os, sys, time
            open('\(pidFile)', 'w').write(str(os.getpid()))
            for line in sys.stdin:
                r = json.loads(line)
                print(json.dumps({"id": r["id"], "result": {"steps": [{"id": "a", "description": "a step"}]}}), flush=True)
            while True: time.sleep(1)
            """
        let executor = """
            import json, os, signal, sys
            for line in sys.stdin:
                r = json.loads(line)
                if not os.path.exists('\(marker)'):
                    open('\(marker)', 'w').close()
                    os.kill(os.getpid(), signal.SIGKILL)
                print(json.dumps({"id": r["id"], "result": {"output": "done"}}), flush=True)
            """
        try planner.write(toFile: directory + "/planner.py", atomically: true, encoding: .utf8)
        try executor.write(toFile: directory + "/executor.py", atomically: true, encoding: .utf8)
        let run = try await planj(
            "run", "--goal", "survive a crash", "--planner", "cmd:python3 \(directory)/planner.py",
            "--executor", "cmd:python3 \(directory)/executor.py", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("was killed by signal 9 (SIGKILL): starting it again"))
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8)))
        #expect(kill(pid, 0) == -1, "the planner still runs")
    }

    @Test func theDemoRecordsOverlapAFailureAReplanAndAnApprovalAndVerifies() async throws {
        let demo = try await planj("demo", "--json", "--pace", "0.5")
        #expect(demo.status == 0, "\(demo.stderr)")
        let run = try runID(demo.stdout)
        #expect(try await planj("verify", run).status == 0)
        let events = try Journal(path: journal).events(of: run)
        // The three fetches overlap: all start before any completes.
        let fetches = ["fetch_sqlite", "fetch_duckdb", "fetch_rocksdb"]
        let starts = events.filter { $0.kind == "step.started" && fetches.contains($0.dataString("step_id") ?? "") }
        let firstEnd = try #require(
            events.first { ["step.completed", "step.failed"].contains($0.kind) && fetches.contains($0.dataString("step_id") ?? "") })
        #expect(starts.prefix(3).allSatisfy { $0.seq < firstEnd.seq })
        #expect(starts.prefix(3).count == 3)
        #expect(events.contains { $0.kind == "step.failed" && $0.dataString("step_id") == "fetch_rocksdb" })
        #expect(events.contains { $0.kind == "replan.triggered" })
        #expect(events.contains { $0.kind == "plan.revised" })
        #expect(events.contains { $0.kind == "approval.resolved" && $0.actor == "policy" })
        #expect(events.last?.dataString("status") == "succeeded")
        let show = try await planj("show", run)
        #expect(show.stdout.contains("fetch_rocksdb_archive") && show.stdout.contains("removed"))
    }

    @Test func aRunWithAPythonPlannerAndExecutorOverTheSubprocessProtocol() async throws {
        let result = try await planj(
            "run", "--goal", "count the words of this goal please", "--planner", agent, "--executor", agent,
            "--reviewer", agent, "--analyzer", agent, "--judge", agent, "--json",
            environment: ["EXAMPLE_AGENT_FAIL": "count_first_half"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["final_answer"] as? String == "7")
        let run = try runID(result.stdout)
        let state = try Journal(path: journal).state(of: run)
        #expect(state.reviews.map(\.verdict) == ["approved", "approved"])
        #expect(state.step("count_first_half")?.status == .removed)
        #expect(state.step("count_first_half_retry")?.status == .completed)
        #expect(state.totals.toolCalls == 2)
        #expect(state.steps.filter { $0.status == .completed }.allSatisfy { $0.matchesExpected == true })
        #expect(result.stderr.contains("count_first_half failed (attempt 2)"))
        let analyzed = try Journal(path: journal).events(of: run).first { $0.kind == "goal.analyzed" }
        #expect(analyzed?.dataString("summary") == "count words for: count the words of this goal please")
        #expect(analyzed?.seq == 2)
    }

    @Test func badSpecsAreUsageErrors() async throws {
        let result = try await planj("run", "--goal", "g", "--planner", "gpt4", "--executor", "demo")
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown adapter 'gpt4'"))
        let missing = try await planj("run", "--goal", "g", "--planner", "cmd:/nonexistent/agent", "--executor", "demo")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("planj: error: cannot find the program /nonexistent/agent"))
    }

    /// An executor's output that is JSON other than a string (an object, a number) is recorded as
    /// that JSON, and a replay of the recording gives it back the same.
    @Test func structuredOutputsAreRecordedAsTheJSONTheyAre() async throws {
        let script = directory + "/structured.py"
        try #"""
            import json, sys
            for line in sys.stdin:
                r = json.loads(line)
                if r["method"] == "plan":
                    result = {"steps": [{"id": "count"}, {"id": "ratio", "depends_on": ["count"]}]}
                else:
                    result = {"output": {"n": 3, "words": ["a", "b"]}} if r["params"]["step"]["id"] == "count" else {"output": 0.30000000000000004}
                print(json.dumps({"id": r["id"], "result": result}), flush=True)
            """#.write(toFile: script, atomically: true, encoding: .utf8)
        let agent = "cmd:python3 " + script
        let ran = try await planj("run", "--goal", "g", "--planner", agent, "--executor", agent, "--run-id", "typed", "--quiet")
        #expect(ran.status == 0, "\(ran.stderr)")
        let recorded = try await planj("events", "typed", "--kind", "step.completed").stdout
        #expect(recorded.contains(#""output":{"n":3,"words":["a","b"]}"#) && recorded.contains(#""output":0.30000000000000004"#), "\(recorded)")
        let replay = try await planj("replay", "typed", "--executor", "recorded", "--as", "typed-again", "--quiet")
        #expect(replay.status == 0, "\(replay.stderr)")
        let again = try await planj("events", "typed-again", "--kind", "step.completed").stdout
        #expect(again.contains(#""output":{"n":3,"words":["a","b"]}"#) && again.contains(#""output":0.30000000000000004"#), "\(again)")
    }

    /// A planner program that dies once is started again and asked again (as `--max-attempts`
    /// allows), rather than ending the run for good.
    @Test func aPlannerThatDiesOnceIsAskedAgain() async throws {
        let script = directory + "/dies-once.py"
        let marker = directory + "/died"
        try """
            import json, os, sys
            for line in sys.stdin:
                r = json.loads(line)
                if not os.path.exists('\(marker)'):
                    open('\(marker)', 'w').close()
                    sys.exit(3)
                print(json.dumps({"id": r["id"], "result": {"steps": [{"id": "only", "description": "do it"}]}}), flush=True)
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let ran = try await planj("run", "--goal", "g", "--planner", "cmd:python3 " + script, "--executor", "demo", "--quiet")
        #expect(ran.status == 0, "\(ran.stdout)\(ran.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test func aPlannerThatDiesIsNamedWithItsExitStatusInTheSummary() async throws {
        let script = directory + "/dies.py"
        try "import sys\nsys.stdin.readline()\nsys.exit(3)\n".write(toFile: script, atomically: true, encoding: .utf8)
        let text = try await planj("run", "--goal", "g", "--planner", "cmd:python3 " + script, "--executor", "demo", "--quiet")
        #expect(text.status == 1)
        #expect(text.stdout.contains("failed (stopped by planner_error)"))
        #expect(text.stdout.contains("error: subprocess: planner (python3 \(script)) exited with status 3"), "\(text.stdout)")
        let json = try await planj("run", "--goal", "g", "--planner", "cmd:python3 " + script, "--executor", "demo", "--json")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        #expect(error?["type"] as? String == "subprocess")
        #expect((error?["message"] as? String)?.contains("status 3") == true)
    }

    /// Starts `planj run` of the demo agent in ask mode (its publish step is gated) and returns
    /// once the run waits for a human, with the process and its standard output.
    private func demoWaitingForApproval(_ run: String) async throws -> (TestProcess, Pipe) {
        let p = try PlanjBinary.process(
            ["--journal", journal, "run", "--goal", "g", "--planner", "demo", "--executor", "demo", "--approve", "ask",
             "--run-id", run, "--json", "--quiet"], in: directory)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let j = try Journal(path: journal)
        for _ in 0..<300 {
            if (try? j.events(of: run))?.contains(where: { $0.kind == "approval.requested" }) == true { return (p, out) }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("run \(run) never asked for an approval")
        return (p, out)
    }

    @Test func askModeWaitsForPlanjApproveFromAnotherProcess() async throws {
        let (p, out) = try await demoWaitingForApproval("ask1")
        let j = try Journal(path: journal)
        // A step that is not waiting is a conflict with the run's state, as a completed run is.
        let wrongStep = try await planj("approve", "ask1", "--step", "gather")
        #expect(wrongStep.status == 4 && wrongStep.stderr.contains("is not waiting for an approval of step gather (open: publish)"))
        let nobody = try await planj("approve", "ask1", "--as", "")
        #expect(nobody.status == 2 && nobody.stderr.contains("--as needs a name"))
        let approve = try await planj("approve", "ask1", "--comment", "ship it", "--as", "ana")
        #expect(approve.status == 0, "\(approve.stderr)")
        #expect(approve.stdout.contains("granted step publish of run ask1"))
        let output = await out.readAll()
        await p.exited()
        #expect(p.terminationStatus == 0)
        #expect(String(decoding: output, as: UTF8.self).contains("\"succeeded\""))
        let approvals = try j.state(of: "ask1").approvals
        #expect(approvals.last.map { "\($0.decision) \($0.actor ?? "")" } == "granted human:ana")
        let again = try await planj("approve", "ask1")
        #expect(again.status == 4 && again.stderr.contains("run ask1 has completed (succeeded); nothing to approve"), "\(again.stderr)")
        let againJSON = try await planj("approve", "ask1", "--json")
        #expect(againJSON.status == 4 && againJSON.stderr.contains("\"runtime.already_completed\""), "\(againJSON.stderr)")
        let watch = try await planj("watch", "ask1")
        #expect(watch.status == 0)
        #expect(watch.stdout.contains("✓ publish [completed]") && watch.stdout.contains("run succeeded"))
    }

    /// `planj cancel` from another process stops a run waiting for an approval; a run nobody
    /// drives (killed) is completed as cancelled by the command itself.
    @Test func cancelStopsARunWhereverItIsDriven() async throws {
        let (p, out) = try await demoWaitingForApproval("c1")
        let j = try Journal(path: journal)
        let cancel = try await planj("cancel", "c1", "--reason", "wrong goal", "--as", "ana")
        #expect(cancel.status == 0 && cancel.stdout.contains("asked to cancel run c1"), "\(cancel.stderr)")
        let output = String(decoding: await out.readAll(), as: UTF8.self)
        await p.exited()
        #expect(p.terminationStatus == 1)
        #expect(output.contains("\"cancelled\"") && output.contains("cancelled by human:ana: wrong goal"))
        #expect(try j.state(of: "c1").step("publish")?.status == .skipped)
        let again = try await planj("cancel", "c1", "--json")
        #expect(again.status == 4 && again.stderr.contains("has completed (cancelled)"), "\(again.stderr)")
        #expect(again.stderr.contains("\"runtime.already_completed\""), "\(again.stderr)")
        // Resuming it is the same error, with the same exit status.
        let resumed = try await planj("resume", "c1", "--json")
        #expect(resumed.status == 4 && resumed.stderr.contains("\"runtime.already_completed\""), "\(resumed.stderr)")

        // A run whose process is gone: c1 as it was when it asked for the approval.
        let asked = try #require(try j.events(of: "c1").first { $0.kind == "approval.requested" })
        _ = try j.fork("c1", at: asked.seq, as: "c2")
        // And a run another agent writes, which is that agent's to complete.
        _ = try await j.append(Array(try RunBuilder.complete(run: "ext", steps: 2).events.prefix(4)), to: "ext", expecting: .noRun)
        try j.close()
        let external = try await planj("cancel", "ext", "--json")
        #expect(external.status == 0 && external.stdout.contains("\"completed_here\":false"))
        #expect(external.stdout.contains("\"driven_by_planj\":false"))
        #expect(try Journal(path: journal).state(of: "ext").status == "running")
        let undriven = try await planj("cancel", "c2", "--json")
        #expect(undriven.status == 0, "\(undriven.stderr)")
        #expect(undriven.stdout.contains("\"completed_here\":true"))
        let state = try Journal(path: journal).state(of: "c2")
        #expect(state.status == "cancelled" && state.step("publish")?.status == .skipped)
    }

    /// `watch --wait` started before the run follows it once an agent starts it; without
    /// `--wait` an unknown run is an error at once.
    @Test func watchWaitsForARunThatHasNotStartedYet() async throws {
        #expect(try await planj("watch", "later").status == 5)
        // An interval of 0 (or less) looked for events in a loop that kept a core busy.
        for bad in ["0", "-100", "5"] { #expect(try await planj("watch", "later", "--wait", "--interval=\(bad)").status == 2) }
        let w = try PlanjBinary.process(["--journal", journal, "watch", "later", "--wait", "--json", "--interval", "20"], in: directory)
        let out = Pipe()
        w.standardOutput = out
        w.standardError = Pipe()
        try w.run()
        try await Task.sleep(for: .milliseconds(300))
        let events = try RunBuilder.complete(run: "later", steps: 1).jsonl
        let fed = try await PlanjBinary.run(["--journal", journal, "ingest", "-"], in: directory, stdin: events)
        #expect(fed.status == 0)
        let output = await out.readAll()
        await w.exited()
        #expect(w.terminationStatus == 0)
        #expect(String(decoding: output, as: UTF8.self).split(separator: "\n").count == events.split(separator: "\n").count)
    }

    /// `planj run` of the example agent as run `id`, once its second step has started: that step
    /// hangs (EXAMPLE_AGENT_STALL) until the process is killed, however slow the machine.
    private func stalledRun(_ id: String) async throws -> (process: TestProcess, errors: Pipe) {
        let p = try PlanjBinary.process(
            ["--journal", journal, "run", "--goal", "one two three four five six", "--planner", agent, "--executor", agent,
             "--run-id", id, "--parallel", "1", "--quiet"], in: directory,
            environment: ["EXAMPLE_AGENT_STALL": "count_second_half"])
        let errors = Pipe()
        p.standardOutput = Pipe()
        p.standardError = errors
        try p.run()
        let j = try Journal(path: journal)
        var stalled = false
        for _ in 0..<1500 where !stalled {
            stalled = (try? j.events(of: id))?.contains {
                $0.kind == "step.started" && $0.dataString("step_id") == "count_second_half"
            } == true
            if !stalled { try await Task.sleep(for: .milliseconds(20)) }
        }
        if !stalled {
            // The callers signal the process: not once it has ended (its pid may be another's).
            if p.isRunning { p.terminate() }
            try #require(stalled, "the run's second step never started")
        }
        return (p, errors)
    }

    @Test func aKilledRunIsFinishedByResumeWithEveryStepCompletedOnce() async throws {
        let p = try await stalledRun("killed").process
        p.signal(SIGKILL)
        await p.exited()
        let j = try Journal(path: journal)
        #expect(try j.state(of: "killed").endedAt == nil)
        let resumed = try await planj("resume", "killed", "--json")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let events = try j.events(of: "killed")
        let completions = events.filter { $0.kind == "step.completed" }.compactMap { $0.dataString("step_id") }
        #expect(completions.sorted() == ["count_first_half", "count_second_half", "total"])
        #expect(try j.state(of: "killed").finalAnswer == "6")
        #expect(events.contains { $0.kind == "note" && $0.dataString("message") == "resumed" })
        #expect(try await planj("verify", "killed").status == 0)
    }

    /// SIGTERM (a service manager stopping planj) leaves the run resumable, as a crash would,
    /// with its agent programs stopped; Ctrl-C is what cancels a run.
    @Test(.timeLimit(.minutes(1))) func sigtermLeavesTheRunResumable() async throws {
        let (p, errors) = try await stalledRun("termed")
        p.signal(SIGTERM)
        await p.exited()
        // (Read to its end: an agent left running would hold it open.)
        let stderr = String(decoding: await errors.readAll(), as: UTF8.self)
        #expect(p.terminationStatus == 143 && stderr.contains("planj resume RUN"), "\(stderr)")
        #expect(!stderr.contains("starting it again") && !stderr.contains("error"), "\(stderr)")
        let j = try Journal(path: journal)
        #expect(try j.state(of: "termed").endedAt == nil)
        let resumed = try await planj("resume", "termed", "--json")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try j.state(of: "termed").finalAnswer == "6")
        #expect(try await planj("verify", "termed").status == 0)
    }

    @Test func replayAuditsARunAndReexecutesItAsAForkThatDiffAgreesWith() async throws {
        let run = try runID(try await planj("demo", "--json", "--pace", "0", "--quiet").stdout)
        let audit = try await planj("replay", run, "--json")
        #expect(audit.status == 0)
        let entries = audit.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(entries.count == 53)
        let started = entries.first { $0["kind"] as? String == "step.started" }
        #expect((started?["steps"] as? [String: Any])?["gather"] != nil)
        // Each entry names the step its event names (a call's too, which changes no status).
        let call = entries.first { $0["kind"] as? String == "call.tool" }
        #expect(call?["step_id"] as? String != nil && started?["step_id"] as? String == "gather")
        #expect(entries.first?["step_id"] == nil)
        let fork = try await planj("replay", run, "--executor", "recorded", "--json", "--quiet")
        #expect(fork.status == 0, "\(fork.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(fork.stdout.utf8)) as? [String: Any]
        let forkID = try #require(object?["fork"] as? String)
        #expect(forkID == run + ".replay-1")
        let diff = try await planj("diff", run, forkID, "--json")
        #expect(diff.status == 0)
        let md = try await planj("diff", run, forkID, "--md")
        #expect(md.stdout.contains("| STEP |") && md.stdout.contains("no divergence"))
        // A fork from a step with a live executor: the demo again, so it agrees too.
        let live = try await planj("replay", run, "--executor", "demo", "--from-step", "compare", "--quiet")
        #expect(live.status == 0, "\(live.stdout)\(live.stderr)")
        #expect(live.stdout.contains("fork \(run).replay-2"))
        // A what-if output from a file written with `echo` (one line break at its end, not the output's).
        try "RocksDB instead\n".write(toFile: directory + "/what-if.txt", atomically: true, encoding: .utf8)
        let whatIf = try await planj("replay", run, "--executor", "demo", "--override", "compare=what-if.txt", "--as", "w", "--quiet")
        #expect(whatIf.status == 1, "\(whatIf.stderr)")
        let compared = try Journal(path: journal).events(of: "w").first { $0.kind == "step.completed" && $0.dataString("step_id") == "compare" }
        #expect(compared?.dataString("output") == "RocksDB instead" && compared?.dataString("source") == "override")
        // A step the run never had is named as the option's mistake, with the steps it has.
        let typo = try await planj("replay", run, "--executor", "demo", "--override", "compar=what-if.txt", "--quiet")
        #expect(typo.status == 2 && typo.stderr.contains("--override compar=…: run \(run) has no step compar (its steps: "), "\(typo.stderr)")
        #expect(typo.stderr.contains("compare"))
        let recordedWhatIf = try await planj("replay", run, "--executor", "recorded", "--override", "compare=what-if.txt", "--quiet")
        #expect(recordedWhatIf.stderr.contains("keep their recorded outputs"), "\(recordedWhatIf.stderr)")
        let all = try await planj("replay", "--all", "--executor", "recorded", "--json", "--quiet")
        #expect(all.status == 0, "\(all.stderr)")
        let outcomes = try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]]
        #expect(outcomes?.count == 1 && outcomes?.first?["agree"] as? Bool == true)
        #expect(outcomes?.first?["newly_failing"] as? Int == 0 && outcomes?.first?["fork_status"] as? String == "succeeded")
        // A run still being written is skipped, saying why (it has no outcome to compare with).
        let open = try await planj("events", run, "--to", "12").stdout.replacingOccurrences(of: "\"run\":\"\(run)\"", with: #""run":"open""#)
        #expect(try await PlanjBinary.run(["--journal", journal, "ingest", "-"], in: directory, stdin: open).status == 0)
        let withOpen = try await planj("replay", "--all", "--executor", "recorded", "--quiet")
        #expect(withOpen.status == 0 && withOpen.stdout.contains("1 run re-executed: 1 agree, 0 differ; 1 skipped"), "\(withOpen.stdout)")
        #expect(withOpen.stderr.contains("open skipped: still running"), "\(withOpen.stderr)")
        let other = try await planj("run", "--goal", "a b c", "--planner", agent, "--executor", agent, "--json", "--quiet")
        let differs = try await planj("diff", run, try runID(other.stdout))
        #expect(differs.status == 1)
        #expect(differs.stdout.contains("only_in_a") && differs.stdout.contains("only_in_b"))
    }

    @Test func theInteractiveReplayStepsJumpsAndSearches() async throws {
        let run = try runID(try await planj("demo", "--json", "--pace", "0", "--quiet").stdout)
        let browse = try await PlanjBinary.run(
            ["--journal", journal, "replay", run, "--interactive"], in: directory,
            stdin: "n\ns compare\np\ng 31\n/plan.revised\nbogus\nq\n")
        #expect(browse.status == 0)
        let headers = browse.stdout.split(separator: "\n").filter { $0.hasPrefix("── event ") }.map { $0.split(separator: ":")[0] }
        #expect(headers == ["── event 1 of 53", "── event 2 of 53", "── event 41 of 53", "── event 40 of 53", "── event 31 of 53", "── event 33 of 53"])
        #expect(browse.stdout.contains("✓ gather [completed]"))
    }
}
