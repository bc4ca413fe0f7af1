import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// What an ingest does when it cannot undo a run it rejects.
@Suite struct IngestUndoTests {
    /// Undoing a rejected run that cannot be undone (here a trigger refuses to delete its chunks)
    /// fails the whole ingest, rolled back: it never commits a run it reports rejected.
    @Test func aRejectedRunThatCannotBeUndoneFailsTheIngestAndLeavesNothing() throws {
        let t = try TemporaryJournal()
        let db = try SQLiteConnection(path: t.path)
        try db.execute(
            "CREATE TRIGGER refuse_undo BEFORE DELETE ON chunks BEGIN SELECT RAISE(ABORT, 'undo refused'); END")
        let other = try RunBuilder.complete(run: "other", steps: 2)
        var late = try RunBuilder.complete(run: "late", steps: 2)
        try late.add("note", "{}")  // after run.completed: the run is rejected after it was written
        #expect {
            try t.journal.ingest(text: other.jsonl + late.jsonl)
        } throws: { error in
            (error as? JournalError)?.message.contains("undo refused") == true
        }
        #expect(try t.journal.runs().isEmpty, "nothing of the input is committed")
        try db.execute("DROP TRIGGER refuse_undo")
        let report = try t.journal.ingest(text: other.jsonl + late.jsonl)
        #expect(report.rejected.map(\.run) == ["late"] && report.runsWritten == ["other"])
    }
}
