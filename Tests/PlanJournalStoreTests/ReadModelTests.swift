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
}
