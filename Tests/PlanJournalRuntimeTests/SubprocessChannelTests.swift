import Foundation
import PlanJournalCore
import PlanJournalRuntime
import Testing

/// The subprocess protocol against real child processes written the way other people write them.
@Suite struct SubprocessChannelTests {
    /// Reads two requests, prints noise, answers the second first (its id as a string), then the first.
    static let lenient = #"""
        import json, sys
        first = json.loads(sys.stdin.readline())
        second = json.loads(sys.stdin.readline())
        print("debug: got two requests", flush=True)
        print(json.dumps({"id": str(second["id"]), "result": {"echo": second["params"]["x"]}}), flush=True)
        print("", flush=True)
        print(json.dumps({"id": first["id"], "result": {"echo": first["params"]["x"]}}), flush=True)
        sys.stdin.read()
        """#

    @Test(.timeLimit(.minutes(1))) func noiseStringIdsAndRepliesOutOfOrderAreUnderstood() async throws {
        let channel = try SubprocessChannel(arguments: ["python3", "-c", Self.lenient])
        async let a = channel.call("echo", .record(["x": .string("one")]))
        try await Task.sleep(for: .milliseconds(100))
        async let b = channel.call("echo", .record(["x": .string("two")]))
        let (ra, rb) = try await (a, b)
        #expect(ra["echo"]?.stringValue == "one")
        #expect(rb["echo"]?.stringValue == "two")
    }

    @Test func aProgramThatExitsFailsTheCallsWaitingOnIt() async throws {
        let channel = try SubprocessChannel(arguments: ["python3", "-c", "import sys; sys.stdin.readline(); sys.exit(7)"])
        await #expect {
            _ = try await channel.call("plan", .record([:]))
        } throws: { error in
            let e = error as? RuntimeError
            return e?.type == "subprocess" && e?.message.contains("status 7") == true
        }
    }
}
