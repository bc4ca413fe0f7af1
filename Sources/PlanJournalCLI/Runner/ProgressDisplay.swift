import Foundation
import PlanJournalCore
import Synchronization

/// The live progress of a run on a terminal: notable transitions (plans, failures, replans,
/// approvals) scroll as lines, and one status line at the bottom is redrawn after every event
/// (plan version, steps done and running, tokens, cost, time).
final class ProgressDisplay: Sendable {
    private let state = Mutex((PlanState(run: ""), StepTally()))
    private let projection = PlanProjection()

    /// Folds `event` in and redraws.
    func show(_ event: JournalEvent) {
        let status = state.withLock { s in
            projection.apply(&s.0, event)
            s.1.update(s.0, after: event)
            return Self.statusLine(s.0, s.1)
        }
        var out = ""
        if Self.isNotable(event), let line = ProgressLine.render(event) { out += line + "\n" }
        if event.knownKind != .runCompleted { out += status }
        Output.writeError(Array(("\r\u{1B}[K" + TerminalText.safe(out)).utf8))
    }

    static func isNotable(_ event: JournalEvent) -> Bool {
        switch event.knownKind {
        case .runStarted?, .planProposed?, .planRevised?, .planReviewed?, .approvalRequested?, .approvalResolved?,
            .stepFailed?, .stepSkipped?, .replanTriggered?, .runCompleted?, .note?:
            true
        default: false
        }
    }

    static func statusLine(_ s: PlanState, _ tally: StepTally) -> String {
        var line = "plan v\(s.currentVersion ?? 0) · \(tally.done)/\(tally.planned) done"
        if !tally.running.isEmpty { line += " · running \(TextTable.clip(tally.running.prefix(20).joined(separator: ", "), 50))" }
        if let start = s.startedAt, let now = s.updatedAt { line += String(format: " · %.1fs", start.milliseconds(to: now) / 1000) }
        line += " · \(s.totals.tokens) tokens · " + s.totals.costUSD.dollarText
        return line
    }
}
