import PlanJournalCore
import PlanJournalStore
import Testing

extension JournalConformance {
    /// The SQL read model has a row per run, per step and per call, equal to what folding the
    /// events gives; a refresh reads only runs with new events (a tool call's outcome arriving in
    /// a later refresh updates its row); forks get rows of their own; queries only read.
    public func readModelFollowsTheRuns() async throws {
        let journal = try makeSmallChunkJournal()
        let (parent, _) = try await Self.makeParentAndFork(journal)
        var other = RunBuilder(run: "other")
        try other.add("run.started", #"{"goal":"retry a flaky fetch"}"#)
        try other.add(
            "plan.proposed",
            #"{"version":1,"steps":[{"id":"fetch","tool":"http_get"},{"id":"sum","depends_on":["fetch"]}]}"#,
            actor: "planner")
        try other.add("step.started", #"{"step_id":"fetch","attempt":1}"#, actor: "executor")
        try other.add(
            "call.model", #"{"step_id":null,"purpose":"plan","model":"big","usage":{"input_tokens":7,"output_tokens":3}}"#)
        try other.add("call.tool", #"{"step_id":"fetch","call_id":"t1","tool":"http_get","args":{}}"#)
        _ = try await journal.append(other.events, to: "other", expecting: .noRun)

        let first = try journal.refreshReadModel()
        #expect(first.rebuilt && first.runs == 3 && first.refreshed == 3)
        #expect(first.events == Int64(parent.events.count + 9 + other.events.count))
        try await expectRowsMatchTheFold(journal)
        var call = try journal.query("SELECT kind, name, purpose, step_id, input_tokens, ok FROM read_calls WHERE run = 'other' ORDER BY seq")
        #expect(call.columns == ["kind", "name", "purpose", "step_id", "input_tokens", "ok"])
        #expect(
            call.rows == [
                [.text("model"), .text("big"), .text("plan"), .null, .integer(7), .null],
                [.text("tool"), .text("http_get"), .null, .text("fetch"), .null, .null],
            ])

        // The observation of t1 comes in the next refresh, and only `other` is read again. The
        // retry calls the tool under the same call_id: each call keeps its own observation.
        try other.add("step.observed", #"{"step_id":"fetch","call_id":"t1","ok":false,"duration_ms":12.5,"bytes":40}"#)
        try other.add("step.failed", #"{"step_id":"fetch","error":{"message":"timeout"}}"#, actor: "executor")
        try other.add("step.started", #"{"step_id":"fetch","attempt":2}"#, actor: "executor")
        try other.add("call.tool", #"{"step_id":"fetch","call_id":"t1","tool":"http_get","args":{}}"#)
        try other.add("step.observed", #"{"step_id":"fetch","call_id":"t1","ok":true,"duration_ms":3,"bytes":99}"#)
        try other.add("step.completed", #"{"step_id":"fetch","output":"42"}"#, actor: "executor")
        try other.add("step.skipped", #"{"step_id":"sum","reason":"not needed"}"#)
        try other.add("run.completed", #"{"status":"partially_succeeded"}"#)
        _ = try await journal.append(Array(other.events[5...]), to: "other", expecting: .exactly(5))
        let second = try journal.refreshReadModel()
        #expect(!second.rebuilt && second.refreshed == 1 && second.events == 8)
        try await expectRowsMatchTheFold(journal)
        call = try journal.query("SELECT seq, ok, duration_ms, bytes FROM read_calls WHERE run = 'other' AND call_id = 't1' ORDER BY seq")
        #expect(call.rows == [[.integer(5), .integer(0), .real(12.5), .integer(40)], [.integer(9), .integer(1), .real(3), .integer(99)]])
        let steps = try journal.query("SELECT step_id, status, attempts, error FROM read_steps WHERE run = 'other' ORDER BY step_id")
        #expect(
            steps.rows == [
                [.text("fetch"), .text("completed"), .integer(2), .null],
                [.text("sum"), .text("skipped"), .integer(0), .null],
            ])
        let failed = try journal.query("SELECT error FROM read_steps WHERE run = 'child' AND status = 'failed'")
        #expect(failed.rows == [[.text("boom")]])
        let fork = try journal.query("SELECT parent, fork_seq, status FROM read_runs WHERE run = 'child'")
        #expect(fork.rows == [[.text("parent"), .integer(7), .text("failed")]])

        let third = try journal.refreshReadModel()
        #expect(third.refreshed == 0 && third.rows == 0 && third.events == 0)
        #expect(try journal.query("SELECT run FROM read_runs ORDER BY run", limit: 2).rows == [[.text("child")], [.text("other")]])

        // Queries only read, one statement at a time, and SQL the engine refuses is a usage error.
        for sql in ["DELETE FROM read_runs", "SELECT 1; SELECT 2", "SELEC 1", "SELECT * FROM no_such_table"] {
            do {
                _ = try journal.query(sql)
                Issue.record("\(sql) was run")
            } catch {
                #expect(error.code == .usage, "\(sql): \(error)")
            }
        }
        #expect(try journal.query("SELECT count(*) AS n FROM read_runs").rows == [[.integer(3)]])
        let report = try journal.verify()
        #expect(report.ok)
        // `stats` tells the tables' bytes apart from the events'.
        let stats = try journal.stats()
        #expect(stats.readModelBytes > 0 && stats.readModelBytes < stats.fileBytes, "\(stats)")
        // The journal's own bytes (a PostgreSQL database's system catalogs alone take megabytes).
        #expect(stats.fileBytes < 2_000_000, "\(stats)")
        #expect(abs(stats.compressionRatio - Double(stats.jsonlBytes) / Double(stats.fileBytes - stats.readModelBytes)) < 1e-9)
    }

    /// Every run's `read_runs` and `read_steps` rows hold what its folded plan state says, and
    /// `read_calls` has one row per call event.
    private func expectRowsMatchTheFold(_ journal: Journal) async throws {
        for summary in try journal.runs() {
            let s = try journal.state(of: summary.id)
            let run = try journal.query(
                "SELECT status, events, plan_versions, model_calls, tool_calls, input_tokens, output_tokens, parent FROM read_runs WHERE run = '\(summary.id)'"
            )
            #expect(
                run.rows == [
                    [
                        .text(s.status), .integer(s.seq), .integer(Int64(s.plans.count)), .integer(Int64(s.totals.modelCalls)),
                        .integer(Int64(s.totals.toolCalls)), .integer(s.totals.inputTokens), .integer(s.totals.outputTokens),
                        summary.parent.map { .text($0) } ?? .null,
                    ]
                ], "\(summary.id)")
            let steps = try journal.query(
                "SELECT step_id, status, attempts, model_calls, tool_calls FROM read_steps WHERE run = '\(summary.id)' ORDER BY step_id")
            let expected: [[QueryResult.Value]] = s.steps.sorted { $0.id < $1.id }.map {
                [.text($0.id), .text($0.status.rawValue), .integer(Int64($0.attempts)), .integer(Int64($0.modelCalls)), .integer(Int64($0.toolCalls))]
            }
            #expect(steps.rows == expected, "\(summary.id)")
            let calls = try journal.events(of: summary.id).filter { $0.kind == "call.model" || $0.kind == "call.tool" }
            let stored = try journal.query("SELECT seq FROM read_calls WHERE run = '\(summary.id)' ORDER BY seq")
            #expect(stored.rows == calls.map { [.integer($0.seq)] }, "\(summary.id)")
        }
    }
}
