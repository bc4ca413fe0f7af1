/// Thrown instead of `CancellationError` by a call cancelled while it waited to try again (the
/// run's `--timeout` passed, or the run was cancelled): `cause` is the failure it was retrying
/// after, which the run's record then names (a timeout alone would hide a server answering 429).
public struct RetryInterrupted: Error, Sendable {
    /// The failure of the last attempt.
    public var cause: RuntimeError

    public init(cause: RuntimeError) {
        self.cause = cause
    }

    /// The failure `error` was retrying after, when it is a ``RetryInterrupted``.
    static func cause(of error: any Error) -> RuntimeError? {
        (error as? RetryInterrupted)?.cause
    }
}
