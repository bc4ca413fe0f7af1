import Foundation
import PlanJournalCore
@testable import PlanJournalRuntime
import Synchronization
import Testing

/// How agent programs start, end and misbehave, with real child processes.
@Suite(.timeLimit(.minutes(1))) struct SubprocessLifecycleTests {
    /// Answers a request with the shell's blocked and ignored signal masks (a shell, as Python
    /// ignores SIGPIPE and SIGXFSZ itself).
    static let masks = #"""
        read line
        id=$(echo "$line" | sed 's/.*"id":\([0-9]*\).*/\1/')
        b=$(grep SigBlk /proc/$$/status | cut -f2); i=$(grep SigIgn /proc/$$/status | cut -f2)
        echo "{\"id\":$id,\"result\":{\"blocked\":\"$b\",\"ignored\":\"$i\"}}"
        """#

    /// An agent starts with no signal blocked and none ignored, whatever the thread that starts it
    /// blocks (dispatch workers block most) and whatever planj ignores (SIGINT while a run is
    /// cancellable): otherwise `kill` does not stop it, nor `timeout` a tool it runs.
    @Test func anAgentStartsWithNoSignalBlockedOrIgnored() async throws {
        signal(SIGINT, SIG_IGN)
        defer { signal(SIGINT, SIG_DFL) }
        var block = sigset_t()
        sigfillset(&block)
        var old = sigset_t()
        pthread_sigmask(SIG_BLOCK, &block, &old)
        let channel = try SubprocessChannel(arguments: ["/bin/sh", "-c", Self.masks])
        pthread_sigmask(SIG_SETMASK, &old, nil)
        defer { channel.stop() }
        let reply = try await channel.call("masks", .record([:]))
        // Signals 1-31 (glibc keeps its own real-time signals 32 and 33 as it likes).
        let standard = { (mask: String?) in mask.flatMap { UInt64($0, radix: 16) }.map { $0 & 0x7FFF_FFFF } }
        #expect(standard(reply["blocked"]?.stringValue) == 0)
        #expect(standard(reply["ignored"]?.stringValue) == 0)
    }

    /// A channel released without `stop()` (a library user dropping its adapters) stops its
    /// program, even one that ignores its input closing and SIGTERM.
    @Test func aReleasedChannelStopsItsProgram() async throws {
        var pid: pid_t = 0
        do {
            let channel = try SubprocessChannel(
                arguments: ["python3", "-c", "import signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nsys.stdin.readline()\ntime.sleep(3600)"])
            pid = channel.pid
            #expect(kill(pid, 0) == 0)
        }
        // Stopped in the background: its input closed, SIGTERM (ignored), then SIGKILL.
        let deadline = ContinuousClock.now + .seconds(10)
        // (The channel's waiter thread reaps it: a zombie would still answer `kill`.)
        while kill(pid, 0) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(pid, 0) != 0, "the program still runs")
    }

    /// A line of a program's output that is not a reply is ignored, with a note to the handler
    /// a library user set (standard error by default). The late answer to a call whose task was
    /// cancelled is ignored without one (after a Ctrl-C or `planj cancel`, a run warned that the
    /// agent "answers id N, which no call waits for").
    @Test func notesAboutAProgramGoWhereTheUserSays() async throws {
        let notes = Mutex<[String]>([])
        SubprocessChannel.reportNotes { note in notes.withLock { $0.append(note) } }
        defer { SubprocessChannel.reportNotes { try? FileHandle.standardError.write(contentsOf: Data("planj: \($0)\n".utf8)) } }
        let script = """
            import json, sys
            first = json.loads(sys.stdin.readline())
            print('loading model...', flush=True)
            second = json.loads(sys.stdin.readline())
            print(json.dumps({'id': first['id'], 'result': {}}), flush=True)
            print(json.dumps({'id': second['id'], 'result': {'second': True}}), flush=True)
            """
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        defer { channel.stop() }
        let cancelled = Task { try await channel.call("plan", .record([:])) }
        // Cancelled once the program has read it (its note came); it answers only after the next.
        for _ in 0..<1200 where !notes.withLock({ $0.contains { $0.hasSuffix("loading model...") } }) {
            try await Task.sleep(for: .milliseconds(25))
        }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { _ = try await cancelled.value }
        // Answered after the first call's late answer was read.
        let second = try await channel.call("plan", .record([:]))
        #expect(second["second"]?.boolValue == true, "\(second)")
        // (Other tests' programs send notes to the same handler meanwhile.)
        let said = notes.withLock { $0 }.filter { $0.contains("'second': True") }
        #expect(said.contains { $0.hasSuffix("stdout line 1 is not a reply (ignored): loading model...") }, "\(said)")
        #expect(!said.contains { $0.contains("answers id") }, "\(said)")
    }

    /// A cancelled call returns at once, though the program never answers it.
    @Test func aCancelledCallReturnsAtOnce() async throws {
        let channel = try SubprocessChannel(arguments: ["python3", "-c", "import sys, time\nfor line in sys.stdin: time.sleep(3600)"])
        defer { channel.stop() }
        let call = Task { try await channel.call("plan", .record([:])) }
        try await Task.sleep(for: .milliseconds(100))
        call.cancel()
        await #expect(throws: CancellationError.self) { _ = try await call.value }
    }

    /// A program that exits while a child of it keeps its output open fails its calls (they
    /// waited for the output to close); the message says how it ended, killed by a signal too.
    @Test(arguments: [
        ("import os, subprocess, sys\nsys.stdin.readline()\nsubprocess.Popen(['sleep', '30'])\nos._exit(3)", "exited with status 3"),
        ("import os, signal, sys\nsys.stdin.readline()\nos.kill(os.getpid(), signal.SIGKILL)", "was killed by signal 9 (SIGKILL)"),
    ])
    func aProgramThatEndsFailsItsCallsSayingHow(script: String, ending: String) async throws {
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        defer { channel.stop() }
        await #expect {
            _ = try await channel.call("plan", .record([:]))
        } throws: { error in
            (error as? RuntimeError)?.message.hasSuffix(ending) == true
        }
    }

    /// A program that answers one request and exits is started again for each call, however
    /// soon the next comes (it used to get the next one while it was ending, and fail it).
    @Test func aProgramThatAnswersOneRequestAndExitsAnswersEveryCall() async throws {
        let script = "import json, sys\nr = json.loads(sys.stdin.readline())\nprint(json.dumps({'id': r['id'], 'result': {'n': r['params']['n']}}), flush=True)"
        let channel = try RestartingChannel(arguments: ["python3", "-c", script])
        for n in 1...4 {
            let reply = try await channel.call("plan", .record(["n": .int(n)]))
            #expect(reply["n"]?.int64Value == Int64(n))
        }
    }

    /// Calls made at once to a program that reads exactly one request, answers it and exits are
    /// each answered: the requests it never read go to the program started again, as often as it
    /// takes (they were sent again once only, and the rest failed unread).
    @Test func callsMadeAtOnceToAOneRequestProgramAreAllAnswered() async throws {
        // Reads its request a byte at a time, so the requests after it stay in the pipe.
        let script = """
            import json, os
            line = b''
            while not line.endswith(b'\\n'):
                c = os.read(0, 1)
                if not c: break
                line += c
            r = json.loads(line)
            print(json.dumps({'id': r['id'], 'result': {'n': r['params']['n']}}), flush=True)
            """
        let channel = try RestartingChannel(arguments: ["python3", "-c", script])
        let answers = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for n in 1...6 { group.addTask { try await channel.call("execute", .record(["n": .int(Int64(n))]))["n"]?.int64Value } }
            var out: [Int64] = []
            for try await n in group { out.append(n ?? -1) }
            return out
        }
        #expect(answers.sorted() == [1, 2, 3, 4, 5, 6])
    }

    /// A program that reads a request, acts on it and exits without answering is not sent it
    /// again (it may have done it, a deploy say): the call fails, as its step's attempt does.
    @Test func aRequestTheProgramReadIsNeverSentTwice() async throws {
        let marks = NSTemporaryDirectory() + "planj-read-once-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: marks) }
        let script = "import sys\nsys.stdin.readline()\nopen(sys.argv[1], 'a').write('x')\nsys.exit(0)"
        let channel = try RestartingChannel(arguments: ["python3", "-c", script, marks])
        await #expect(throws: RuntimeError.self) { _ = try await channel.call("execute", .record([:])) }
        #expect(try String(contentsOfFile: marks, encoding: .utf8) == "x")
    }

    /// A program replaced by a new one (it closed its output and kept running) is stopped, and
    /// ``SubprocessChannel/stopAll()`` waits for that (``SubprocessChannel/waitForBackgroundStops()``):
    /// it does not outlive planj.
    @Test func aReplacedProgramDoesNotOutliveStopAll() async throws {
        let flag = NSTemporaryDirectory() + "planj-replaced-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: flag) }
        // The first program closes its output and sleeps; the next one ends with its input.
        let script = """
            import json, os, sys, time
            first = not os.path.exists(sys.argv[1])
            open(sys.argv[1], 'w').close()
            for line in sys.stdin:
                r = json.loads(line)
                print(json.dumps({'id': r['id'], 'result': {'pid': os.getpid()}}), flush=True)
                if first:
                    os.close(1)
                    time.sleep(30)
            """
        let channel = try RestartingChannel(arguments: ["python3", "-c", script, flag])
        let first = try #require(try await channel.call("plan", .record([:]))["pid"]?.int64Value)
        try await Task.sleep(for: .milliseconds(50))
        let second = try #require(try await channel.call("plan", .record([:]))["pid"]?.int64Value)
        #expect(first != second)
        // (Not stopAll(), which would stop the programs of tests running beside this one.)
        SubprocessChannel.waitForBackgroundStops()
        // (Its stop waits half a second for each signal to act: on a loaded machine the end may
        // come a little after; the program itself would sleep 30 s.)
        let deadline = ContinuousClock.now + .seconds(5)
        while kill(pid_t(first), 0) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(kill(pid_t(first), 0) == -1 && errno == ESRCH)
    }

    /// A Python agent that prints its reply without flushing it is answered all the same: its
    /// programs get `PYTHONUNBUFFERED=1` unless the environment sets it (they used to wait for
    /// ever when the user's did not). Its program, so started, replies at once.
    @Test func aPythonAgentThatDoesNotFlushIsHeard() async throws {
        #expect(SpawnedProcess.unbuffered(["PATH=/bin"]) == ["PATH=/bin", "PYTHONUNBUFFERED=1"])
        #expect(SpawnedProcess.unbuffered(["PYTHONUNBUFFERED=0"]) == ["PYTHONUNBUFFERED=0"])
        let script = "import json, os, sys\nfor line in sys.stdin:\n    r = json.loads(line)\n    print(json.dumps({'id': r['id'], 'result': {'unbuffered': os.environ.get('PYTHONUNBUFFERED')}}))"
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        defer { channel.stop() }
        #expect(try await channel.call("plan", .record([:]))["unbuffered"]?.stringValue != nil)
    }

    /// A program that dies while it writes a reply fails the call with how it ended, which may be
    /// tried again, not as a reply that is not JSON.
    @Test func aReplyCutOffByTheProgramsEndFailsItsCallWithThatEnd() async throws {
        let script = "import os, sys\nsys.stdin.readline()\nsys.stdout.write('{\"id\": 1, \"result\": {\"outp')\nsys.stdout.flush()\nos._exit(3)"
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        defer { channel.stop() }
        await #expect {
            _ = try await channel.call("plan", .record([:]))
        } throws: { error in
            let e = error as? RuntimeError
            return e?.message.hasSuffix("exited with status 3") == true && e?.retryable == true
        }
    }

    /// A program that closes its output and keeps running fails the calls waiting on it.
    @Test func aProgramThatClosesItsOutputFailsItsCalls() async throws {
        let channel = try SubprocessChannel(arguments: ["python3", "-c", "import os, sys, time\nsys.stdin.readline()\nos.close(1)\ntime.sleep(30)"])
        defer { channel.stop() }
        await #expect {
            _ = try await channel.call("plan", .record([:]))
        } throws: { error in
            (error as? RuntimeError)?.message.hasSuffix("closed its standard output") == true
        }
    }

    /// Replies as some runtimes write them: a byte order mark, an id as a float, a byte that is
    /// not UTF-8, and a last reply without its newline.
    @Test func oddlyWrittenRepliesAreUnderstood() async throws {
        let script = #"""
            import json, sys
            out = sys.stdout.buffer
            r = json.loads(sys.stdin.readline()); out.write(b"\xef\xbb\xbf" + json.dumps({"id": r["id"], "result": {"n": 1}}).encode() + b"\n"); out.flush()
            r = json.loads(sys.stdin.readline()); out.write(json.dumps({"id": float(r["id"]), "result": {"n": 2}}).encode() + b"\n"); out.flush()
            r = json.loads(sys.stdin.readline()); out.write(b'{"id": %d, "result": {"n": 3, "text": "caf\xe9"}}\n' % r["id"]); out.flush()
            r = json.loads(sys.stdin.readline()); out.write(json.dumps({"id": r["id"], "result": {"n": 4}}).encode()); out.flush()
            """#
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        defer { channel.stop() }
        for n in 1...4 {
            let reply = try await channel.call("plan", .record([:]))
            #expect(reply["n"]?.int64Value == Int64(n))
            if n == 3 { #expect(reply["text"]?.stringValue == "caf\u{FFFD}") }
        }
    }

    /// What Python's and JavaScript's serializers write by default reads as a reply (NaN as null,
    /// a lone surrogate as U+FFFD), and a reply that still cannot be read fails its call at once
    /// instead of leaving it waiting for ever.
    @Test(.timeLimit(.minutes(1))) func repliesDefaultSerializersWriteAreReadOrFailTheirCall() async throws {
        let script = #"""
            import json, sys
            r = json.loads(sys.stdin.readline()); print(json.dumps({"id": r["id"], "result": {"cost_usd": float("nan"), "big": float("inf"), "t": "cut \ud83e"}}), flush=True)
            r = json.loads(sys.stdin.readline()); print('{"id": %d, "result": {"output": "unterminated}' % r["id"], flush=True)
            r = json.loads(sys.stdin.readline()); print(json.dumps({"id": r["id"], "result": {"n": 3}}), flush=True)
            sys.stdin.read()
            """#
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        defer { channel.stop() }
        let first = try await channel.call("execute", .record([:]))
        #expect(first["cost_usd"] == .null && first["big"] == .null && first["t"]?.stringValue == "cut \u{FFFD}")
        await #expect {
            _ = try await channel.call("execute", .record([:]))
        } throws: { error in
            (error as? RuntimeError)?.message.contains("not valid JSON") == true
        }
        #expect(try await channel.call("execute", .record([:]))["n"]?.int64Value == 3)
    }

    @Test func replyLinesAreReadAsFarAsTheyCanBe() {
        #expect(ReplyLine.withoutNonFiniteNumbers(Array(#"{"a":NaN,"b":"NaN Infinity","c":[-Infinity,Infinity]}"#.utf8))
            == Array(#"{"a":null,"b":"NaN Infinity","c":[null,null]}"#.utf8))
        #expect(ReplyLine.withoutNonFiniteNumbers(Array(#"{"a":"x\"NaN"}"#.utf8)) == nil)
        #expect(ReplyLine.salvagedID(Array(#"{"id" : "12", "result": {"#.utf8)) == 12)
        #expect(ReplyLine.salvagedID(Array(#"{"result": {}}"#.utf8)) == nil)
        // The top-level id, wherever it is: not a record's inside the result, nor text in a string.
        #expect(ReplyLine.salvagedID(Array(#"{"result": {"rows": [{"id": 99}], "output": "C:\path", "fields": ["id", "x"], "t": "\"id\": 5"}, "id": 7}"#.utf8)) == 7)
        #expect(ReplyLine.read(Array("log: starting".utf8)[...]) == .other)
    }

    /// `stop()` ends a program that ignores the end of its input (with SIGTERM, then SIGKILL).
    @Test func stopEndsAProgramThatIgnoresTheEndOfItsInput() async throws {
        let pidFile = NSTemporaryDirectory() + "planj-agent-\(UUID().uuidString).pid"
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let script = "import os, signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nopen('\(pidFile)', 'w').write(str(os.getpid()))\nprint('{\"id\": 1, \"result\": {}}', flush=True)\nwhile True: time.sleep(1)"
        let channel = try SubprocessChannel(arguments: ["python3", "-c", script])
        _ = try await channel.call("ping", .record([:]))
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8)))
        channel.stop(grace: .milliseconds(100))
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
        #expect(channel.ending?.contains("was killed by signal 9") == true)
    }
}

/// `planj resume` in another directory than `planj run` was in.
@Suite struct RelativePathTests {
    @Test func relativePathsToFilesOfTheRunsDirectoryAreMadeAbsolute() throws {
        let directory = NSTemporaryDirectory() + "planj-paths-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/my agents", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: directory + "/my agents/agent.py", contents: Data()))
        let resolve = { AdapterSpec.resolvingRelativePaths($0, against: directory) }
        #expect(resolve("cmd:python3 'my agents/agent.py' --fast") == "cmd:python3 '\(directory)/my agents/agent.py' --fast")
        #expect(resolve("search=cmd:python3 'my agents/agent.py'") == "search=cmd:python3 '\(directory)/my agents/agent.py'")
        // Words that name nothing there, absolute paths and other specs are left as they are.
        #expect(resolve("cmd:python3 other/agent.py") == "cmd:python3 other/agent.py")
        #expect(resolve("cmd:/usr/bin/python3 x") == "cmd:/usr/bin/python3 x")
        #expect(resolve("openai:m@http://host/v1") == "openai:m@http://host/v1")
        let words = try AdapterSpec(parsing: resolve("cmd:python3 'my agents/agent.py' --fast"))
        guard case .command(let parsed) = words else { Issue.record("not a command"); return }
        #expect(parsed == ["python3", directory + "/my agents/agent.py", "--fast"])
    }
}

/// A reviewer's reply as agents write it.
@Suite struct ReviewReplyTests {
    /// Comments given as one string, or as an array holding other values, and a score written as
    /// a string, are kept (they used to be dropped).
    @Test func commentsAndScoresAreReadAsWritten() throws {
        #expect(PlanReview.comments(.string("be more specific")) == ["be more specific"])
        #expect(PlanReview.comments(.array([.string("a"), .int(2), .null, .record(["k": .string("v")])])) == ["a", "2", #"{"k":"v"}"#])
        #expect(PlanReview.comments(nil).isEmpty && PlanReview.comments(.string("")).isEmpty)
        #expect(PlanReview.score(.string("0.8")) == 0.8 && PlanReview.score(.double(0.5)) == 0.5 && PlanReview.score(.string("high")) == nil)
    }
}
