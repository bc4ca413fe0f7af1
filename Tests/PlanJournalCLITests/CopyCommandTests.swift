import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// `planj copy` end to end: real SQLite files, the built binary, the real `lz4`.
@Suite(.serialized) struct CopyCommandTests {
    let box: PlanjSandbox
    /// The source journal of most tests.
    var source: String { box.path("source.sqlite") }

    init() throws {
        box = try PlanjSandbox("planj-copy")
    }

    @discardableResult
    func planj(_ arguments: String...) async throws -> PlanjBinary.Result {
        try await PlanjBinary.run(arguments, in: box.directory)
    }

    /// A source journal: the contract's two runs, "parent" and its fork "child" (with events of
    /// its own), every run sealed with `ci.key`.
    func makeSource() async throws {
        do {
            let journal = try Journal(path: source)
            _ = try journal.ingest(file: Fixtures.validContract)
            _ = try await JournalConformance.makeParentAndFork(journal)
        }
        #expect(try await planj("keygen", "-o", "ci.key").status == 0)
        for run in try await runs(source).keys {
            let sealed = try await planj("--journal", source, "seal", run, "--key", "ci.key")
            #expect(sealed.status == 0, "\(sealed.stderr)")
        }
    }

    /// `planj runs --json` of `journal`: run id to (head hash, parent, fork seq).
    func runs(_ journal: String) async throws -> [String: [String]] {
        let listed = try await planj("--journal", journal, "runs", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        var out: [String: [String]] = [:]
        for r in array {
            let id = try #require(r["id"] as? String)
            out[id] = [
                r["head_hash"] as? String ?? "", r["parent"] as? String ?? "-", (r["fork_seq"] as? Int).map(String.init) ?? "-",
            ]
        }
        return out
    }

    /// The `--json` summary printed by a copy.
    func summary(_ result: PlanjBinary.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func lz4Lines(_ path: String) async throws -> [String] {
        let lz4 = try await ChildProcess.run("lz4", ["-dc", path])
        #expect(lz4.status == 0)
        return lz4.stdout.split(separator: "\n").map(String.init)
    }

    @Test func journalToJournalKeepsHashesForksAndSeals() async throws {
        try await makeSource()
        let copied = try await planj("copy", "source.sqlite", "dest/copy.sqlite", "--json")
        #expect(copied.status == 0, "\(copied.stderr)")
        let s = try summary(copied)
        #expect((s["runs_copied"] as? [String])?.count == 4)
        #expect(s["seals_written"] as? Int == 4)
        #expect(copied.stderr.contains("copied 4 runs"))
        let dest = box.path("dest/copy.sqlite")
        await #expect(try runs(dest) == (try runs(source)))
        await #expect(try runs(dest)["child"]?[1...] == ["parent", "7"])
        let verified = try await planj("--journal", dest, "verify", "--trust", "ci.key.pub")
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        // Again: nothing to do.
        let again = try await planj("copy", "source.sqlite", "dest/copy.sqlite", "--json")
        #expect(again.status == 0)
        let a = try summary(again)
        #expect(a["events_written"] as? Int == 0)
        #expect((a["runs_already_there"] as? [String])?.count == 4)
        #expect(again.stderr.contains("4 already there"))
    }

    @Test func journalToPJLToJournal() async throws {
        try await makeSource()
        let out = try await planj("copy", "source.sqlite", "all.pjl")
        #expect(out.status == 0, "\(out.stderr)")
        // One frame of lines: every run's own events (the fork's from seq 8), readable by lz4.
        let sourceRuns = try await runs(source)
        let lines = try await lz4Lines(box.path("all.pjl"))
        let contractEvents = try Fixtures.lines(Fixtures.validContract).filter { !$0.isEmpty }.count
        #expect(lines.count == contractEvents + 23 + 2)
        #expect(lines.filter { $0.contains(#""run":"child""#) }.count == 2)

        let back = try await planj("copy", "all.pjl", "back.sqlite", "--json")
        #expect(back.status == 0, "\(back.stderr)")
        await #expect(try runs(box.path("back.sqlite")) == sourceRuns)
        #expect(try await planj("--journal", "back.sqlite", "verify", "--trust", "ci.key.pub").status == 0)
        // Copying the file again changes nothing.
        await #expect(try summary(try planj("copy", "all.pjl", "back.sqlite", "--json"))["events_written"] as? Int == 0)

        // `planj import` reads the file too, forks included.
        let imported = try await planj("--journal", "imported.sqlite", "import", "all.pjl")
        #expect(imported.status == 0, "\(imported.stderr)")
        await #expect(try runs(box.path("imported.sqlite")) == sourceRuns)
        #expect(try await planj("--journal", "imported.sqlite", "verify", "--trust", "ci.key.pub").status == 0)
        #expect(try await planj("--journal", "imported.sqlite", "import", "all.pjl").status == 0)
        // From standard input too (it is read twice: for forks, then to import).
        let piped = try await PlanjBinary.run(
            ["--journal", "piped.sqlite", "import", "-"], in: box.directory,
            input: try Data(contentsOf: URL(fileURLWithPath: box.path("all.pjl"))))
        #expect(piped.status == 0, "\(piped.stderr)")
        await #expect(try runs(box.path("piped.sqlite")) == sourceRuns)
        // Without forks, the file is imported as before.
        #expect(try await planj("copy", "source.sqlite", "plain.pjl", "--run", "parent").status == 0)
        let plain = try await planj("--journal", "plain.sqlite", "import", "plain.pjl", "--json")
        #expect(plain.status == 0)
        #expect(try summary(plain)["runs_written"] as? [String] == ["parent"])
        // An existing .pjl is replaced only with --force.
        #expect(try await planj("copy", "source.sqlite", "all.pjl").status == 2)
        #expect(try await planj("copy", "source.sqlite", "all.pjl", "--force", "--run", "parent").status == 0)
        await #expect(try lz4Lines(box.path("all.pjl")).count == 23)
    }

    /// `planj export` of a fork (and of a fork of a fork) writes the events the fork reads, its
    /// ancestors' first ones under their own run ids, and fork records: the file imports as the
    /// same fork with the same hashes, and into its own journal as nothing new.
    @Test func anExportedForkImportsAsTheSameFork() async throws {
        try await makeSource()
        #expect(try await planj("--journal", source, "fork", "child", "--at", "8", "--as", "grandchild").status == 0)
        let note = #"{"v":1,"run":"grandchild","seq":9,"ts":"2026-11-24T10:00:09Z","kind":"note","data":{"text":"own"}}"#
        let ingested = try await PlanjBinary.run(
            ["--journal", source, "ingest", "-"], in: box.directory, input: Data((note + "\n").utf8))
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let sourceRuns = try await runs(source)
        for (run, ancestors) in [("child", ["parent"]), ("grandchild", ["child", "parent"])] {
            let file = "\(run).pjl"
            let exported = try await planj("--journal", source, "export", run, "--format", "pjl", "--no-redact", "-o", file)
            #expect(exported.status == 0, "\(exported.stderr)")
            let jsonl = try await planj("--journal", source, "export", run, "--format", "jsonl", "--no-redact")
            await #expect(try lz4Lines(box.path(file)) == jsonl.stdout.split(separator: "\n").map(String.init))

            let fresh = box.path("fresh-\(run).sqlite")
            let imported = try await planj("--journal", fresh, "import", file)
            #expect(imported.status == 0, "\(imported.stderr)")
            let freshRuns = try await runs(fresh)
            #expect(freshRuns[run] == sourceRuns[run])
            #expect(Set(freshRuns.keys) == Set([run] + ancestors))
            #expect(try await planj("--journal", fresh, "verify").status == 0)
            let events = try await planj("--journal", fresh, "events", run)
            #expect(events.stdout == jsonl.stdout)

            let again = try await planj("--journal", source, "import", file, "--json")
            #expect(again.status == 0, "\(again.stderr)")
            // The keys of a plain import's report, forks or not.
            let report = try summary(again)
            #expect(report["events_written"] as? Int == 0 && (report["events_skipped"] as? Int ?? 0) > 0)
            #expect(report["source"] as? String == file && report["runs_written"] as? [String] == [])
            #expect(report["rejected"] as? [Any] != nil && report["events_already_there"] == nil)
        }
        // The parent's first events alone are in the fresh journal; the source's parent has more.
        await #expect(try runs(box.path("fresh-child.sqlite"))["parent"] != sourceRuns["parent"])
    }

    /// A fork of a fork made before its parent's own events, exported alone, imports as a fork
    /// of the run that owns the events it shares; it is still the same run to `copy`.
    @Test func aForkOfAForkImportedAloneIsTheSameRunToCopy() async throws {
        try await makeSource()
        #expect(try await planj("--journal", source, "fork", "child", "--at", "3", "--as", "early").status == 0)
        #expect(try await planj("--journal", source, "export", "early", "--format", "pjl", "--no-redact", "-o", "early.pjl").status == 0)
        let fresh = box.path("fresh-early.sqlite")
        #expect(try await planj("--journal", fresh, "import", "early.pjl").status == 0)
        #expect(try await runs(fresh)["early"]?[0] == runs(source)["early"]?[0])
        let copied = try await planj("copy", source, fresh, "--run", "early", "--json")
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect((try summary(copied)["runs_already_there"] as? [String]) == ["early"])
    }

    @Test func filtersSelectRunsAndBringParentsAlong() async throws {
        try await makeSource()
        let fork = try await planj("copy", "source.sqlite", "fork.sqlite", "--run", "child", "--json")
        #expect(fork.status == 0, "\(fork.stderr)")
        await #expect(Set(try runs(box.path("fork.sqlite")).keys) == ["parent", "child"])

        let failed = try await planj("copy", "source.sqlite", "failed.sqlite", "--status", "failed")
        #expect(failed.status == 0, "\(failed.stderr)")
        await #expect(Set(try runs(box.path("failed.sqlite")).keys) == ["parent", "child"])

        // The contract's runs start at 10:00:00.000000 and .000001, RunBuilder's a millisecond later.
        let recent = try await planj("copy", "source.sqlite", "recent.pjl", "--since", "2026-11-24T10:00:00.0005Z")
        #expect(recent.status == 0, "\(recent.stderr)")
        let lines = try await lz4Lines(box.path("recent.pjl"))
        #expect(Set(lines.compactMap { try? JournalEvent(parsing: $0).run }) == ["parent", "child"])

        let two = try await planj("copy", "source.sqlite", "two.sqlite", "--run", "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "--run", "parent")
        #expect(two.status == 0)
        await #expect(Set(try runs(box.path("two.sqlite")).keys) == ["01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "parent"])

        let missing = try await planj("copy", "source.sqlite", "none.sqlite", "--run", "nope")
        #expect(missing.status == 5)
        #expect(missing.stderr.contains("nope"))
        let badTime = try await planj("copy", "source.sqlite", "x.sqlite", "--since", "yesterday")
        #expect(badTime.status == 2 && badTime.stderr.contains("RFC 3339"))
    }

    @Test func aKilledCopyIsFinishedByRunningItAgain() async throws {
        let corpus = box.path("corpus.jsonl")
        let gen = try await ChildProcess.run(
            "python3", [Fixtures.repositoryRoot + "/tools/gen_corpus.py", "--runs", "300", "--seed", "3", "--out", corpus])
        try #require(gen.status == 0)
        #expect(try await planj("--journal", "source.sqlite", "ingest", corpus, "--quiet").status == 0)

        // Small transactions, so the copy is surely mid-way when killed.
        let dest = box.path("dest.sqlite")
        let p = try PlanjBinary.process(
            ["copy", "source.sqlite", "dest.sqlite", "--batch-events", "5", "--quiet"], in: box.directory)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, p.isRunning, ((try? FileManager.default.attributesOfItem(atPath: dest + "-wal")[.size] as? Int) ?? 0) < 200_000 {
            try await Task.sleep(for: .milliseconds(10))
        }
        p.signal(SIGKILL)
        await p.exited()
        #expect(p.terminationReason == .uncaughtSignal, "the copy ended before it was killed")
        let partial = try await runs(dest)
        let all = try await runs(source)
        #expect(partial.count < all.count || partial != all)

        let again = try await planj("copy", "source.sqlite", "dest.sqlite", "--json")
        #expect(again.status == 0, "\(again.stderr)")
        let s = try summary(again)
        let written = try #require(s["events_written"] as? Int)
        let there = try #require(s["events_already_there"] as? Int)
        #expect(written > 0 && there > 0)
        #expect(written + there == 13731)
        #expect(((s["runs_copied"] as? [String])?.count ?? 0) + ((s["runs_already_there"] as? [String])?.count ?? 0) == 300)
        await #expect(try runs(dest) == all)
        #expect(try await planj("--journal", "dest.sqlite", "verify").status == 0)
    }

    @Test func aRunThatDiffersIsAConflictAndTheOthersStillCopy() async throws {
        try await makeSource()
        do {
            // The destination has its own "parent": the same first 4 events, then another one.
            let dest = try Journal(path: box.path("dest.sqlite"))
            let theirs = try Journal(path: source).events(of: "parent", to: 4)
            _ = try await dest.append(theirs, to: "parent", expecting: .noRun)
            let other = try JournalEvent(
                run: "parent", seq: 5, ts: theirs[3].ts, kind: "note", data: JSONValue(parsing: #"{"mine":true}"#))
            _ = try await dest.append([other], to: "parent", expecting: .exactly(4))
        }
        let copied = try await planj("copy", "source.sqlite", "dest.sqlite", "--json")
        #expect(copied.status == 4)
        #expect(copied.stderr.contains("parent") && copied.stderr.contains("seq 5"), "\(copied.stderr)")
        #expect(copied.stderr.contains("child"), "the fork of a conflicting run is reported too")
        let s = try summary(copied)
        #expect(Set(s["runs_skipped"] as? [String] ?? []) == ["parent", "child"])
        #expect(Set(s["runs_copied"] as? [String] ?? []) == ["01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "run-2026-11-24/ünïcode ✓"])
        let conflicts = try #require(s["conflicts"] as? [[String: Any]])
        #expect(conflicts.first { $0["run"] as? String == "parent" }?["seq"] as? Int == 5)
    }

    @Test func theSameFileAsSourceAndDestinationIsRefused() async throws {
        try await makeSource()
        let before = try await runs(source)
        for dest in ["source.sqlite", "./source.sqlite", box.path("source.sqlite")] {
            let refused = try await planj("copy", "source.sqlite", dest)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("the same file"))
        }
        try FileManager.default.createSymbolicLink(atPath: box.path("link.sqlite"), withDestinationPath: source)
        #expect(try await planj("copy", "link.sqlite", "source.sqlite").status == 2)
        #expect(try await planj("copy", "missing.sqlite", "x.sqlite").status == 2)
        #expect(!FileManager.default.fileExists(atPath: box.path("missing.sqlite")))
        await #expect(try runs(source) == before)
        let help = try await planj("copy", "--help")
        #expect(help.stdout.contains("Examples:") && help.stdout.contains("planj copy"))
    }

    /// Ctrl-C during a copy into a journal says that the runs copied so far stay and that the
    /// same copy goes on (it ended with no word); the same copy then finishes the job.
    @Test(.timeLimit(.minutes(2))) func anInterruptedCopySaysHowToGoOn() async throws {
        let runs = try (0..<400).map { try RunBuilder.complete(run: "r\($0)", steps: 30, payloadBytes: 1500).jsonl }
        #expect(try await PlanjBinary.run(["--journal", source, "ingest", "-"], in: box.directory, stdin: runs.joined()).status == 0)
        let destination = box.path("into.sqlite")
        let p = try PlanjBinary.process(["copy", source, destination], in: box.directory)
        let errors = Pipe()
        p.standardError = errors
        try p.run()
        while p.isRunning && !FileManager.default.fileExists(atPath: destination) { try await Task.sleep(for: .milliseconds(2)) }
        p.signal(SIGINT)
        await p.exited()
        let stderr = String(decoding: await errors.readAll(), as: UTF8.self)
        #expect(p.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("planj: interrupted: the runs copied so far are in \(destination); the same planj copy goes on"), "\(stderr)")
        let again = try await planj("copy", source, destination)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await self.runs(destination).count == 400)
    }
}
