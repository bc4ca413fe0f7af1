import Foundation
import PlanJournalCore
import PlanJournalTestSupport
@testable import PlanJournalRuntime
import Testing

/// How stopping a program goes when it does not cooperate, with real child processes.
@Suite(.timeLimit(.minutes(1))) struct SubprocessStopTests {
    /// A program that reads one request, then sleeps without reading while a request larger than
    /// its input pipe holds waits to be written, is stopped at once, and the waiting call fails.
    /// `stop()` used to wait for that write (which held the lock closing the input takes), and so
    /// did SIGTERM's handler (``SubprocessChannel/stopAllForGood()``): planj never ended. A child
    /// of the program keeps the pipe open after the program dies, so only closing the input can
    /// end the write.
    @Test func stopDoesNotWaitForAWriteTheProgramDoesNotRead() async throws {
        let script = """
            import json, subprocess, sys, time
            r = json.loads(sys.stdin.readline())
            child = subprocess.Popen(['sleep', '60'])
            print(json.dumps({'id': r['id'], 'result': {'child': child.pid}}), flush=True)
            time.sleep(60)
            """
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        let child = try #require(try await channel.call("plan", .record([:]))["child"]?.int64Value)
        let program = channel.pid
        let unblock = {
            ProcessTable.kill(pid_t(child), ifItRuns: ["sleep"])
            ProcessTable.kill(program, ifItRuns: ["python3"])
        }
        defer { unblock() }
        let request = JSONValue.record(["text": .string(String(repeating: "x", count: 300_000))])
        let call = Task { try await channel.call("execute", request) }
        // Once part of the request is in the pipe, the rest waits for a read that never comes.
        try await Self.waitForUnreadInput(of: program)

        let done = DispatchSemaphore(value: 0)
        let stopper = Thread {
            channel.stop(grace: .milliseconds(100))
            done.signal()
        }
        stopper.start()
        var stopped = false
        let deadline = ContinuousClock.now + .seconds(5)
        while !stopped && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            stopped = done.wait(timeout: .now()) == .success
        }
        #expect(stopped, "stop() waits for a write the program does not read")
        // (Then only the end of both processes frees the write, and stop().)
        if !stopped { unblock() }
        await #expect(throws: RuntimeError.self) { _ = try await call.value }
    }

    /// What a program starts ends with it: `sh -c 'sleep 300 & exec agent'` used to leave the
    /// `sleep` running after the run. Here the agent ends with its input, leaving a child that
    /// ignores SIGTERM (the shell ignores it for the child): what is left of the agent's process
    /// group gets SIGTERM, then SIGKILL, before the agent is reaped.
    @Test func whatAProgramStartedEndsWithIt() async throws {
        let pidFile = NSTemporaryDirectory() + "planj-grandchild-\(UUID().uuidString).pid"
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let agent = "import json, sys\nfor line in sys.stdin: print(json.dumps({'id': json.loads(line)['id'], 'result': {}}), flush=True)"
        let channel = try SubprocessChannel(arguments: [
            "sh", "-c", "trap '' TERM; sleep 300 & echo $! > \(pidFile); exec python3 -c \"$0\"", agent,
        ])
        _ = try await channel.call("ping", .record([:]))
        let child = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { ProcessTable.kill(child, ifItRuns: ["sleep"]) }
        channel.stop(grace: .milliseconds(100))
        #expect(channel.ending?.contains("exited with status 0") == true, "\(channel.ending ?? "")")
        #expect(Self.hasEnded(child), "the program's child still runs")
    }

    /// A program that ignores the end of its input and SIGTERM, and whose child does too, is
    /// stopped with its child: the signals go to its process group.
    @Test func aStubbornProgramIsStoppedWithItsChild() async throws {
        let script = """
            import json, signal, subprocess, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            child = subprocess.Popen(['sleep', '300'])
            r = json.loads(sys.stdin.readline())
            print(json.dumps({'id': r['id'], 'result': {'child': child.pid}}), flush=True)
            while True: time.sleep(1)
            """
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        let child = pid_t(try #require(try await channel.call("plan", .record([:]))["child"]?.int64Value))
        defer { ProcessTable.kill(child, ifItRuns: ["sleep"]) }
        channel.stop(grace: .milliseconds(100))
        #expect(channel.ending?.contains("was killed by signal 9") == true)
        #expect(Self.hasEnded(child), "the program's child still runs")
    }

    /// Whether process `pid` has ended (it is gone, or a zombie whose parent has not reaped it
    /// yet), waiting up to 2 s for it.
    static func hasEnded(_ pid: pid_t) -> Bool {
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return true }
            if stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
            usleep(10_000)
        }
        return false
    }

    /// Waits (up to 10 s) until the standard input pipe of process `pid` holds bytes it has not read.
    private static func waitForUnreadInput(of pid: pid_t) async throws {
        // Another read end of the same pipe, which only asks how much the pipe holds.
        let fd = open("/proc/\(pid)/fd/0", O_RDONLY | O_NONBLOCK)
        try #require(fd >= 0, "cannot open the input of process \(pid)")
        defer { close(fd) }
        let deadline = ContinuousClock.now + .seconds(10)
        var unread: Int32 = 0
        while ContinuousClock.now < deadline {
            if ioctl(fd, UInt(FIONREAD), &unread) == 0 && unread > 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("process \(pid) was not sent its request")
    }
}
