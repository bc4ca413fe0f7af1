/// The end of the time `--timeout` gives a run, counted from when it started (or resumed), for
/// every call the runner waits on: planner, analyzer, reviewer and steps alike.
struct RunDeadline: Sendable {
    let instant: ContinuousClock.Instant?

    init(_ timeout: Duration?) {
        instant = timeout.map { ContinuousClock.now + $0 }
    }

    /// Thrown by ``bound(watching:_:)`` when the deadline passes first.
    struct Passed: Error {
        /// The failure the call was retrying after when the deadline passed.
        var retrying: RuntimeError?
    }

    /// Thrown by ``bound(watching:_:)`` when a cancellation is asked for first (`planj cancel`).
    struct CancelAsked: Error {
        var reason: String
    }

    private enum First<T: Sendable>: Sendable {
        case value(T)
        case passed
        case cancelAsked(String)
    }

    /// The value of `body`, unless the deadline passes first (``Passed``) or `watch` returns a
    /// reason to cancel the run (``CancelAsked``): then `body` is cancelled. A cancellation of
    /// the caller reaches `body` as usual.
    /// - Parameter watch: looks until the run is to be cancelled, and returns why (it is
    ///   cancelled when `body` ends first).
    func bound<T: Sendable>(
        watching watch: (@Sendable () async throws -> String)? = nil, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard instant != nil || watch != nil else { return try await body() }
        return try await withThrowingTaskGroup(of: First<T>?.self) { group in
            group.addTask { .value(try await body()) }
            if let instant {
                group.addTask {
                    try? await Task.sleep(until: instant)
                    return Task.isCancelled ? nil : .passed
                }
            }
            if let watch { group.addTask { .cancelAsked(try await watch()) } }
            defer { group.cancelAll() }
            while let first = try await group.next() {
                switch first {
                case .value(let value)?: return value
                case .passed?:
                    // What `body` ends with once cancelled names what it was retrying after, if anything.
                    group.cancelAll()
                    var retrying: RuntimeError?
                    while true {
                        do {
                            guard try await group.next() != nil else { break }
                        } catch {
                            retrying = RetryInterrupted.cause(of: error) ?? retrying
                        }
                    }
                    throw Passed(retrying: retrying)
                case .cancelAsked(let reason)?: throw CancelAsked(reason: reason)
                case nil: continue
                }
            }
            throw CancellationError()
        }
    }
}

extension PlanRunner.Ending {
    /// The ending of a run whose planner, analyzer or reviewer call did not come back: the
    /// deadline passed, or the run was cancelled (Ctrl-C, `planj cancel`); `nil` for any other error.
    static func interrupted(by error: any Error) -> Self? {
        if let passed = error as? RunDeadline.Passed {
            return .limit(
                "timeout", "the run took longer than --timeout" + (passed.retrying.map { " (a call was retrying after: \($0.message))" } ?? ""))
        }
        if let asked = error as? RunDeadline.CancelAsked { return .cancelled(asked.reason) }
        if error is CancellationError || Task.isCancelled { return .taskCancelled }
        return nil
    }
}
