import Foundation
import PlanJournalCore

/// Removing what the current transaction wrote for a run that an ingest rejects.
extension JournalWriter {
    /// Removes what this transaction wrote for the run (a rejected run).
    func undo(_ w: RunWrite) throws(JournalError) {
        try undo(w.undoRecord)
    }

    /// Removes what this transaction wrote for a run, from its undo record.
    func undo(_ w: RunWrite.Undo) throws(JournalError) {
        cache[w.id] = nil
        lastStoredLookup = nil
        try settleChunks()
        guard let rid = w.rid else { return }
        // The run's rid may be given to the next new run: forget what was read of it.
        defer { reader.referencedChunks.reset() }
        try dropReferences(to: rid)
        try dictionaries.untrain(rid)
        guard let row = w.startRow else {
            try db.statement("DELETE FROM chunks WHERE rid = ?").bind(.int(rid)).run()
            try db.statement("DELETE FROM snapshots WHERE rid = ?").bind(.int(rid)).run()
            try db.statement("DELETE FROM runs WHERE rid = ?").bind(.int(rid)).run()
            return
        }
        try db.statement("DELETE FROM chunks WHERE rid = ? AND first_seq > ?").bind(.int(rid), .int(row.headSeq)).run()
        try db.statement("DELETE FROM snapshots WHERE rid = ? AND seq > ?").bind(.int(rid), .int(row.headSeq)).run()
        var restored = row
        restored.rid = rid
        try writeCatalog(restored)
    }
}
