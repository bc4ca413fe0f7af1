import PlanJournalCore

/// Where ``JournalCopier`` writes runs: a journal (any backend) or a `.pjl` file being written.
///
/// Events are handed over exactly as read from the source (their stored bytes), so their hashes
/// carry over.
public protocol CopyDestination {
    /// The catalog entry of `run`, `nil` when the destination does not have it.
    func existingRun(_ run: String) throws(JournalError) -> RunSummary?
    /// The chain hash (hex) of `run` after event `seq`; only asked of runs ``existingRun(_:)`` returned.
    func chainHash(of run: String, at seq: Int64) throws(JournalError) -> String
    /// Starts `id` as a fork of `run` at `seq` (the events 1...seq shared, read through `run`).
    func fork(_ run: String, at seq: Int64, as id: String) throws(JournalError) -> RunSummary
    /// Appends `events` (of one run, continuing it) atomically; a `.conflict` when the run's head
    /// is not `expecting`.
    func append(_ events: [JournalEvent], to run: String, expecting: ExpectedSeq) async throws(JournalError)
        -> AppendResult
    /// Stores seals of runs already written; returns how many were new.
    func storeSeals(_ seals: [Seal]) throws(JournalError) -> Int
}

extension Journal: CopyDestination {
    /// The catalog entry of `run`, `nil` when it is not in the journal.
    public func existingRun(_ run: String) throws(JournalError) -> RunSummary? {
        do {
            return try self.run(run)
        } catch where error.code == .notFound {
            return nil
        }
    }
}
