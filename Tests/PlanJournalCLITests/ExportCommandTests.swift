import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalCLI

/// `planj export` as a real process: redaction in every format, user rules, `--all`.
@Suite struct ExportCommandTests {
    private func secretSandbox() async throws -> PlanjSandbox {
        let s = try PlanjSandbox("planj-export")
        let lines = try SecretRun.events().map { $0.jsonLine + "\n" }.joined()
        let ingest = try await s.planj("ingest", "-", stdin: lines)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        try SecretRun.userRules.write(toFile: s.path("rules.txt"), atomically: true, encoding: .utf8)
        return s
    }

    /// The text of an export file (`.pjl` decompressed by the real `lz4`).
    private func text(of path: String, format: String) async throws -> String {
        guard format == "pjl" else { return try String(contentsOfFile: path, encoding: .utf8) }
        let lz4 = try await ChildProcess.run("lz4", ["-dc", path])
        #expect(lz4.status == 0)
        return lz4.stdout
    }

    /// An export that fails part way (here a damaged chunk at the run's end) leaves no
    /// `FILE.partial` holding its space, and an earlier file of that name as it was.
    @Test func aFailedExportLeavesNoPartialFile() async throws {
        let s = try PlanjSandbox("planj-export-fail")
        let run = try RunBuilder.complete(run: "r", steps: 20, payloadBytes: 2000)
        let ingest = try await s.planj("ingest", "--chunk-bytes", "4000", "-", stdin: run.jsonl)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        try "earlier".write(toFile: s.path("out.jsonl"), atomically: true, encoding: .utf8)
        let damage = try await ChildProcess.run(
            "/usr/bin/env",
            ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(s.journal)'); c.execute('update chunks set body = zeroblob(length(body)) where cid = (select max(cid) from chunks)'); c.commit()"])
        #expect(damage.status == 0, "\(damage.stderr)")
        for format in ["jsonl", "pjl", "md"] {
            let r = try await s.planj("export", "r", "--format", format, "-o", s.path("out.jsonl"))
            #expect(r.status == 6, "\(format): \(r.stderr)")
            let left = try FileManager.default.contentsOfDirectory(atPath: s.directory).filter { $0.hasPrefix("out.jsonl.partial") }
            #expect(left.isEmpty, "\(format): \(left)")
            #expect(try String(contentsOfFile: s.path("out.jsonl"), encoding: .utf8) == "earlier")
        }
    }

    /// `export --all` of a journal where one run cannot be read exports the others, names the
    /// damaged one (in `--json` too) and ends with its exit status.
    @Test func exportAllGoesOnPastARunThatCannotBeRead() async throws {
        let s = try PlanjSandbox("planj-export-all-fail")
        let good = try RunBuilder.complete(run: "good", steps: 3)
        let bad = try RunBuilder.complete(run: "bad", steps: 20, payloadBytes: 2000)
        let ingest = try await s.planj("ingest", "--chunk-bytes", "4000", "-", stdin: good.jsonl + bad.jsonl)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let damage = try await ChildProcess.run(
            "/usr/bin/env",
            ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(s.journal)'); c.execute('update chunks set body = zeroblob(length(body)) where cid = (select max(cid) from chunks where rid = (select rid from runs where id = \"bad\"))'); c.commit()"])
        #expect(damage.status == 0, "\(damage.stderr)")
        for format in ["jsonl", "md"] {
            let folder = s.path("out-\(format)")
            let r = try await s.planj("export", "--all", "--format", format, "-o", folder, "--json")
            #expect(r.status == 6, "\(format): \(r.stderr)")
            let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let runs = summary?["runs"] as? [[String: Any]] ?? []
            #expect(Set(runs.compactMap { $0["run"] as? String }) == ["good", "bad"], "\(r.stdout)")
            let failed = runs.first { $0["run"] as? String == "bad" }
            #expect((failed?["error"] as? [String: Any])?["code"] as? String == "journal.corrupt", "\(r.stdout)")
            #expect(failed?["file"] == nil)
            #expect(FileManager.default.fileExists(atPath: folder + "/good.\(format == "md" ? "md" : "jsonl")"))
            #expect(!FileManager.default.fileExists(atPath: folder + "/bad.\(format == "md" ? "md" : "jsonl")"))
            let text = try await s.planj("export", "--all", "--format", format, "-o", folder)
            #expect(text.status == 6 && text.stderr.contains("planj: export: run bad:") && text.stderr.contains("1 run could not be exported"), "\(text.stderr)")
        }
    }

    /// A link planted at a temporary name (`FILE.partial`, an older planj's, in a folder another
    /// user can write) is removed, never written through: the file it names stays as it was.
    @Test func aLinkAtTheTemporaryNameIsNotFollowed() async throws {
        let s = try await secretSandbox()
        try "victim".write(toFile: s.path("victim.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: s.path("r.md.partial"), withDestinationPath: s.path("victim.txt"))
        let r = try await s.planj("export", SecretRun.run, "--format", "md", "-o", s.path("r.md"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: s.path("victim.txt"), encoding: .utf8) == "victim")
        let written = try FileManager.default.attributesOfItem(atPath: s.path("r.md"))
        #expect(written[.type] as? FileAttributeType == .typeRegular)
        #expect(try String(contentsOfFile: s.path("r.md"), encoding: .utf8).hasPrefix("# Run "))
    }

    /// Each export writes a temporary of its own (`FILE.partial-PID`), so two exports to one
    /// file never finish each other's: a live writer's temporary is left alone, and those of
    /// writers that are gone (killed) are removed by the next export to that file.
    @Test func temporariesAreTheWritersOwnAndLeftoversOfDeadWritersGo() async throws {
        let s = try await secretSandbox()
        let live = TestProcess()
        live.executableURL = URL(fileURLWithPath: "/bin/sleep")
        live.arguments = ["30"]
        try live.run()
        defer { live.signal(SIGKILL) }
        let dead = TestProcess()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        await dead.exited()
        for pid in [live.processIdentifier, dead.processIdentifier] {
            try "left".write(toFile: s.path("r.md.partial-\(pid)"), atomically: false, encoding: .utf8)
        }
        let r = try await s.planj("export", SecretRun.run, "--format", "md", "-o", "r.md")
        #expect(r.status == 0, "\(r.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: s.directory).filter { $0.hasPrefix("r.md.") }
        #expect(left == ["r.md.partial-\(live.processIdentifier)"])
    }

    /// Stopped by Ctrl-C or SIGTERM, export removes the files it had not finished, names them,
    /// and ends with the signal's status; the files it finished stay.
    @Test(.timeLimit(.minutes(2)), arguments: [SIGINT, SIGTERM])
    func anInterruptedExportRemovesWhatItHadNotFinished(signal: Int32) async throws {
        let s = try PlanjSandbox("planj-export-interrupted")
        let runs = try (0..<150).map { try RunBuilder.complete(run: "r\($0)", steps: 30, payloadBytes: 1500).jsonl }
        #expect(try await s.planj("ingest", "-", stdin: runs.joined()).status == 0)
        let folder = s.path("out")
        let p = try PlanjBinary.process(["--journal", s.journal, "export", "--all", "--format", "html", "-o", folder], in: s.directory)
        let errors = Pipe()
        p.standardError = errors
        try p.run()
        func partials() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.contains(".partial-") }
        }
        while p.isRunning && partials().isEmpty { try await Task.sleep(for: .milliseconds(2)) }
        p.signal(signal)
        await p.exited()
        let stderr = String(decoding: await errors.readAll(), as: UTF8.self)
        #expect(p.terminationStatus == 128 + signal, "\(stderr)")
        #expect(partials().isEmpty)
        #expect(stderr.contains("planj: interrupted: unfinished, so removed: "), "\(stderr)")
        let finished = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(finished.count < 150)
        for file in finished { #expect(try String(contentsOfFile: folder + "/" + file, encoding: .utf8).hasSuffix("</html>\n")) }
    }

    @Test func noFormatLeaksASecretPlantedInAnyField() async throws {
        let s = try await secretSandbox()
        for format in Planj.Export.Format.allCases.map(\.rawValue) {
            let file = s.path("out.\(format)")
            let r = try await s.planj("export", SecretRun.run, "--format", format, "--redact-rules", s.path("rules.txt"), "-o", file)
            #expect(r.status == 0, "\(format): \(r.stderr)")
            #expect(r.stderr.contains("planj: export: redacted "), "\(format)")
            let out = try await text(of: file, format: format)
            #expect(out.count > 200, "\(format) is nearly empty")
            for secret in SecretRun.secrets {
                #expect(!out.contains(secret), "\(format) leaks \(secret)")
            }
            #expect(out.contains("[REDACTED:api-key]") && out.contains("[customer]"), "\(format)")
        }
        // The redacted JSON Lines are still a valid run: they ingest into another journal.
        let other = try PlanjSandbox("planj-export-other")
        #expect(try await other.planj("ingest", s.path("out.jsonl")).status == 0)
    }

    /// Runs whose ids redaction hides alike stay apart: two traces, two files, no id in a name;
    /// and a redacted fork's .pjl names its parent as its events do, so it imports.
    @Test func runsWhoseIDsAreRedactedStayApartAndImport() async throws {
        let s = try PlanjSandbox("planj-export-ids")
        let lines = ["a@example.com", "b@example.com"].map {
            #"{"run":"\#($0)","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#
        }.joined(separator: "\n") + "\n"
        #expect(try await s.planj("ingest", "-", stdin: lines).status == 0)
        #expect(try await s.planj("export", "--all", "--format", "otlp", "-o", "traces").status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: s.path("traces"))
        #expect(files.count == 2 && !files.contains { $0.contains("example") })
        let traceIDs = try Set(files.map { file in
            let data = try Data(contentsOf: URL(fileURLWithPath: s.path("traces/" + file)))
            let text = String(decoding: data, as: UTF8.self)
            return try #require(text.range(of: #""traceId":"[0-9a-f]{32}""#, options: .regularExpression).map { String(text[$0]) })
        })
        #expect(traceIDs.count == 2)

        #expect(try await s.planj("fork", "a@example.com", "--at", "1", "--as", "f1").status == 0)
        #expect(try await s.planj("export", "f1", "--redact", "-o", "f1.pjl").status == 0)
        let imported = try await PlanjBinary.run(["--journal", s.path("other.sqlite"), "import", "f1.pjl"], in: s.directory)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(!(try String(contentsOfFile: s.path("f1.pjl"), encoding: .isoLatin1)).contains("a@example.com"))
        // A report names the fork, not the parent its first events carry, redacted or not.
        for flags in [[], ["--no-redact"]] {
            let md = try await s.planj(["export", "f1", "--format", "md"] + flags)
            #expect(md.stdout.hasPrefix("# Run f1\n"), "\(flags): \(md.stdout.prefix(80))")
            let otlp = try await s.planj(["export", "f1", "--format", "otlp"] + flags)
            #expect(otlp.stdout.contains(#""stringValue":"f1""#) && !otlp.stdout.contains("[REDACTED:email]"), "\(flags)")
        }
        let parent = try await s.planj("export", "a@example.com", "--format", "md")
        #expect(parent.stdout.hasPrefix(#"# Run \[REDACTED:email\]"#) && !parent.stdout.contains("a@example"), "\(parent.stdout.prefix(80))")
    }

    /// An output path names a file: a directory there, or a journal, is never written over.
    @Test func anOutputNeverReplacesADirectoryOrADatabase() async throws {
        let s = try await secretSandbox()
        try FileManager.default.createDirectory(atPath: s.path("reports/2026"), withIntermediateDirectories: true)
        try "keep".write(toFile: s.path("reports/2026/q1.md"), atomically: true, encoding: .utf8)
        let intoFolder = try await s.planj("export", SecretRun.run, "-o", "reports")
        #expect(intoFolder.status == 2 && intoFolder.stderr.contains("reports: is a directory"))
        #expect(try String(contentsOfFile: s.path("reports/2026/q1.md"), encoding: .utf8) == "keep")
        let pjlFolder = try await s.planj("copy", s.journal, "reports", "--force")
        #expect(pjlFolder.status != 0 && FileManager.default.fileExists(atPath: s.path("reports/2026/q1.md")))
        for target in [s.journal, s.journal + "-wal"] {
            let overJournal = try await s.planj("export", SecretRun.run, "-o", target)
            #expect(overJournal.status == 2 && overJournal.stderr.contains("refusing to write over it"), "\(target)")
        }
        #expect(try await s.planj("verify").status == 0)
        let missing = try await s.planj("export", SecretRun.run, "-o", "nowhere/run.jsonl")
        #expect(missing.status == 8 && missing.stderr.contains("no directory nowhere"))
        #expect(try await s.planj("export", SecretRun.run, "-o", "run.jsonl").status == 0)
        #expect(try await s.planj("export", SecretRun.run, "-o", "run.jsonl").status == 0, "a file is replaced")
    }

    /// jsonl and pjl are the events as recorded unless `--redact` asks (a backup keeps its
    /// hashes); the reports are redacted unless `--no-redact` asks.
    @Test func recordsAreExportedAsRecordedAndRedactedOnlyOnRequest() async throws {
        let s = try await secretSandbox()
        let recorded = try SecretRun.events().map { $0.jsonLine + "\n" }.joined()
        for flags in [[], ["--no-redact"]] {
            let raw = try await s.planj(["export", SecretRun.run] + flags)
            #expect(raw.status == 0 && raw.stdout == recorded, "\(flags)")
            // By default a note says what a report would have hidden; asked for as recorded, nothing.
            #expect(raw.stderr.contains("values the redaction rules would hide") == flags.isEmpty, "\(flags): \(raw.stderr)")
        }
        let redacted = try await s.planj("export", SecretRun.run, "--redact")
        #expect(redacted.status == 0 && redacted.stdout.contains("[REDACTED:api-key]"))
        #expect(redacted.stderr.contains("the export's hashes differ from the journal's; without --redact"))
        #expect(try await s.planj("export", SecretRun.run, "--format", "md").stdout.contains("[REDACTED:api-key]"))
        #expect(!(try await s.planj("export", SecretRun.run, "--format", "md", "--no-redact").stdout.contains("[REDACTED:api-key]")))
        #expect(try await s.planj("export", SecretRun.run, "--no-redact", "--redact-rules", "x").status != 0)
        #expect(try await s.planj("export", SecretRun.run, "--no-redact", "--redact").status != 0)
    }

    /// `-o` naming a device or a pipe writes to it (without hanging, and without replacing it with
    /// a file); `-o` naming a symbolic link of the user's replaces the file it points to and keeps the link.
    @Test func anOutputDeviceIsWrittenAndALinkKept() async throws {
        let s = try await secretSandbox()
        let null = try await s.planj("export", SecretRun.run, "--format", "md", "-o", "/dev/null")
        #expect(null.status == 0)
        let kind = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
        #expect(kind == .typeCharacterSpecial)
        let piped = try await s.planj("export", SecretRun.run, "--format", "md", "-o", "/dev/stdout")
        #expect(piped.status == 0 && piped.stdout.hasPrefix("# Run "))
        try "old".write(toFile: s.path("target.md"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: s.path("link.md"), withDestinationPath: "target.md")
        #expect(try await s.planj("export", SecretRun.run, "--format", "md", "-o", "link.md").status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: s.path("link.md")) == "target.md")
        #expect(try String(contentsOfFile: s.path("target.md"), encoding: .utf8).hasPrefix("# Run "))
        let key = try await s.planj("keygen", "-o", "/dev/null")
        #expect(key.status == 2 && key.stderr.contains("is not a file"))
        #expect(try await s.planj("keygen", "-o", "link.md").stderr.contains("is a symbolic link"))

        // /dev/stdout redirected to a file is written where the shell points it, after what the
        // file held (renaming over it lost both).
        let binary = try #require(Fixtures.planjBinary)
        try "old\n".write(toFile: s.path("log.txt"), atomically: true, encoding: .utf8)
        let shell = try await ChildProcess.run(
            "/bin/sh", ["-c", "'\(binary)' --journal '\(s.journal)' export \(SecretRun.run) --format md -o /dev/stdout >> log.txt; echo end >> log.txt"],
            in: s.directory)
        #expect(shell.status == 0)
        let log = try String(contentsOfFile: s.path("log.txt"), encoding: .utf8)
        #expect(log.hasPrefix("old\n# Run ") && log.hasSuffix("end\n"))

        // A journal where an older planj's temporary file would go is left as it is; a private file stays private.
        try FileManager.default.copyItem(atPath: s.journal, toPath: s.path("kept.md.partial"))
        let partial = try await s.planj("export", SecretRun.run, "--format", "md", "-o", "kept.md")
        #expect(partial.status == 0, "\(partial.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: s.path("kept.md.partial"))) == Data(contentsOf: URL(fileURLWithPath: s.journal)))
        try "x".write(toFile: s.path("private.md"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: s.path("private.md"))
        #expect(try await s.planj("export", SecretRun.run, "--format", "md", "-o", "private.md").status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: s.path("private.md"))[.posixPermissions] as? Int == 0o600)
    }

    @Test func aBadRuleNamesItsFileAndLine() async throws {
        let s = try await secretSandbox()
        try "# fine\nok => x\n(unclosed => y\n".write(toFile: s.path("bad.txt"), atomically: true, encoding: .utf8)
        let r = try await s.planj("export", SecretRun.run, "--redact-rules", s.path("bad.txt"))
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.txt") && r.stderr.contains("line 3"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    /// `-o` names the format by its extension; a `.json` file, which could be either trace, is
    /// refused until --format says which (it used to get JSON Lines).
    @Test func theOutputsExtensionNamesTheFormatOrIsRefusedWhenAmbiguous() async throws {
        let s = try await secretSandbox()
        let json = try await s.planj("export", SecretRun.run, "-o", s.path("report.json"))
        #expect(json.status == 2 && json.stderr.contains("--format otlp or --format chrome"), "\(json.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path("report.json")))
        #expect(try await s.planj("export", SecretRun.run, "-o", s.path("report.json"), "--format", "chrome").status == 0)
        #expect(try await s.planj("export", SecretRun.run, "-o", s.path("page.htm")).status == 0)
        #expect(try String(contentsOfFile: s.path("page.htm"), encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
    }

    @Test func allWritesOneFilePerRunIntoAFolder() async throws {
        let s = try await secretSandbox()
        let clean = try RunBuilder.complete(run: "clean-run").jsonl + RunBuilder.complete(run: "ünï/cødé").jsonl
        #expect(try await s.planj("ingest", "-", stdin: clean).status == 0)
        let r = try await s.planj("export", "--all", "--format", "md", "-o", s.path("reports"))
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: s.path("reports")).sorted()
        #expect(files.count == 3)
        #expect(files.contains("clean-run.md"))
        #expect(files.allSatisfy { $0.hasSuffix(".md") && !$0.contains("/") && !$0.contains("@") })
        #expect(try await s.planj("export", "--all", "--format", "md").status != 0)
        let jsonl = try await s.planj("export", "--all", "--status", "succeeded")
        #expect(jsonl.status == 0 && jsonl.stdout.split(separator: "\n").count == 3 * 18)
        // Names that one file system may take as one (case), or that a run id spells as another's
        // hashed name, are told apart.
        let alike = try RunBuilder.complete(run: "Case").jsonl + RunBuilder.complete(run: "case").jsonl
        #expect(try await s.planj("ingest", "-", stdin: alike).status == 0)
        let named = try await s.planj("export", "--all", "--format", "md", "-o", s.path("alike"), "--json")
        let paths = try JSONValue(parsing: Array(named.stdout.utf8))["runs"]?.arrayValue?.compactMap { $0["file"]?.stringValue } ?? []
        #expect(Set(paths.map { $0.lowercased() }).count == paths.count && paths.count == 5, "\(paths)")
    }

    @Test func jsonNamesTheFileOfEachRunAndWhatRedactionChanged() async throws {
        let s = try await secretSandbox()
        #expect(try await s.planj("ingest", "-", stdin: try RunBuilder.complete(run: "ünï/cødé").jsonl).status == 0)
        let r = try await s.planj("export", "--all", "--format", "html", "-o", s.path("site"), "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONValue(parsing: Array(r.stdout.utf8))
        #expect(summary["format"]?.stringValue == "html")
        let runs = try #require(summary["runs"]?.arrayValue)
        #expect(runs.count == 2)
        for entry in runs {
            let file = try #require(entry["file"]?.stringValue)
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int
            #expect(file.hasPrefix(s.path("site") + "/") && entry["bytes"]?.int64Value.map { Int($0) } == size)
        }
        #expect(runs.contains { $0["run"]?.stringValue == "ünï/cødé" })
        // A run id redaction hides is shown as the export shows it, in the summary too.
        #expect(!r.stdout.contains(SecretRun.run) && runs.contains { $0["run"]?.stringValue?.contains("[REDACTED:email]") == true }, "\(r.stdout)")
        #expect((summary["redacted_values"]?.int64Value ?? 0) > 0 && (summary["redacted_events"]?.int64Value ?? 0) > 0)
        // The export itself on standard output leaves no room for a summary.
        let refused = try await s.planj("export", "--all", "--json")
        #expect(refused.status == 2 && refused.stderr.contains("-o"), "\(refused.stderr)")
    }
}
