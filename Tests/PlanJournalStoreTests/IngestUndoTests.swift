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

    /// `count` lines of run `run` repeating `text` (enough to train a dictionary on), then, with
    /// `broken`, a seq gap that rejects the whole run at its last line.
    static func repeating(_ text: String, run: String, count: Int, broken: Bool) throws -> String {
        var r = RunBuilder(run: run)
        try r.add("run.started", #"{"goal":"g"}"#)
        for k in 0..<count { try r.add("note", #"{"message":"\#(text), rule \#(k % 40) of 40","k":\#(k)}"#) }
        var jsonl = r.jsonl
        if broken { jsonl += #"{"v":1,"run":"\#(run)","seq":\#(count + 5),"ts":"2026-11-24T10:00:00Z","kind":"note","actor":"x","data":{}}"# + "\n" }
        return jsonl
    }

    /// Nothing of a rejected run stays in the journal, not even in the compression dictionary
    /// trained on its chunks; the accepted runs compressed with that dictionary read back.
    @Test func aRejectedRunLeavesNothingInTheCompressionDictionary() throws {
        let t = try TemporaryJournal()
        let secret = "Authorization: Bearer sk-live-SECRET-4f9a8b7c6d5e policy v7 applies to every request"
        let kept = try Self.repeating("the accepted run's own system prompt, repeated on every call", run: "kept", count: 7000, broken: false)
            .split(separator: "\n")
        let rejected = try Self.repeating(secret, run: "secret", count: 6000, broken: true).split(separator: "\n")
        // Interleaved: the dictionary is trained on both runs, and chunks of both are compressed
        // with it before the secret run's last line rejects it.
        let lines = zip(kept, rejected).flatMap { [$0, $1] } + kept.dropFirst(rejected.count)
        let report = try t.journal.ingest(text: lines.joined(separator: "\n") + "\n")
        #expect(report.rejected.map(\.run) == ["secret"] && report.runsWritten == ["kept"])
        let db = try SQLiteConnection(path: t.path)
        let s = try db.statement("SELECT bytes FROM dictionaries")
        var dictionaries: [[UInt8]] = []
        while try s.step() { dictionaries.append(s.blob(0)) }
        s.reset()
        #expect(!dictionaries.contains { String(decoding: $0, as: UTF8.self).contains("sk-live-SECRET") })
        #expect(try t.journal.verify(run: "kept").ok)
        #expect(try t.journal.events(of: "kept").count == 7001)
        // A later ingest trains again, on what the journal stores.
        _ = try t.journal.ingest(text: try Self.repeating("another agent's prompt", run: "next", count: 6000, broken: false))
        #expect(try t.journal.verify(run: "next").ok)
    }

    /// A run completed in one file and continued in the next of the same transaction is judged
    /// on all its events, the ones still being compressed too (it read as ending earlier).
    @Test func aRunMetAgainInALaterFileIsJudgedOnAllItsEvents() throws {
        let files = try TemporaryJournal()
        let dir = files.directory
        var a = RunBuilder(run: "R")
        try a.add("run.started", #"{"goal":"g"}"#)
        for k in 2..<40 { try a.add("note", #"{"t":"\#(String(repeating: "x\(k)", count: 1000))"}"#) }
        try a.add("run.completed", #"{"status":"succeeded"}"#)
        try a.jsonl.write(toFile: dir + "/a.jsonl", atomically: true, encoding: .utf8)
        var b = a
        try b.add("note", "{}")
        try String(b.jsonl.split(separator: "\n").last! + "\n").write(toFile: dir + "/b.jsonl", atomically: true, encoding: .utf8)
        for _ in 0..<3 {
            let t = try TemporaryJournal()
            var reports: [IngestReport] = []
            try t.journal.ingest(files: [dir + "/a.jsonl", dir + "/b.jsonl"]) { reports.append($0) }
            let message = reports.last?.rejected.first?.message ?? ""
            #expect(message.contains("after run.completed"), "\(message)")
        }
    }
}
