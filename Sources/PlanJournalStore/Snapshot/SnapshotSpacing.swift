import PlanJournalCore

/// Which multiples of ``JournalConfiguration/snapshotInterval`` get a snapshot of a run's state.
///
/// Every one, while the state is small. A snapshot holds the whole state, so for a run whose state
/// grows large (thousands of plan steps, plans revised many times) one per interval would cost
/// more than the events themselves, and grow quadratically with the run: a run with a 32,000-step
/// plan stored 244 MB of snapshots beside 1.2 MB of events. Past ``smallStateBytes`` the snapshots
/// are spaced by a power of two of intervals, so that each is at most about a quarter as large as
/// the events since the one before (``eventsPerStateByte``); `state(at:)` then folds at most about
/// four snapshots' worth of events.
enum SnapshotSpacing {
    /// Estimated encoded bytes of a state below which every interval gets its snapshot.
    static let smallStateBytes = 64 << 10

    /// Raw event bytes wanted between two snapshots per byte of the state. Events compress about
    /// 5x and a state's binary form about 3.5x, so with 1 the snapshots of a long run took more
    /// room than its events (109-134% of the stored event bytes, the journal 2.7x `lz4 -9`).
    static let eventsPerStateByte: Int64 = 4

    /// Whether the event at `seq` (a multiple of `interval`) gets a snapshot of `state`.
    /// - Parameter eventBytes: bytes of the run's events up to `seq` (an estimate will do).
    static func isDue(seq: Int64, interval: Int64, state: PlanState, eventBytes: Int64) -> Bool {
        let size = Int64(estimatedBytes(state))
        guard size > smallStateBytes else { return true }
        let perInterval = max(1, eventBytes / max(1, seq / interval))
        var multiple: Int64 = 1
        while multiple * perInterval < size * eventsPerStateByte && multiple < 1 << 40 { multiple *= 2 }
        return (seq / interval) % multiple == 0
    }

    /// About the size of the state's binary form (``PlanState/binaryEncoded()``), without
    /// encoding it: a fixed cost per element, and the text it carries.
    static func estimatedBytes(_ state: PlanState) -> Int {
        var bytes = 64 + (state.goal?.utf8.count ?? 0) + (state.finalAnswer?.utf8.count ?? 0)
        for version in state.plans { bytes += 32 + version.steps.count * 96 }
        for step in state.steps {
            bytes += 128 + (step.outputSummary?.utf8.count ?? 0) + (step.error?.utf8.count ?? 0)
        }
        return bytes + (state.approvals.count + state.reviews.count + state.replans.count) * 64
    }
}
