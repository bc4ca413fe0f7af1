import PlanJournalCore
import PlanJournalStore

/// One run's audit: its integrity (stored bytes, hash chain, seq, seals), the plan invariants
/// of ``OrderingRules`` and the behaviour findings of ``BehaviourRules``.
public struct RunAudit: Sendable, Codable, Hashable {
    /// The run audited.
    public var run: String
    /// Its status as the catalog has it (`running`, `succeeded`...).
    public var status: String
    /// Its number of events as the catalog has it (a fork's shared events included).
    public var events: Int64
    /// Integrity findings first (``Journal/verify(run:trusting:progress:)``), then ordering and behaviour
    /// findings by seq.
    public var findings: [Finding]

    /// The most serious finding's severity, or nil when there is none.
    public var worst: Finding.Severity? { findings.map(\.severity).max() }

    /// Audits `run` in `journal`; with `trusted` keys, the run must carry a valid seal by one of
    /// them (`seal.untrusted` otherwise), and every seal is checked in any case (`seal.broken`).
    /// - Parameter events: the run's events when the caller has read them already.
    public init(
        run: String, in journal: Journal, events known: [JournalEvent]? = nil, trusting trusted: [SealPublicKey] = [],
        policy: AuditPolicy = AuditPolicy()
    ) throws(JournalError) {
        let summary = try journal.run(run)
        self.run = run
        status = summary.status
        events = summary.events
        findings = try journal.verify(run: run, trusting: trusted, progress: nil, listingKeptLogs: false).problems.map {
            Finding(.error, $0.code.hasPrefix("seal.") ? $0.code : "integrity.\($0.code)", run: $0.run, seq: $0.seq, $0.message)
        }
        let events: [JournalEvent]
        do {
            if let known { events = known } else { events = try journal.events(of: run) }
        } catch {
            findings.append(Finding(.error, "integrity.unreadable", run: run, "the run's events cannot be read: \(error.message)"))
            return
        }
        findings += Self.findings(run: run, events: events, policy: policy)
    }

    /// The ordering and behaviour findings of a run's events (in seq order), without the
    /// journal's integrity checks: for events that are not (yet) in a journal.
    public static func findings(run: String, events: [JournalEvent], policy: AuditPolicy = AuditPolicy()) -> [Finding] {
        let ordering = OrderingRules.check(run: run, events: events)
        let all = ordering.findings + BehaviourRules.check(run: run, events: events, state: ordering.state, policy: policy)
        return all.sorted { ($0.seq ?? .max, $1.severity) < ($1.seq ?? .max, $0.severity) }
    }
}
