/// A failure of an adapter or of the runner, with a type that lands in the journal
/// (`step.failed` `error.type`) and a message for people.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    /// A short machine-readable type, e.g. `invalid_plan`, `http_status`, `subprocess`, `tool_not_found`.
    public var type: String
    public var message: String
    /// Whether trying the same thing again may succeed.
    public var retryable: Bool
    /// Model calls made before the failure (journaled all the same: they cost tokens).
    public var calls: [ModelCall]

    /// Creates an error.
    public init(_ type: String, _ message: String, retryable: Bool = false, calls: [ModelCall] = []) {
        self.type = type
        self.message = message
        self.retryable = retryable
        self.calls = calls
    }

    public var description: String { message }
}
