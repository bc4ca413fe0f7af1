import Foundation
import PlanJournalStore
import Synchronization

/// A one-line progress report on standard error (a terminal only), redrawn at most ten times a
/// second: what `copy`, `verify`, `export --all`, `audit` and `sql` show while they work.
final class ThrottledProgressLine: Sendable {
    private let enabled: Bool
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    /// A line drawn only when `enabled` (typically: not `--quiet`, and standard error is a terminal).
    init(enabled: Bool) { self.enabled = enabled }

    /// Draws `text` unless the line was drawn less than 0.1 s ago; a `final` report is always drawn.
    func show(_ text: @autoclosure () -> String, final: Bool = false) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let draw = last.withLock { t in
            if let t, now - t < .milliseconds(100), !final { return false }
            t = now
            return true
        }
        if draw { Output.progress(text()) }
    }

    /// Erases the line.
    func clear() {
        if enabled && last.withLock({ $0 != nil }) { Output.progress(nil) }
    }
}

extension ThrottledProgressLine {
    /// Shows a copy's progress.
    @Sendable func show(_ p: CopyProgress) {
        show("copy: \(p.runsDone)/\(p.runsTotal) runs, \(p.eventsWritten) events written" + (p.run.map { ", \($0)" } ?? ""),
            final: p.runsDone == p.runsTotal)
    }

    /// Shows a verify's progress.
    @Sendable func show(_ p: VerifyProgress) {
        show("verify: \(p.runsChecked)/\(p.runs) runs, \(p.events) events checked", final: p.runsChecked == p.runs)
    }
}
