import PlanJournalCore

/// Where ``JournalCopier`` reads runs: a journal (any backend) or a `.pjl` file.
///
/// The requirements are the reading API of ``Journal``, so a journal is a source as it is.
public protocol CopySource {
    /// The runs, newest first, with their fork lineage (``RunSummary/parent``, ``RunSummary/forkSeq``).
    func runs(status: String?, limit: Int?) throws(JournalError) -> [RunSummary]
    /// The chain hash (hex) of `run` after event `seq` (the parent's at or before a fork point).
    func chainHash(of run: String, at seq: Int64) throws(JournalError) -> String
    /// Calls `body` with each event of `run` with seq in `from...to`, in order (through the parent
    /// of a fork for the shared part).
    func forEachEvent(of run: String, from: Int64, to: Int64, _ body: (JournalEvent) throws(JournalError) -> Void)
        throws(JournalError)
    /// The seals of `run`, oldest first.
    func seals(of run: String) throws(JournalError) -> [Seal]
}

extension Journal: CopySource {}
