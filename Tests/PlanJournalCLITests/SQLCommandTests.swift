import Foundation
import PlanJournalCore
@testable import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// `planj sql` as a real process: the read model's tables are brought up to date and queried,
/// writes are refused, and refreshing beside a `planj append` process loses nothing.
@Suite struct SQLCommandTests {
    /// A call's token count that every sum counts as 0 (negative) is 0 in read_calls too, so
    /// that summing the calls gives the run's totals.
    @Test func aCallsNegativeTokenCountIsZeroAsInEverySum() async throws {
        let s = try PlanjSandbox("planj-sql-negative")
        var b = RunBuilder(run: "neg")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("call.model", #"{"model":"m","usage":{"input_tokens":5,"output_tokens":-7}}"#)
        try b.add("call.model", #"{"model":"m","usage":{"input_tokens":-2,"output_tokens":3}}"#)
        #expect(try await s.planj("ingest", "-", stdin: b.jsonl).status == 0)
        let r = try await s.planj(
            "sql", "SELECT (SELECT sum(input_tokens) FROM read_calls) AS i, (SELECT sum(output_tokens) FROM read_calls) AS o, "
                + "input_tokens AS ri, output_tokens AS ro FROM read_runs", "--csv")
        #expect(r.stdout == "i,o,ri,ro\r\n5,3,5,3\r\n", "\(r.stdout) \(r.stderr)")
    }

    @Test func queriesRunsStepsAndCalls() async throws {
        let s = try PlanjSandbox("planj-sql")
        let runs = try (0..<3).map { try RunBuilder.complete(run: "r\($0)", steps: 4).jsonl }
        #expect(try await s.planj("ingest", "-", stdin: runs.joined()).status == 0)

        let r = try await s.planj("sql", "SELECT run, status, steps, model_calls, cost_usd FROM read_runs ORDER BY run", "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try JSONValue(parsing: Array(r.stdout.utf8)).arrayValue)
        #expect(rows.map { $0["run"]?.stringValue } == ["r0", "r1", "r2"])
        #expect(rows.allSatisfy { $0["status"]?.stringValue == "succeeded" && $0["steps"]?.int64Value == 4 })
        #expect(rows.allSatisfy { $0["model_calls"]?.int64Value == 4 && abs(($0["cost_usd"]?.doubleValue ?? 0) - 0.004) < 1e-9 })
        #expect(rows.first?.objectMembers?.map(\.key) == ["run", "status", "steps", "model_calls", "cost_usd"])

        let text = try await s.planj("sql", "SELECT kind, count(*) AS n FROM read_calls GROUP BY kind ORDER BY kind")
        #expect(text.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) } == [["kind", "n"], ["model", "12"], ["tool", "12"]])
        let limited = try await s.planj("sql", "SELECT step_id FROM read_steps", "--limit", "1")
        #expect(limited.stdout.split(separator: "\n").count == 2 && limited.stderr.contains("first 1 rows"))

        let csv = try await s.planj("sql", #"SELECT 'a,b' AS x, 'say "hi"' AS y, NULL AS z, 3 AS n, 0.5 AS r"#, "--csv")
        #expect(csv.stdout == "x,y,z,n,r\r\n\"a,b\",\"say \"\"hi\"\"\",,3,0.5\r\n", "\(csv.stdout)")

        #expect(try await s.planj("sql", "SELECT * FROM read_runs WHERE 0; -- none", "--json").stdout == "[]\n")
        let everyCall = try await s.planj("sql", "SELECT * FROM read_calls", "--json")
        #expect(try JSONValue(parsing: Array(everyCall.stdout.utf8)).arrayValue?.count == 24)

        let refused = try await s.planj("sql", "DELETE FROM read_runs")
        #expect(refused.status == 2 && refused.stderr.contains("only statements that read"), "\(refused.stderr)")
        let bad = try await s.planj("sql", "SELECT * FROM nowhere")
        #expect(bad.status == 2 && bad.stderr.contains("no such table: nowhere"), "\(bad.stderr)")
        // SQL that fails as it runs is the query's fault too, not an I/O error.
        // fts3_tokenizer hands out (and takes) raw pointers: off for users' queries.
        for sql in [
            "SELECT load_extension('x')", "ATTACH '/nonexistent/a.db' AS a", "SELECT fts3_tokenizer('simple', x'0011223344556677')",
            "SELECT length(zeroblob(2000000000))",
        ] {
            #expect(try await s.planj("sql", sql).status == 2, "\(sql)")
        }
        #expect(try await s.planj("sql", "SELECT hex(fts3_tokenizer('simple')) AS p", "--csv").stdout == "p\r\n\r\n")

        // A new run: only it is read by the next refresh.
        #expect(try await s.planj("ingest", "-", stdin: try RunBuilder.complete(run: "r3", steps: 2).jsonl).status == 0)
        let report = try await s.planj("sql", "--json")
        let parsed = try JSONValue(parsing: Array(report.stdout.utf8))
        #expect(parsed["runs"]?.int64Value == 4 && parsed["refreshed"]?.int64Value == 1 && parsed["rebuilt"]?.boolValue == false)
        let listing = try await s.planj("sql")
        #expect(["read_runs", "read_steps", "read_calls", "call_id"].allSatisfy(listing.stdout.contains))
        // Scripts get JSON when the tables were not brought up to date, too.
        let skipped = try await s.planj("sql", "--json", "--no-refresh")
        #expect(skipped.stdout == #"{"skipped":true,"reason":"no_refresh"}"# + "\n")
        #expect(try await s.planj("verify").status == 0)
    }

    /// Behind another process's write lock, the refresh gives up after a few seconds: the query
    /// reads the tables as they are, with a note; when they were never built, it says so.
    @Test func aWriteLockHeldLongIsExplainedWhetherOrNotTheTablesExist() async throws {
        let s = try PlanjSandbox("planj-sql-locked")
        #expect(try await s.planj("ingest", "-", stdin: try RunBuilder.complete(run: "r0", steps: 2).jsonl).status == 0)
        let holder = try SQLiteConnection(path: s.journal)
        try holder.run("BEGIN IMMEDIATE")
        let never = try await s.planj("sql", "SELECT count(*) FROM read_runs")
        #expect(never.status == 8 && never.stderr.contains("the SQL tables were never built: run planj sql again"), "\(never.stderr)")
        try holder.run("ROLLBACK")
        #expect(try await s.planj("sql", "SELECT count(*) FROM read_runs").status == 0)
        try holder.run("BEGIN IMMEDIATE")
        let stale = try await s.planj("sql", "SELECT count(*) AS n FROM read_runs", "--json")
        #expect(stale.status == 0 && stale.stderr.contains("rows are as of the last refresh") && stale.stdout.contains(#""n":1"#))
        try holder.run("ROLLBACK")
    }

    @Test func refreshingBesideAnAppendingProcessLosesNothing() async throws {
        let s = try PlanjSandbox("planj-sql-live")
        #expect(try await s.planj("ingest", "-", stdin: "").status == 0)  // the journal the agent will write
        let live = try (0..<4).map { try RunBuilder.complete(run: "live-\($0)", steps: 60, payloadBytes: 200).events }
        let r = try await s.whileAppending(RunBuilder.interleaved(live), repeat: ["sql", "SELECT count(*) FROM read_calls"])
        #expect(r.appended.status == 0, "\(r.appended.stderr)")
        #expect(r.failures.isEmpty, "\(r.failures.count) of \(r.runs) refreshes failed: \(r.failures.first ?? "")")
        let final = try await s.planj("sql", "SELECT count(*) AS calls, sum(ok) AS ok FROM read_calls", "--json")
        let row = try #require(try JSONValue(parsing: Array(final.stdout.utf8)).arrayValue?.first)
        #expect(row["calls"]?.int64Value == Int64(4 * 60 * 2))
        let steps = try await s.planj("sql", "SELECT count(*) AS n FROM read_steps WHERE status = 'completed'", "--json")
        #expect(try JSONValue(parsing: Array(steps.stdout.utf8)).arrayValue?.first?["n"]?.int64Value == Int64(4 * 60))
    }

    @Test func aWriterHoldingTheJournalLeavesTheTablesAsTheyAre() async throws {
        let s = try PlanjSandbox("planj-sql-busy")
        #expect(try await s.planj("ingest", "-", stdin: try RunBuilder.complete(run: "old", steps: 2).jsonl).status == 0)
        #expect(try await s.planj("sql", "--json").status == 0)
        #expect(try await s.planj("ingest", "-", stdin: try RunBuilder.complete(run: "new", steps: 2).jsonl).status == 0)
        // Another writer takes the write lock and keeps it (a long ingest does).
        let writer = try SQLiteConnection(path: s.journal)
        try writer.beginWrite()
        let r = try await s.planj("sql", "SELECT run FROM read_runs", "--csv")
        try writer.run("ROLLBACK")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("not brought up to date"), "\(r.stderr)")
        #expect(r.stdout == "run\r\nold\r\n")
        let after = try await s.planj("sql", "SELECT run FROM read_runs ORDER BY run", "--csv")
        #expect(after.stdout == "run\r\nnew\r\nold\r\n" && after.stderr.isEmpty, "\(after.stderr)")
    }
}
