import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

/// The commands on a PostgreSQL journal, end to end: the built binary against the server
/// `$PLANJ_TEST_POSTGRES_URL` names (tools/test.sh starts one), each test in databases of its own
/// made with `psql`. Without the server the checks that need it are skipped with a loud banner, or
/// fail when `PLANJ_REQUIRE_POSTGRES=1` (CI).
@Suite(.serialized) struct PostgresCommandTests {
    let box: PlanjSandbox

    init() throws {
        box = try PlanjSandbox("planj-pg")
    }

    @discardableResult
    func planj(_ arguments: String..., environment: [String: String] = [:]) async throws -> PlanjBinary.Result {
        try await PlanjBinary.run(arguments, in: box.directory, environment: environment)
    }

    /// The server's URL, or `nil` after the banner (or a failure when it is required).
    static func server() -> String? { PostgresTestServer.url(skipping: "planj on PostgreSQL") }

    /// A new database on `server`, as a journal URL.
    func database(on server: String) async throws -> String {
        let name = "c_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let made = try await ChildProcess.run("psql", [server, "-q", "-c", "CREATE DATABASE \(name)"])
        #expect(made.status == 0, "\(made.stderr)")
        var parts = try #require(URLComponents(string: server))
        parts.path = "/" + name
        return try #require(parts.string)
    }

    /// `planj runs --json`: run id to head hash.
    func heads(_ journal: String) async throws -> [String: String] {
        let listed = try await planj("--journal", journal, "runs", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        var out: [String: String] = [:]
        for r in array { out[try #require(r["id"] as? String)] = r["head_hash"] as? String }
        return out
    }

    @Test func ingestRunsVerifyAndExportOnPostgres() async throws {
        guard let server = Self.server() else { return }
        let journal = try await database(on: server)
        let migrated = try await planj("--journal", journal, "migrate")
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdout.contains("format version"))
        let again = try await planj("--journal", journal, "migrate", "--json")
        #expect(again.status == 0, "\(again.stderr)")
        let ingested = try await planj("--journal", journal, "ingest", Fixtures.validContract)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let heads = try await heads(journal)
        #expect(!heads.isEmpty)
        // $PLANJOURNAL_PATH selects the same journal.
        let viaEnvironment = try await planj("runs", "--json", environment: ["PLANJOURNAL_PATH": journal])
        #expect(viaEnvironment.status == 0, "\(viaEnvironment.stderr)")
        for run in heads.keys { #expect(viaEnvironment.stdout.contains(run)) }
        let verified = try await planj("--journal", journal, "verify")
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // Each run exports byte for byte as it does from a SQLite journal of the same file.
        let sqlite = box.path("same.sqlite")
        #expect(try await planj("--journal", sqlite, "ingest", Fixtures.validContract).status == 0)
        #expect(try await self.heads(sqlite) == heads)
        for run in heads.keys.sorted() {
            let exported = try await planj("--journal", journal, "export", run)
            #expect(exported.status == 0, "\(exported.stderr)")
            let expected = try await planj("--journal", sqlite, "export", run)
            #expect(!exported.stdout.isEmpty)
            #expect(exported.stdout == expected.stdout, "run \(run) exports differently from PostgreSQL")
        }
    }

    /// `planj sql` reads PostgreSQL's numeric, time and uuid columns as their values (numeric
    /// sums came back as 0, times as raw bytes), and names the column of a type it cannot read.
    @Test func sqlReadsNumbersAndTimesOnPostgres() async throws {
        guard let server = Self.server() else { return }
        let journal = try await database(on: server)
        #expect(try await planj("--journal", journal, "ingest", Fixtures.validContract).status == 0)
        let sqlite = box.path("sums.sqlite")
        #expect(try await planj("--journal", sqlite, "ingest", Fixtures.validContract).status == 0)
        let query = "SELECT sum(input_tokens) AS s, count(*) AS c FROM read_calls"
        let expected = try await planj("--journal", sqlite, "sql", query, "--json")
        let got = try await planj("--journal", journal, "sql", query, "--json")
        #expect(got.status == 0 && got.stdout == expected.stdout && !got.stdout.contains(#""s":0"#), "\(got.stdout) \(got.stderr)")
        let typed = try await planj(
            "--journal", journal, "sql", "SELECT 12345.678::numeric AS n, timestamptz '2026-01-02 03:04:05+00' AS t, date '2026-01-02' AS d", "--json")
        #expect(typed.stdout.contains(#""n":12345.678"#) && typed.stdout.contains(#""t":"2026-01-02T03:04:05.000Z""#) && typed.stdout.contains(#""d":"2026-01-02""#), "\(typed.stdout)")
        let array = try await planj("--journal", journal, "sql", "SELECT array[1,2] AS arr")
        #expect(array.status == 2 && array.stderr.contains("cast it to text (arr::text)"))
    }

    /// `planj sql` sends PostgreSQL only statements that read, and words its refusals as on
    /// SQLite: a read-only transaction still ran `COPY … TO PROGRAM` (a shell command on the
    /// server's host, for a superuser).
    @Test func sqlOnPostgresRunsOnlyStatementsThatRead() async throws {
        guard let server = Self.server() else { return }
        let journal = try await database(on: server)
        #expect(try await planj("--journal", journal, "ingest", Fixtures.validContract).status == 0)
        let marker = box.path("copied-by-the-server")
        let copy = try await planj("--journal", journal, "sql", "COPY (SELECT 1) TO PROGRAM 'touch \(marker)'")
        #expect(copy.status == 2 && copy.stderr.contains("only statements that read are run"), "\(copy.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        let sqlite = box.path("parity.sqlite")
        #expect(try await planj("--journal", sqlite, "ingest", Fixtures.validContract).status == 0)
        for query in ["SELECT 1; DELETE FROM runs", "DELETE FROM runs"] {
            let pg = try await planj("--journal", journal, "sql", query)
            let lite = try await planj("--journal", sqlite, "sql", query)
            #expect(pg.status == 2 && lite.status == 2, "\(query): \(pg.stderr) \(lite.stderr)")
            let said = { (r: PlanjBinary.Result) in r.stderr.split(separator: ": ").last.map(String.init) ?? "" }
            #expect(said(pg) == said(lite), "\(query): \(pg.stderr) against \(lite.stderr)")
        }
        let commented = try await planj("--journal", journal, "sql", "/* how many */\n(SELECT count(*) AS n FROM runs)", "--json")
        #expect(commented.status == 0 && commented.stdout.contains(#""n":2"#), "\(commented.stdout)\(commented.stderr)")
    }

    /// A restart of the server while `planj demo` runs is waited out (reconnecting for up to 30
    /// s): the run completes (it ended with exit 8 and the run left running). On a server of its
    /// own, started and restarted with tools/pg.
    @Test(.timeLimit(.minutes(3))) func aRunOutlivesARestartOfTheServer() async throws {
        guard Self.server() != nil else { return }
        let folder = box.path("own-server")
        // Run with their output in files, and waited for by the status they leave: Foundation
        // did not see the shell that starts the server end (the test hung).
        let tools = Fixtures.repositoryRoot + "/tools/pg"
        func script(_ name: String, _ tag: String) async throws -> Bool {
            let status = "\(folder).\(tag).status"
            let p = TestProcess()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "bash '\(tools)/\(name)' '\(folder)' > '\(folder).\(tag).out' 2>&1; echo $? > '\(status)'"]
            try p.run()
            for _ in 0..<1200 where !FileManager.default.fileExists(atPath: status) { try await Task.sleep(for: .milliseconds(50)) }
            return (try? String(contentsOfFile: status, encoding: .utf8))?.hasPrefix("0") == true
        }
        try #require(try await script("start.sh", "start"), "\((try? String(contentsOfFile: folder + ".start.out", encoding: .utf8)) ?? "")")
        defer { _ = try? TestProcess.run(URL(fileURLWithPath: "/bin/bash"), arguments: [tools + "/stop.sh", folder]).waitUntilExit() }
        let printed = try String(contentsOfFile: folder + ".start.out", encoding: .utf8)
        let url = try #require(printed.split(separator: "\n").first { $0.hasPrefix("postgres://") }.map(String.init))
        let journal = url + "?sslmode=disable"
        let demo = try PlanjBinary.process(["--journal", journal, "demo", "--pace", "3", "--quiet", "--json"], in: box.directory)
        let output = Pipe(), errors = Pipe()
        (demo.standardOutput, demo.standardError) = (output, errors)
        try demo.run()
        // Some events in, then the restart.
        var events = 0
        for _ in 0..<300 where events < 8 {
            try await Task.sleep(for: .milliseconds(50))
            let runs = try await planj("--journal", journal, "runs", "--json")
            events = (try? JSONValue(parsing: runs.stdout))?.arrayValue?.first?["events"]?.int64Value.map(Int.init) ?? 0
        }
        try #require(events >= 8 && demo.isRunning, "the demo went too fast to be restarted under (\(events) events)")
        try #require(try await script("restart.sh", "restart"))
        await demo.exited()
        let said = String(decoding: await errors.readAll(), as: UTF8.self)
        #expect(demo.terminationStatus == 0, "\(said)")
        let result = try JSONValue(parsing: String(decoding: await output.readAll(), as: UTF8.self))
        #expect(result["status"]?.stringValue == "succeeded", "\(result)")
        #expect(try await planj("--journal", journal, "verify").status == 0)
    }

    /// A database that does not store UTF-8 is refused for a new journal (planj's UTF-8 was kept
    /// as LATIN1 bytes, which psql and every other client read garbled).
    @Test func aDatabaseInAnotherEncodingIsRefused() async throws {
        guard let server = Self.server() else { return }
        let name = "latin_" + UUID().uuidString.prefix(8).lowercased()
        let made = try await ChildProcess.run(
            "psql", [server, "-q", "-c", "CREATE DATABASE \(name) ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"])
        try #require(made.status == 0, "\(made.stderr)")
        var parts = try #require(URLComponents(string: server))
        parts.path = "/" + name
        let journal = try #require(parts.string)
        let ingested = try await planj("--journal", journal, "ingest", Fixtures.validContract)
        #expect(ingested.status == 2 && ingested.stderr.contains("the database's encoding is LATIN1"), "\(ingested.stderr)")
        let tables = try await ChildProcess.run("psql", [journal, "-Atc", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"])
        #expect(tables.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(tables.stdout)")
    }

    /// A role granted SELECT only queries the read model as it is, saying it could not bring it
    /// up to date (it failed: "permission denied for table meta", exit 8).
    @Test func sqlOfARoleThatOnlyReadsQueriesTheTablesAsTheyAre() async throws {
        guard let server = Self.server() else { return }
        let journal = try await database(on: server)
        #expect(try await planj("--journal", journal, "ingest", Fixtures.validContract).status == 0)
        #expect(try await planj("--journal", journal, "sql", "SELECT 1 AS x").status == 0)
        let role = "ro_" + UUID().uuidString.prefix(8).lowercased()
        for statement in ["CREATE ROLE \(role) LOGIN", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(role)"] {
            let made = try await ChildProcess.run("psql", [journal, "-q", "-c", statement])
            #expect(made.status == 0, "\(made.stderr)")
        }
        let more = try RunBuilder.complete(run: "later", steps: 2).jsonl
        #expect(try await PlanjBinary.run(["--journal", journal, "ingest", "-"], in: box.directory, stdin: more).status == 0)
        var reader = try #require(URLComponents(string: journal))
        reader.user = role
        let read = try await planj("--journal", try #require(reader.string), "sql", "SELECT count(*) AS n FROM read_runs", "--json")
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stderr.contains("cannot write the journal, so the read model was not brought up to date"), "\(read.stderr)")
        #expect(read.stdout.contains(#""n":2"#), "\(read.stdout)")
    }

    @Test func copySQLiteToPostgresAndBackKeepsHeadHashes() async throws {
        guard let server = Self.server() else { return }
        let source = box.path("source.sqlite")
        #expect(try await planj("--journal", source, "ingest", Fixtures.validContract).status == 0)
        let someRun = try #require(try await heads(source).keys.sorted().first)
        #expect(try await planj("--journal", source, "fork", someRun, "--at", "2", "--as", "forked").status == 0)
        let pg = try await database(on: server)
        let there = try await planj("copy", source, pg)
        #expect(there.status == 0, "\(there.stderr)")
        let back = box.path("back.sqlite")
        let returned = try await planj("copy", pg, back)
        #expect(returned.status == 0, "\(returned.stderr)")
        let expected = try await heads(source)
        #expect(try await heads(pg) == expected)
        #expect(try await heads(back) == expected)
        for journal in [pg, back] {
            let verified = try await planj("--journal", journal, "verify")
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        }
        // Copying again is resumable: nothing new, same heads.
        let twice = try await planj("copy", source, pg)
        #expect(twice.status == 0, "\(twice.stderr)")
        #expect(try await heads(pg) == expected)
    }

    @Test func processesRacingForOneSeqWinOnceTheOthersConflict() async throws {
        guard let server = Self.server() else { return }
        let journal = try await database(on: server)
        let run = try RunBuilder.complete(run: "race", steps: 3)
        let head = run.events.prefix(4).map { String(decoding: $0.bytes, as: UTF8.self) + "\n" }.joined()
        // Each racer its own event at seq 5 (the same bytes would be acknowledged as a duplicate).
        let next = String(decoding: run.events[4].bytes, as: UTF8.self)
        func racer(_ k: Int) -> String { next.replacingOccurrences(of: #""seq":5,"#, with: #""seq":5,"racer":\#(k),"#) + "\n" }
        let started = try await PlanjBinary.run(["--journal", journal, "append", "--expect-head"], in: box.directory, stdin: head)
        #expect(started.status == 0, "\(started.stdout)\(started.stderr)")
        let results = try await withThrowingTaskGroup(of: PlanjBinary.Result.self) { group in
            for k in 0..<6 {
                group.addTask {
                    try await PlanjBinary.run(["--journal", journal, "append", "--expect-head"], in: box.directory, stdin: racer(k))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let won = results.filter { $0.status == 0 && $0.stdout.contains(#""ok":true"#) }
        let lost = results.filter { $0.status == 1 && $0.stdout.contains("append.conflict") }
        #expect(won.count == 1, "\(results.map(\.stdout))")
        #expect(lost.count == 5, "\(results.map { $0.stdout + $0.stderr })")
        let heads = try await heads(journal)
        #expect(heads["race"] != nil)
        let verified = try await planj("--journal", journal, "verify")
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test func appendersOfDisjointRunsAndAnIngestAtOnceLoseNothing() async throws {
        guard let server = Self.server() else { return }
        let journal = try await database(on: server)
        #expect(try await planj("--journal", journal, "migrate").status == 0)
        let runs = try (0..<4).map { try RunBuilder.complete(run: "agent-\($0)", steps: 6, payloadBytes: 400) }
        let results = try await withThrowingTaskGroup(of: PlanjBinary.Result.self) { group in
            for run in runs {
                let lines = run.events.map { String(decoding: $0.bytes, as: UTF8.self) + "\n" }.joined()
                group.addTask {
                    try await PlanjBinary.run(["--journal", journal, "append", "--expect-head"], in: box.directory, stdin: lines)
                }
            }
            group.addTask {
                try await PlanjBinary.run(["--journal", journal, "ingest", "--quiet", Fixtures.validContract], in: box.directory)
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for r in results { #expect(r.status == 0, "\(r.stdout.suffix(300))\(r.stderr)") }
        let heads = try await heads(journal)
        for run in runs { #expect(heads[run.run] != nil, "run \(run.run) is missing") }
        let stats = try await planj("--journal", journal, "stats", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        let contractEvents = try String(contentsOfFile: Fixtures.validContract, encoding: .utf8).split(separator: "\n").count
        #expect(object["events"] as? Int == runs.map(\.events.count).reduce(0, +) + contractEvents, "\(stats.stdout)")
        let verified = try await planj("--journal", journal, "verify")
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test func ingestProcessesOfDisjointRunsAtOnceLoseNothing() async throws {
        guard let server = Self.server() else { return }
        let journal = try await database(on: server)
        #expect(try await planj("--journal", journal, "migrate").status == 0)
        var files: [String] = []
        var total = 0
        for k in 0..<4 {
            let runs = try (0..<5).map { try RunBuilder.complete(run: "w\(k)-\($0)", steps: 5, payloadBytes: 600) }
            let path = box.path("w\(k).jsonl")
            try runs.map(\.jsonl).joined().write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
            total += runs.map(\.events.count).reduce(0, +)
        }
        let results = try await withThrowingTaskGroup(of: PlanjBinary.Result.self) { group in
            for file in files {
                group.addTask { try await PlanjBinary.run(["--journal", journal, "ingest", "--quiet", file], in: box.directory) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for r in results { #expect(r.status == 0, "\(r.stdout.suffix(300))\(r.stderr)") }
        let stats = try await planj("--journal", journal, "stats", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(object["events"] as? Int == total, "\(stats.stdout)")
        let verified = try await planj("--journal", journal, "verify")
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test(.timeLimit(.minutes(2)))
    func anIngestWhoseConnectionIsEndedMidWayFailsNamingTheJournalAndWritesNothing() async throws {
        guard let server = Self.server() else { return }
        let journal = try await database(on: server)
        #expect(try await planj("--journal", journal, "migrate").status == 0)
        let runs = try (0..<150).map { try RunBuilder.complete(run: "cut-\($0)", steps: 3, payloadBytes: 8000) }
        let text = Data(runs.map(\.jsonl).joined().utf8)
        let process = try PlanjBinary.process(["--journal", journal, "ingest", "-"], in: box.directory)
        let input = Pipe()
        let errors = box.path("ingest.stderr")
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        // More than one read block (1 MiB) of input, then a pause with stdin open: the ingest stores
        // the first runs inside its transaction and waits for more.
        let cut = (1 << 20) + 200_000
        #expect(text.count > cut + 100_000)
        try input.fileHandleForWriting.write(contentsOf: text.prefix(cut))
        // Once it holds run locks (its runs are stored, uncommitted), end its connection.
        var ended = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ended.isEmpty {
            guard process.isRunning, ContinuousClock.now < deadline else {
                Issue.record("the ingest took no run lock (running: \(process.isRunning)): \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
                // Not once it has ended: its pid may be another process's by then.
                if process.isRunning { process.terminate() }
                return
            }
            let r = try await ChildProcess.run(
                "psql",
                [
                    journal, "-Atc",
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock'
                    AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """,
                ])
            ended = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if ended.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        // It may have failed already (if its connection was ended mid-statement): then the pipe
        // is closed, which must not end this test process.
        signal(SIGPIPE, SIG_IGN)
        try? input.fileHandleForWriting.write(contentsOf: text.suffix(from: cut))
        try? input.fileHandleForWriting.close()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let stderr = try String(contentsOfFile: errors, encoding: .utf8)
        #expect(process.terminationStatus == 8, "\(stderr)")
        #expect(stderr.contains("was not committed"), "\(stderr)")
        #expect(stderr.contains(try #require(URLComponents(string: journal)?.path)), "\(stderr)")
        // Nothing of it is in the journal.
        let listed = try await planj("--journal", journal, "runs", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(try await heads(journal).isEmpty, "\(listed.stdout)")
    }

    @Test func badURLsAndUnreachableServersAreClearErrors() async throws {
        let malformed = try await planj("--journal", "postgres://user@host:port/db", "runs")
        #expect(malformed.status == 2, "\(malformed.stderr)")
        #expect(malformed.stderr.contains("not a PostgreSQL journal URL"))
        let secret = try await planj("--journal", "postgres://me:s3cret@127.0.0.1:1/db?sslmode=verify", "runs")
        #expect(secret.status == 2 && secret.stderr.contains("sslmode=verify is not supported"), "\(secret.stderr)")
        #expect(!secret.stderr.contains("s3cret"), "\(secret.stderr)")
        // Port 1 on loopback: nothing listens there.
        let unreachable = try await planj("--journal", "postgres://me:s3cret@127.0.0.1:1/db", "runs")
        #expect(unreachable.status == 8, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("cannot connect to the PostgreSQL server"), "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("127.0.0.1:1"), "\(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("s3cret"), "\(unreachable.stderr)")
        guard let server = Self.server() else { return }
        var parts = try #require(URLComponents(string: server))
        // A password the server does not ask for (trust) is never printed.
        parts.password = "s3cret"
        let listed = try await planj("--journal", try #require(parts.string), "stats")
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(!listed.stdout.contains("s3cret"), "\(listed.stdout)")
        parts.password = nil
        parts.path = "/no_such_database_here"
        let missing = try await planj("--journal", try #require(parts.string), "runs")
        #expect(missing.status == 8, "\(missing.stderr)")
        #expect(missing.stderr.contains("no_such_database_here"), "\(missing.stderr)")
    }
}
