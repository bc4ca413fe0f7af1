import PlanJournalCore
import Synchronization

/// One append on its way to the writer, with the work that needs no writer already done on the
/// submitting thread (so the single thread that commits groups does less per append).
struct AppendRequest: Sendable {
    var events: [JournalEvent]
    var run: String
    var expecting: ExpectedSeq
    /// The hash chain over `events`, computed ahead from the head the run is believed to have.
    var chain: PrecomputedChain?
    /// The append-log record of `events`, when the writer keeps an append log.
    var logRecord: [UInt8]?

    init(events: [JournalEvent], run: String, expecting: ExpectedSeq, chain: PrecomputedChain? = nil, logs: Bool = false) {
        self.events = events
        self.run = run
        self.expecting = expecting
        self.chain = chain
        logRecord = logs ? AppendLogFormat.record(of: events) : nil
    }
}

/// The chain heads after each event of an append, computed from a guessed start head.
///
/// Only a guess: the writer uses them when the run's head, when the append is staged, is the one
/// they start from (``heads(from:)``), and hashes the events itself otherwise. As each head is
/// `SHA-256(previous head ‖ event bytes)`, the result is the same either way.
struct PrecomputedChain: Sendable {
    /// The head the chain starts from.
    let start: [UInt8]
    /// The head after each event, in order.
    let heads: [[UInt8]]

    init(_ events: [JournalEvent], from start: [UInt8]) {
        self.start = start
        var chain = HashChain(head: start)
        var heads: [[UInt8]] = []
        heads.reserveCapacity(events.count)
        for e in events {
            chain.append(e.bytes)
            heads.append(chain.head)
        }
        self.heads = heads
    }

    /// The heads after each event when the run's head before them is `head`; `nil` otherwise.
    func heads(from head: [UInt8]) -> [[UInt8]]? {
        start == head ? heads : nil
    }
}

/// The head each run had after this journal's last append to it: the guess an append's chain is
/// computed from on the submitting thread (``PrecomputedChain``).
final class ChainHeads: Sendable {
    private let heads = Mutex(RunKeyed<(seq: Int64, hash: [UInt8])>())
    /// Runs remembered at most (the table is emptied when it grows past this).
    private static let capacity = 4096

    /// The chain of `events` from the run's remembered head (from the genesis hash for an append
    /// starting at seq 1); `nil` when no head is known for the seq before the first event.
    func chain(for events: [JournalEvent], run: String) -> PrecomputedChain? {
        guard let first = events.first else { return nil }
        if first.seq == 1 { return PrecomputedChain(events, from: HashChain.genesis) }
        guard let head = heads.withLock({ $0[run] }), head.seq == first.seq - 1 else { return nil }
        return PrecomputedChain(events, from: head.hash)
    }

    /// Remembers the head an append left its run at (a completed run's is forgotten).
    func note(_ result: AppendResult, completed: Bool) {
        guard result.lastSeq >= result.firstSeq else { return }
        guard !completed else {
            heads.withLock { _ = $0.removeValue(forKey: result.run) }
            return
        }
        guard result.head.count == HashChain.genesis.count else { return }
        heads.withLock { h in
            if h.count >= Self.capacity { h.removeAll(keepingCapacity: true) }
            h[result.run] = (result.lastSeq, result.head)
        }
    }
}
