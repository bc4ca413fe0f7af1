import PlanJournalCore
import Testing

@testable import PlanJournalCLI

/// The lines `planj run`, `resume` and `replay` print as events are journaled.
@Suite struct ProgressLineTests {
    /// A replay's fork begins with the note a resume writes: it says what is replayed, not that
    /// a run was resumed.
    @Test func aReplaysFirstNoteSaysWhatIsReplayed() throws {
        let fork = try JournalEvent(
            parsing: #"{"run":"r.replay-1","seq":3,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{"message":"resumed","resumed_after_seq":2,"replay_of":"r"}}"#)
        #expect(ProgressLine.render(fork) == "[   3] replaying r from seq 3")
        let resumed = try JournalEvent(
            parsing: #"{"run":"r","seq":9,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{"message":"resumed","resumed_after_seq":8}}"#)
        #expect(ProgressLine.render(resumed) == "[   9] note: resumed")
    }
}
