import PlanJournalCore

/// What every export format renders: a run's events (already redacted when redaction is on),
/// the plan state they fold to, and the audit's findings.
public struct RunExport: Sendable {
    /// The run id as the export shows it (redacted when redaction is on).
    public let run: String
    /// The run's events in seq order (already redacted when redaction is on).
    public let events: [JournalEvent]
    /// The plan state the events fold to.
    public let state: PlanState
    /// The audit's findings; empty when the run was not audited.
    public let findings: [Finding]
    /// What the OTLP trace and span ids derive from: the run id, unless redaction changed it (two
    /// runs whose ids redact alike would be one trace), then something only the recorded run
    /// gives (``ExportFileNames``).
    public let identity: String

    /// Creates an export and folds `events` into ``state``.
    /// - Parameters:
    ///   - run: the run id as the export shows it.
    ///   - events: the run's events, in seq order.
    ///   - findings: the audit's findings, if any.
    ///   - identity: what trace and span ids derive from; `nil`: `run`.
    /// - Complexity: O(events).
    public init(run: String, events: [JournalEvent], findings: [Finding] = [], identity: String? = nil) {
        self.run = run
        self.identity = identity ?? run
        self.events = events
        self.state = PlanProjection().fold(run: run, events)
        self.findings = findings
    }
}
