import PlanJournalCore

/// What a copy did. A run that differs between source and destination is a conflict: it is
/// left as it is in the destination and listed here, and the other runs are still copied.
public struct CopyReport: Sendable, Codable, Hashable {
    /// Runs that received events (or were created as forks) in this copy, in the order copied.
    public var runsCopied: [String] = []
    /// Runs the destination already held whole (the source's head seq and hash, perhaps with
    /// events after them).
    public var runsAlreadyThere: [String] = []
    /// Runs not copied because of a conflict (see ``conflicts``) or because the source cannot
    /// read them (see ``unreadable``), and the forks of those runs.
    public var runsSkipped: [String] = []
    /// Events appended to the destination.
    public var eventsWritten: Int64 = 0
    /// Events of selected runs the destination already held (an earlier, interrupted copy).
    public var eventsAlreadyThere: Int64 = 0
    /// Seals newly stored in the destination.
    public var sealsWritten: Int = 0
    /// One entry per run skipped for a conflict (or for its parent's skip).
    public var conflicts: [Conflict] = []
    /// One entry per run the source holds damaged (`journal.corrupt`, `journal.chain_broken`).
    public var unreadable: [Unreadable] = []
    /// Wall time in seconds.
    public var seconds: Double = 0

    /// Whether every selected run is now in the destination.
    public var ok: Bool { conflicts.isEmpty && unreadable.isEmpty }

    /// The exit status a command reports this copy with: 6 when a run of the source is damaged
    /// (the source needs looking at first), else 4 on a conflict; `nil` when ``ok``.
    public var failureStatus: Int32? {
        if !unreadable.isEmpty { return JournalError.Code.corrupt.exitStatus }
        return conflicts.first?.error.code.exitStatus
    }

    /// A run of the source that cannot be read whole.
    public struct Unreadable: Sendable, Codable, Hashable {
        /// The run not copied.
        public var run: String
        /// Where the damage is, when known.
        public var seq: Int64?
        /// What is damaged, for people.
        public var message: String
        /// The error's code (`journal.corrupt`, `journal.chain_broken`).
        public var code: String
    }

    /// Why a run was not copied.
    public struct Conflict: Sendable, Codable, Hashable {
        /// The run not copied.
        public var run: String
        /// The first seq where source and destination differ, when known.
        public var seq: Int64?
        /// What differs, for people.
        public var message: String

        /// The error this conflict reports (`append.conflict`).
        public var error: JournalError {
            JournalError(.conflict, message, context: .init(run: run, seq: seq))
        }
    }
}
