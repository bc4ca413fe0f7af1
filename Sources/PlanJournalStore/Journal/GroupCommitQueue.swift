import Dispatch
import Foundation
import PlanJournalCore
import Synchronization

/// A queue of appends committed many per transaction: by an append that finds no group in
/// progress, on its caller's thread (a *leader*, which commits what queues meanwhile too), and
/// by the drain thread when a leader has done its share, when an append comes from the main
/// thread, or while earlier groups wait for the append log to be synced (`.full` durability) and
/// more appends are in flight.
final class GroupCommitQueue: Sendable {
    /// An append waiting in the queue, with the continuation its caller awaits.
    private struct Pending: Sendable {
        var request: AppendRequest
        var continuation: CheckedContinuation<Result<AppendResult, JournalError>, Never>
    }

    /// Appends waiting, and whether a thread is committing (a leader or the drain thread).
    private let state = Mutex<(queue: [Pending], draining: Bool)>(([], false))
    private let dispatch = DispatchQueue(label: "planjournal.group-commit")
    /// Where groups wait for the append log to be synced (`.full` durability); concurrent, as
    /// syncs overlap (see ``LogSyncer``).
    private let syncQueue = DispatchQueue(label: "planjournal.log-sync", attributes: .concurrent)
    /// Whether a commit of the writer's open window is scheduled.
    private let timerArmed = Atomic<Bool>(false)
    /// Groups committed but waiting for the append log to be synced (`.full` durability).
    private let syncing = Atomic<Int>(0)
    /// Appends submitted and not returned yet.
    private let inFlight = Atomic<Int>(0)

    /// Makes sure the writer's open write window commits when it is due, even if no append
    /// follows.
    private func armWindowTimer(_ journal: Journal) {
        guard journal.writer.windowOpen.load(ordering: .acquiring),
            timerArmed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let delay = max(100, journal.configuration.commitWindowMicroseconds)
        dispatch.asyncAfter(deadline: .now() + .microseconds(delay)) {
            self.timerArmed.store(false, ordering: .releasing)
            journal.writer.with { w in
                if w.windowDue { try? w.commitWindow() }
            }
            self.armWindowTimer(journal)
        }
    }

    /// Commits `request` to `journal` in a group with whatever other appends are queued, and
    /// returns its own result once the group is durable.
    func submit(_ request: AppendRequest, journal: Journal) async -> Result<AppendResult, JournalError> {
        // No group in progress: commit on the calling thread, with whatever queues meanwhile,
        // saving the hand-offs to the drain thread and back. (Not on the main thread, which must
        // not wait for the disk or another process's write lock.) While groups wait for a sync
        // and more than one other append is in flight, appends queue for the drain thread
        // instead: it takes all that arrived during the sync into one group, where leaders
        // committed them one or two at a time, each with a sync of its own (8 writers with
        // `.full`: 30% more events/s; with one other append there is nothing to batch, and the
        // hand-offs would cost 13%: see tools/bench/README.md, session 12).
        let concurrent = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        if !Thread.isMainThread, concurrent <= 2 || syncing.load(ordering: .acquiring) == 0,
            let result = lead(request, journal: journal)
        {
            return result
        }
        return await withCheckedContinuation { continuation in
            let start = state.withLock { s in
                s.queue.append(Pending(request: request, continuation: continuation))
                if s.draining { return false }
                s.draining = true
                return true
            }
            if start { dispatch.async { self.drain(journal) } }
        }
    }

    /// When no group is in progress (`nil` otherwise), commits `request` on this thread, in a
    /// group with the appends queued by then, and then, for up to ``leaderRounds`` more groups,
    /// the appends that queue meanwhile; whatever queues after that goes to the drain thread.
    private func lead(_ request: AppendRequest, journal: Journal) -> Result<AppendResult, JournalError>? {
        let lead = state.withLock { s in
            if s.draining { return false }
            s.draining = true
            return true
        }
        guard lead else { return nil }
        let limit = max(1, journal.configuration.maxGroupCommit)
        let others = dequeue(limit - 1)
        let outcome = journal.writer.with { writer in
            writer.commitGroup([request] + others.map(\.request))
        }
        resume(others, with: outcome.results.dropFirst(), after: outcome.ticket, journal: journal)
        var more = true
        for _ in 0..<Self.leaderRounds where more { more = commitNext(limit, journal: journal) }
        if more { handOff(journal) }
        let own = durable(outcome.results.prefix(1), after: outcome.ticket, journal: journal)
        return own.first ?? .failure(JournalError(.io, "group commit returned no result"))
    }

    /// Resumes the appends of a group with their results once the group is durable: at once,
    /// or (with a ticket to wait for) from the sync queue, so that the caller commits the next
    /// group while the disk syncs this one.
    private func resume(
        _ pending: [Pending], with results: ArraySlice<Result<AppendResult, JournalError>>, after ticket: DurabilityTicket?,
        journal: Journal
    ) {
        guard let ticket, !pending.isEmpty else {
            for (p, r) in zip(pending, results) { p.continuation.resume(returning: r) }
            return
        }
        syncing.add(1, ordering: .acquiringAndReleasing)
        syncQueue.async {
            let durable = self.durable(results, after: ticket, journal: journal, counted: true)
            for (p, r) in zip(pending, durable) { p.continuation.resume(returning: r) }
        }
    }

    /// `results` once their group is durable. When the append log cannot be synced, the write
    /// window is committed instead (`synchronous=FULL`); when that fails too, the appends that
    /// succeeded fail with its error.
    /// - Parameter counted: whether the caller counted the wait in ``syncing`` already.
    private func durable(
        _ results: ArraySlice<Result<AppendResult, JournalError>>, after ticket: DurabilityTicket?, journal: Journal,
        counted: Bool = false
    ) -> [Result<AppendResult, JournalError>] {
        guard let ticket else { return Array(results) }
        if !counted { syncing.add(1, ordering: .acquiringAndReleasing) }
        defer { syncing.subtract(1, ordering: .acquiringAndReleasing) }
        do {
            try ticket.wait()
            return Array(results)
        } catch {
            let failure = journal.writer.with { w -> JournalError? in
                do throws(JournalError) {
                    try w.commitWindow()
                    return nil
                } catch {
                    return error
                }
            }
            guard let failure else { return Array(results) }
            return results.map { r in
                if case .success = r { return .failure(failure) }
                return r
            }
        }
    }

    /// Groups a leader commits after its own (a bound on how long its caller waits for others).
    private static let leaderRounds = 4

    /// Takes up to `limit` queued appends (with none queued, ends the drain when `ending`).
    private func dequeue(_ limit: Int, ending: Bool = false) -> [Pending] {
        state.withLock { s in
            if s.queue.isEmpty {
                if ending { s.draining = false }
                return []
            }
            let n = min(limit, s.queue.count)
            let taken = Array(s.queue.prefix(n))
            s.queue.removeFirst(n)
            return taken
        }
    }

    /// Commits the next group of queued appends (up to `limit`) and resumes their callers; with
    /// none queued, ends the drain and returns false.
    private func commitNext(_ limit: Int, journal: Journal) -> Bool {
        let batch = dequeue(limit, ending: true)
        if batch.isEmpty {
            armWindowTimer(journal)
            return false
        }
        let outcome = journal.writer.with { writer in
            writer.commitGroup(batch.map(\.request))
        }
        resume(batch, with: outcome.results[...], after: outcome.ticket, journal: journal)
        return true
    }

    /// Ends the drain if nothing is queued, else passes it to the drain thread.
    private func handOff(_ journal: Journal) {
        let more = state.withLock { s in
            if s.queue.isEmpty { s.draining = false }
            return !s.queue.isEmpty
        }
        if more { dispatch.async { self.drain(journal) } } else { armWindowTimer(journal) }
    }

    /// The drain thread's loop: commits queued groups until none is left.
    private func drain(_ journal: Journal) {
        let limit = max(1, journal.configuration.maxGroupCommit)
        while commitNext(limit, journal: journal) {}
    }
}
