import PlanJournalCore

/// What an appender believes the run's head to be; the append fails with
/// ``JournalError/Code/conflict`` and writes nothing when it is wrong.
public enum ExpectedSeq: Sendable, Hashable {
    /// No expectation: the events' own seqs must still continue the run.
    case any
    /// The run must not exist yet.
    case noRun
    /// The run's last seq must be exactly this (0 for a run with no events).
    case exactly(Int64)
}

/// What an append wrote.
public struct AppendResult: Sendable, Hashable {
    /// The run appended to.
    public var run: String
    /// The seq of the first event written.
    public var firstSeq: Int64
    /// The seq of the last event written: the run's new head.
    public var lastSeq: Int64
    /// The run's head hash after the append (SHA-256, 32 bytes).
    let head: [UInt8]

    /// The run's head hash after the append, hex.
    public var headHash: String { HashChain.hex(head) }

    init(run: String, firstSeq: Int64, lastSeq: Int64, head: [UInt8]) {
        self.run = run
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.head = head
    }
}

/// The data of an expected-version conflict, for callers that retry.
public struct AppendConflict: Sendable, Hashable {
    /// The run appended to.
    public var run: String
    /// What the append expected the run's head to be.
    public var expected: ExpectedSeq
    /// The run's actual last seq (`nil` when the run does not exist).
    public var actual: Int64?
    /// The seq of the append's first event, when known: under ``ExpectedSeq/any`` the append
    /// expected the head just before it.
    public var firstSeq: Int64?
    /// Whether the expected head is the one this writer kept from its own last write (an append
    /// that did not read the catalog again, as on PostgreSQL).
    public var expectedFromCache: Bool

    /// A conflict of an append to `run`.
    public init(
        run: String, expected: ExpectedSeq, actual: Int64?, firstSeq: Int64? = nil, expectedFromCache: Bool = false
    ) {
        self.run = run
        self.expected = expected
        self.actual = actual
        self.firstSeq = firstSeq
        self.expectedFromCache = expectedFromCache
    }

    /// The error to throw for this conflict: what the append expected and what it found, naming
    /// the run (and, in its context, the actual head seq).
    public var error: JournalError {
        let expectedText: String
        switch expected {
        case .any:
            if let firstSeq {
                let cached = expectedFromCache ? " (the head this writer last saw)" : ""
                expectedText = "its events start at seq \(firstSeq), so the append expected the head of run \(run) "
                    + "at seq \(firstSeq - 1)\(cached)"
            } else {
                expectedText = "the append expected its events' seqs to continue run \(run)"
            }
        case .noRun: expectedText = "the append expected no run \(run) yet"
        case .exactly(let n): expectedText = "the append expected the head of run \(run) at seq \(n)"
        }
        let actualText = actual.map { "found its head at seq \($0)" } ?? "found no such run"
        return JournalError(
            .conflict, "another writer got there first: \(expectedText), but \(actualText); nothing of the append was written",
            context: .init(run: run, seq: actual))
    }
}

extension ExpectedSeq {
    /// Throws the conflict of an append to `run` whose head is `head` (`nil`: no such run) when
    /// this expectation does not hold.
    func check(run: String, head: Int64?) throws(JournalError) {
        switch self {
        case .any: return
        case .noRun: if head == nil { return }
        case .exactly(let n): if (head ?? 0) == n { return }
        }
        throw AppendConflict(run: run, expected: self, actual: head).error
    }
}
