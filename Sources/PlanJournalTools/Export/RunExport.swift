import PlanJournalCore

/// What every export format renders: a run's events (already redacted when redaction is on),
/// the plan state they fold to, and the audit's findings.
public struct RunExport: Sendable {
    public let run: String
    public let events: [JournalEvent]
    public let state: PlanState
    public let findings: [Finding]
    /// What the OTLP trace and span ids derive from: the run id, unless redaction changed it (two
    /// runs whose ids redact alike would be one trace), then something only the recorded run
    /// gives (``ExportFileNames``).
    public let identity: String

    public init(run: String, events: [JournalEvent], findings: [Finding] = [], identity: String? = nil) {
        self.run = run
        self.identity = identity ?? run
        self.events = events
        self.state = PlanProjection().fold(run: run, events)
        self.findings = findings
    }
}
