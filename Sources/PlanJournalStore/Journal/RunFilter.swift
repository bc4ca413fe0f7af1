import PlanJournalCore

/// Which runs ``Journal/runs(_:limit:)`` lists: every condition given must hold.
public struct RunFilter: Sendable, Equatable {
    /// Which runs count as forks to keep.
    public enum Forks: Sendable, Equatable {
        /// Runs and forks alike.
        case included
        /// Runs that are no fork.
        case excluded
        /// Only the forks made directly from the run with this id.
        case of(String)
    }

    /// Only runs with this status (`running`, `succeeded`, ...).
    public var status: String?
    /// Only runs that started at or after this time.
    public var since: Timestamp?
    /// Which forks.
    public var forks: Forks
    /// Only runs whose goal holds this text, compared without regard to case.
    public var goal: String?

    /// A filter; with no argument, every run.
    public init(status: String? = nil, since: Timestamp? = nil, forks: Forks = .included, goal: String? = nil) {
        self.status = status
        self.since = since
        self.forks = forks
        self.goal = goal
    }

    /// Whether a goal passes ``goal``.
    func admits(goal runGoal: String?) -> Bool {
        guard let goal, !goal.isEmpty else { return true }
        guard let runGoal else { return false }
        return runGoal.lowercased().contains(goal.lowercased())
    }
}
