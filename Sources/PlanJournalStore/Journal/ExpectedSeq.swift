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
    public var run: String
    public var firstSeq: Int64
    public var lastSeq: Int64
    /// The run's head hash after the append.
    public var headHash: String
}

/// The data of an expected-version conflict, for callers that retry.
public struct AppendConflict: Sendable, Hashable {
    public var run: String
    public var expected: ExpectedSeq
    /// The run's actual last seq (`nil` when the run does not exist).
    public var actual: Int64?

    /// The error to throw for this conflict.
    public var error: JournalError {
        let expectedText: String
        switch expected {
        case .any: expectedText = "the events' seqs to continue the run"
        case .noRun: expectedText = "no such run yet"
        case .exactly(let n): expectedText = "head seq \(n)"
        }
        let actualText = actual.map { "its head is seq \($0)" } ?? "it does not exist"
        return JournalError(
            .conflict, "another writer got there first: expected \(expectedText), but \(actualText)",
            context: .init(run: run, seq: actual))
    }
}
