import Foundation
import PlanJournalCore

/// The HTML report's step details: per step its status, attempts, timing, tokens and cost, then its
/// events in order (attempts, model and tool calls, observations, outputs, errors, approvals),
/// long texts in collapsed `<details>`.
enum StepDetailsHTML {
    /// Texts longer than this many characters, or lines, start collapsed.
    static let shortChars = 280
    static let shortLines = 6
    /// Texts are cut at this many characters (the JSON Lines export has them whole).
    static let maxChars = 20_000

    static func render(_ export: RunExport, anchors: [String: String]) -> String {
        typealias H = HTMLEscaping
        let state = export.state
        guard !state.steps.isEmpty else { return #"<p class="muted">No steps.</p>"# }
        var eventsOf: [String: [JournalEvent]] = [:]
        for e in export.events {
            if let id = e.dataString("step_id") { eventsOf[id, default: []].append(e) }
        }
        var depsOf: [String: [String]] = [:]
        var expectedOf: [String: JSONValue] = [:]
        for plan in state.plans {
            for step in plan.steps {
                depsOf[step.id] = step.dependsOn
                expectedOf[step.id] = step.expectedOutput
            }
        }
        let t0 = export.events.first?.ts ?? Timestamp(microseconds: 0)
        var out: [String] = []
        for step in state.steps {
            guard let anchor = anchors[step.id] else { continue }
            let open = step.status == .failed || step.status == .denied ? " open" : ""
            var summary = #"<code class="step-id">\#(H.text(step.id))</code> "# + badge(step.status.rawValue)
            var facts: [String] = ["\(step.attempts) attempt\(step.attempts == 1 ? "" : "s")"]
            if let ms = step.durationMs { facts.append(TimelineSVG.formatMs(ms)) }
            if step.tokens > 0 { facts.append("\(step.tokens) tokens") }
            if step.costUSD > 0 { facts.append(step.costUSD.dollarText) }
            if step.toolCalls > 0 { facts.append("\(step.toolCalls) tool call\(step.toolCalls == 1 ? "" : "s")") }
            summary += #" <span class="muted">\#(facts.joined(separator: " · "))</span>"#
            if let error = step.error { summary += #" <span class="err-inline">\#(H.text(H.truncated(error, 120)))</span>"# }
            out.append(#"<details class="step s-\#(step.status.rawValue)" id="\#(anchor)"\#(open)><summary>\#(summary)</summary><div class="body">"#)
            var kv: [(String, String)] = []
            if let d = step.description { kv.append(("description", H.text(d))) }
            if let tool = step.tool { kv.append(("tool", "<code>\(H.text(tool))</code>")) }
            if let deps = depsOf[step.id], !deps.isEmpty {
                kv.append(("after", deps.map { d in anchors[d].map { #"<a \#(HTMLEscaping.href($0)) class="step-link" data-step="\#($0)"><code>\#(H.text(d))</code></a>"# } ?? "<code>\(H.text(d))</code> (unknown)" }.joined(separator: ", ")))
            }
            if let expected = expectedOf[step.id], let text = expected.textValue { kv.append(("expected", H.text(H.truncated(text, 400)))) }
            if !step.versions.isEmpty { kv.append(("plan versions", step.versions.map { "v\($0)" }.joined(separator: ", "))) }
            if let m = step.matchesExpected { kv.append(("matches expected", m ? "yes" : #"<span class="err-inline">no</span>"#)) }
            out.append(#"<dl class="kv">"# + kv.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" }.joined() + "</dl>")
            let events = eventsOf[step.id] ?? []
            if !events.isEmpty {
                out.append(#"<ol class="events">"#)
                for e in events { out.append(eventItem(e, t0: t0)) }
                out.append("</ol>")
            }
            out.append("</div></details>")
        }
        return out.joined(separator: "\n")
    }

    static func badge(_ status: String) -> String {
        #"<span class="badge s-\#(HTMLEscaping.text(status))">\#(HTMLEscaping.text(status.replacingOccurrences(of: "_", with: " ")))</span>"#
    }

    /// One event of a step, as a list item.
    private static func eventItem(_ e: JournalEvent, t0: Timestamp) -> String {
        typealias H = HTMLEscaping
        let at = TimelineSVG.formatMs(Double(e.ts.microseconds - t0.microseconds) / 1_000)
        var head = ""
        var blocks: [String] = []
        var cls = "ev"
        switch e.knownKind {
        case .stepStarted?:
            cls += " ev-start"
            head = "attempt \(e.dataInt("attempt") ?? 1) started"
            if let inputs = e.data("inputs"), inputs != .null { blocks.append(block("inputs", inputs.jsonText)) }
        case .callModel?:
            var parts = ["model <code>\(H.text(e.dataString("model") ?? "?"))</code>"]
            if let p = e.dataString("purpose") { parts.append(H.text(p)) }
            if let usage = e.data("usage"), let i = usage["input_tokens"]?.int64Value, let o = usage["output_tokens"]?.int64Value {
                parts.append("\(i) + \(o) tokens")
            }
            if let c = e.dataDouble("cost_usd") { parts.append(c.dollarText) }
            if let l = e.dataMilliseconds("latency_ms") { parts.append(TimelineSVG.formatMs(l)) }
            head = parts.joined(separator: " · ")
            if let p = e.data("prompt")?.textValue { blocks.append(block("prompt", p)) }
            if let r = e.data("response")?.textValue { blocks.append(block("response", r)) }
        case .callTool?:
            head = "tool <code>\(H.text(e.dataString("tool") ?? "?"))</code>" + (e.dataString("call_id").map { #" <span class="muted">\#(H.text($0))</span>"# } ?? "")
            if let args = e.data("args"), args != .null { blocks.append(block("args", args.jsonText)) }
        case .stepObserved?:
            let ok = e.dataBool("ok")
            cls += ok == false ? " ev-bad" : ""
            var parts = ["observation" + (ok.map { $0 ? " ok" : " not ok" } ?? "")]
            if let b = e.dataInt("bytes") { parts.append("\(b) bytes") }
            if e.dataBool("truncated") == true { parts.append("truncated") }
            if let d = e.dataDouble("duration_ms") { parts.append(TimelineSVG.formatMs(d)) }
            if let m = e.dataBool("matches_expected") { parts.append(m ? "matches expected" : "does not match expected") }
            head = H.text(parts.joined(separator: " · "))
            if let c = e.data("content")?.textValue { blocks.append(block("content", c)) }
        case .stepCompleted?:
            cls += " ev-ok"
            head = "completed" + (e.dataDouble("duration_ms").map { " in " + TimelineSVG.formatMs($0) } ?? "")
            if let s = e.dataString("summary") { blocks.append(block("summary", s)) }
            if let o = e.data("output")?.textValue { blocks.append(block("output", o)) }
            if let r = e.dataString("output_ref") { blocks.append(block("output ref", r)) }
        case .stepFailed?:
            cls += " ev-bad"
            let error = e.data("error")
            head = "failed" + (error?["type"]?.stringValue.map { ": " + H.text($0) } ?? "")
                + (e.dataBool("retryable").map { $0 ? " (retryable)" : " (not retryable)" } ?? "")
            if let m = error?["message"]?.stringValue ?? error?.stringValue { blocks.append(block("error", m)) }
            if let tb = error?["traceback"]?.textValue { blocks.append(block("traceback", tb)) }
        case .stepSkipped?:
            head = "skipped" + (e.dataString("reason").map { ": " + H.text($0) } ?? "")
        case .approvalRequested?:
            head = "approval requested" + (e.dataString("reason").map { ": " + H.text($0) } ?? "")
        case .approvalResolved?:
            let d = e.dataString("decision") ?? "?"
            cls += d == "denied" ? " ev-bad" : ""
            head = "approval " + H.text(d) + (e.actor.map { " by " + H.text($0) } ?? "")
                + (e.dataString("comment").map { ": " + H.text($0) } ?? "")
        case .replanTriggered?:
            head = "replan triggered: " + H.text(e.dataString("reason") ?? "")
            if let d = e.data("details")?.textValue { blocks.append(block("details", d)) }
        default:
            head = "<code>\(H.text(e.kind))</code>"
            blocks.append(block("data", e.data.jsonText))
        }
        return #"<li class="\#(cls)"><span class="at">\#(at)</span> <span class="seq">#\#(e.seq)</span> \#(head)\#(blocks.joined())</li>"#
    }

    /// A labelled text: shown when short, in a collapsed `<details>` when long.
    static func block(_ label: String, _ text: String) -> String {
        typealias H = HTMLEscaping
        let count = text.count
        var body = text
        if count > maxChars { body = String(text.prefix(maxChars)) + "\n… (\(count - maxChars) more characters)" }
        var lines = 1
        for byte in text.utf8 where byte == 0x0A { lines += 1 }
        if count <= shortChars && lines <= shortLines {
            return #"<div class="blk"><span class="lbl">\#(label)</span><pre>\#(H.text(body))</pre></div>"#
        }
        return #"<details class="blk"><summary><span class="lbl">\#(label)</span> <span class="muted">\#(count) characters, \#(lines) lines</span></summary><pre>\#(H.text(body))</pre></details>"#
    }
}
