import PlanJournalCore
import PlanJournalStore

/// A run's events as an export gives them: as recorded, or through a ``Redactor`` (for sharing),
/// counting what it replaced.
public enum RedactedExport {
    /// Writes `run` as JSON Lines, or as a `.pjl` file when `pjl`, an event at a time, so a run
    /// of any size takes little memory. A `.pjl` keeps the run's fork records, and its seals when
    /// nothing was redacted (they hold for the events as recorded only).
    /// - Parameter write: takes the output's bytes in order.
    public static func writeLines(
        _ run: String, of journal: Journal, redactor: Redactor?, pjl: Bool, tally: inout Redactor.Tally,
        to write: @escaping ([UInt8]) throws(JournalError) -> Void
    ) throws(JournalError) {
        guard let redactor else {
            return try pjl ? journal.exportPJL(run: run, to: write) : journal.exportJSONL(run: run, to: write)
        }
        let before = tally.total
        let writer = pjl ? try PortableWriter(to: write) : nil
        var block: [UInt8] = []
        try journal.forEachEvent(of: run) { (e) throws(JournalError) in
            let line = redactor.redact(e, tally: &tally).bytes
            if let writer { return try writer.append(line: line) }
            block += line
            block.append(0x0A)
            if block.count >= 1 << 20 {
                try write(block)
                block.removeAll(keepingCapacity: true)
            }
        }
        guard let writer else { return try write(block) }
        try writer.finish()
        // Run ids as the events give them (redacted the same way), so the fork imports.
        let forks = try journal.portableForkFrame(of: run) { id in
            var scratch = Redactor.Tally()
            return redactor.redact(id, tally: &scratch)
        }
        if let forks { try write(forks) }
        if tally.total == before, let seals = try journal.portableSealFrame(of: run) { try write(seals) }
    }

    /// The run as the rendered formats see it: its events redacted (with a redactor), and its
    /// audit findings when `audited` (for the reports).
    public static func prepare(
        _ run: String, of journal: Journal, redactor: Redactor?, audited: Bool, tally: inout Redactor.Tally
    ) throws(JournalError) -> RunExport {
        var events = try journal.events(of: run)
        var findings = audited ? try RunAudit(run: run, in: journal, events: events).findings : []
        guard let redactor else { return RunExport(run: run, events: events, findings: findings) }
        events = redactor.redact(events, tally: &tally)
        for k in findings.indices {
            findings[k].message = redactor.redact(findings[k].message, tally: &tally)
            findings[k].step = findings[k].step.map { redactor.redact($0, tally: &tally) }
        }
        let shown = ExportFileNames.shown(run, redactor)
        return RunExport(
            run: shown, events: events, findings: findings,
            identity: try ExportFileNames.identity(run, shown: shown, journal))
    }
}
