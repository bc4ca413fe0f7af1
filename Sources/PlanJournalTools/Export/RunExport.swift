import PlanJournalCore

/// What every export format renders: a run's events (already redacted when redaction is on),
/// the plan state they fold to, and the audit's findings.
public struct RunExport: Sendable {
    public let run: String
    public let events: [JournalEvent]
    public let state: PlanState
    public let findings: [Finding]

    public init(run: String, events: [JournalEvent], findings: [Finding] = []) {
        self.run = run
        self.events = events
        self.state = PlanProjection().fold(run: run, events)
        self.findings = findings
    }
}
