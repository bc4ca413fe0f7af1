import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTools

extension Planj {
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Compare two runs (typically a run and its fork) step by step.",
            discussion: HelpText.reflow("""
                Each step of any plan version of either run is same, differs, only_in_a or only_in_b (no
                plan version of the other run has it), or removed_in_a or removed_in_b (a replan of that
                run removed it, the other run's final plan has it), decided by its outcome (status and
                output); timings, tokens and cost are reported as deltas and never make a step differ.
                Also: plan versions, the outputs' line diff, and the first divergence (the seq in each run).
                Exit status 0 when the runs agree (every step ends alike, and nothing diverged on the
                way: plan versions, failed attempts), 1 when they differ.
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The first run.")
        var runA: String

        @Argument(help: "The second run.")
        var runB: String

        @Flag(help: "Print the comparison as JSON.")
        var json = false

        @Flag(help: "Print the comparison as Markdown.")
        var md = false

        func validate() throws {
            if json && md { throw ValidationError("choose one of --json and --md") }
        }

        func run() async throws {
            try await reportingErrors(json: json, verbose: global.verbose) {
                let diff = try RunDiff(runA, runB, in: global.openExisting())
                if json {
                    Output.json(diff)
                } else {
                    Output.line(DiffText.render(diff, markdown: md))
                }
                if !diff.agree { throw ExitCode(1) }
            }
        }
    }
}

/// The text and Markdown forms of a ``RunDiff``.
enum DiffText {
    /// The changed lines of a line diff (`"  "`, `"- "` and `"+ "` lines) with `context` unchanged
    /// lines around each, runs of unchanged lines between them as `  …`, and at most `limit`
    /// lines, the rest counted (`--json` holds the whole diff).
    static func hunks(_ lines: [String], context: Int = 3, limit: Int = 60) -> [String] {
        let changed = lines.indices.filter { !lines[$0].hasPrefix("  ") }
        var shown = Set<Int>()
        for k in changed { shown.formUnion(max(0, k - context)...min(lines.count - 1, k + context)) }
        var out: [String] = []
        var previous = -1
        for k in shown.sorted() {
            if k > previous + 1 { out.append("  …") }
            out.append(lines[k])
            previous = k
        }
        if previous >= 0 && previous < lines.count - 1 { out.append("  …") }
        guard out.count > limit else { return out }
        let rest = out.count - limit
        return Array(out.prefix(limit)) + ["  … \(rest) more diff lines (--json has them all)"]
    }

    static func render(_ d: RunDiff, markdown: Bool) -> String {
        var out: [String] = []
        let t = d.totals
        let head =
            "\(d.runA) (\(t.statusA), \(Output.count(t.planVersionsA, "plan version"))) vs "
            + "\(d.runB) (\(t.statusB), \(Output.count(t.planVersionsB, "plan version")))"
        out.append(markdown ? "# Run diff\n\n" + head + "\n" : head)
        let header = ["STEP", "STATUS", "A", "B", "Δ TIME", "Δ TOKENS", "Δ COST"]
        let rows = d.steps.map { s in
            [
                s.stepID, s.status, s.a?.status ?? "-", s.b?.status ?? "-",
                s.durationMsDelta.map { String(format: "%+.0f ms", $0) } ?? "-", s.tokensDelta.map { String(format: "%+lld", $0) } ?? "-",
                s.costUSDDelta.map { String(format: "%+.4f", $0) } ?? "-",
            ]
        }
        if markdown {
            out.append("| " + header.joined(separator: " | ") + " |")
            out.append("|" + String(repeating: "---|", count: header.count))
            for r in rows { out.append("| " + r.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |") }
        } else {
            var table = TextTable(header: header)
            table.rows = rows
            out.append(table.render(maxWidth: 40))
        }
        for s in d.steps where s.outputDiff != nil {
            out.append("")
            out.append(markdown ? "## \(s.stepID): output\n\n```diff" : "output of \(s.stepID):")
            out.append(contentsOf: hunks(s.outputDiff ?? []).map { $0.hasPrefix("  ") ? " " + $0.dropFirst(2) : String($0.prefix(1)) + $0.dropFirst(2) })
            if markdown { out.append("```") }
        }
        out.append("")
        if let div = d.firstDivergence {
            out.append("first divergence: seq \(div.seqA.map(String.init) ?? "-") in a, seq \(div.seqB.map(String.init) ?? "-") in b (\(div.reason))")
        } else {
            out.append("no divergence")
        }
        var counts = "steps: \(t.same) same, \(t.differs) differ, \(t.onlyInA) only in a, \(t.onlyInB) only in b"
        if t.removedInA + t.removedInB > 0 { counts += ", \(t.removedInA) removed in a, \(t.removedInB) removed in b" }
        out.append(counts)
        out.append("tokens \(t.tokensA) vs \(t.tokensB), cost \(t.costUSDA.dollarText) vs \(t.costUSDB.dollarText)")
        return out.joined(separator: "\n")
    }
}
