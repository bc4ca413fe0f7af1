import PlanJournalCore
@testable import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// The read model on SQLite beyond the conformance check: tables of another definition are
/// dropped and rebuilt from the events.
@Suite struct ReadModelTests {
    @Test func tablesOfAnotherDefinitionAreRebuilt() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "r", steps: 5)
        _ = try await t.journal.append(run.events, to: "r", expecting: .noRun)
        let first = try t.journal.refreshReadModel()
        #expect(first.rebuilt && first.refreshed == 1 && first.rows > 0)
        let calls = try t.journal.query("SELECT * FROM read_calls ORDER BY seq")
        #expect(calls.rows.count == 10)

        // As an older planj would have left them: another version, rows missing.
        let db = try SQLiteConnection(path: t.path)
        try db.execute("UPDATE meta SET value = '0' WHERE key = 'read_model'; DELETE FROM read_calls")
        #expect(try t.journal.query("SELECT count(*) FROM read_calls").rows == [[.integer(0)]])
        let again = try t.journal.refreshReadModel()
        #expect(again.rebuilt && again.refreshed == 1 && again.rows == first.rows)
        #expect(try t.journal.query("SELECT * FROM read_calls ORDER BY seq") == calls)
        #expect(try !t.journal.refreshReadModel().rebuilt)
    }

    /// Refreshing after each append or once at the end gives the same rows when a retry calls a
    /// tool under the call_id of an earlier call: each call keeps its own observation, and a call
    /// not observed yet has none.
    @Test func aReusedCallIDObservesOnlyItsOwnCall() async throws {
        var b = RunBuilder(run: "r")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a","tool":"http_get"}]}"#)
        try b.add("step.started", #"{"step_id":"a","attempt":1}"#)
        try b.add("call.tool", #"{"step_id":"a","call_id":"c1","tool":"http_get"}"#)
        try b.add("step.observed", #"{"step_id":"a","call_id":"c1","ok":false,"bytes":10,"duration_ms":100}"#)
        try b.add("step.failed", #"{"step_id":"a","attempt":1,"error":{"message":"503"}}"#)
        try b.add("step.started", #"{"step_id":"a","attempt":2}"#)
        try b.add("call.tool", #"{"step_id":"a","call_id":"c1","tool":"http_get"}"#)
        let stepwise = try TemporaryJournal()
        _ = try await stepwise.journal.append(Array(b.events[..<5]), to: "r", expecting: .noRun)
        _ = try stepwise.journal.refreshReadModel()
        _ = try await stepwise.journal.append(Array(b.events[5...]), to: "r", expecting: .exactly(5))
        _ = try stepwise.journal.refreshReadModel()
        let atOnce = try TemporaryJournal()
        _ = try await atOnce.journal.append(b.events, to: "r", expecting: .noRun)
        _ = try atOnce.journal.refreshReadModel()
        let sql = "SELECT seq, ok, duration_ms, bytes FROM read_calls ORDER BY seq"
        let expected: [[QueryResult.Value]] = [[.integer(4), .integer(0), .real(100), .integer(10)], [.integer(8), .null, .null, .null]]
        #expect(try stepwise.journal.query(sql).rows == expected)
        #expect(try atOnce.journal.query(sql).rows == expected)
    }
}

