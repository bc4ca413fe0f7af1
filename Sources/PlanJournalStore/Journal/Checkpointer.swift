import Foundation
import PlanJournalCore

/// Copies the WAL back into the database file on a thread of its own, so appends do not wait for
/// checkpoints (the page copying and the `fsync`s of `synchronous=NORMAL` happen there).
///
/// The writer's connection reports the WAL's size after each commit (``JournalWriter``'s WAL hook)
/// and asks for a checkpoint past ``backgroundPages``. A passive checkpoint never blocks the
/// writer, so while appends keep coming it can lag behind them; past ``writerPages`` the writer
/// checkpoints itself after its commit, as SQLite's automatic checkpoint would, so the WAL stays
/// bounded.
///
/// `@unchecked Sendable`: its mutable state is used only with `condition` locked.
final class Checkpointer: @unchecked Sendable {
    /// WAL pages past which a background checkpoint is requested (SQLite's default automatic one
    /// runs at 1000).
    static let backgroundPages = 1000
    /// WAL pages past which the writer checkpoints on its own thread.
    static let writerPages = 4000

    private let path: String
    private let condition = NSCondition()
    private var requested = false
    private var stopped = false

    init(path: String) {
        self.path = path
        let thread = Thread { [self] in self.work() }
        thread.name = "planjournal.checkpoint"
        thread.start()
    }

    /// Asks for a checkpoint soon (several requests before it runs make one).
    func request() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread (it closes its connection).
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func work() {
        // A connection of its own: SQLite connections are used by one thread at a time.
        // It never creates the file: deleted before this thread started, the journal is not made
        // again empty (the writer would take that for a replaced file).
        let db = try? SQLiteConnection(path: path, creating: false)
        // Whether the last checkpoint left pages behind (commits that came in meanwhile, or a
        // reader's snapshot): then it is tried again shortly, even without a request, until the
        // WAL is all copied (readers then read the database file alone) or no progress is made.
        var behind = false
        var lastCopied = -1
        while true {
            condition.lock()
            if behind {
                if !requested && !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.02)) }
            } else {
                while !requested && !stopped { condition.wait() }
            }
            if stopped {
                condition.unlock()
                return
            }
            let wasRequested = requested
            requested = false
            condition.unlock()
            // A failed or partial checkpoint is retried later; the WAL keeps every commit.
            guard let result = try? db?.checkpointPassive() else {
                behind = false
                continue
            }
            let progress = wasRequested || result.copied != lastCopied
            behind = result.copied < result.walPages && progress
            lastCopied = result.copied
        }
    }
}
