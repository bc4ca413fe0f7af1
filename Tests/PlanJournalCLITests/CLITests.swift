import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

/// End-to-end: the built `planj` binary in a temporary folder.
@Suite(.serialized) struct CLITests {
    typealias Result = PlanjBinary.Result

    let directory: String
    let journal: String

    init() throws {
        directory = NSTemporaryDirectory() + "planj-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        journal = directory + "/j.sqlite"
    }

    @discardableResult
    func planj(_ arguments: String..., stdin: String? = nil, environment: [String: String] = [:]) async throws -> Result {
        try await PlanjBinary.run(arguments, in: directory, stdin: stdin, environment: environment)
    }

    @Test func helpTeachesTheCommands() async throws {
        let help = try await planj("--help")
        #expect(help.status == 0)
        for command in [
            "ingest", "append", "import", "export", "runs", "show", "events", "verify", "stats", "fork", "run", "demo", "resume",
            "approve", "watch", "replay", "diff", "audit", "copy", "keygen", "seal",
        ] {
            #expect(help.stdout.contains("  \(command) "), "\(command) missing from --help")
        }
        #expect(help.stdout.contains("PLANJOURNAL_PATH"))
        let ingestHelp = try await planj("ingest", "--help").stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(ingestHelp.contains("a run with a bad line is rejected with an error naming the line, run, seq and field"))
        #expect(try await planj("help", "run").status == 0)
        let unknown = try await planj("help", "nosuch")
        #expect(unknown.status == 2 && unknown.stderr.contains("no command 'nosuch': the commands are ingest"))
    }

    @Test func theDefaultJournalIsCreatedUnderJournals() async throws {
        let r = try await planj("ingest", Fixtures.validContract)
        #expect(r.status == 0)
        #expect(FileManager.default.fileExists(atPath: directory + "/journals/planjournal.sqlite"))
        // A command that only reads does not make a journal of a path that names none (a typo
        // would verify as an empty journal): it says so, and exits 5.
        let missing = try await planj("runs", "--json", environment: ["PLANJOURNAL_PATH": journal])
        #expect(missing.status == 5 && missing.stderr.contains("journal.not_found") && missing.stdout.isEmpty)
        for command in [["verify"], ["audit", "--all"], ["stats"], ["sql", "SELECT 1"]] {
            let r = try await PlanjBinary.run(["--journal", journal] + command, in: directory)
            #expect(r.status == 5 && r.stderr.contains("no journal here"), "\(command): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: journal))
        #expect(try await planj("ingest", "-", stdin: "", environment: ["PLANJOURNAL_PATH": journal]).status == 0)
        let env = try await planj("runs", "--json", environment: ["PLANJOURNAL_PATH": journal])
        #expect(env.status == 0 && (env.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || env.stdout.contains("[]")))
        // migrate makes a journal (it is how a new one is set up ahead of its writers).
        let made = directory + "/made.sqlite"
        #expect(try await planj("--journal", made, "migrate").status == 0 && FileManager.default.fileExists(atPath: made))
    }

    /// A journal path that names a folder, or a file that is not a database, says so.
    @Test func aJournalPathThatIsNoJournalSaysWhatItIs() async throws {
        try FileManager.default.createDirectory(atPath: directory + "/folder", withIntermediateDirectories: true)
        try "hello\n".write(toFile: directory + "/notes.txt", atomically: true, encoding: .utf8)
        let folder = try await planj("--journal", directory + "/folder", "ingest", "-", stdin: "")
        #expect(folder.status == 2 && folder.stderr.contains("it is a directory; name the journal's file"), "\(folder.stderr)")
        #expect(try await planj("--journal", directory + "/folder", "runs").status == 2)
        let text = try await planj("--journal", directory + "/notes.txt", "runs")
        #expect(text.status == 6 && text.stderr.contains("not a SQLite database, so not a journal"), "\(text.stderr)")
        #expect(try String(contentsOfFile: directory + "/notes.txt", encoding: .utf8) == "hello\n")
    }

    @Test func ingestThenReadEverythingBack() async throws {
        let ingest = try await planj("--journal", journal, "ingest", Fixtures.validContract, "--json")
        #expect(ingest.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(ingest.stdout.utf8)) as? [String: Any]
        #expect(report?["events_written"] as? Int == 33)

        let runs = try await planj("--journal", journal, "runs", "--json")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 2)
        for key in ["id", "goal", "status", "events", "started_at", "ended_at", "parent", "fork_seq", "tokens", "cost_usd"] {
            #expect(list.allSatisfy { $0.keys.contains(key) }, "runs --json lacks \(key)")
        }
        let main = try #require(list.first { $0["id"] as? String == "01JDQ8Z7K2V3M4N5P6Q7R8S9T0" })
        #expect(main["events"] as? Int == 26 && main["tokens"] as? Int == 1378 && main["parent"] is NSNull)

        let show = try await planj("--journal", journal, "show", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--at", "13", "--json")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let steps = try #require(state["steps"] as? [[String: Any]])
        #expect(steps.first { $0["id"] as? String == "fetch_a" }?["status"] as? String == "failed")
        #expect(try await planj("--journal", journal, "show", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0").stdout.contains("fetch_a_mirror  completed"))
        // One step in full: its definition, and every event naming it with its values whole.
        let mirror = try await planj("--journal", journal, "show", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--step", "fetch_a_mirror")
        #expect(mirror.status == 0 && mirror.stdout.hasPrefix("step fetch_a_mirror of run 01JDQ8Z7K2V3M4N5P6Q7R8S9T0: completed, 1 attempt\n"))
        #expect(mirror.stdout.contains("description: Fetch the 2.3 notes from the mirror\ntool: http_get"), "\(mirror.stdout)")
        #expect(mirror.stdout.contains("[17] 2026-11-24T10:00:08.500000Z step.observed (tool:http_get)\n  ok: true\n  content: ## 2.3\n    - added `sync()`\n"), "\(mirror.stdout)")
        #expect(mirror.stdout.contains("[18] 2026-11-24T10:00:08.510000Z step.completed (executor)\n  output: ## 2.3 ...\n  duration_ms: 500"))
        let mirrorJSON = try await planj("--journal", journal, "show", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--step", "fetch_a_mirror", "--at", "17", "--json")
        let detail = try #require(try JSONSerialization.jsonObject(with: Data(mirrorJSON.stdout.utf8)) as? [String: Any])
        #expect((detail["events"] as? [[String: Any]])?.map { $0["seq"] as? Int } == [16, 17])
        #expect((detail["step"] as? [String: Any])?["status"] as? String == "running" && (detail["definition"] as? [String: Any])?["tool"] as? String == "http_get")
        let noStep = try await planj("--journal", journal, "show", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--step", "fetch_b_mirror")
        #expect(noStep.status == 5 && noStep.stderr.contains("no step fetch_b_mirror in any plan version of the run (its steps: fetch_a"), "\(noStep.stderr)")

        let events = try await planj("--journal", journal, "events", "run-2026-11-24/ünïcode ✓", "--kind", "x.*")
        #expect(events.stdout.contains(#""kind":"x.acme.heartbeat""#))
        #expect(events.stdout.split(separator: "\n").count == 1)
        let range = try await planj("--journal", journal, "events", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--from", "5", "--to", "7")
        #expect(range.stdout.split(separator: "\n").count == 3)
        let none = try await planj("--journal", journal, "runs", "--status", "cancelled")
        #expect(none.status == 0 && none.stderr.hasPrefix("no runs in ") && none.stderr.contains("match --status cancelled"))
        // The goal's text in any case (beyond ASCII too), and the start time.
        let unicode = try await planj("--journal", journal, "runs", "--goal", "RÄKNA", "--json")
        #expect(unicode.stdout.contains("ünïcode") && !unicode.stdout.contains("01JDQ8Z7K2V3M4N5P6Q7R8S9T0"))
        let since = try await planj("--journal", journal, "runs", "--since", "2026-11-24T10:00:00.000001Z", "--no-forks")
        #expect(since.stdout.contains("01JDQ8Z7K2V3M4N5P6Q7R8S9T0"))
        let later = try await planj("--journal", journal, "runs", "--since", "2026-11-24T10:00:00.000002Z", "--goal", "summarize")
        #expect(later.stdout.isEmpty && later.stderr.contains(#"match --since 2026-11-24T10:00:00.000002Z --goal "summarize""#))
        let noForks = try await planj("--journal", journal, "runs", "--forks-of", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--json")
        #expect(noForks.status == 0 && noForks.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        let unknown = try await planj("--journal", journal, "runs", "--forks-of", "nope")
        #expect(unknown.status == 5 && unknown.stderr.contains("run nope: no run with this id"))
        let both = try await planj("--journal", journal, "runs", "--forks-of", "x", "--no-forks")
        #expect(both.status == 2 && both.stderr.contains("give --forks-of or --no-forks, not both"))
        for command in [["runs", "--status", "failled"], ["audit", "--all", "--status", "failled"], ["export", "--all", "--status", "failled", "-o", "out"]] {
            let misspelled = try await PlanjBinary.run(["--journal", journal] + command, in: directory)
            #expect(misspelled.status == 2 && misspelled.stderr.contains("--status failled is not a run status"), "\(command)")
        }
        let backwards = try await planj("--journal", journal, "events", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--from", "5", "--to", "2")
        #expect(backwards.status == 2 && backwards.stderr.contains("--to 2 comes before --from 5"))
        let pastEnd = try await planj("--journal", journal, "show", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--at", "27")
        #expect(pastEnd.status == 2 && pastEnd.stderr.contains("--at 27 is past the run's end: it has 26 events"))
        #expect(pastEnd.stderr.contains(journal))
        let zero = try await planj("--journal", journal, "show", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--at", "0")
        #expect(zero.status == 2 && zero.stderr.contains("numbered from 1"))
        #expect(try await planj("--journal", journal, "show", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--at", "26").status == 0)

        let exported = try await planj("--journal", journal, "export", "run-2026-11-24/ünïcode ✓", "--format", "jsonl")
        let expected = try Fixtures.lines(Fixtures.validContract).filter { $0.contains("ünïcode") }
        let lines = exported.stdout.split(separator: "\n").map(String.init)
        #expect(try lines.map(JSONComparison.normalized) == expected.map(JSONComparison.normalized))

        #expect(try await planj("--journal", journal, "verify").stdout.hasPrefix("ok: 2 runs, 33 events"))
        let stats = try await planj("--journal", journal, "stats", "--json").stdout
        #expect(stats.contains("\"events\" : 33"))
        // What the snapshots take is told apart (a long run's could take more room than its events).
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any])
        let (count, bytes) = (object["snapshots"] as? Int, object["snapshot_bytes"] as? Int)
        #expect(count == 0 && bytes == 0, "\(stats)")
    }

    /// On a terminal (`script` gives it one), `watch` of a finished run draws its tree once, not
    /// once per event.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func watchOnATerminalDrawsAFinishedRunOnce() async throws {
        #expect(try await planj("--journal", journal, "ingest", Fixtures.validContract).status == 0)
        let binary = try #require(Fixtures.planjBinary)
        let command = "'\(binary)' --journal '\(journal)' watch 01JDQ8Z7K2V3M4N5P6Q7R8S9T0"
        let tty = try await ChildProcess.run("/usr/bin/script", ["-qec", command, "/dev/null"], in: directory)
        #expect(tty.status == 0, "\(tty.stderr)")
        #expect(tty.stdout.components(separatedBy: "\u{1B}[2J").count - 1 == 1)
        #expect(tty.stdout.contains("run succeeded") && tty.stdout.contains("publish [completed]"))
    }

    /// Goals, ids and outputs are an agent's: printed as text, their escape sequences and other
    /// control characters cannot reach the terminal; as JSON they stay as recorded.
    /// A step's definition in `show --step` keeps the fields an agent adds to its steps, as the
    /// plan event wrote them (the latest event defining it), beside the contract's own.
    @Test func aStepsDefinitionKeepsTheAgentsOwnFields() async throws {
        let lines = [
            #"{"run":"own","seq":1,"ts":1,"kind":"run.started","data":{"goal":"g"}}"#,
            #"{"run":"own","seq":2,"ts":2,"kind":"plan.proposed","data":{"version":1,"steps":[{"id":"s1","owner":"ana"}]}}"#,
            #"{"run":"own","seq":3,"ts":3,"kind":"plan.revised","data":{"version":2,"base_version":1,"changed":[{"id":"s1","owner":"bo","timeout_s":30}]}}"#,
        ]
        #expect(try await planj("--journal", journal, "ingest", "-", stdin: lines.joined(separator: "\n") + "\n").status == 0)
        let json = try await planj("--journal", journal, "show", "own", "--step", "s1", "--json")
        let detail = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let definition = try #require(detail["definition"] as? [String: Any])
        #expect(definition["owner"] as? String == "bo" && definition["timeout_s"] as? Int == 30)
        #expect(definition["requires_approval"] as? Bool == false && (definition["depends_on"] as? [Any])?.isEmpty == true)
        #expect(try await planj("--journal", journal, "show", "own", "--step", "s1").stdout.contains("owner: bo\ntimeout_s: 30\n"))
        // The events naming the step are printed as written: numbers keep their spelling.
        let numbers = #"{"run":"own","seq":4,"ts":4,"kind":"step.completed","data":{"step_id":"s1","output":{"e":1E400,"z":-0,"i":2.0,"n":12345678901234567890}}}"#
        #expect(try await planj("--journal", journal, "ingest", "-", stdin: numbers + "\n").status == 0)
        let exact = try await planj("--journal", journal, "show", "own", "--step", "s1", "--json")
        #expect(exact.stdout.contains(#""output":{"e":1E400,"z":-0,"i":2.0,"n":12345678901234567890}"#), "\(exact.stdout)")
        #expect(try JSONValue(parsing: exact.stdout)["events"]?.arrayValue?.count == 1)
    }

    @Test func textOutputCarriesNoControlCharactersFromRuns() async throws {
        let run = #"esc\u001b]0;owned\u0007"#
        let line = #"{"v":1,"run":"\#(run)","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"wipe \u001b[2J\u009b now"}}"#
        #expect(try await planj("--journal", journal, "ingest", "-", stdin: line + "\n").status == 0)
        let id = "esc\u{1B}]0;owned\u{07}"
        for arguments in [["runs"], ["show", id], ["audit", id], ["show", id + "x"]] {
            let out = try await PlanjBinary.run(["--journal", journal] + arguments, in: directory)
            let text = out.stdout + out.stderr
            #expect(text.contains("\u{FFFD}"), "\(arguments)")
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B }, "\(arguments)")
        }
        let json = try await planj("--journal", journal, "runs", "--json")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(list.first?["goal"] as? String == "wipe \u{1B}[2J\u{9B} now")
    }

    /// Standard output closed, or on a full disk: a message and exit status 8, or nothing printed;
    /// never a crash, and never output written into the journal's files.
    @Test func closedOrFullStandardStreamsEndCleanly() async throws {
        #expect(try await planj("--journal", journal, "ingest", Fixtures.validContract).status == 0)
        let binary = try #require(Fixtures.planjBinary)
        let run = "'\(binary)' --journal '\(journal)'"
        // A closed standard output is an error (the output would be lost), as a full disk is; a
        // closed standard input has nothing to read; a closed standard error is no matter.
        let id = "01JDQ8Z7K2V3M4N5P6Q7R8S9T0"
        for (command, status) in [
            ("runs >&-", 8), ("events \(id) >&-", 8), ("export \(id) --format jsonl >&-", 8), ("events \(id) 2>&-", 0),
            ("append <&-", 2), ("ingest - <&-", 2), ("import - <&-", 2),
        ] {
            let r = try await ChildProcess.run("/bin/sh", ["-c", "\(run) \(command)"], in: directory)
            #expect(r.status == status && !r.stderr.contains("Fatal error"), "\(command): \(r.status) \(r.stderr.prefix(300))")
            if status == 8 { #expect(r.stderr.contains("cannot write the output: standard output is closed"), "\(command)") }
            if status == 2 { #expect(r.stderr.contains("standard input is closed"), "\(command): \(r.stderr)") }
        }
        if FileManager.default.fileExists(atPath: "/dev/full") {
            let full = try await ChildProcess.run("/bin/sh", ["-c", "\(run) events 01JDQ8Z7K2V3M4N5P6Q7R8S9T0 > /dev/full"], in: directory)
            #expect(full.status == 8 && full.stderr.contains("cannot write the output: No space left on device"))
            // With --json, that error is JSON too.
            let fullJSON = try await ChildProcess.run("/bin/sh", ["-c", "\(run) runs --json > /dev/full"], in: directory)
            let error = try JSONValue(parsing: Array(fullJSON.stderr.utf8))["error"]
            #expect(fullJSON.status == 8 && error?["code"]?.stringValue == "journal.io", "\(fullJSON.stderr)")
        }
        #expect(try await planj("--journal", journal, "verify").status == 0)
    }

    /// Writers on a full disk end with exit status 8 (the append log was a sparse file written
    /// through a mapping: SIGBUS). Needs root, for a tmpfs of 300 KB.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")))
    func writersOnAFullDiskFailWithAnError() async throws {
        let disk = directory + "/full"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        guard try await ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=300k", "tmpfs", disk]).status == 0 else { return }
        defer { _ = Foundation.system("umount '\(disk)'") }
        let full = disk + "/j.sqlite"
        #expect(try await planj("--journal", full, "import", Fixtures.repositoryRoot + "/journals/agent-runs.pjl").status == 8)
        for _ in 0..<2 {
            let demo = try await planj("--journal", full, "demo", "--pace", "0", "--quiet")
            #expect(demo.status == 8 && demo.stderr.contains("disk is full"), "\(demo.status) \(demo.stderr.suffix(300))")
        }
        // append stops at the first line the journal cannot take (it went on, one error a line).
        let lines = (1...50).map { #"{"v":1,"run":"a\#($0)","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"\#(String(repeating: "g", count: 4000))"}}"# }
        let append = try await planj("--journal", full, "append", stdin: lines.joined(separator: "\n") + "\n")
        #expect(append.status == 8 && append.stdout.split(separator: "\n").filter { $0.contains(#""ok":false"#) }.count == 1, "\(append.status) \(append.stdout.suffix(300))")
        // The appends the disk cut short were never acknowledged: no warning that some might be lost.
        let verify = try await planj("--journal", full, "verify")
        #expect(verify.status == 0 && !verify.stderr.contains("could not be added"), "\(verify.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk).filter { $0.contains("unreplayed") }.isEmpty)
    }

    /// A copy into a journal on a full disk says the disk is full (exit status 8), every time:
    /// its write window's commit failed, and the read that followed it found the run missing
    /// ("no run with this id", exit status 5). Needs root, for a tmpfs of 1.5 MB.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")))
    func aCopyOntoAFullDiskSaysSo() async throws {
        let input = directory + "/corpus.jsonl"
        let made = try await ChildProcess.run(
            "python3", [Fixtures.repositoryRoot + "/tools/gen_corpus.py", "--seed", "3", "--events", "3000", "--out", input])
        try #require(made.status == 0, "\(made.stderr)")
        #expect(try await planj("--journal", journal, "ingest", "--quiet", input).status == 0)
        let disk = directory + "/full-copy"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        guard try await ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1500k", "tmpfs", disk]).status == 0 else { return }
        defer { _ = Foundation.system("umount '\(disk)'") }
        for _ in 0..<2 {
            let copy = try await planj("copy", journal, disk + "/c.sqlite")
            #expect(copy.status == 8 && copy.stderr.contains("disk holding the journal is full"), "\(copy.status) \(copy.stderr)")
        }
        // An export of every run stops at the first file the disk cannot take, and names it
        // (it went on, one line a run).
        let export = try await planj("--journal", journal, "export", "--all", "--format", "html", "-o", disk + "/out")
        let lines = export.stderr.split(separator: "\n").filter { $0.contains("cannot write the output") }
        #expect(export.status == 8 && lines.count == 1 && lines[0].contains(disk + "/out/"), "\(export.stderr.prefix(500))")
    }

    /// An append cut short by the file size limit (`ulimit -f`, as a full disk would) leaves
    /// every acknowledged event in the journal, and the record the limit cut off in the append
    /// log, never acknowledged, is dropped without a warning that acknowledged appends might be lost.
    @Test func anAppendLogRecordCutOffByTheFileSizeLimitIsNoAlarm() async throws {
        let input = directory + "/corpus.jsonl"
        let made = try await ChildProcess.run(
            "python3", [Fixtures.repositoryRoot + "/tools/gen_corpus.py", "--seed", "5", "--events", "1500", "--interleave", "1", "--out", input])
        try #require(made.status == 0, "\(made.stderr)")
        let binary = try #require(Fixtures.planjBinary)
        let limited = try await ChildProcess.run(
            "/bin/sh", ["-c", "ulimit -f 800; '\(binary)' --journal '\(journal)' append < '\(input)'"], in: directory)
        #expect(limited.status == 8 && limited.stderr.contains("(ulimit -f)"), "\(limited.stderr.suffix(300))")
        let acknowledged = limited.stdout.split(separator: "\n").filter { $0.contains(#""ok":true"#) }.count
        let verify = try await planj("--journal", journal, "verify", "--json")
        #expect(verify.status == 0 && !verify.stderr.contains("could not be added"), "\(verify.stderr)")
        let report = try JSONValue(parsing: verify.stdout)
        #expect(report["events"]?.int64Value == Int64(acknowledged) && acknowledged > 0, "\(acknowledged) acknowledged: \(verify.stdout)")
        #expect(report["kept_append_logs"]?.arrayValue?.isEmpty == true)
    }

    /// A run the journal stops part way (the file size limit, as a full disk would) is named in
    /// the error, with how to go on (the operator had to look for it with `planj runs`).
    @Test func aRunTheJournalStopsIsNamed() async throws {
        let binary = try #require(Fixtures.planjBinary)
        let first = try await planj("--journal", journal, "demo", "--pace", "0", "--quiet", "--json")
        try #require(first.status == 0, "\(first.stderr)")
        var stopped = 0
        for blocks in [160, 170, 200] {
            let copy = directory + "/limited-\(blocks).sqlite"
            try FileManager.default.copyItem(atPath: journal, toPath: copy)
            let limited = try await ChildProcess.run(
                "/bin/sh", ["-c", "ulimit -f \(blocks); '\(binary)' --journal '\(copy)' demo --pace 0 --quiet"], in: directory)
            guard limited.status != 0 else { continue }
            stopped += 1
            let runs = try await planj("--journal", copy, "runs", "--json")
            let ids = try JSONValue(parsing: runs.stdout).arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            let run = try #require(ids.first { !first.stdout.contains($0) }, "\(runs.stdout)")
            #expect(limited.status == 8 && limited.stderr.contains(": run \(run): "), "\(limited.stderr)")
            #expect(limited.stderr.contains("planj: note: this was run \(run); if it did not finish, `planj resume \(run)`"))
        }
        #expect(stopped > 0)
    }

    /// In a shared sticky folder, another user who only read the journal leaves its -wal and
    /// -shm, which the owner cannot write: the owner's write names that file and its user (it
    /// said the owner could not write the journal or its folder). Needs root, for setpriv.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func anotherUsersSideFilesAreNamed() async throws {
        let shared = directory + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: directory)
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: shared)
        let binary = try #require(Fixtures.planjBinary)
        let file = shared + "/j.sqlite"
        func planjAs(_ uid: Int, _ arguments: String) async throws -> ChildProcess.Result {
            try await ChildProcess.run(
                "/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/bin/sh", "-c", "'\(binary)' --journal '\(file)' \(arguments)"],
                in: shared)
        }
        #expect(try await planjAs(65534, "ingest '\(Fixtures.validContract)'").status == 0)
        #expect(try await planjAs(4242, "runs").status == 0)
        let write = try await planjAs(65534, "ingest '\(Fixtures.validContract)'")
        #expect(write.status == 8 && write.stderr.contains("belongs to another user (uid 4242)"), "\(write.stderr)")
    }

    /// A journal path longer than SQLite opens says so (it was "unable to open database file").
    @Test func aJournalPathTooLongForSQLiteIsNamedSo() async throws {
        let folder = directory + "/" + String(repeating: "d", count: 250) + "/" + String(repeating: "e", count: 250)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let r = try await planj("--journal", folder + "/j.sqlite", "ingest", Fixtures.validContract)
        #expect(r.status == 8 && r.stderr.contains("and SQLite opens paths of at most 511"), "\(r.stderr)")
    }

    /// With too few open files (`ulimit -n 16`), planj says so and ends, rather than trap inside
    /// Dispatch part way through a run; a low soft limit under a higher hard one is raised.
    @Test func tooFewOpenFilesAreSaidBeforeAnythingStarts() async throws {
        let binary = try #require(Fixtures.planjBinary)
        let hard = try await ChildProcess.run("/bin/sh", ["-c", "ulimit -n 16; '\(binary)' --journal '\(journal)' demo --pace 0"], in: directory)
        #expect(hard.status == 8 && hard.stderr.contains("planj needs at least 64 open files, and the limit is 16"), "\(hard.stderr)")
        let soft = try await ChildProcess.run("/bin/sh", ["-c", "ulimit -Sn 16; '\(binary)' --journal '\(journal)' demo --pace 0 --quiet"], in: directory)
        #expect(soft.status == 0, "\(soft.stderr)")
    }

    /// A SQLite file of another application is not a journal: no command adds planj's tables to
    /// it. A damaged format version is corruption, not an attempt to create the tables again.
    @Test func aForeignOrDamagedDatabaseIsRefusedUntouched() async throws {
        let other = directory + "/other.sqlite"
        let create = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(other)'); c.execute('create table foo(a)'); c.commit()"])
        try #require(create.status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        for command in [["runs"], ["ingest", Fixtures.validContract]] {
            let r = try await PlanjBinary.run(["--journal", other] + command, in: directory)
            #expect(r.status == 6 && r.stderr.contains("not a planj journal (it holds foo)"), "\(command): \(r.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == before)
        // A table named meta that is not planj's does not make a journal either.
        let meta = directory + "/meta.sqlite"
        let made = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(meta)'); c.execute('create table meta(key, value)'); c.commit()"])
        try #require(made.status == 0)
        let metaRuns = try await planj("--journal", meta, "runs")
        #expect(metaRuns.status == 6 && metaRuns.stderr.contains("table meta is not planj's"))
        // Nor one without planj's columns.
        let columns = directory + "/columns.sqlite"
        let madeColumns = try await ChildProcess.run(
            "/usr/bin/env", ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(columns)'); c.execute('create table meta(a, b)'); c.commit()"])
        try #require(madeColumns.status == 0)
        let columnsRuns = try await planj("--journal", columns, "runs")
        #expect(columnsRuns.status == 6 && columnsRuns.stderr.contains("table meta is not planj's"), "\(columnsRuns.stderr)")

        #expect(try await planj("--journal", journal, "ingest", Fixtures.validContract).status == 0)
        let damage = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(journal)'); c.execute(\"update meta set value = 'abc' where key = 'format_version'\"); c.commit()"])
        try #require(damage.status == 0)
        let damaged = try await planj("--journal", journal, "runs")
        #expect(damaged.status == 6 && damaged.stderr.contains("format version is damaged"))
        // A version row gone is damage too, not a new journal whose tables are in the way.
        let gone = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(journal)'); c.execute(\"delete from meta where key = 'format_version'\"); c.commit()"])
        try #require(gone.status == 0)
        let missing = try await planj("--journal", journal, "runs")
        #expect(missing.status == 6 && missing.stderr.contains("format version is missing"), "\(missing.stderr)")
    }

    /// A file from another tool reads the same whatever command takes it: a byte order mark is
    /// skipped by ingest, import, copy and append alike, and a file that is no LZ4 frame stream is
    /// bad input (exit status 3) named by every command, not a corrupt journal.
    @Test func inputFilesReadTheSameWhateverCommandTakesThem() async throws {
        let line = #"{"v":1,"run":"bom","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#
        let bom = "\u{FEFF}" + line + "\n"
        try bom.write(toFile: directory + "/bom.jsonl", atomically: true, encoding: .utf8)
        #expect(try await ChildProcess.run("lz4", ["-q", "-f", directory + "/bom.jsonl", directory + "/bom.pjl"]).status == 0)
        for (index, command) in [["ingest", "bom.jsonl"], ["import", "bom.pjl"], ["copy", "bom.pjl"]].enumerated() {
            let target = directory + "/j\(index).sqlite"
            let r = try await PlanjBinary.run(["--journal", target] + command + (command[0] == "copy" ? [target] : []), in: directory)
            #expect(r.status == 0, "\(command): \(r.stderr)")
        }
        let appended = try await planj("--journal", directory + "/j3.sqlite", "append", stdin: bom)
        #expect(appended.status == 0 && appended.stdout.contains(#""ok":true"#), "\(appended.stderr)")

        try Data([0x1F, 0x8B, 0x08, 0x00, 0x00]).write(to: URL(fileURLWithPath: directory + "/gz.pjl"))
        for command in [["import", "gz.pjl"], ["copy", "gz.pjl", directory + "/j4.sqlite"]] {
            let r = try await PlanjBinary.run(["--journal", journal] + command, in: directory)
            #expect(r.status == 3 && r.stderr.contains("gz.pjl: "), "\(command): \(r.stderr)")
        }
    }

    /// Smaller habits of a tool: the export format follows `-o`'s extension, `--all -o FILE` says
    /// it needs a folder, the demo's hints quote the journal's path for the shell, and an overlong
    /// run id is shortened in messages.
    @Test func outputsFollowWhatTheUserTyped() async throws {
        #expect(try await planj("--journal", journal, "ingest", Fixtures.validContract).status == 0)
        let run = "01JDQ8Z7K2V3M4N5P6Q7R8S9T0"
        #expect(try await planj("--journal", journal, "export", run, "-o", "run.pjl").status == 0)
        let lz4 = try await ChildProcess.run("lz4", ["-dc", directory + "/run.pjl"])
        #expect(lz4.status == 0 && lz4.stdout.hasPrefix(#"{"v":1"#))
        #expect(try await planj("--journal", journal, "export", run, "-o", "report.html").status == 0)
        #expect(try String(contentsOfFile: directory + "/report.html", encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        let intoFile = try await planj("--journal", journal, "export", "--all", "-o", "run.pjl")
        #expect(intoFile.status == 2 && intoFile.stderr.contains("with --all, -o names a folder"))

        let spaced = directory + "/my journal's.sqlite"
        let demo = try await planj("--journal", spaced, "demo", "--pace", "0")
        #expect(demo.stderr.contains(#"planj --journal '\#(directory)/my journal'\''s.sqlite' show "#))

        let long = String(repeating: "x", count: 5_000)
        let line = #"{"v":1,"run":"\#(long)","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#
        let rejected = try await planj("--journal", journal, "ingest", "-", stdin: line + "\n")
        #expect(rejected.status == 3 && rejected.stderr.contains("… (5000 bytes)") && rejected.stderr.utf8.count < 1_000)
    }

    /// A Markdown report carries no control characters from runs, printed on a terminal or
    /// written to a pipe or a file (`cat report.md` is a terminal too).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func aReportOnATerminalCarriesNoControlCharactersFromRuns() async throws {
        let line = #"{"v":1,"run":"ctl","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"wipe \u001b[2J now"}}"#
        #expect(try await planj("--journal", journal, "ingest", "-", stdin: line + "\n").status == 0)
        let binary = try #require(Fixtures.planjBinary)
        let command = "'\(binary)' --journal '\(journal)' export ctl --format md"
        let tty = try await ChildProcess.run("/usr/bin/script", ["-qec", command, "/dev/null"], in: directory)
        #expect(tty.status == 0, "\(tty.stderr)")
        #expect(tty.stdout.contains("wipe \u{FFFD}\\[2J now") && !tty.stdout.contains("\u{1B}"))
        let piped = try await planj("--journal", journal, "export", "ctl", "--format", "md")
        #expect(piped.stdout.contains("wipe \u{FFFD}\\[2J now"))
    }

    /// With --json, a usage error the argument parser finds is JSON on standard error too, as
    /// every other error that stops a command is; without, it is text with the usage.
    @Test func usageErrorsAreJSONWithJSON() async throws {
        for arguments in [["runs", "--status", "weird", "--json"], ["audit", "--json"], ["show", "r", "--at", "0", "--json"]] {
            let r = try await PlanjBinary.run(["--journal", journal] + arguments, in: directory)
            let object = try JSONSerialization.jsonObject(with: Data(r.stderr.utf8)) as? [String: Any]
            let error = try #require(object?["error"] as? [String: Any], "\(arguments): \(r.stderr)")
            #expect(r.status == 2 && error["code"] as? String == "usage" && error["exit_status"] as? Int == 2)
            #expect(!(error["message"] as? String ?? "").isEmpty)
        }
        let text = try await planj("--journal", journal, "runs", "--status", "weird")
        #expect(text.status == 2 && text.stderr.contains("Usage:"), "\(text.stderr)")
    }

    /// A conflict and an invalid run in one ingest give 4 whatever their order, in one file or
    /// across files: a script can branch on it.
    @Test func aConflictAndAnInvalidRunExitWithFourInEitherOrder() async throws {
        let run = try RunBuilder.complete(run: "held", steps: 2)
        try run.jsonl.write(toFile: directory + "/held.jsonl", atomically: true, encoding: .utf8)
        #expect(try await planj("--journal", journal, "ingest", "held.jsonl").status == 0)
        let changed = run.events.map(\.jsonLine)[0].replacingOccurrences(of: "\"goal\":\"", with: "\"goal\":\"other ") + "\n"
        let invalid = "{\"run\":\"bad\",\"seq\":2}\n"
        try changed.write(toFile: directory + "/conflict.jsonl", atomically: true, encoding: .utf8)
        try invalid.write(toFile: directory + "/invalid.jsonl", atomically: true, encoding: .utf8)
        try (changed + invalid).write(toFile: directory + "/both.jsonl", atomically: true, encoding: .utf8)
        try (invalid + changed).write(toFile: directory + "/both-reversed.jsonl", atomically: true, encoding: .utf8)
        for files in [["conflict.jsonl", "invalid.jsonl"], ["invalid.jsonl", "conflict.jsonl"], ["both.jsonl"], ["both-reversed.jsonl"]] {
            let r = try await PlanjBinary.run(["--journal", journal, "ingest"] + files, in: directory)
            #expect(r.status == 4, "\(files): \(r.stderr)")
        }
    }

    @Test func severalFilesAreIngestedInTurnAndARunMayContinueAcrossThem() async throws {
        let run = try RunBuilder.complete(run: "rotated", steps: 4)
        let lines = run.events.map { $0.jsonLine + "\n" }
        let half = lines.count / 2
        try lines[..<half].joined().write(toFile: directory + "/a.jsonl", atomically: true, encoding: .utf8)
        try lines[half...].joined().write(toFile: directory + "/b.jsonl", atomically: true, encoding: .utf8)
        try "{\"run\":\"bad\",\"seq\":2}\n".write(toFile: directory + "/c.jsonl", atomically: true, encoding: .utf8)
        let r = try await planj("--journal", journal, "ingest", "a.jsonl", "c.jsonl", "b.jsonl", "--json")
        #expect(r.status == 3, "a rejection in any file sets the exit status")
        let reports = try r.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(reports.map { $0["source"] as? String } == ["a.jsonl", "c.jsonl", "b.jsonl"])
        #expect(reports.map { $0["events_written"] as? Int } == [half, 0, lines.count - half])
        // With --json the rejection is in the report (stdout), and stderr stays quiet.
        let rejected = reports[1]["rejected"] as? [[String: Any]]
        #expect(rejected?.first?["run"] as? String == "bad" && rejected?.first?["line"] as? Int == 1)
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        let events = try await planj("--journal", journal, "events", "rotated")
        #expect(events.stdout.split(separator: "\n").count == lines.count)
        let twice = try await planj("--journal", journal, "ingest", "-", "-")
        #expect(twice.status == 2 && twice.stderr.contains("Standard input (-) can be read once"))
    }

    @Test func aDirectoryStandsForItsJSONLinesFilesInPathOrder() async throws {
        let logs = directory + "/logs"
        try FileManager.default.createDirectory(atPath: logs + "/2026-11-25", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: logs + "/2026-11-24", withIntermediateDirectories: true)
        let runs = try ["x", "y", "z"].map { try RunBuilder.complete(run: $0, steps: 2) }
        try runs[0].jsonl.write(toFile: logs + "/2026-11-25/x.jsonl", atomically: true, encoding: .utf8)
        try runs[1].jsonl.write(toFile: logs + "/2026-11-24/y.ndjson", atomically: true, encoding: .utf8)
        try runs[2].jsonl.write(toFile: logs + "/z.JSONL", atomically: true, encoding: .utf8)  // any case
        try "not json\n".write(toFile: logs + "/2026-11-24/notes.txt", atomically: true, encoding: .utf8)
        let r = try await planj("--journal", journal, "ingest", "logs", "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let sources = try r.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["source"] as? String
        }
        #expect(sources == ["logs/2026-11-24/y.ndjson", "logs/2026-11-25/x.jsonl", "logs/z.JSONL"])
        let events = runs.map(\.events.count).reduce(0, +)
        let text = try await planj("--journal", directory + "/text.sqlite", "ingest", "logs")
        #expect(text.stderr.contains("ingested \(events) events of 3 runs from 3 files ("), "one line for all: \(text.stderr)")
        #expect(!text.stderr.contains("from logs/"))
        #expect(try await planj("--journal", journal, "verify").stdout.hasPrefix("ok: 3 runs"))

        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)
        let empty = try await planj("--journal", directory + "/other.sqlite", "ingest", "empty")
        #expect(empty.status == 2 && empty.stderr.contains("empty: the directory holds no .jsonl or .ndjson file"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/other.sqlite"), "no journal is created for a usage error")
    }

    /// What ingesting `lines` (one run's JSON Lines) from standard input says: its exit status and
    /// standard error, the run's events read back, and the `--json` report of the same lines
    /// ingested into another journal.
    private func ingestFromStandardInput(_ lines: [String], run: String) async throws -> (
        status: Int32, stderr: String, events: String, report: [String: Any]?
    ) {
        let text = lines.joined(separator: "\n") + "\n"
        let r = try await planj("--journal", journal, "ingest", "-", stdin: text)
        let events = try await planj("--journal", journal, "events", run)
        let again = try await planj("--journal", directory + "/other.sqlite", "ingest", "-", "--json", stdin: text)
        let report = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        return (r.status, r.stderr, events.stdout, report)
    }

    /// A `ts` finer than microseconds is kept rounded down, and ingest says how many there were.
    @Test func ingestNotesTimestampsFinerThanMicroseconds() async throws {
        let r = try await ingestFromStandardInput(
            [
                #"{"run":"nano","seq":1,"ts":"2026-11-24T10:00:00.123456789Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"nano","seq":2,"ts":"2026-11-24T10:00:01.5Z","kind":"note","data":{}}"#,
                #"{"run":"nano","seq":3,"ts":"2026-11-24T10:00:02.000000100Z","kind":"note","data":{}}"#,
            ], run: "nano")
        #expect(r.status == 0)
        #expect(r.stderr.contains("planj: note: 2 events of - have a ts finer than microseconds"))
        #expect(r.events.contains(#""ts":"2026-11-24T10:00:00.123456Z""#))
        #expect(r.events.contains(#""ts":"2026-11-24T10:00:02.000000Z""#))
        #expect(r.report?["timestamps_rounded"] as? Int == 2)
        let clean = try await planj("--journal", directory + "/third.sqlite", "ingest", Fixtures.validContract)
        #expect(!clean.stderr.contains("note:"))
    }

    /// An integer `ts` is microseconds; one before 1973 was most likely written in seconds or
    /// milliseconds: it is stored as given, and ingest says so, naming the first line.
    @Test func ingestNotesIntegerTimestampsThatLookLikeSecondsOrMilliseconds() async throws {
        let r = try await ingestFromStandardInput(
            [
                #"{"run":"units","seq":1,"ts":1764152000000000,"kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"units","seq":2,"ts":1764152001,"kind":"note","data":{}}"#,
                #"{"run":"units","seq":3,"ts":1764152002000,"kind":"note","data":{}}"#,
            ], run: "units")
        #expect(r.status == 0)
        #expect(r.stderr.contains("planj: note: 2 events of - with an integer ts before 1973 (first at line 2)"))
        #expect(r.events.contains(#""ts":"1970-01-01T00:29:24.152001Z""#))
        #expect(r.report?["timestamps_near_epoch"] as? Int == 2)
        #expect(r.report?["first_timestamp_near_epoch"] as? Int == 2)
    }

    /// A kind that is neither known nor `x.*` (most likely misspelled) is stored as written, and
    /// ingest says so, naming the first line and the kind it most likely means.
    @Test func ingestNotesKindsItDoesNotKnow() async throws {
        let r = try await ingestFromStandardInput(
            [
                #"{"run":"k","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"k","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"x.acme.beat","data":{}}"#,
                #"{"run":"k","seq":3,"ts":"2026-11-24T10:00:02Z","kind":"Step_Completed","data":{}}"#,
                #"{"run":"k","seq":4,"ts":"2026-11-24T10:00:03Z","kind":"heartbeat","data":{}}"#,
                #"{"run":"k","seq":5,"ts":"2026-11-24T10:00:04Z","kind":"Step_Completed","data":{}}"#,
            ], run: "k")
        #expect(r.status == 0)
        #expect(
            r.stderr.contains(
                "planj: note: 3 events of - have a kind this version does not know (2 kinds, the first at line 3): "
                    + "'Step_Completed' is not a kind this version of planj knows (did you mean step.completed?)"),
            "\(r.stderr)")
        #expect(r.events.contains(#""kind":"Step_Completed""#))
        let kinds = r.report?["unknown_kinds"] as? [[String: Any]]
        #expect(kinds?.map { $0["kind"] as? String } == ["Step_Completed", "heartbeat"])
        #expect(kinds?.first?["events"] as? Int == 2 && kinds?.first?["suggestion"] as? String == "step.completed")
        #expect(r.report?["unknown_kind_events"] as? Int == 3)
    }

    /// A cost written as a string (a Python `Decimal`) or a token count that is no integer counts
    /// 0 in totals and budgets: ingest says so, naming the first line and the fields.
    @Test func ingestNotesCostsAndTokenCountsThatCountZero() async throws {
        let r = try await ingestFromStandardInput(
            [
                #"{"run":"m","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"m","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"call.model","data":{"model":"m","cost_usd":0.5,"usage":{"input_tokens":3,"output_tokens":null}}}"#,
                #"{"run":"m","seq":3,"ts":"2026-11-24T10:00:02Z","kind":"call.model","data":{"model":"m","cost_usd":"5.0","usage":{"input_tokens":10.7,"output_tokens":"12"}}}"#,
                #"{"run":"m","seq":4,"ts":"2026-11-24T10:00:03Z","kind":"call.model","data":{"model":"m","usage":{"input_tokens":99999999999999999999}}}"#,
            ], run: "m")
        #expect(r.status == 0)
        #expect(
            r.stderr.contains(
                "planj: note: 2 call.model events of - have a cost or token count that counts 0 (first at line 3: cost_usd, usage.input_tokens, usage.output_tokens)"),
            "\(r.stderr)")
        #expect(r.report?["measures_uncounted"] as? Int == 2)
    }

    @Test func rejectionsNameTheLineRunAndFieldAndSetTheExitStatus() async throws {
        let file = Fixtures.contract + "/invalid/unknown-step.jsonl"
        let r = try await planj("--journal", journal, "ingest", file)
        #expect(r.status == 3)
        #expect(r.stderr.contains("line 3: run r-bad seq 3: field data.step_id:"))
        let json = try await planj("--journal", journal, "ingest", file, "--json")
        #expect(json.stdout.contains(#""field":"data.step_id""#) && json.stdout.split(separator: "\n").count == 1)
        let missing = try await planj("--journal", journal, "show", "nope", "--json")
        #expect(missing.status == 5)
        #expect(missing.stderr.contains(#""code":"run.not_found""#))
        let unreadable = try await planj("--journal", journal, "ingest", directory + "/absent.jsonl")
        #expect(unreadable.status == 2 && unreadable.stderr.contains("absent.jsonl"))
    }

    @Test func pjlExportImportAndStandardInput() async throws {
        try await planj("--journal", journal, "ingest", "-", stdin: try String(contentsOfFile: Fixtures.validContract, encoding: .utf8))
        let pjl = directory + "/run.pjl"
        #expect(try await planj("--journal", journal, "export", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--format", "pjl", "-o", pjl).status == 0)
        let other = directory + "/other.sqlite"
        #expect(try await planj("--journal", other, "import", pjl).status == 0)
        let a = try await planj("--journal", journal, "runs", "--json").stdout
        let b = try await planj("--journal", other, "runs", "--json").stdout
        let hash = { (s: String) in s.components(separatedBy: "\"head_hash\" : ").dropFirst().map { $0.prefix(66) } }
        #expect(hash(b).allSatisfy { hash(a).contains($0) })
        #expect(try await planj("--journal", other, "verify").status == 0)
        // Standard input: read whole, then imported as the file was.
        let piped = directory + "/piped.sqlite"
        let r = try await PlanjBinary.run(
            ["--journal", piped, "import", "-"], in: directory, input: try Data(contentsOf: URL(fileURLWithPath: pjl)))
        #expect(r.status == 0 && r.stderr.hasPrefix("imported 26 events of 1 run from - ("), "\(r.stderr)")
        #expect(try await planj("--journal", piped, "runs", "--json").stdout == b)
        let garbage = try await planj("--journal", piped, "import", "-", stdin: "not a pjl\n")
        #expect(garbage.status == 3 && garbage.stderr.contains("-: not a valid LZ4 frame"))
        // The two commands swapped: each says which one the file is for.
        let lines = directory + "/run.jsonl"
        try (try await planj("--journal", piped, "events", "--", try await firstRun(in: piped)).stdout).write(
            toFile: lines, atomically: true, encoding: .utf8)
        let jsonl = try await planj("--journal", piped, "import", lines)
        #expect(jsonl.status == 3 && jsonl.stderr.contains("load it with planj ingest"), "\(jsonl.stderr)")
        let binary = try await planj("--journal", piped, "ingest", pjl)
        #expect(binary.status == 3 && binary.stderr.contains("load it with planj import"), "\(binary.stderr)")
    }

    private func firstRun(in journal: String) async throws -> String {
        let runs = try JSONValue(parsing: Array(try await planj("--journal", journal, "runs", "--json").stdout.utf8))
        return try #require(runs.arrayValue?.first?["id"]?.stringValue)
    }

    /// A run holding an event over ingest's 16 MiB line limit (a runner's step output, say)
    /// exports to a .pjl that imports back.
    @Test func aPJLOfAnEventOverIngestsLineLimitImports() async throws {
        let output = String(repeating: "0123456789abcdef", count: (17 << 20) / 16)
        let lines = [
            #"{"run":"huge","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
            #"{"run":"huge","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"note","data":{"text":"\#(output)"}}"#,
        ]
        let input = directory + "/huge.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        #expect(try await planj("--journal", journal, "ingest", input, "--max-line-bytes", "\(32 << 20)").status == 0)
        #expect(try await planj("--journal", journal, "export", "huge", "--format", "pjl", "-o", directory + "/huge.pjl").status == 0)
        let other = directory + "/other.sqlite"
        let imported = try await planj("--journal", other, "import", directory + "/huge.pjl")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try await planj("--journal", other, "events", "huge").stdout == planj("--journal", journal, "events", "huge").stdout)
    }

    /// `import -` copies standard input to a temporary file whose name is removed at once: the
    /// copy goes with the process, even when Ctrl-C ends it mid-way.
    @Test(.timeLimit(.minutes(1))) func anInterruptedImportOfStandardInputLeavesNoTemporaryFile() async throws {
        let tmp = directory + "/tmp/"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let p = try PlanjBinary.process(["--journal", journal, "import", "-"], in: directory, environment: ["TMPDIR": tmp])
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(repeating: 0x41, count: 1 << 16))
        // The copy has begun once the process holds the temporary file open.
        let fds = "/proc/\(p.processIdentifier)/fd"
        func holdsCopy() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: fds)) ?? []).contains { fd in
                ((try? FileManager.default.destinationOfSymbolicLink(atPath: fds + "/" + fd)) ?? "").contains("planj-input-")
            }
        }
        while p.isRunning && !holdsCopy() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(p.isRunning)
        p.signal(SIGINT)
        await p.exited()
        try? input.fileHandleForWriting.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    /// `export --all --format pjl -o DIR` and `import DIR` are each other's inverse.
    @Test func aDirectoryOfPJLFilesImportsEveryRun() async throws {
        try await planj("--journal", journal, "ingest", Fixtures.validContract)
        let backup = directory + "/backup"
        #expect(try await planj("--journal", journal, "export", "--all", "--format", "pjl", "-o", backup).status == 0)
        let restored = directory + "/restored.sqlite"
        let r = try await planj("--journal", restored, "import", backup, "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let sources = try r.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["source"] as? String
        }
        let pjls = try FileManager.default.contentsOfDirectory(atPath: backup).filter { $0.hasSuffix(".pjl") }
        #expect(sources.count == pjls.count && pjls.count == 2)
        let runs = { (path: String) in try await self.planj("--journal", path, "runs", "--json").stdout }
        #expect(try await runs(restored) == runs(journal))
        #expect(try await planj("--journal", restored, "verify").status == 0)
        try FileManager.default.createDirectory(atPath: directory + "/none", withIntermediateDirectories: true)
        let empty = try await planj("--journal", restored, "import", directory + "/none")
        #expect(empty.status == 2 && empty.stderr.contains("the directory holds no .pjl file"))
        let fresh = directory + "/fresh.sqlite"
        let missing = try await planj("--journal", fresh, "import", backup, directory + "/missing.pjl")
        #expect(missing.status == 2 && missing.stderr.contains("missing.pjl: cannot open the input file"))
        #expect(!FileManager.default.fileExists(atPath: fresh), "a missing file is found before anything is imported")
    }

    @Test func filesOfADirectoryThatCannotBeDecodedAreReportedAndTheOthersImported() async throws {
        try await planj("--journal", journal, "ingest", Fixtures.validContract)
        let backup = directory + "/backup"
        #expect(try await planj("--journal", journal, "export", "--all", "--format", "pjl", "-o", backup).status == 0)
        let good = try FileManager.default.contentsOfDirectory(atPath: backup).filter { $0.hasSuffix(".pjl") }.sorted()
        let whole = try Data(contentsOf: URL(fileURLWithPath: backup + "/" + good[0]))
        try Data("not an LZ4 frame\n".utf8).write(to: URL(fileURLWithPath: backup + "/0-garbage.pjl"))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: backup + "/1-cut.pjl"))

        let restored = directory + "/restored.sqlite"
        let r = try await planj("--journal", restored, "import", backup)
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("0-garbage.pjl:") && r.stderr.contains("1-cut.pjl: the LZ4 frame stream is cut off"))
        #expect(r.stderr.contains("from 4 files, 2 of them not imported"))
        let runs = { (path: String) in try await self.planj("--journal", path, "runs", "--json").stdout }
        #expect(try await runs(restored) == runs(journal), "every run of the good files is imported")
        #expect(try await planj("--journal", restored, "verify").status == 0)

        let json = try await planj("--journal", directory + "/json.sqlite", "import", backup, "--json")
        #expect(json.status == 3)
        // One line per file, a file that could not be imported too.
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == good.count + 2)
        #expect(lines.filter { $0.contains(#""error":{"code":"input.invalid""#) }.count == 2)
        #expect(json.stderr.split(separator: "\n").filter { $0.contains(#""code":"input.invalid""#) }.count == 2)
    }

    /// Past `PLANJOURNAL_INGEST_BUFFERED_BYTES` the events of open runs wait in a temporary
    /// file; a temporary directory that cannot be written only keeps them in memory.
    @Test func eventsOfOpenRunsWaitInATemporaryFileOrInMemoryWhenThereIsNone() async throws {
        func ingest(_ name: String, tmp: String) async throws -> (status: Int32, spilled: Int?, runs: String) {
            let path = directory + "/" + name
            let r = try await planj(
                "--journal", path, "ingest", Fixtures.validContract, "--json",
                environment: ["PLANJOURNAL_INGEST_BUFFERED_BYTES": "2048", "TMPDIR": tmp])
            let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return (r.status, report?["spilled_bytes"] as? Int, try await planj("--journal", path, "runs", "--json").stdout)
        }
        let spilled = try await ingest("spilled.sqlite", tmp: directory + "/")
        #expect(spilled.status == 0 && (spilled.spilled ?? 0) > 0)
        let inMemory = try await ingest("memory.sqlite", tmp: directory + "/missing/")
        #expect(inMemory.status == 0 && inMemory.spilled == 0)
        #expect(spilled.runs == inMemory.runs && spilled.runs.contains("01JDQ8Z7K2V3M4N5P6Q7R8S9T0"))
    }

    /// JSON Lines carry a fork's events but not the fork: export says so, and ingesting them
    /// says how to make the fork first.
    @Test func aForkExportedAsJSONLinesSaysWhatItLoses() async throws {
        _ = try await planj("--journal", journal, "ingest", Fixtures.validContract)
        let run = "01JDQ8Z7K2V3M4N5P6Q7R8S9T0"
        // A fork point past the end is a usage error, as for show --at and replay --from; the
        // default id is a ULID, as planj run makes.
        let past = try await planj("--journal", journal, "fork", run, "--at", "500")
        #expect(past.status == 2 && past.stderr.contains("--at 500: a fork point must be within 1..."), "\(past.stderr)")
        let named = try await planj("--journal", journal, "fork", run, "--at", "2")
        #expect(named.stdout.trimmingCharacters(in: .whitespacesAndNewlines).count == 26)
        #expect(try await planj("--journal", journal, "fork", run, "--at", "5", "--as", "f").status == 0)
        let note = #"{"run":"f","seq":6,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#
        #expect(try await planj("--journal", journal, "ingest", "-", stdin: note).status == 0)
        let exported = try await planj("--journal", journal, "export", "f", "--no-redact")
        #expect(exported.stderr.contains("run f is a fork") && exported.stderr.contains("--format pjl"))
        let own = exported.stdout.split(separator: "\n").filter { $0.contains(#""run":"f""#) }.joined(separator: "\n")
        let ingested = try await planj("--journal", directory + "/other.sqlite", "ingest", "-", stdin: own + "\n")
        #expect(ingested.status == 3 && ingested.stderr.contains("planj fork PARENT --at 5 --as=f,"), "\(ingested.stderr)")
    }

    /// Names SQLite would read as a URI or an in-memory database are files of that name, where
    /// reading commands find them; a device is refused before SQLite creates files beside it.
    @Test func aJournalNamedLikeAURIIsAFileOfThatName() async throws {
        let line = #"{"run":"m","seq":1,"ts":"2026-11-25T09:00:00Z","kind":"run.started","data":{"goal":"x"}}"#
        for name in ["file:y.sqlite", ":memory:"] {
            let append = try await planj("--journal", name, "append", stdin: line + "\n")
            #expect(append.status == 0, "\(append.stderr)")
            #expect(FileManager.default.fileExists(atPath: directory + "/" + name), "\(name)")
            let runs = try await planj("--journal", name, "runs", "--json")
            #expect(runs.status == 0 && runs.stdout.contains(#""id" : "m""#), "\(name): \(runs.stderr)")
        }
        let device = try await planj("--journal", "/dev/null", "runs")
        #expect(device.status == 2 && device.stderr.contains("it is a device"), "\(device.stderr)")
    }

    /// A journal path that is a symbolic link to nothing, or a loop of links, says so (it said
    /// "no journal here" to reading commands and "not a regular file" to writing ones), and
    /// nothing is created through it.
    @Test func aBrokenSymbolicLinkAsTheJournalSaysWhatIsWrong() async throws {
        let dangling = directory + "/dangling.sqlite", loop = directory + "/loop.sqlite"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: directory + "/gone/j.sqlite")
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        for command in [["runs"], ["ingest", "-"], ["verify"]] {
            let toNothing = try await PlanjBinary.run(["--journal", dangling] + command, in: directory, stdin: "")
            #expect(toNothing.status == 2, "\(command): \(toNothing.stderr)")
            #expect(toNothing.stderr.contains("it is a symbolic link to \(directory)/gone/j.sqlite, which does not exist"), "\(toNothing.stderr)")
            let looping = try await PlanjBinary.run(["--journal", loop] + command, in: directory, stdin: "")
            #expect(looping.status == 2 && looping.stderr.contains("a loop of links"), "\(command): \(looping.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/gone"))
    }

    /// A journal in a folder this user cannot write (no `-wal` beside it) is read as it is:
    /// reading commands work, writing ones fail saying why. Run as `nobody` (root may write
    /// anything), so only where the tests run as root and `setpriv` is there.
    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func aJournalInAFolderThisUserCannotWriteIsRead() async throws {
        let folder = directory + "/readonly"
        let path = folder + "/j.sqlite"
        #expect(try await planj("--journal", path, "import", Fixtures.repositoryRoot + "/journals/contract-examples.pjl").status == 0)
        let binary = try #require(Fixtures.planjBinary)
        // And an append log a writer left, which this user could write: it must stay as it is.
        let line = #"{"v":1,"run":"late","seq":1,"ts":"2026-11-25T09:00:00.000000Z","kind":"run.started","actor":null,"cause":null,"data":{"goal":"x"}}"# + "\n"
        try Data(("@1 \(line.utf8.count)\n" + line).utf8).write(to: URL(fileURLWithPath: path + "-pjlog"))
        for p in [directory, folder, path, path + "-pjlog"] { #expect(chown(p, 65534, 65534) == 0) }
        #expect(chmod(folder, 0o555) == 0 && chmod(path, 0o444) == 0)
        func asNobody(_ arguments: String..., stdin: String? = nil) async throws -> ChildProcess.Result {
            try await ChildProcess.run(
                "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "--journal", path] + arguments,
                stdin: stdin.map { Data($0.utf8) })
        }
        let runs = try await asNobody("runs", "--json")
        #expect(runs.status == 0 && runs.stdout.contains("01JDQ8Z7K2V3M4N5P6Q7R8S9T0"), "\(runs.stderr)")
        #expect(runs.stderr.contains("holds acknowledged appends not in the journal yet"), "\(runs.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + "-pjlog")).first == UInt8(ascii: "@"))
        #expect(try await asNobody("verify").status == 0)
        let sql = try await asNobody("sql", "SELECT count(*) FROM read_runs")
        #expect(sql.status == 8 && sql.stderr.contains("the SQL tables were never built, and this user cannot write"), "\(sql.stderr)")
        let append = try await asNobody("append", stdin: #"{"run":"m","seq":1,"ts":"2026-11-25T09:00:00Z","kind":"run.started","data":{"goal":"x"}}"# + "\n")
        #expect(append.status == 8 && append.stderr.contains("cannot write the journal or its folder"), "\(append.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        // A user who can write it adds the logged append.
        chmod(folder, 0o755)
        chmod(path, 0o644)
        let listed = try await planj("--journal", path, "runs", "--json").stdout
        #expect(listed.contains(#""id" : "late""#) && listed.contains(#""run" : "late""#))
    }

    /// Commands that append (approve, cancel, fork, seal) leave what they wrote in the database
    /// file, not in the append log beside it for the next writer to add.
    @Test func commandsThatAppendLeaveNothingInTheAppendLog() async throws {
        let lines = [
            #"{"run":"gate","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
            #"{"run":"gate","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"a","description":"d"}]}}"#,
            #"{"run":"gate","seq":3,"ts":"2026-11-24T10:00:02Z","kind":"approval.requested","data":{"step_id":"a"}}"#,
        ]
        #expect(try await planj("--journal", journal, "ingest", "-", stdin: lines.joined(separator: "\n") + "\n").status == 0)
        let log = journal + "-pjlog"
        for command in [["approve", "gate", "--step", "a"], ["fork", "gate", "--at", "2", "--as", "gate2"], ["cancel", "gate"]] {
            let r = try await PlanjBinary.run(["--journal", journal] + command, in: directory)
            #expect(r.status == 0, "\(command): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: log), "\(command) left \(log)")
        }
        #expect(try await planj("--journal", journal, "events", "gate").stdout.contains(#""kind":"approval.resolved""#))
    }

    /// Limits that would stop a run at once or never (0, negative, nan, inf) are refused, naming the flag.
    @Test func runnerLimitsOutOfRangeAreRefused() async throws {
        let agent = "cmd:python3 " + Fixtures.repositoryRoot + "/tools/agents/example_agent.py"
        for (flag, message) in [
            ("--timeout=nan", "--timeout must be a number of seconds above 0, not nan"),
            ("--timeout=0", "--timeout must be a number of seconds above 0, not 0"),
            ("--request-timeout=100000", "--request-timeout must be a number of seconds above 0 and at most 86400"),
            ("--max-steps=-1", "--max-steps must be 0 or more"), ("--max-replans=-1", "--max-replans must be 0 or more"),
            ("--max-attempts=0", "--max-attempts must be at least 1"), ("--budget-usd=nan", "--budget-usd must be a number"),
        ] {
            let r = try await planj(
                "--journal", journal, "run", "--goal", "g", "--planner", agent, "--executor", agent, "--quiet", flag)
            #expect(r.status == 2 && r.stderr.contains(message), "\(flag): \(r.stderr)")
        }
    }

    /// A file whose lines end in carriage returns alone is one line to a JSON Lines reader: its
    /// run is rejected saying so, not left out as a line cut off (exit status 0, nothing ingested).
    @Test func linesEndedByCarriageReturnsAloneAreNamed() async throws {
        let events = [
            #"{"run":"cr","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
            #"{"run":"cr","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"note","data":{}}"#,
        ]
        for text in [events.joined(separator: "\r") + "\r", events.joined(separator: "\r")] {
            let r = try await planj("--journal", journal, "ingest", "-", stdin: text)
            #expect(r.status != 0 && r.stderr.contains("separated by carriage returns alone"), "\(r.stderr)")
            #expect(r.stderr.contains("run cr"), "\(r.stderr)")
            let appended = try await planj("--journal", journal, "append", stdin: text)
            #expect(appended.status == 1 && appended.stdout.contains("separated by carriage returns alone"), "\(appended.stdout)")
        }
        // Pretty-printed JSON (JSON.stringify(e, null, 2), json.dumps(e, indent=2)) is told to be written compact.
        let pretty = "{\n  \"run\": \"cr\",\n  \"seq\": 1\n}\n"
        let ingested = try await planj("--journal", journal, "ingest", "-", stdin: pretty)
        #expect(ingested.status != 0 && ingested.stderr.contains("each event must be one line"), "\(ingested.stderr)")
        let appended = try await planj("--journal", journal, "append", stdin: pretty)
        #expect(appended.status == 1 && appended.stdout.contains("each event must be one line"), "\(appended.stdout)")
    }

    /// A demo pace that could not be waited for (nan, huge, negative) is refused before a run starts.
    @Test(arguments: ["nan", "1e300", "-1", "inf"])
    func aDemoPaceOutOfRangeIsRefused(pace: String) async throws {
        let r = try await planj("--journal", journal, "demo", "--quiet", "--pace=\(pace)")
        #expect(r.status == 2 && r.stderr.contains("--pace must be a number from 0 to 1000"), "\(pace): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: journal), "a journal was made")
    }

    /// `ingest -` takes the journal's write lock once its input has something in it: a pipe that
    /// stays idle holds up no other writer.
    @Test func anIngestWaitingForItsInputHoldsUpNoOtherWriter() async throws {
        let first = #"{"run":"w1","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#
        #expect(try await planj("--journal", journal, "ingest", "-", stdin: first + "\n").status == 0)
        let ingest = try PlanjBinary.process(["--journal", journal, "ingest", "--quiet", "-"], in: directory)
        let input = Pipe()
        ingest.standardInput = input
        ingest.standardError = FileHandle.nullDevice
        try ingest.run()
        defer { if ingest.isRunning { ingest.terminate() } }
        try await Task.sleep(for: .milliseconds(500))
        let other = #"{"run":"w2","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#
        let append = try await planj("--journal", journal, "append", stdin: other + "\n")
        #expect(append.status == 0, "\(append.stdout) \(append.stderr)")
        let late = #"{"run":"w3","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#
        input.fileHandleForWriting.write(Data((late + "\n").utf8))
        try input.fileHandleForWriting.close()
        while ingest.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(ingest.terminationStatus == 0)
        #expect(try await planj("--journal", journal, "runs").stdout.contains("w3"))
    }

    /// Ctrl-C (or SIGTERM) before an ingest's input ends says that what it read is not in the
    /// journal, then ends planj with the signal's status; the journal is as it was. With `--json`,
    /// it says so as a JSON error.
    @Test(arguments: [(SIGINT, Int32(130), false), (SIGTERM, Int32(143), false), (SIGINT, Int32(130), true)])
    func anInterruptedIngestSaysWhatIsNotInTheJournal(signal: Int32, status: Int32, json: Bool) async throws {
        let ingest = try PlanjBinary.process(["--journal", journal, "ingest", "-"] + (json ? ["--json"] : []), in: directory)
        let input = Pipe()
        let errors = Pipe()
        ingest.standardInput = input
        ingest.standardError = errors
        try ingest.run()
        defer { if ingest.isRunning { ingest.terminate() } }
        let line = #"{"run":"cut","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        try await Task.sleep(for: .milliseconds(500))
        ingest.signal(signal)
        while ingest.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let stderr = String(decoding: await errors.readAll(), as: UTF8.self)
        #expect(ingest.terminationStatus == status, "\(stderr)")
        #expect(stderr.contains("interrupted: what this ingest read since it last committed is not in the journal") != json)
        #expect(stderr.contains("`planj append`"))
        if json {
            let error = try #require(JSONValue(parsing: Array(stderr.utf8))["error"], "\(stderr)")
            #expect(error["code"]?.stringValue == "interrupted" && error["message"]?.stringValue?.hasPrefix("SIGINT: what this ingest read") == true)
        }
        #expect(try await planj("--journal", journal, "runs").stderr.contains("no runs in"))
    }

    /// A last line cut off by a writer that stopped in the middle of it (no newline after it, not
    /// valid JSON) is left out with a note; its run's events before it land, and ingesting the
    /// file again once the line is whole adds it. A bad line that ends with its newline still
    /// rejects its run, and so does a whole last line that breaks a rule.
    @Test func aCutOffLastLineIsLeftOutAndTheEventsBeforeItLand() async throws {
        let lines = try RunBuilder.complete(run: "torn", steps: 2, payloadBytes: 40).jsonl.split(separator: "\n")
        let whole = lines.joined(separator: "\n") + "\n"
        let last = lines[lines.count - 1]
        let cut = lines.dropLast().joined(separator: "\n") + "\n" + last.prefix(last.count / 2)
        try cut.write(toFile: directory + "/cut.jsonl", atomically: true, encoding: .utf8)
        let r = try await planj("--journal", journal, "ingest", "cut.jsonl", "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let torn = try #require(report["torn_line"] as? [String: Any])
        #expect(torn["line"] as? Int == lines.count && torn["run"] as? String == "torn")
        #expect(report["events_written"] as? Int == lines.count - 1)
        #expect((report["rejected"] as? [Any])?.isEmpty == true)
        let text = try await planj("--journal", journal, "ingest", "cut.jsonl")
        #expect(text.stderr.contains("cut.jsonl: line \(lines.count) of run torn is cut off"), "\(text.stderr)")
        try whole.write(toFile: directory + "/whole.jsonl", atomically: true, encoding: .utf8)
        let again = try await planj("--journal", journal, "ingest", "whole.jsonl", "--json")
        #expect(again.stdout.contains(#""events_written":1"#) && !again.stdout.contains("torn_line"), "\(again.stdout)")
        #expect(try await planj("--journal", journal, "verify").status == 0)
        // With its newline, the same cut line rejects its run; so does a whole last line that is
        // valid JSON but breaks a rule.
        let bad = lines.dropLast().joined(separator: "\n").replacingOccurrences(of: #""run":"torn""#, with: #""run":"bad""#)
        let cutTail = last.prefix(last.count / 2).replacingOccurrences(of: #""run":"torn""#, with: #""run":"bad""#)
        for tail in [cutTail + "\n", #"{"run":"bad","seq":99}"#] {
            let rejected = try await planj("--journal", journal, "ingest", "-", stdin: bad + "\n" + tail)
            #expect(rejected.status == 3 && rejected.stderr.contains("run bad"), "\(rejected.stderr)")
        }
    }

    @Test func appendAcknowledgesEachEvent() async throws {
        let lines = try Fixtures.lines(Fixtures.validContract).prefix(3).joined(separator: "\n") + "\n{broken\n"
        let r = try await planj("--journal", journal, "append", stdin: lines)
        let acks = r.stdout.split(separator: "\n")
        #expect(acks.count == 4)
        #expect(acks[0].contains(#""ok":true"#) && acks[0].contains(#""seq":1"#))
        #expect(acks[3].contains(#""ok":false"#) && acks[3].contains(#""code":"event.syntax""#))
        #expect(r.status == 1)
        // A line sent again (a lost acknowledgement) is acknowledged as a duplicate, with or without
        // --expect-head; a different event at a stored seq is still a conflict.
        let first = try Fixtures.lines(Fixtures.validContract)[0]
        let run = try JournalEvent(parsing: first).run
        let before = try await planj("--journal", journal, "events", run).stdout
        let firstHash = try #require(acks[0].split(separator: "\"").drop { $0 != "head_hash" }.dropFirst(2).first)
        for flags in [[], ["--expect-head"]] {
            let again = try await PlanjBinary.run(["--journal", journal, "append"] + flags, in: directory, stdin: first + "\n")
            #expect(again.status == 0, "\(again.stdout)")
            #expect(again.stdout.contains(#""ok":true"#) && again.stdout.contains(#""duplicate":true"#))
            #expect(again.stdout.contains(#""head_hash":"\#(firstHash)""#), "the hash at seq 1, not the head's")
        }
        let changed = first.replacingOccurrences(of: #""seq":1,"#, with: #""seq":1,"other":1,"#)
        let conflict = try await planj("--journal", journal, "append", stdin: changed + "\n")
        #expect(conflict.status == 1 && conflict.stdout.contains(#""code":"append.conflict""#))
        #expect(conflict.stdout.contains("already holds a different event at seq 1 (run.started"), "\(conflict.stdout)")
        #expect(conflict.stdout.contains("write yours after the head"), "\(conflict.stdout)")
        // The head, for an agent to go on from without reading the message.
        let runHead = before.split(separator: "\n").count
        #expect(conflict.stdout.contains(#""head":\#(runHead)"#), "\(conflict.stdout)")
        // A run that has ended takes nothing after its head either: the advice says so.
        let ended = try RunBuilder.complete(run: "ended", steps: 1).events
        #expect(try await planj("--journal", journal, "ingest", "-", stdin: ended.map { String(decoding: $0.bytes, as: UTF8.self) + "\n" }.joined()).status == 0)
        let late = String(decoding: ended[0].bytes, as: UTF8.self).replacingOccurrences(of: #""seq":1,"#, with: #""seq":1,"other":1,"#)
        let afterEnd = try await planj("--journal", journal, "append", stdin: late + "\n")
        #expect(afterEnd.stdout.contains("the run has ended: write them to a new run"), "\(afterEnd.stdout)")
        // An integer ts in seconds is accepted, with a note that it reads as microseconds.
        let seconds = try await planj(
            "--journal", journal, "append",
            stdin: #"{"run":"secs","seq":1,"ts":1764061200,"kind":"run.started","data":{"goal":"g"}}"# + "\n")
        #expect(seconds.status == 0 && seconds.stderr.contains("integer ts before 1973"), "\(seconds.stderr)")
        // Lines longer than ingest and import take are refused (what append writes reads back).
        let long = try await planj("--journal", journal, "append", "--max-line-bytes", "100", stdin: first + "\n")
        #expect(long.status == 1 && long.stdout.contains("over the 100-byte limit"), "\(long.stdout)")
        // Such a line, and one that does not parse, name the run and seq they show.
        #expect(long.stdout.contains(#""run":"\#(run)","seq":1"#), "\(long.stdout)")
        // Past the limit a line is counted, not held: its whole length is said all the same.
        let endless = try await planj(
            "--journal", journal, "append", "--max-line-bytes", "100",
            stdin: first.dropLast() + String(repeating: "x", count: 3_000_000) + "\n" + first + "\n")
        #expect(endless.status == 1 && endless.stdout.contains("the line is \(first.utf8.count - 1 + 3_000_000) bytes"), "\(endless.stdout)")
        #expect(endless.stdout.contains(#""run":"\#(run)","seq":1"#), "\(endless.stdout)")
        let cut = try await planj("--journal", journal, "append", stdin: #"{"run":"r9","seq":4,"ts":"#+"\n")
        #expect(cut.status == 1 && cut.stdout.contains(#""run":"r9","seq":4"#), "\(cut.stdout)")
        #expect(try await planj("--journal", journal, "events", run).stdout == before)
        // A kind it does not know is appended, with a note (once per kind).
        let odd = #"{"run":"secs","seq":2,"ts":1764061201,"kind":"step.complete","data":{}}"#
        let odd2 = #"{"run":"secs","seq":3,"ts":1764061202,"kind":"step.complete","data":{}}"#
        let unknown = try await planj("--journal", journal, "append", stdin: odd + "\n" + odd2 + "\n")
        #expect(unknown.status == 0 && unknown.stdout.components(separatedBy: #""ok":true"#).count == 3, "\(unknown.stdout)")
        #expect(unknown.stderr.components(separatedBy: "did you mean step.completed?").count == 2, "\(unknown.stderr)")
        // A family of kinds named without its dot and star matches nothing, and says how to.
        let family = try await planj("--journal", journal, "events", run, "--kind", "run")
        #expect(family.status == 0 && family.stdout.isEmpty && family.stderr.contains("--kind 'run.*' matches"), "\(family.stderr)")
        // A misspelt kind, and a --from past the run's end, say why nothing came out.
        let misspelt = try await planj("--journal", journal, "events", run, "--kind", "step.complete")
        #expect(misspelt.status == 0 && misspelt.stdout.isEmpty && misspelt.stderr.contains("(did you mean step.completed?)"), "\(misspelt.stderr)")
        let past = try await planj("--journal", journal, "events", run, "--from", "5000")
        #expect(past.status == 0 && past.stdout.isEmpty && past.stderr.contains("--from 5000 is past the run's end"), "\(past.stderr)")
        // A seq past the head + 1 is a gap, not another writer's doing (--expect-head changes nothing).
        let ahead = first.replacingOccurrences(of: #""seq":1,"#, with: #""seq":99,"#)
        let gap = try await planj("--journal", journal, "append", "--expect-head", stdin: ahead + "\n")
        #expect(gap.status == 1 && gap.stdout.contains(#""code":"event.invalid""#) && gap.stdout.contains(#""field":"seq""#))
    }
}
