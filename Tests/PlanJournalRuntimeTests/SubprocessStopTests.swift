import Foundation
import PlanJournalCore
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
            kill(pid_t(child), SIGKILL)
            kill(program, SIGKILL)
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
