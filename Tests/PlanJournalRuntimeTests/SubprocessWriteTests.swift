import Foundation
import PlanJournalCore
@testable import PlanJournalRuntime
import Synchronization
import Testing

/// How requests are written to a program that does not read them for a while: one at a time,
/// each in its turn, on a queue of the program's own, while their calls wait without holding a
/// thread of the cooperative pool.
@Suite(.timeLimit(.minutes(1))) struct SubprocessWriteTests {
    /// Requests larger than the program's input pipe holds.
    static let large = JSONValue.record(["text": .string(String(repeating: "x", count: 200_000))])

    /// A program that reads nothing (its input pipe full with the first request) and closes its
    /// output fails its calls; those whose requests still waited for their turn were never
    /// written, and may go to another program (``SubprocessChannel/Unread``); the one being
    /// written may not (the program may have read some of it).
    @Test func requestsThatWaitedForTheirTurnWereNotRead() async throws {
        let go = NSTemporaryDirectory() + "planj-go-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: go) }
        // Closes its output once told to (or after 30 s), and ends a second later.
        let script = """
            import os, sys, time
            deadline = time.time() + 30
            while not os.path.exists(sys.argv[1]) and time.time() < deadline: time.sleep(0.01)
            os.close(1)
            time.sleep(1)
            """
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script, go])
        defer { channel.stop(grace: .milliseconds(100)) }
        let calls = (0..<3).map { _ in
            Task {
                do {
                    _ = try await channel.callReportingUnread("execute", Self.large)
                    return false
                } catch {
                    return error is SubprocessChannel.Unread
                }
            }
        }
        // All three sent, the first being written.
        try await Self.wait(channel) { waiting, writing in waiting == 3 && writing == 1 }
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        var unread = 0
        for call in calls { unread += await call.value ? 1 : 0 }
        #expect(unread == 2)
    }

    /// A call cancelled while its request waits for its turn returns at once, and its request is
    /// never written: the program gets the others only.
    @Test func aRequestWhoseCallWasCancelledBeforeItsTurnIsNotWritten() async throws {
        let go = NSTemporaryDirectory() + "planj-go-" + UUID().uuidString
        let seen = NSTemporaryDirectory() + "planj-written-" + UUID().uuidString
        defer { [go, seen].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        // Reads its input once told to (or after 30 s), noting each request's method.
        let script = """
            import json, os, sys, time
            deadline = time.time() + 30
            while not os.path.exists(sys.argv[1]) and time.time() < deadline: time.sleep(0.01)
            for line in sys.stdin:
                r = json.loads(line)
                with open(sys.argv[2], 'a') as f: f.write(r['method'] + '\\n')
                print(json.dumps({'id': r['id'], 'result': {}}), flush=True)
            """
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script, go, seen])
        defer { channel.stop(grace: .milliseconds(100)) }
        let first = Task { try await channel.call("first", Self.large) }
        try await Self.wait(channel) { _, writing in writing == 1 }
        let second = Task { try await channel.call("second", .record([:])) }
        try await Self.wait(channel) { waiting, _ in waiting == 2 }
        second.cancel()
        await #expect(throws: CancellationError.self) { _ = try await second.value }
        // (Before the program read anything.)
        #expect(!FileManager.default.fileExists(atPath: seen))
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        _ = try await first.value
        _ = try await channel.call("third", .record([:]))
        #expect(try String(contentsOfFile: seen, encoding: .utf8) == "first\nthird\n")
    }

    /// Waits (up to 20 s) until `condition` holds for how many of `channel`'s calls wait, and how
    /// many of their requests are being written (or were).
    static func wait(_ channel: SubprocessChannel, until condition: (_ waiting: Int, _ writing: Int) -> Bool) async throws {
        let counts = { channel.shared.state.withLock { s in (s.pending.count, s.starts.count) } }
        let deadline = ContinuousClock.now + .seconds(20)
        while !condition(counts().0, counts().1) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let (waiting, writing) = counts()
        #expect(condition(waiting, writing), "waited 20 s: \(waiting) calls waiting, \(writing) requests being written")
    }
}
