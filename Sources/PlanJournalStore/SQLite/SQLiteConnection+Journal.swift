import Foundation
import PlanJournalCore

extension SQLiteConnection {
    /// Puts a writer's connection in WAL mode at the sync level `durability` asks for, with the
    /// journal's page cache size. An immutable file is left as it is (nothing will be written).
    ///
    /// Switching a new file to WAL needs an exclusive lock, which SQLite refuses at once (without
    /// its busy handler) while other processes open the same new journal: retried for a few seconds.
    /// - Throws: `.io` when a pragma fails.
    func configure(durability: JournalConfiguration.Durability) throws(JournalError) {
        // Read as it is: nothing to switch, and nothing will be written.
        guard !immutable else { return }
        // Switching a new file to WAL needs an exclusive lock, and SQLite reports "busy" at once
        // (without its busy handler) when other processes open the same new journal together.
        var attempt = 0
        while true {
            do {
                try execute("PRAGMA journal_mode=WAL")
                break
            } catch where error.isLockTimeout && attempt < 600 {
                attempt += 1
                usleep(useconds_t(5_000 + Int.random(in: 0..<20_000)))
            }
        }
        try execute(durability == .full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        // 4 MB: appends touch the right edge of each table and the tails of a few runs. 16 MB
        // held 14 MB more at the end of a 106 MB ingest (memory that grew with the input) for no
        // measurable speed.
        try execute("PRAGMA cache_size=-4000")
    }
}
