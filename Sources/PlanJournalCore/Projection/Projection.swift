/// A pure, deterministic fold of a run's events into a state: no I/O, no clock, no randomness.
///
/// The journal feeds a projection from the start of a run, from a snapshot, or live
/// (`Journal.state(of:at:)`, `Journal.subscribe(to:)`); the same events always give the same state.
public protocol Projection: Sendable {
    associatedtype State: Sendable

    /// The state before the run's first event.
    func initial(run: String) -> State

    /// Folds one event (the run's next, in seq order) into `state`.
    func apply(_ state: inout State, _ event: JournalEvent)
}

extension Projection {
    /// Folds `events` from the initial state.
    public func fold(run: String, _ events: some Sequence<JournalEvent>) -> State {
        var state = initial(run: run)
        for e in events { apply(&state, e) }
        return state
    }
}
