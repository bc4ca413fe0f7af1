import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// `planj run` with a `cmd:` executor that is busy (it does not read its input) while requests
/// larger than its input pipe holds wait for it: `--timeout` and `planj cancel` still stop the run.
/// The waiting writes used to block threads of Swift's cooperative pool, one each; with more of
/// them than the machine has cores, nothing else ran (the run's timer, its look for a cancel in
/// the journal, the run itself), and planj waited for the agent for ever.
@Suite(.serialized, .timeLimit(.minutes(1))) struct BusyAgentTests {
    let sandbox: PlanjSandbox
    /// More steps than the cooperative pool has threads, each with 100 KB of args.
    let steps = max(4, ProcessInfo.processInfo.activeProcessorCount + 2)

    init() throws {
        sandbox = try PlanjSandbox("planj-busy")
        // Plans STEPS independent steps with large args; its first execute request keeps it busy
        // (it never reads another), and it leaves on its own after 30 s, should planj be killed.
        try """
            import json, os, sys, time
            with open('agents.pid', 'a') as f: f.write(f'{os.getpid()}\\n')
            for line in sys.stdin:
                r = json.loads(line)
                if r['method'] == 'execute':
                    open('busy', 'w').close()
                    time.sleep(30)
                    os._exit(0)
                steps = [{'id': f's{k}', 'args': {'blob': 'x' * 100000}} for k in range(int(os.environ['STEPS']))]
                print(json.dumps({'id': r['id'], 'result': {'steps': steps}}), flush=True)
            """.write(toFile: sandbox.path("agent.py"), atomically: true, encoding: .utf8)
    }

    /// `--timeout 1` ends the run about a second in, as `timeout`.
    @Test func theTimeoutStopsARunWhoseAgentIsBusy() async throws {
        let p = try start(["--run-id", "late", "--timeout", "1", "--json"])
        let result = try await waitForEnd(p, upTo: .seconds(12))
        let output = try #require(result, "planj run was still running after 12 s (--timeout 1)")
        let summary = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        #expect(summary?["stopped_by"] as? String == "timeout", "\(output)")
        // From the run's start to its end, as journaled.
        let events = try Journal(path: sandbox.journal).events(of: "late")
        let took = Double(try #require(events.last).ts.microseconds - events[0].ts.microseconds) / 1e6
        #expect(took < 3, "the run took \(took) s (--timeout 1)")
    }

    /// `planj cancel` ends the run at once.
    @Test func planjCancelStopsARunWhoseAgentIsBusy() async throws {
        let p = try start(["--run-id", "cancelled", "--json"])
        // The agent took its first request; the others wait for it.
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: sandbox.path("busy")) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))
        let cancel = try await sandbox.planj("cancel", "cancelled")
        #expect(cancel.status == 0, "\(cancel.stderr)")
        let result = try await waitForEnd(p, upTo: .seconds(12))
        let output = try #require(result, "planj run was still running 12 s after planj cancel")
        #expect(p.terminationStatus == 1)
        #expect(output.contains("\"cancelled\""), "\(output)")
        let journal = try Journal(path: sandbox.journal)
        #expect(try journal.state(of: "cancelled").status == "cancelled")
        // From the note asking for it to the run's end, as journaled.
        let events = try journal.events(of: "cancelled")
        let note = try #require(events.first { $0.knownKind == .note && $0.data("cancel") != nil })
        let took = Double(try #require(events.last).ts.microseconds - note.ts.microseconds) / 1e6
        #expect(took < 2, "the run ended \(took) s after planj cancel")
    }

    /// `planj run` with the agent as planner and executor, started.
    func start(_ options: [String]) throws -> TestProcess {
        let agent = "cmd:python3 agent.py"
        let p = try PlanjBinary.process(
            ["--journal", sandbox.journal, "run", "--goal", "g", "--planner", agent, "--executor", agent, "--parallel", String(steps),
             "--quiet"] + options, in: sandbox.directory, environment: ["STEPS": String(steps)])
        p.standardOutput = Pipe()
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// What `p` printed, once it has ended; `nil` (`p` and its agents killed) if it runs for longer
    /// than `limit`.
    func waitForEnd(_ p: TestProcess, upTo limit: Duration) async throws -> String? {
        let deadline = ContinuousClock.now + limit
        while p.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning {
            p.signal(SIGKILL)
            await p.exited()
            killAgents()
            return nil
        }
        await p.exited()
        let out = await (p.standardOutput as? Pipe)?.readAll() ?? Data()
        return String(decoding: out, as: UTF8.self)
    }

    /// Kills the agents a killed planj left behind (in process groups of their own).
    func killAgents() {
        let pids = (try? String(contentsOfFile: sandbox.path("agents.pid"), encoding: .utf8)) ?? ""
        for pid in pids.split(separator: "\n").compactMap({ pid_t($0) }) { ProcessTable.kill(pid, ifItRuns: ["agent.py"]) }
    }
}
