import Foundation
import PlanJournalStore
import Synchronization

/// The one-line progress of `planj copy` on standard error (a terminal only), redrawn at most
/// ten times a second.
final class CopyProgressLine: Sendable {
    private let enabled: Bool
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(enabled: Bool) { self.enabled = enabled }

    /// Shows `p` unless the line was drawn less than 0.1 s ago.
    @Sendable func show(_ p: CopyProgress) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let draw = last.withLock { t in
            if let t, now - t < .milliseconds(100), p.runsDone < p.runsTotal { return false }
            t = now
            return true
        }
        guard draw else { return }
        var text = "copy: \(p.runsDone)/\(p.runsTotal) runs, \(p.eventsWritten) events written"
        if let run = p.run { text += ", \(run)" }
        Output.progress(text)
    }

    /// Erases the line.
    func clear() {
        if enabled && last.withLock({ $0 != nil }) { Output.progress(nil) }
    }
}
