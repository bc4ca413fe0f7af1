import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
@testable import PlanJournalTools
import Testing

@Suite struct HTMLReportTests {
    /// The demo's run: parallel fetches, a failure, a replan, an approval.
    func demoExport(findings: [Finding] = []) async throws -> RunExport {
        let t = try TemporaryJournal()
        let result = try await PlanRunner(
            journal: t.journal, planner: DemoPlanner(), executor: DemoExecutor(pace: 0.05), tools: DemoExecutor.tools
        ).start(.init(goal: DemoPlanner.goal))
        return RunExport(run: result.run, events: try t.journal.events(of: result.run), findings: findings)
    }

    func count(_ needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }

    /// Every value of `attribute` in the page.
    func attributeValues(_ attribute: String, in html: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "\\s\(attribute)\\s*=\\s*\"([^\"]*)\"", options: [.caseInsensitive])
        let range = NSRange(html.startIndex..., in: html)
        return pattern.matches(in: html, range: range).compactMap { Range($0.range(at: 1), in: html).map { String(html[$0]) } }
    }

    /// The names of the attributes of every tag of the page (a tag: `<name`, attributes whose values
    /// are quoted or bare, `>`; text between tags is not looked at).
    func attributeNames(in html: String) -> Set<String> {
        let tag = try! NSRegularExpression(
            pattern: #"<[a-zA-Z][-a-zA-Z0-9:]*((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*/?>"#)
        let attribute = try! NSRegularExpression(pattern: #"\s+([^\s"'>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?"#)
        var names = Set<String>()
        for m in tag.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            guard let r = Range(m.range(at: 1), in: html) else { continue }
            let attrs = String(html[r])
            for a in attribute.matches(in: attrs, range: NSRange(attrs.startIndex..., in: attrs)) {
                if let n = Range(a.range(at: 1), in: attrs) { names.insert(attrs[n].lowercased()) }
            }
        }
        return names
    }

    @Test func theDAGHasOneNodePerStepWithItsStatusAndAnEdgePerDependency() async throws {
        let export = try await demoExport()
        let html = HTMLReport.render(export)
        #expect(count(#"<svg class="dag""#, in: html) == 1)
        #expect(count(#"<g class="node "#, in: html) == export.state.steps.count)
        for step in export.state.steps {
            #expect(count(#"<g class="node s-\#(step.status.rawValue)" data-step-id="\#(step.id)">"#, in: html) == 1, "\(step.id)")
        }
        #expect(html.contains(#"<g class="node s-removed" data-step-id="fetch_rocksdb">"#))
        #expect(html.contains(#"<g class="node s-completed" data-step-id="fetch_rocksdb_archive">"#))
        let edges = Set(export.state.steps.flatMap { step in
            (export.state.plans.last { $0.steps.contains { $0.id == step.id } }?.steps.first { $0.id == step.id }?.dependsOn ?? [])
                .map { "\($0)->\(step.id)" }
        })
        #expect(count(#"<path class="edge""#, in: html) == edges.count)
        // The legend names every status; a node links to its step's details.
        for status in PlanState.StepStatus.allCases { #expect(html.contains(#"<span class="swatch s-\#(status.rawValue)">"#)) }
        #expect(html.contains(#"<details class="step s-completed" id="step-1""#))
        #expect(html.contains(##"<a class="step-link" href="#step-1" data-step="step-1"><g class="node"##))
    }

    @Test func theTimelineHasABarPerAttemptOnParallelLanesAndMarkers() async throws {
        let html = HTMLReport.render(try await demoExport())
        #expect(count(#"<svg class="timeline""#, in: html) == 1)
        #expect(count(#"<g class="bar o-"#, in: html) == 8)  // 6 steps, fetch_rocksdb twice, the archive fetch
        #expect(count(#"<g class="bar o-failed""#, in: html) == 2)
        #expect(html.contains(">lane 3</text>"))
        #expect(html.contains(#"<g class="marker m-replan">"#) && html.contains(#"<g class="marker m-approval">"#))
        #expect(count(#"<line class="tick tool""#, in: html) == 7)
        #expect(html.contains(#"<g class="marker m-plan"><title>v2"#))
    }

    @Test func theRevisionDiffShowsAddedRemovedAndChangedSteps() async throws {
        let html = HTMLReport.render(try await demoExport())
        #expect(html.contains(#"<li class="added"><span class="tag">added</span> <code>fetch_rocksdb_archive</code>"#))
        #expect(html.contains(#"<li class="removed"><span class="tag">removed</span> <code>fetch_rocksdb</code>"#))
        #expect(html.contains(#"<li class="changed"><span class="tag">changed</span> <code>compare</code>"#))
        #expect(html.contains(#"<span class="del">- depends_on: "#) && html.contains(#"<span class="ins">+ depends_on: "#))
        #expect(html.contains("<b>Reason:</b>"))
    }

    @Test func theHeaderFindingsAndStepDetailsAreThere() async throws {
        let findings = [
            Finding(.warning, "behaviour.retry-storm", run: "r", seq: 12, step: "fetch_rocksdb", "fetch_rocksdb was retried"),
            Finding(.error, "integrity.chain", run: "r", seq: 3, "the hash chain breaks at seq 3"),
        ]
        let export = try await demoExport(findings: findings)
        let html = HTMLReport.render(export)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(html.contains(HTMLEscaping.text(DemoPlanner.goal)))
        #expect(html.contains(#"<span class="badge s-succeeded">succeeded</span>"#))
        #expect(html.contains("Published the recommendation"))
        #expect(html.contains("<span>model calls</span>") && html.contains("<span>tool calls</span>"))
        // Findings, the error first, a step finding linking to the step.
        #expect(html.contains(#"<h2>Findings <span class="muted">(2)</span></h2>"#))
        let error = try #require(html.range(of: #"<tr class="finding sev-error">"#))
        let warning = try #require(html.range(of: #"<tr class="finding sev-warning">"#))
        #expect(error.lowerBound < warning.lowerBound)
        #expect(html.contains("<code>behaviour.retry-storm</code></td><td>12</td><td><a class=\"step-link\""))
        // The failed step is open, with its error and its attempts.
        let failed = try #require(export.state.steps.firstIndex { $0.id == "fetch_rocksdb" })
        #expect(html.contains(#"<details class="step s-removed" id="step-\#(failed + 1)">"#))
        #expect(html.contains("attempt 2 started"))
        #expect(html.contains(#"<span class="lbl">error</span>"#))
    }

    @Test func thePageLoadsNothingFromOutside() async throws {
        let html = HTMLReport.render(try await demoExport())
        for attribute in ["src", "href", "xlink:href", "action"] {
            for value in attributeValues(attribute, in: html) { #expect(value.hasPrefix("#"), "\(attribute)=\(value)") }
        }
        #expect(!html.contains("<link") && !html.contains("@import") && !html.contains("@font-face"))
        let urls = attributeValues("marker-end", in: html)
        #expect(urls.allSatisfy { $0 == "url(#dag-arrow)" })
        #expect(!html.lowercased().contains("url(http") && !html.lowercased().contains("url(//"))
        #expect(count("<script", in: html) == 1)
    }

    static let hostile = [
        "</script><script>alert(1)</script>", #""><img src=x onerror=alert(1)>"#, "'><svg onload=alert(1)>",
        "ünïcødé 🚀 中文 \u{202E}rtl", "a&b<c>d\u{0}e\u{7}f",
    ]

    /// A run whose every text is hostile.
    func hostileExport() throws -> RunExport {
        let h = Self.hostile.map { JSONValue.string($0).jsonText }
        var b = RunBuilder(run: "run-</script>-\"x\"")
        try b.add("run.started", #"{"goal":\#(h[0]) }"#)
        try b.add(
            "plan.proposed",
            #"{"version":1,"steps":[{"id":\#(h[0]),"description":\#(h[1]),"tool":\#(h[2])},{"id":\#(h[1]),"depends_on":[\#(h[0])],"description":\#(h[3])},{"id":\#(h[3]),"depends_on":[\#(h[1])],"args":{"q":\#(h[4])}}]}"#)
        try b.add("step.started", #"{"step_id":\#(h[0])}"#)
        try b.add("call.tool", #"{"step_id":\#(h[0]),"call_id":\#(h[1]),"tool":\#(h[2]),"args":{"x":\#(h[0])}}"#)
        try b.add("step.observed", #"{"step_id":\#(h[0]),"call_id":\#(h[1]),"ok":true,"content":\#(h[1])}"#)
        try b.add("step.completed", #"{"step_id":\#(h[0]),"output":\#(h[0])}"#)
        try b.add("step.started", #"{"step_id":\#(h[1])}"#)
        try b.add("step.failed", #"{"step_id":\#(h[1]),"error":{"type":\#(h[2]),"message":\#(h[1]),"traceback":\#(h[0])}}"#)
        try b.add("replan.triggered", #"{"reason":\#(h[1]),"step_id":\#(h[1])}"#)
        try b.add(
            "plan.revised",
            #"{"version":2,"base_version":1,"removed":[\#(h[1])],"changed":[{"id":\#(h[3]),"depends_on":[\#(h[0])],"args":{"q":\#(h[0])}}],"reason":\#(h[2])}"#)
        try b.add("approval.requested", #"{"step_id":\#(h[3]),"reason":\#(h[0])}"#)
        try b.add("approval.resolved", #"{"step_id":\#(h[3]),"decision":\#(h[1]),"comment":\#(h[2])}"#, actor: "human:<b>")
        try b.add("x.custom", #"{"step_id":\#(h[3]),"anything":\#(h[0])}"#)
        try b.add("run.completed", #"{"status":\#(h[1]),"final_answer":\#(h[0])}"#)
        let finding = Finding(.error, Self.hostile[1], run: b.run, seq: 3, step: Self.hostile[0], Self.hostile[0])
        return RunExport(run: b.run, events: b.events, findings: [finding])
    }

    @Test func hostileTextIsEscapedEverywhere() throws {
        let export = try hostileExport()
        let html = HTMLReport.render(export)
        #expect(export.state.steps.count == 3)
        #expect(count("<script", in: html) == 1 && count("</script>", in: html) == 1)
        #expect(!html.contains("<img") && !html.contains("<svg onload") && !html.contains("onerror=alert(1)>"))
        #expect(!html.contains("<b>\"") && !html.contains("\u{0}") && !html.contains("\u{7}"))
        #expect(html.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("ünïcødé 🚀 中文"))
        // Every attribute value is closed where it should be: no tag has an event handler attribute.
        let names = attributeNames(in: html)
        #expect(!names.isEmpty && names.allSatisfy { !$0.hasPrefix("on") }, "\(names.filter { $0.hasPrefix("on") })")
        #expect(html.contains(#"data-step-id="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;""#))
        #expect(count(#"<g class="node "#, in: html) == 3)
        #expect(html.contains(#"<td class="sev sev-error">error</td><td><code>&quot;&gt;&lt;img"#))
    }

    @Test func escapingForScriptsAndAttributes() throws {
        #expect(HTMLEscaping.text(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTMLEscaping.text("é\u{1}\u{85}\n") == "é\u{FFFD}\u{FFFD}\n")
        #expect(HTMLEscaping.text("a\u{202E}cba\u{2066}") == "a[U+202E]cba[U+2066]")
        let json = JSONValue.string("</script><!-- \u{2028}&").jsonText
        let safe = HTMLEscaping.scriptJSON(json)
        #expect(!safe.contains("<") && !safe.contains(">") && !safe.contains("&") && !safe.contains("\u{2028}"))
        #expect(try JSONValue(parsing: safe) == JSONValue(parsing: json))
    }

    @Test func oddRunsFromOtherGeneratorsRenderWithoutCrashing() throws {
        // No run.started, unknown kinds, missing fields, a step nobody planned, a dangling
        // dependency, a start without an end, a second start without an end between.
        var b = RunBuilder(run: "odd")
        try b.add("x.vendor.thing", #"{"a":1}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]},{"id":"c","depends_on":["b"]}]}"#)
        try b.add("step.started", #"{"step_id":"a"}"#)
        try b.add("step.started", #"{"step_id":"a","attempt":2}"#)
        try b.add("step.completed", #"{}"#)
        try b.add("step.failed", #"{"step_id":"zzz","error":"plain string"}"#)
        try b.add("call.model", #"{"usage":"none"}"#)
        try b.add("call.tool", #"{"step_id":"nobody"}"#)
        try b.add("step.observed", #"{"step_id":"b","content":{"nested":[1,2]}}"#)
        try b.add("step.started", #"{"step_id":"b"}"#)
        try b.add("approval.resolved", #"{}"#)
        try b.add("plan.revised", #"{"version":"two"}"#)
        try b.add("note", #"{"text":"hi"}"#)
        let html = HTMLReport.render(RunExport(run: "odd", events: b.events))
        #expect(html.contains(#"<svg class="dag""#) && html.contains(#"<svg class="timeline""#))
        #expect(html.contains(#"<g class="bar o-unfinished""#))
        #expect(html.contains(#"data-step-id="c""#))
        #expect(html.contains("<code>x.vendor.thing</code>") == false)  // no step_id: not under a step
        #expect(html.contains(#"data-step-id="zzz""#))
        // Dependencies a validated run cannot have (unknown, on itself, a cycle) still lay out.
        var state = RunExport(run: "odd", events: b.events).state
        state.plans[0].steps[0].dependsOn = ["c"]
        state.plans[0].steps[1].dependsOn = ["a", "ghost", "a"]
        state.plans[0].steps[2].dependsOn = ["c", "b"]
        let dag = PlanDAGSVG.render(state, anchors: [:])
        #expect(dag.contains("unknown dependencies: ghost") && dag.contains("unknown dependencies: c"))
        #expect(dag.components(separatedBy: #"<g class="node "#).count - 1 == state.steps.count)
        // No events at all.
        let empty = HTMLReport.render(RunExport(run: "none", events: []))
        #expect(empty.contains(#"<svg class="dag""#) && empty.contains("No steps."))
    }

    @Test func hundredsOfStepsMakeAScrollableSVG() throws {
        let b = try RunBuilder.complete(run: "big", steps: 400, payloadBytes: 40)
        let html = HTMLReport.render(RunExport(run: "big", events: b.events))
        #expect(count(#"<g class="node "#, in: html) == 400)
        #expect(count(#"<g class="bar o-completed""#, in: html) == 400)
        // A chain of 400: 400 columns, wide and scrollable rather than squeezed.
        let dag = try #require(html.range(of: #"<svg class="dag" role="img" aria-label="Plan DAG" width=""#))
        let width = Double(html[dag.upperBound...].prefix { $0 != "\"" }) ?? 0
        #expect(width > 400 * PlanDAGSVG.nodeWidth)
        #expect(html.contains(#"<div class="scroll">"#))
    }
}

