/// The end of the time `--timeout` gives a run, counted from when it started (or resumed), for
/// every call the runner waits on: planner, analyzer, reviewer and steps alike.
struct RunDeadline: Sendable {
    let instant: ContinuousClock.Instant?

    init(_ timeout: Duration?) {
        instant = timeout.map { ContinuousClock.now + $0 }
    }

    /// Thrown by ``bound(_:)`` when the deadline passes first.
    struct Passed: Error {}

    /// The value of `body`, unless the deadline passes first: then `body` is cancelled and
    /// ``Passed`` is thrown. A cancellation of the caller reaches `body` as usual.
    func bound<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let instant else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try? await Task.sleep(until: instant)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw Task.isCancelled ? CancellationError() : Passed()
            }
            return value
        }
    }
}

extension PlanRunner.Ending {
    /// The ending of a run whose planner, analyzer or reviewer call did not come back: the
    /// deadline passed or the run was cancelled (Ctrl-C); `nil` for any other error.
    static func interrupted(by error: any Error) -> Self? {
        if error is RunDeadline.Passed { return .limit("timeout", "the run took longer than --timeout") }
        if error is CancellationError || Task.isCancelled { return Self(stoppedBy: "cancelled", cancelled: true) }
        return nil
    }
}
