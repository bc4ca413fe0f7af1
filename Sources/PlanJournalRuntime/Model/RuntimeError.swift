/// A failure of an adapter or of the runner, with a type that lands in the journal
/// (`step.failed` `error.type`) and a message for people.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    /// A short machine-readable type, e.g. `invalid_plan`, `http_status`, `subprocess`, `tool_not_found`.
    public var type: String
    /// What went wrong, for people; journaled as `error.message`.
    public var message: String
    /// Whether trying the same thing again may succeed.
    public var retryable: Bool
    /// Model calls made before the failure (journaled all the same: they cost tokens).
    public var calls: [ModelCall]
    /// Whether the adapter cannot work at all (a key the server refuses, a model it does not
    /// have): no other plan can help, so a step failing so stops the run instead of a replan.
    public var adapterUnusable: Bool

    /// Creates an error.
    public init(
        _ type: String, _ message: String, retryable: Bool = false, calls: [ModelCall] = [], adapterUnusable: Bool = false
    ) {
        self.type = type
        self.message = message
        self.retryable = retryable
        self.calls = calls
        self.adapterUnusable = adapterUnusable
    }

    public var description: String { message }
}

extension RuntimeError {
    /// The types code acts on (others are only recorded and shown): named once, so a match
    /// cannot miss by a typo.
    public enum Types {
        /// A bad spec, option or argument (exit status 2).
        public static let usage = "usage"
        /// The planner's plan is not a valid plan.
        public static let invalidPlan = "invalid_plan"
        /// The run was cancelled while a step waited or ran.
        public static let runCancelled = "run_cancelled"
        /// The run to resume has completed.
        public static let alreadyCompleted = "already_completed"
        /// A `cmd:` program ended, or could not be started or written to.
        public static let subprocess = "subprocess"
        /// The OTLP collector could not be reached or refused the export (exit status 8).
        public static let otlpExport = "otlp_export"
        /// The system refused a resource: a process, memory or a file descriptor (exit status 8).
        public static let resources = "resources"
        /// The run never started the step (or any step) a replay would fork before (exit status 1).
        public static let nothingToReplay = "nothing_to_replay"
        /// A step's executor or tool failed (journaled in `step.failed`).
        public static let executorError = "executor_error"
        /// The executor asked for a tool the registry does not have (journaled in `step.failed`).
        public static let toolNotFound = "tool_not_found"
    }
}

