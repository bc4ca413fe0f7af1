import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore

extension Planj {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a run's plan state: its plan versions and each step's status.",
            discussion: HelpText.reflow("""
                Step statuses: pending, awaiting_approval, running, completed, failed, skipped, denied, removed.
                --at SEQ shows the state right after event SEQ (time travel); --json prints the whole state.
                --step ID shows one step in full: its definition and every event that names it (its
                attempts, calls, observations, outputs and errors), values whole.
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run id.")
        var run: String

        @Option(help: "Show the state after this event.")
        var at: Int64?

        @Option(help: ArgumentHelp("Show this step in full: its definition and every event that names it.", valueName: "id"))
        var step: String?

        @Flag(help: "Print the state as JSON.")
        var json = false

        func validate() throws {
            if let at, at < 1 { throw ValidationError("--at \(at): a run's events are numbered from 1") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let journal = try global.openExisting()
                let state = try journal.state(of: run, at: at)
                if let at, at > state.seq {
                    throw JournalError(
                        .usage, "--at \(at) is past the run's end: it has \(state.seq) events",
                        context: .init(journalPath: journal.displayPath, run: state.run))
                }
                if let step {
                    var events: [JournalEvent] = []
                    var written: JSONValue?
                    try journal.forEachEvent(of: run, to: state.seq) { e in
                        if e.dataString("step_id") == step { events.append(e) }
                        if let definition = StepDetail.definition(of: step, in: e) { written = definition }
                    }
                    guard let detail = StepDetail(step, of: state, events: events, written: written) else {
                        let ids = state.steps.map(\.id)
                        throw JournalError(
                            .notFound,
                            "no step \(step) in any plan version of the run (its steps: "
                                + ids.prefix(12).joined(separator: ", ") + (ids.count > 12 ? ", …" : "") + ")",
                            context: .init(journalPath: journal.displayPath, run: state.run))
                    }
                    if json { Output.json(detail, splicing: detail.events) } else { Output.line(detail.text()) }
                } else if json {
                    Output.json(state)
                } else {
                    let summary = try journal.run(run)
                    Output.line(
                        PlanStateText.render(state, fork: summary.parent.map { ($0, summary.forkSeq ?? 0) }))
                }
            }
        }
    }
}

/// The text form of a ``PlanState``.
enum PlanStateText {
    /// - Parameter fork: the run this one was forked from, and at which seq, when it is a fork.
    static func render(_ s: PlanState, fork: (run: String, seq: Int64)? = nil) -> String {
        var out: [String] = []
        out.append("run \(s.run): \(s.status) (after seq \(s.seq))")
        if s.stoppedBy != nil || s.error != nil {
            // An error whose type is what stopped the run says it once.
            var why = s.error
            if let by = s.stoppedBy, let error = why, error.hasPrefix(by + ": ") { why = String(error.dropFirst(by.count + 2)) }
            out.append("stopped by \(s.stoppedBy ?? "an error")" + (why.map { ": " + TextTable.clip($0, 300) } ?? ""))
        }
        if let parent = fork { out.append("fork of \(parent.run) at seq \(parent.seq)") }
        if let goal = s.goal { out.append("goal: \(goal)") }
        if let plan = s.currentPlan { out.append("plan: version \(plan.version) of \(s.plans.count)") }
        out.append("")
        var table = TextTable(header: ["STEP", "STATUS", "ATTEMPTS", "TIME", "TOKENS", "COST", "OUTPUT / ERROR"])
        for step in s.steps {
            table.rows.append([
                step.id, step.status.rawValue, String(step.attempts),
                step.durationMs.map { String(format: "%.1fs", $0 / 1000) } ?? "-",
                String(step.tokens), step.costUSD.dollarText,
                step.error ?? step.outputSummary ?? "",
            ])
        }
        out.append(table.render(maxWidth: 50))
        out.append("")
        out.append("plan versions:")
        for p in s.plans {
            var line = "  v\(p.version) at seq \(p.seq), \(p.origin)"
            if let base = p.baseVersion {
                line += " from v\(base):"
                if !p.added.isEmpty { line += " added \(PlanStateText.list(p.added));" }
                if !p.removed.isEmpty { line += " removed \(PlanStateText.list(p.removed));" }
                if !p.changed.isEmpty { line += " changed \(PlanStateText.list(p.changed));" }
                if let reason = p.reason { line += " reason: \(reason)" }
            } else {
                line += ": \(PlanStateText.list(p.steps.map(\.id)))"
            }
            out.append(line)
        }
        for r in s.reviews { out.append("review of v\(r.version) at seq \(r.seq): \(r.verdict) by \(r.reviewer ?? "?")") }
        for a in s.approvals {
            let target = a.stepID.map { "step \($0)" } ?? a.version.map { "plan v\($0)" } ?? "run"
            out.append("approval at seq \(a.seq): \(target) \(a.decision)\(a.actor.map { " by \($0)" } ?? "")")
        }
        for r in s.replans { out.append("replan at seq \(r.seq): \(r.reason)") }
        let t = s.totals
        out.append(
            "totals: \(t.events) events, \(t.inputTokens) input + \(t.outputTokens) output tokens, \(t.costUSD.dollarText), "
                + "\(t.modelCalls) model calls, \(t.toolCalls) tool calls")
        if let answer = s.finalAnswer { out.append("final answer: \(TextTable.clip(answer, 200))") }
        return out.joined(separator: "\n")
    }

    /// Step ids for one line: the first `limit`, then how many more (`--json` lists them all).
    static func list(_ ids: [String], limit: Int = 12) -> String {
        guard ids.count > limit else { return ids.joined(separator: ", ") }
        return ids.prefix(limit).joined(separator: ", ") + " and \(ids.count - limit) more"
    }
}
