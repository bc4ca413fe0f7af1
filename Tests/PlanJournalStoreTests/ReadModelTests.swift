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

    /// A refresh of many runs commits a few hundred at a time; one that stops part way (its
    /// process killed, here a failing insert) leaves the read model marked unfinished, which
    /// `planj sql --no-refresh` reports, until a refresh completes it.
    @Test func aRefreshThatStopsPartWayIsMarkedUnfinished() async throws {
        let t = try TemporaryJournal()
        for k in 0..<300 {
            let run = try RunBuilder.complete(run: "r\(k)", steps: 1)
            _ = try await t.journal.append(run.events, to: run.events[0].run, expecting: .noRun)
        }
        let db = try SQLiteConnection(path: t.path)
        _ = try t.journal.refreshReadModel()  // creates the tables
        try db.execute("DELETE FROM read_runs; DELETE FROM read_steps; DELETE FROM read_calls")
        // The run refreshed last (the catalog's order) is in the second batch of 256.
        let last = try #require(try t.journal.runs().last?.id)
        try db.execute("CREATE TRIGGER stop BEFORE INSERT ON read_runs WHEN NEW.run = '\(last)' BEGIN SELECT RAISE(FAIL, 'killed'); END")
        #expect(throws: JournalError.self) { try t.journal.refreshReadModel() }
        #expect(try t.journal.readModelIsUnfinished())
        let written = try t.journal.query("SELECT count(*) FROM read_runs").rows
        #expect(written == [[.integer(256)]], "\(written)")
        try db.execute("DROP TRIGGER stop")
        #expect(try t.journal.refreshReadModel().refreshed == 44)
        #expect(try !t.journal.readModelIsUnfinished())
        #expect(try t.journal.query("SELECT count(*) FROM read_runs").rows == [[.integer(300)]])
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

    /// A call and its observation that write the step id in two Unicode forms (`cafe` with a
    /// combining accent, and `café`) are one step's: the call gets what was observed of it.
    @Test func anObservationFindsItsCallUnderEitherSpellingOfTheStep() async throws {
        var b = RunBuilder(run: "u")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"caf\u00e9","tool":"t"}]}"#)
        try b.add("step.started", #"{"step_id":"caf\u00e9"}"#)
        try b.add("call.tool", #"{"step_id":"cafe\u0301","call_id":"k1","tool":"t"}"#)
        try b.add("step.observed", #"{"step_id":"caf\u00e9","call_id":"k1","ok":true,"bytes":9,"duration_ms":5}"#)
        let t = try TemporaryJournal()
        _ = try await t.journal.append(b.events, to: "u", expecting: .noRun)
        _ = try t.journal.refreshReadModel()
        let rows = try t.journal.query("SELECT step_id, ok, duration_ms, bytes FROM read_calls").rows
        #expect(rows == [[.text("caf\u{e9}"), .integer(1), .real(5), .integer(9)]])
    }

    /// What stopped a run and the error it ended with are columns of its row, as `show` says them.
    @Test func aRunsStopAndErrorAreInItsRow() async throws {
        var b = RunBuilder(run: "r")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#)
        try b.add(
            "run.completed", #"{"status":"failed","stopped_by":"budget","error":{"type":"budget_exceeded","message":"$0.51 of $0.50"}}"#)
        let t = try TemporaryJournal()
        _ = try await t.journal.append(b.events, to: "r", expecting: .noRun)
        _ = try t.journal.refreshReadModel()
        #expect(
            try t.journal.query("SELECT stopped_by, error FROM read_runs").rows
                == [[.text("budget"), .text("budget_exceeded: $0.51 of $0.50")]])
    }

    /// A fork made a day after its original (a replay) lasts what its events took, not the day
    /// between its fork point and its own first event.
    @Test func aForksDurationLeavesOutTheWaitBeforeIt() async throws {
        func run(_ id: String, forkedLater: Bool) throws -> RunBuilder {
            var b = RunBuilder(run: id)
            try b.add("run.started", #"{"goal":"g"}"#)
            try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"}]}"#)
            try b.add("step.started", #"{"step_id":"a","attempt":1}"#)
            b.wait(milliseconds: 100)
            try b.add("step.completed", #"{"step_id":"a","output":"x"}"#)
            if forkedLater { b.wait(milliseconds: 86_400_000) }
            try b.add("step.started", #"{"step_id":"b","attempt":1}"#)
            b.wait(milliseconds: 200)
            try b.add("step.completed", #"{"step_id":"b","output":"y"}"#)
            try b.add("run.completed", #"{"status":"succeeded"}"#)
            return b
        }
        let t = try TemporaryJournal()
        let original = try run("o", forkedLater: false)
        _ = try await t.journal.append(original.events, to: "o", expecting: .noRun)
        _ = try t.journal.fork("o", at: 4, as: "f")
        _ = try await t.journal.append(Array(try run("f", forkedLater: true).events[4...]), to: "f", expecting: .exactly(4))
        _ = try t.journal.refreshReadModel()
        let rows = try t.journal.query("SELECT run, duration_ms FROM read_runs ORDER BY run").rows
        #expect(rows == [[.text("f"), .real(305)], [.text("o"), .real(306)]])
    }

    /// A table dropped by hand is not damage: every table is rebuilt (the others' rows would be
    /// incomplete without it).
    @Test func aDroppedTableIsRebuilt() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "r", steps: 3)
        _ = try await t.journal.append(run.events, to: "r", expecting: .noRun)
        _ = try t.journal.refreshReadModel()
        let calls = try t.journal.query("SELECT * FROM read_calls ORDER BY seq")
        try SQLiteConnection(path: t.path).execute("DROP TABLE read_calls")
        #expect(try t.journal.refreshReadModel().rebuilt)
        #expect(try t.journal.query("SELECT * FROM read_calls ORDER BY seq") == calls)
    }

    /// Two parallel steps may name their first tool call alike: each observation fills the call
    /// of its own step.
    @Test func parallelStepsWithTheSameCallIDKeepTheirOwnObservations() async throws {
        var b = RunBuilder(run: "r")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"}]}"#)
        try b.add("step.started", #"{"step_id":"a"}"#)
        try b.add("step.started", #"{"step_id":"b"}"#)
        try b.add("call.tool", #"{"step_id":"a","call_id":"c1","tool":"fetch"}"#)
        try b.add("call.tool", #"{"step_id":"b","call_id":"c1","tool":"grep"}"#)
        try b.add("step.observed", #"{"step_id":"a","call_id":"c1","ok":false,"bytes":11}"#)
        try b.add("step.observed", #"{"step_id":"b","call_id":"c1","ok":true,"bytes":22}"#)
        let t = try TemporaryJournal()
        _ = try await t.journal.append(b.events, to: "r", expecting: .noRun)
        _ = try t.journal.refreshReadModel()
        #expect(
            try t.journal.query("SELECT step_id, ok, bytes FROM read_calls ORDER BY seq").rows == [
                [.text("a"), .integer(0), .integer(11)], [.text("b"), .integer(1), .integer(22)],
            ])
    }

    /// Run ids that are two Unicode spellings of one name are two runs here too: refreshing one
    /// does not take the other's place.
    @Test func runIDsOfTwoUnicodeSpellingsKeepTheirOwnRows() async throws {
        let nfc = "caf\u{E9}"
        let nfd = "cafe\u{301}"
        let t = try TemporaryJournal()
        let a = try RunBuilder.complete(run: nfc, steps: 4)
        let b = try RunBuilder.complete(run: nfd, steps: 2)
        _ = try await t.journal.append(Array(a.events[..<3]), to: nfc, expecting: .noRun)
        _ = try await t.journal.append(b.events, to: nfd, expecting: .noRun)
        _ = try t.journal.refreshReadModel()
        _ = try await t.journal.append(Array(a.events[3...]), to: nfc, expecting: .exactly(3))
        #expect(try t.journal.refreshReadModel().refreshed == 1)
        #expect(try t.journal.refreshReadModel().refreshed == 0)
        let counts = try t.journal.query("SELECT run, count(*) FROM read_calls GROUP BY run ORDER BY run").rows
        #expect(counts == [[.text(nfd), .integer(4)], [.text(nfc), .integer(8)]] || counts == [[.text(nfc), .integer(8)], [.text(nfd), .integer(4)]])
    }
}
