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

    /// Log lines that quote messages are not replies: text before a JSON object naming an id (the
    /// call's, or one never sent), text that names an id but is no JSON, and the request itself
    /// written back are noted and skipped; the call gets its real reply.
    @Test(.timeLimit(.minutes(1))) func logLinesThatQuoteMessagesAreNotReplies() async throws {
        let program = #"""
            import json, sys
            line = sys.stdin.readline()
            r = json.loads(line)
            print("INFO got " + line.strip(), flush=True)
            print('INFO {"id": %d, "result": {"cut' % r["id"], flush=True)
            print('{"id": 42, "result": {"cut', flush=True)
            print(line.strip(), flush=True)
            print(json.dumps({"id": r["id"], "result": {"ok": True}}), flush=True)
            sys.stdin.read()
            """#
        let channel = try SubprocessChannel(arguments: ["python3", "-c", program])
        let result = try await channel.call("plan", .record(["goal": .string("g")]))
        #expect(result["ok"]?.boolValue == true, "\(result)")
        channel.stop()
    }

    /// A reply nested deeper than planj reads is valid JSON the program will write again: its
    /// call fails saying so, and not as retryable.
    @Test(.timeLimit(.minutes(1))) func aReplyNestedPastTheLimitFailsItsCallForGood() async throws {
        let program = #"""
            import json, sys
            for line in sys.stdin:
                r = json.loads(line)
                print('{"id": %d, "result": {"output": %s}}' % (r["id"], "[" * 250 + "]" * 250), flush=True)
            """#
        let channel = try SubprocessChannel(arguments: ["python3", "-c", program])
        await #expect {
            _ = try await channel.call("execute", .record([:]))
        } throws: { error in
            guard let error = error as? RuntimeError else { return false }
            return !error.retryable && error.message.contains("nested deeper than 200 levels, planj's limit")
        }
        channel.stop()
    }

    /// A reply with no id, an id that is no number, or an id no request had, cannot be a late
    /// answer: the one call waiting fails saying so, instead of waiting for ever.
    @Test(.timeLimit(.minutes(1)), arguments: [#"{"result": {"ok": 1}}"#, #"{"id": "abc", "result": 1}"#, #"{"id": 99999, "result": 1}"#])
    func aReplyWithoutItsRequestsIDFailsTheOneCallWaiting(reply: String) async throws {
        let program = "import sys\nfor line in sys.stdin:\n    print('\(reply)', flush=True)"
        let channel = try SubprocessChannel(arguments: ["python3", "-c", program])
        await #expect {
            _ = try await channel.call("plan", .record([:]))
        } throws: { error in
            let message = (error as? RuntimeError)?.message ?? ""
            return message.contains("did not answer call 1 with its id") && message.contains("a reply must carry its request's \"id\"")
        }
    }

    /// With several calls waiting, such a reply could answer any of them: they all fail.
    @Test(.timeLimit(.minutes(1))) func aReplyWithoutAnIDFailsEveryCallWaiting() async throws {
        let program = "import sys, time\nsys.stdin.readline(); sys.stdin.readline(); time.sleep(0.2)\nprint('{\"result\": 1}', flush=True)\ntime.sleep(30)"
        let channel = try SubprocessChannel(arguments: ["python3", "-c", program])
        async let a: Result<JSONValue, any Error> = { do { return .success(try await channel.call("plan", .record([:]))) } catch { return .failure(error) } }()
        async let b: Result<JSONValue, any Error> = { do { return .success(try await channel.call("plan", .record([:]))) } catch { return .failure(error) } }()
        for result in await [a, b] {
            guard case .failure(let error) = result else { Issue.record("a call got an answer"); continue }
            #expect((error as? RuntimeError)?.message.contains("did not answer calls 1, 2 with their ids") == true, "\(error)")
        }
        channel.stop()
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

    @Test func aCallAfterTheProgramExitedNamesItsExitStatus() async throws {
        let channel = try SubprocessChannel(arguments: ["python3", "-c", "import sys; sys.stdin.readline(); sys.exit(5)"])
        _ = try? await channel.call("plan", .record([:]))
        await #expect {
            _ = try await channel.call("plan", .record([:]))
        } throws: { error in
            let e = error as? RuntimeError
            return e?.type == "subprocess" && e?.message.contains("status 5") == true
        }
    }

    /// An error reply may carry the model calls made before the failure (`calls`, as a result
    /// does); those without a purpose get the method's name.
    @Test func anErrorReplyCarriesTheModelCallsMadeBeforeTheFailure() async throws {
        let program = #"""
            import json, sys
            request = json.loads(sys.stdin.readline())
            calls = [{"model": "m", "usage": {"input_tokens": 12, "output_tokens": 3}},
                     {"model": "m", "purpose": "tool_args", "usage": {"input_tokens": 1, "output_tokens": 1}}]
            print(json.dumps({"id": request["id"], "error": {"type": "bad_output", "message": "no", "retryable": True, "calls": calls}}), flush=True)
            sys.stdin.read()
            """#
        let channel = try SubprocessChannel(arguments: ["python3", "-c", program])
        await #expect {
            _ = try await channel.call("execute", .record([:]))
        } throws: { error in
            let e = error as? RuntimeError
            return e?.type == "bad_output" && e?.retryable == true && e?.calls.map(\.purpose) == ["execute", "tool_args"]
                && e?.calls.first?.inputTokens == 12
        }
    }

    /// Answers each request with `size` bytes of text, written a few KiB at a time with CRLF line
    /// ends, and then three small replies in one write.
    static let bulky = #"""
        import json, sys
        for line in sys.stdin:
            request = json.loads(line)
            size = request["params"]["size"]
            text = "".join(chr(0x61 + i % 26) for i in range(size))
            reply = json.dumps({"id": request["id"], "result": {"text": text}}) + "\r\n"
            for i in range(0, len(reply), 4096):
                sys.stdout.write(reply[i:i + 4096])
                sys.stdout.flush()
        """#

    @Test(.timeLimit(.minutes(1))) func aReplyOfManyMegabytesComesBackWhole() async throws {
        let channel = try SubprocessChannel(arguments: ["python3", "-c", Self.bulky])
        let size = 12 << 20
        let reply = try await channel.call("echo", .record(["size": .int(size)]))
        let text = try #require(reply["text"]?.stringValue)
        #expect(text.utf8.count == size)
        #expect(text.hasPrefix("abcdefghijklmnopqrstuvwxyzab"))
        // Small replies after the large one, several to a read.
        async let a = channel.call("echo", .record(["size": .int(3)]))
        async let b = channel.call("echo", .record(["size": .int(5)]))
        let (ra, rb) = try await (a, b)
        #expect(ra["text"]?.stringValue == "abc")
        #expect(rb["text"]?.stringValue == "abcde")
    }
}
