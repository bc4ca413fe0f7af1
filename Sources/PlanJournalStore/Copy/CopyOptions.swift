import PlanJournalCore

/// Which runs ``JournalCopier`` copies and how it reports progress.
///
/// The filters combine (a run must pass all of them). The parents of a selected fork are
/// always copied too, whatever the filters say, since a fork reads its first events through them.
public struct CopyOptions: Sendable {
    /// Only these runs (empty: every run). A named run the source lacks is a `.notFound` error.
    public var runs: [String]
    /// Only runs started at or after this time.
    public var since: Timestamp?
    /// Only runs with this status (`running`, `succeeded`, `failed`, ...).
    public var status: String?
    /// The most events handed to the destination in one atomic append (default 2000).
    public var batchEvents: Int
    /// Called after each batch of events and each run, on the copying task.
    public var progress: (@Sendable (CopyProgress) -> Void)?

    /// Creates options; the defaults copy every run.
    /// - Parameters:
    ///   - runs: only these runs (empty: every run); a named run the source lacks makes the copy
    ///     throw `.notFound`.
    ///   - since: only runs started at or after this time; a run with no start time is left out.
    ///   - status: only runs with this status.
    ///   - batchEvents: the most events in one atomic append (default 2000; less than 1 counts as 1).
    ///   - progress: called after each batch of events and each run.
    public init(
        runs: [String] = [], since: Timestamp? = nil, status: String? = nil, batchEvents: Int = 2000,
        progress: (@Sendable (CopyProgress) -> Void)? = nil
    ) {
        self.runs = runs
        self.since = since
        self.status = status
        self.batchEvents = batchEvents
        self.progress = progress
    }
}

/// How far a copy has got.
public struct CopyProgress: Sendable, Hashable {
    /// Runs finished (copied, already there or skipped).
    public var runsDone: Int
    /// Runs selected.
    public var runsTotal: Int
    /// Events written so far.
    public var eventsWritten: Int64
    /// The run being copied.
    public var run: String?
}
