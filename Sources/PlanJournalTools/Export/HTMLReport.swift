import Foundation
import PlanJournalCore

/// A run as one self-contained HTML page (inline CSS, SVG and a little script; nothing is loaded
/// from anywhere): a header with the goal, status, final answer and totals, the audit's findings,
/// a timeline of the run, the plan DAG coloured by step status, the plan versions and what each
/// revision changed, and the details of every step.
///
/// Every text of the run is escaped (agents are not trusted), and the page reads the same with
/// scripts off: links to steps are plain anchors.
public enum HTMLReport {
    /// The page for `export`.
    ///
    /// Renders what it is given: secrets in the run's events are in the output unless they were
    /// redacted first, as `planj export` does, by making the export with
    /// ``RedactedExport/prepare(_:of:redactor:audited:tally:)`` and a ``Redactor``.
    public static func render(_ export: RunExport) -> String {
        typealias H = HTMLEscaping
        let state = export.state
        var anchors: [String: String] = [:]
        for (k, step) in state.steps.enumerated() where anchors[step.id] == nil { anchors[step.id] = "step-\(k + 1)" }
        let title = "Run " + H.truncated(state.goal ?? export.run, 80)
        var page = [
            "<!DOCTYPE html>",
            #"<html lang="en"><head><meta charset="utf-8">"#,
            #"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
            #"<meta name="generator" content="planj export --format html">"#,
            "<title>\(H.text(title))</title>",
            "<style>\n\(HTMLStyle.css)\n</style></head><body><main>",
            header(export),
            "<nav class=\"toc\">"
                + [("findings", "Findings"), ("timeline", "Timeline"), ("plan", "Plan"), ("versions", "Plan versions"), ("steps", "Steps")]
                .map { "<a \(HTMLEscaping.href($0.0))>\($0.1)</a>" }.joined() + "</nav>",
            findings(export.findings, anchors: anchors),
            #"<section class="card" id="timeline"><h2>Timeline</h2>"#,
            timelineLegend(),
            #"<div class="scroll">"#, TimelineSVG.render(RunTimeline(export.events), anchors: anchors), "</div></section>",
            #"<section class="card" id="plan"><h2>Plan"#
                + (state.currentVersion.map { v in
                    let removed = state.steps.contains { $0.status == .removed }
                    return #" <span class="muted">(v\#(v)\#(removed ? ", and the steps revisions removed" : ""))</span>"#
                } ?? "")
                + "</h2>",
            PlanDAGSVG.legend(),
            #"<div class="scroll">"#, PlanDAGSVG.render(state, anchors: anchors), "</div></section>",
            #"<section class="card" id="versions"><h2>Plan versions</h2>"#, PlanDiffHTML.render(state), decisions(state), "</section>",
            #"<section class="card" id="steps"><h2>Steps <span class="muted">(\#(state.steps.count))</span></h2>"#,
            StepDetailsHTML.render(export, anchors: anchors), "</section>",
            "</main><script>\n\(HTMLStyle.script)\n</script></body></html>",
        ]
        page.append("")
        return page.joined(separator: "\n")
    }

    private static func header(_ export: RunExport) -> String {
        typealias H = HTMLEscaping
        let s = export.state
        var out = [#"<section class="card" id="run"><h1>Run report \#(StepDetailsHTML.badge(s.status))</h1>"#]
        out.append(#"<div class="runid">run <code>\#(H.text(export.run))</code>"#
            + (s.startedAt.map { " · started \(H.text($0.description))" } ?? "")
            + (s.endedAt.map { " · ended \(H.text($0.description))" } ?? "") + "</div>")
        out.append(#"<div class="goal"><b>Goal:</b> \#(H.text(s.goal ?? "(none recorded)"))</div>"#)
        let t = s.totals
        var elapsed = "-"
        if let start = s.startedAt ?? export.events.first?.ts, let end = s.endedAt ?? s.updatedAt {
            elapsed = TimelineSVG.formatMs(Double(end.microseconds - start.microseconds) / 1_000)
        }
        let done = s.steps.filter { $0.status == .completed }.count
        let totals: [(String, String)] = [
            (elapsed, "time"),
            ("\(t.tokens)", "tokens (\(t.inputTokens) in, \(t.outputTokens) out)"),
            (t.costUSD.dollarText, "cost"),
            ("\(t.modelCalls)", "model calls"),
            ("\(t.toolCalls)", "tool calls"),
            ("\(done)/\(s.steps.count)", "steps completed"),
            ("\(t.replans)", "replans"),
            ("\(s.plans.count)", "plan versions"),
            ("\(t.events)", "events"),
        ]
        out.append(#"<div class="totals">"# + totals.map { #"<div class="total"><b>\#(H.text($0.0))</b><span>\#(H.text($0.1))</span></div>"# }.joined() + "</div>")
        if let answer = s.finalAnswer {
            out.append(#"<div class="answer"><b>Final answer</b><pre>\#(H.text(H.truncated(answer, 20_000)))</pre></div>"#)
        }
        out.append("</section>")
        return out.joined(separator: "\n")
    }

    private static func findings(_ findings: [Finding], anchors: [String: String]) -> String {
        typealias H = HTMLEscaping
        var out = [#"<section class="card" id="findings"><h2>Findings <span class="muted">(\#(findings.count))</span></h2>"#]
        if findings.isEmpty {
            out.append(#"<p class="muted">No findings.</p>"#)
        } else {
            out.append("<table><thead><tr><th>severity</th><th>code</th><th>seq</th><th>step</th><th>message</th></tr></thead><tbody>")
            let sorted = findings.enumerated().sorted { a, b in
                a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
            }.map(\.element)
            for f in sorted {
                let step = f.step.map { id in
                    anchors[id].map { #"<a class="step-link" \#(HTMLEscaping.href($0)) data-step="\#($0)"><code>\#(H.text(id))</code></a>"# }
                        ?? "<code>\(H.text(id))</code>"
                } ?? ""
                out.append(
                    #"<tr class="finding sev-\#(f.severity.rawValue)"><td class="sev sev-\#(f.severity.rawValue)">\#(f.severity.rawValue)</td>"#
                        + "<td><code>\(H.text(f.code))</code></td><td>\(f.seq.map(String.init) ?? "")</td><td>\(step)</td>"
                        + #"<td class="msg">\#(H.text(f.message))</td></tr>"#)
            }
            out.append("</tbody></table>")
        }
        out.append("</section>")
        return out.joined(separator: "\n")
    }

    /// Plan reviews, approvals and replans, in order.
    private static func decisions(_ s: PlanState) -> String {
        typealias H = HTMLEscaping
        var items: [(Int64, String)] = []
        for r in s.reviews {
            items.append((r.seq, "review of v\(r.version): <b>\(H.text(r.verdict))</b>" + (r.reviewer.map { " by " + H.text($0) } ?? "")))
        }
        for a in s.approvals {
            let target = a.stepID.map { "step <code>\(H.text($0))</code>" } ?? "plan v\(a.version.map(String.init) ?? "?")"
            items.append(
                (a.seq, "approval \(target): <b>\(H.text(a.decision))</b>" + (a.actor.map { " by " + H.text($0) } ?? "")
                    + (a.text.map { " — " + H.text($0) } ?? "")))
        }
        for r in s.replans {
            items.append((r.seq, "replan: <b>\(H.text(r.reason))</b>" + (r.stepID.map { " at step <code>\(H.text($0))</code>" } ?? "")))
        }
        guard !items.isEmpty else { return "" }
        return "<h3>Reviews, approvals and replans</h3><ul>"
            + items.sorted { $0.0 < $1.0 }.map { #"<li><span class="muted">seq \#($0.0)</span> \#($0.1)</li>"# }.joined() + "</ul>"
    }

    private static func timelineLegend() -> String {
        let items = [
            ("s-completed", "completed attempt"), ("s-failed", "failed attempt"), ("s-skipped", "skipped"),
            ("o-unfinished", "unfinished"), ("tick-tool", "tool call"), ("tick-model", "model call"),
            ("m-plan", "plan version"), ("m-replan", "replan"), ("m-approval", "approval"),
        ]
        return #"<div class="legend">"#
            + items.map { #"<span class="legend-item"><span class="swatch \#($0.0)"></span>\#($0.1)</span>"# }.joined() + "</div>"
    }
}
