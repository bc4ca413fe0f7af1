import Foundation
import PlanJournalCore

/// A run as a Markdown report: goal and outcome, plan versions and what each revision changed,
/// steps with their outcomes, approvals, replans, audit findings, the final answer and totals.
public enum MarkdownReport {
    /// The report of a run's state, with the audit's `findings` (none: no findings section).
    ///
    /// Renders what it is given: secrets in the run's events are in the output unless they were
    /// redacted first, as `planj export` does, by making the export with
    /// ``RedactedExport/prepare(_:of:redactor:audited:tally:)`` and a ``Redactor``.
    public static func render(_ s: PlanState, findings: [Finding] = []) -> String {
        var out = ["# Run " + text(s.run), ""]
        if let goal = s.goal { out.append("**Goal:** " + text(goal)) }
        out.append("**Status:** \(s.status)")
        if let start = s.startedAt {
            out.append("**Started:** \(start)" + (s.endedAt.map { " · **ended:** \($0)" } ?? ""))
        }
        let t = s.totals
        out.append(
            "**Totals:** \(t.events) events, \(t.inputTokens) input + \(t.outputTokens) output tokens, \(t.costUSD.dollarText), "
                + "\(t.modelCalls) model calls, \(t.toolCalls) tool calls, \(t.replans) replans")
        out += ["", "## Plan versions", ""]
        for p in s.plans {
            var line = "- **v\(p.version)** (seq \(p.seq), \(p.origin))"
            if p.baseVersion != nil {
                var parts: [String] = []
                if !p.added.isEmpty { parts.append("added " + p.added.map { code($0) }.joined(separator: ", ")) }
                if !p.removed.isEmpty { parts.append("removed " + p.removed.map { code($0) }.joined(separator: ", ")) }
                if !p.changed.isEmpty { parts.append("changed " + p.changed.map { code($0) }.joined(separator: ", ")) }
                line += ": " + parts.joined(separator: "; ")
                if let reason = p.reason { line += " (reason: \(cell(reason)))" }
            } else {
                // Each step with what it waits for: independent steps run side by side, and an
                // arrow between every step drew a parallel plan as a chain.
                line += ": " + p.steps.map { step in
                    code(step.id) + (step.dependsOn.isEmpty ? "" : " (after " + step.dependsOn.map { code($0) }.joined(separator: ", ") + ")")
                }.joined(separator: ", ")
            }
            out.append(line)
        }
        out += ["", "## Steps", "", "| step | status | attempts | time | tokens | cost | output / error |", "|---|---|---|---|---|---|---|"]
        for step in s.steps {
            out.append(
                "| \(code(step.id, inTable: true)) | \(step.status.rawValue) | \(step.attempts) | "
                    + (step.durationMs.map { String(format: "%.2fs", $0 / 1000) } ?? "-")
                    + " | \(step.tokens) | " + step.costUSD.dollarText + " | "
                    + cell(step.error ?? step.outputSummary ?? "") + " |")
        }
        if !s.approvals.isEmpty {
            out += ["", "## Approvals", ""]
            for a in s.approvals {
                let target = a.stepID.map { "step \(code($0))" } ?? "plan v\(a.version ?? 0)"
                out.append("- seq \(a.seq): \(target) \(a.decision)" + (a.actor.map { " by " + text($0) } ?? "") + (a.text.map { ": \(cell($0))" } ?? ""))
            }
        }
        if !s.replans.isEmpty {
            out += ["", "## Replans", ""]
            for r in s.replans { out.append("- seq \(r.seq): " + text(r.reason) + (r.stepID.map { " at step \(code($0))" } ?? "")) }
        }
        if !findings.isEmpty {
            out += ["", "## Findings", ""]
            for f in findings.sorted(by: { $0.severity > $1.severity }) {
                let place = [f.seq.map { "seq \($0)" }, f.step.map { "step \(code($0))" }].compactMap { $0 }.joined(separator: ", ")
                out.append("- **\(f.severity.rawValue)** `\(f.code)`" + (place.isEmpty ? "" : " (\(place))") + ": \(cell(f.message))")
            }
        }
        if let answer = s.finalAnswer { out += ["", "## Final answer", "", block(answer)] }
        // Control characters in what agents wrote (an escape sequence that clears the screen of
        // whoever runs `cat report.md`, a NUL) are shown as U+FFFD, as CommonMark reads NUL.
        // CRLF line ends (tool and HTTP output) are line ends, not control characters.
        return TerminalText.safe((out.joined(separator: "\n") + "\n").replacingOccurrences(of: "\r\n", with: "\n"))
    }

    /// The agent's own text, often Markdown itself, as a fenced block of its source: a heading
    /// in it could pass for a section of the report ("## Findings"), and raw HTML in it reaches
    /// readers whose viewer does not sanitise. The fence is longer than any run of backticks
    /// inside.
    private static func block(_ s: String) -> String {
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(in: s) + 1))
        return fence + "markdown\n" + s + (s.hasSuffix("\n") ? "" : "\n") + fence
    }

    /// `s` as inline code: on one line, fenced by more backticks than any run of them inside it
    /// (and spaced from a backtick at its ends); in a table, its pipes escaped too (GFM splits
    /// cells at a `|` even inside a code span).
    private static func code(_ s: String, inTable: Bool = false) -> String {
        var text = s.lines.joined(separator: " ")
        if inTable { text = text.replacingOccurrences(of: "|", with: "\\|") }
        let fence = String(repeating: "`", count: longestBacktickRun(in: text) + 1)
        let pad = text.hasPrefix("`") || text.hasSuffix("`") ? " " : ""
        return fence + pad + text + pad + fence
    }

    /// Text an agent wrote, shown as it is: on one line (a newline could start a heading, a
    /// list or an HTML block that swallows the rest of the report), with the characters that
    /// start inline markup, raw HTML or a table cell backslash-escaped.
    private static func text(_ s: String) -> String {
        var out = ""
        for c in s.lines.joined(separator: " ") {
            if "\\`*_[]<>~|".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// The length of the longest run of backticks in `s`.
    private static func longestBacktickRun(in s: String) -> Int {
        var longest = 0
        var run = 0
        for c in s {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// ``text(_:)`` for one table cell or list line: at most 160 characters.
    private static func cell(_ s: String) -> String {
        let flat = s.lines.joined(separator: " ")
        return text(flat.count <= 160 ? flat : String(flat.prefix(159))) + (flat.count <= 160 ? "" : "…")
    }
}
