import PlanJournalCore
import PlanJournalStore

extension Journal {
    /// Asks for `run` to be cancelled, by appending a `note` with `"cancel": true` (as
    /// `planj cancel` does): the process driving the run (in any process or on any machine that
    /// writes this journal) cancels it at its next look at the journal, and a resume of a stopped
    /// run ends it as cancelled.
    /// - Parameter actor: who asks, recorded as the note's actor (`human:ana`).
    /// - Returns: the appended note.
    /// - Throws: ``RuntimeError`` `already_completed` when it has completed; `JournalError`
    ///   `.notFound` for an unknown run.
    @discardableResult
    public func requestCancel(run: String, actor: String, reason: String? = nil) async throws -> JournalEvent {
        while true {
            let summary = try self.run(run)
            if summary.endedAt != nil {
                throw RuntimeError(
                    RuntimeError.Types.alreadyCompleted, "run \(run) has completed (\(summary.status)); nothing to cancel")
            }
            let head = summary.events
            let note = try JournalEvent(
                run: run, seq: head + 1, ts: .now, kind: EventKind.note.rawValue, actor: actor,
                data: .record(["text": .string(reason ?? "cancel requested"), "cancel": .bool(true)]))
            if try await appendUnlessOvertaken(note, head: head) { return note }
            // The runner appended meanwhile: look again.
        }
    }
}

extension JournalEvent {
    /// Why this `note` asks for its run's cancellation (`"cancel": true`, as `planj cancel`
    /// writes it); `nil` for any other event.
    public var cancellationReason: String? {
        guard knownKind == .note, dataBool("cancel") == true else { return nil }
        return "cancelled by \(actor ?? "someone")" + (dataString("text").map { ": \($0)" } ?? "")
    }
}

extension RunProgress {
    /// Takes in a cancellation a `note` asks for (``JournalEvent/cancellationReason``).
    mutating func noteCancel(_ event: JournalEvent) {
        if cancelRequested == nil { cancelRequested = event.cancellationReason }
    }
}
