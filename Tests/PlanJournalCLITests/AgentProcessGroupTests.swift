import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// `planj run` and the processes its `cmd:` agents start: each agent leads a process group of its
/// own, which planj ends with it, on Ctrl-C (once or twice), and at the run's end.
@Suite(.serialized, .timeLimit(.minutes(1))) struct AgentProcessGroupTests {
    let sandbox: PlanjSandbox

    init() throws {
        sandbox = try PlanjSandbox("planj-groups")
        // Plans one step, never answers its execution, and fails other calls; with STUBBORN set,
        // ignores SIGTERM and the end of its input.
        try """
            import json, os, signal, sys, time
            if os.environ.get('STUBBORN'): signal.signal(signal.SIGTERM, signal.SIG_IGN)
            for line in sys.stdin:
                r = json.loads(line)
                if r['method'] == 'execute': continue
                reply = {'steps': [{'id': 'slow'}]} if r['method'] == 'plan' else None
                error = None if reply else {'type': 'unknown', 'message': 'no ' + r['method']}
                print(json.dumps({'id': r['id'], 'result': reply, 'error': error}), flush=True)
            while os.environ.get('STUBBORN'): time.sleep(1)
            """.write(toFile: sandbox.path("agent.py"), atomically: true, encoding: .utf8)
    }

    /// An agent whose shell starts `sleep 300` beside it (ignoring SIGTERM, with STUBBORN), its
    /// own pid and the sleep's written to `NAME.pid` and `NAME.child`.
    func agent(_ name: String) -> String {
        let trap = "if [ -n \"$STUBBORN\" ]; then trap '' TERM; fi"
        return "cmd:sh -c '\(trap); sleep 300 & echo $! > \(name).child; echo $$ > \(name).pid; exec python3 agent.py'"
    }

    /// The pids an agent wrote, once it has written them.
    func pids(_ name: String) async throws -> [pid_t] {
        var pids: [pid_t] = []
        for _ in 0..<500 where pids.count < 2 {
            pids = [name + ".pid", name + ".child"].compactMap {
                (try? String(contentsOfFile: sandbox.path($0), encoding: .utf8)).flatMap {
                    pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            if pids.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(pids.count == 2, "the agent \(name) did not start")
        return pids
    }

    /// `planj run` with the agent as planner and executor, its step started.
    func startedRun(_ id: String, environment: [String: String] = [:]) async throws -> (TestProcess, Pipe) {
        let p = try PlanjBinary.process(
            ["--journal", sandbox.journal, "run", "--goal", "g", "--planner", agent("planner"), "--executor", agent("executor"),
             "--run-id", id, "--quiet"], in: sandbox.directory, environment: environment)
        let errors = Pipe()
        p.standardOutput = Pipe()
        p.standardError = errors
        try p.run()
        let journal = try Journal(path: sandbox.journal)
        var started = false
        for _ in 0..<1500 where !started {
            started = (try? journal.events(of: id))?.contains { $0.kind == "step.started" } == true
            if !started { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(started)
        return (p, errors)
    }

    /// Ctrl-C cancels the run and stops its agents and what they started (the terminal's Ctrl-C
    /// reaches planj only: the agents are in process groups of their own).
    @Test func ctrlCStopsTheAgentsAndTheirChildren() async throws {
        let (p, _) = try await startedRun("interrupted")
        let pids = try await pids("planner") + pids("executor")
        defer { pids.forEach { ProcessTable.kill($0, ifItRuns: ["agent.py", "sleep"]) } }
        p.signal(SIGINT)
        await p.exited()
        #expect(p.terminationStatus == 1)
        for pid in pids { #expect(hasEnded(pid), "process \(pid) still runs") }
    }

    /// A second Ctrl-C quits at once, killing agents that ignore their input's end and SIGTERM,
    /// and their children, which planj would otherwise still be waiting for.
    @Test func aSecondCtrlCKillsStubbornAgentsAndTheirChildren() async throws {
        let (p, errors) = try await startedRun("quit", environment: ["STUBBORN": "1"])
        let pids = try await pids("planner") + pids("executor")
        defer { pids.forEach { ProcessTable.kill($0, ifItRuns: ["agent.py", "sleep"]) } }
        p.signal(SIGINT)
        // Once planj has taken the first.
        var said = ""
        while !said.contains("Ctrl-C again") {
            let chunk = await errors.nextBytes()
            try #require(!chunk.isEmpty, "planj ended: \(said)")
            said += String(decoding: chunk, as: UTF8.self)
        }
        p.signal(SIGINT)
        await p.exited()
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGINT)
        for pid in pids { #expect(hasEnded(pid), "process \(pid) still runs") }
    }

    /// Agents that ignore their input's end and SIGTERM are stopped side by side at the run's
    /// end: thirteen of them take about one stop's time (their grace periods, 1 s), not thirteen
    /// or, two by two on two processors, seven.
    @Test func stubbornAgentsAreStoppedSideBySide() async throws {
        let stubborn = "cmd:python3 " + sandbox.path("agent.py")
        let tools = (1...9).flatMap { ["--tool", "t\($0)=\(stubborn)"] }
        let run = try await sandbox.planj(
            ["run", "--goal", "g", "--planner", stubborn, "--executor", "demo", "--reviewer", stubborn, "--judge", stubborn,
             "--analyzer", stubborn, "--run-id", "stubborn", "--quiet"] + tools, environment: ["STUBBORN": "1"])
        let ended = Date().timeIntervalSince1970
        #expect(run.stdout.contains("no analyze"), "\(run.stdout)")
        // From the run's end, as journaled, to planj's.
        let completed = try #require(try Journal(path: sandbox.journal).events(of: "stubborn").last)
        let took = ended - Double(completed.ts.microseconds) / 1e6
        #expect(took < 2.5, "stopping took \(took) s")
    }
}

/// Whether process `pid` has ended (it is gone, or a zombie not reaped yet), waiting up to 2 s.
func hasEnded(_ pid: pid_t) -> Bool {
    let deadline = ContinuousClock.now + .seconds(2)
    while ContinuousClock.now < deadline {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
        else { return true }
        if stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
        usleep(10_000)
    }
    return false
}
