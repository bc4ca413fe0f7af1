/// A planner's say in whether a final failure is replanned. Without one, every final failure is
/// (up to `--max-replans`). A request it declines but ranks (`priority` below `.max`) waits for the
/// next plan version; one it declines and does not rank leaves the step failed and its dependents
/// skipped.
public protocol ReplanPolicy: Sendable {
    /// Whether the runner asks for a new plan for `reason` now; a declined request waits or is
    /// dropped as ``priority(of:)`` ranks it.
    func shouldReplan(_ reason: ReplanReason) -> Bool
    /// Which of several waiting requests to decide first: lower first (default: all equal, in the
    /// order they happened).
    func priority(of reason: ReplanReason) -> Int
}

extension ReplanPolicy {
    /// By default 0 for every request: all rank equal, in the order they happened.
    public func priority(of reason: ReplanReason) -> Int { 0 }
}
