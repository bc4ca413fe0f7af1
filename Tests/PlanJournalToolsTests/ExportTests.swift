import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import PlanJournalTools
import Testing

@Suite struct ExportTests {
    /// Event `seq` of `run`, `second` seconds after 10:00:10.
    static func line(run: String, _ seq: Int, _ second: Int, _ kind: String, _ data: String) -> String {
        #"{"run":"\#(run)","seq":\#(seq),"ts":"2026-11-24T10:00:\#(10 + second)Z","kind":"\#(kind)","data":\#(data)}"#
    }

    /// The demo's run: parallel fetches, a failure, a replan, an approval.
    func demoRun() async throws -> (TemporaryJournal, RunResult) {
        let t = try TemporaryJournal()
        let result = try await PlanRunner(
            journal: t.journal, planner: DemoPlanner(), executor: DemoExecutor(pace: 0.3), tools: DemoExecutor.tools
        ).start(.init(goal: DemoPlanner.goal))
        return (t, result)
    }

    @Test func theChromeTraceHasALanePerParallelStepAndInstantsForReplansAndApprovals() async throws {
        let (t, run) = try await demoRun()
        let trace = ChromeTrace.render(run: run.run, events: try t.journal.events(of: run.run))
        // It is JSON that Perfetto reads: an object with traceEvents.
        let parsed = try JSONSerialization.jsonObject(with: Data(trace.jsonText.utf8)) as? [String: Any]
        let events = try #require(parsed?["traceEvents"] as? [[String: Any]])
        let steps = events.filter { $0["cat"] as? String == "step" }
        #expect(steps.count == 8)  // 6 steps, fetch_rocksdb twice, the archive fetch
        let fetchLanes = Set(steps.filter { ($0["name"] as? String)?.hasPrefix("fetch_") == true && $0["name"] as? String != "fetch_rocksdb_archive" }.compactMap { $0["tid"] as? Int })
        #expect(fetchLanes.count == 3)
        let instants = events.filter { $0["ph"] as? String == "i" }.compactMap { $0["name"] as? String }
        #expect(instants.contains("replan: step_failed") && instants.contains("approval granted"))
        #expect(events.filter { $0["cat"] as? String == "tool" }.count == 7)
        #expect(steps.allSatisfy { ($0["dur"] as? Int ?? -1) >= 0 && $0["ts"] is Int })

        // Cut short (a crash): the step still running and the run are drawn up to the last event.
        let cut = try t.journal.events(of: run.run).prefix { $0.kind != "step.completed" }
        let partial = ChromeTrace.render(run: run.run, events: Array(cut)).jsonText
        let open = try #require(try JSONSerialization.jsonObject(with: Data(partial.utf8)) as? [String: Any])["traceEvents"] as? [[String: Any]]
        let unfinished = (open ?? []).filter { ($0["args"] as? [String: Any])?["status"] as? String == "unfinished" }
        #expect(unfinished.contains { $0["cat"] as? String == "run" } && unfinished.contains { $0["cat"] as? String == "step" })
    }

    /// A step attempt that never ended (its process was killed, the run resumed) is drawn up to
    /// the event before the next attempt, which takes its lane again; a model call's slice does
    /// not start before its step's.
    @Test func theChromeTraceKeepsAnInterruptedAttemptAndNestsModelCallsInTheirStep() throws {
        let t = try TemporaryJournal()
        let line = { (seq: Int, second: Int, kind: String, data: String) in Self.line(run: "c", seq, second, kind, data) }
        _ = try t.journal.ingest(
            text: [
                line(1, 0, "run.started", #"{"goal":"g"}"#),
                line(2, 1, "plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#),
                line(3, 2, "step.started", #"{"step_id":"a","attempt":1}"#),
                line(4, 5, "note", #"{"text":"resumed"}"#),
                line(5, 6, "step.started", #"{"step_id":"a","attempt":2}"#),
                line(6, 7, "call.model", #"{"step_id":"a","model":"m","latency_ms":60000}"#),
                line(7, 8, "step.completed", #"{"step_id":"a"}"#),
            ].joined(separator: "\n") + "\n")
        let trace = ChromeTrace.render(run: "c", events: try t.journal.events(of: "c"))
        let parsed = try JSONSerialization.jsonObject(with: Data(trace.jsonText.utf8)) as? [String: Any]
        let events = try #require(parsed?["traceEvents"] as? [[String: Any]])
        let steps = events.filter { $0["cat"] as? String == "step" }
        let start = 1_795_514_412_000_000  // 2026-11-24T10:00:12Z
        #expect(steps.map { ($0["args"] as? [String: Any])?["status"] as? String } == ["unfinished", "completed"])
        #expect(steps.map { $0["ts"] as? Int } == [start, start + 4_000_000])
        #expect(steps.map { $0["dur"] as? Int } == [3_000_000, 2_000_000])
        #expect(steps.allSatisfy { $0["tid"] as? Int == 1 })
        let lanes = events.filter { $0["ph"] as? String == "M" && $0["tid"] as? Int != 0 }
        #expect(lanes.count == 1)
        let model = try #require(events.first { $0["cat"] as? String == "model" })
        #expect(model["ts"] as? Int == start + 4_000_000 && model["dur"] as? Int == 1_000_000)
    }

    /// A run that ended (cancelled) while a step ran and its tool call waited: both are drawn up
    /// to the run's end, as unfinished and unanswered; a call without a `call_id` is matched to
    /// its step's observation.
    @Test func theChromeTraceDrawsWhatARunEndedInTheMiddleOf() throws {
        let t = try TemporaryJournal()
        let line = { (seq: Int, second: Int, kind: String, data: String) in Self.line(run: "x", seq, second, kind, data) }
        _ = try t.journal.ingest(
            text: [
                line(1, 0, "run.started", #"{"goal":"g"}"#),
                line(2, 1, "plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"}]}"#),
                line(3, 2, "step.started", #"{"step_id":"a"}"#),
                line(4, 2, "step.started", #"{"step_id":"b"}"#),
                line(5, 3, "call.tool", #"{"step_id":"b","tool":"grep","args":{}}"#),
                line(6, 3, "call.tool", #"{"step_id":"b","tool":"sed","args":{}}"#),
                line(7, 4, "step.observed", #"{"step_id":"b","ok":true}"#),
                line(8, 5, "step.observed", #"{"step_id":"b","ok":true}"#),
                line(9, 5, "step.completed", #"{"step_id":"b"}"#),
                line(10, 5, "call.tool", #"{"step_id":"a","tool":"fetch","call_id":"c1","args":{}}"#),
                line(11, 9, "run.completed", #"{"status":"cancelled"}"#),
            ].joined(separator: "\n") + "\n")
        let trace = ChromeTrace.render(run: "x", events: try t.journal.events(of: "x"))
        let parsed = try JSONSerialization.jsonObject(with: Data(trace.jsonText.utf8)) as? [String: Any]
        let events = try #require(parsed?["traceEvents"] as? [[String: Any]])
        func slice(_ name: String) -> (status: String?, dur: Int?)? {
            events.first { $0["name"] as? String == name }.map { (($0["args"] as? [String: Any])?["status"] as? String, $0["dur"] as? Int) }
        }
        #expect(slice("a")?.status == "unfinished" && slice("a")?.dur == 7_000_000)
        #expect(slice("fetch")?.status == "unanswered" && slice("fetch")?.dur == 4_000_000)
        // Two calls without call_id: each answered in turn.
        #expect(slice("grep")?.dur == 1_000_000 && slice("sed")?.dur == 2_000_000 && slice("b")?.status == "completed")
        #expect(events.filter { $0["name"] as? String == "run" }.count == 1)
    }

    @Test func theMarkdownReportShowsRevisionsStepsAndApprovals() async throws {
        let (t, run) = try await demoRun()
        let md = MarkdownReport.render(try t.journal.state(of: run.run))
        #expect(md.hasPrefix("# Run \(run.run)\n"))
        #expect(md.contains("added `fetch_rocksdb_archive`; removed `fetch_rocksdb`; changed `compare`"))
        #expect(md.contains("| `fetch_rocksdb` | removed | 2 |"))
        #expect(md.contains("step `publish` granted by policy"))
        #expect(md.contains("## Final answer\n\n```markdown\nPublished the recommendation"))
        #expect(md.hasSuffix("\n```\n"))
    }

    /// The final answer is the agent's Markdown source in a fence: its headings cannot pass
    /// for the report's sections, nor its HTML reach the reader, nor its own fences end ours.
    @Test func theFinalAnswerStaysInsideItsFence() throws {
        let t = try TemporaryJournal()
        let answer = "## Findings\n- **critical** all good\n<img src=x onerror=alert(1)>\n````\nend"
        let completed = JSONValue.string(answer).jsonText
        _ = try t.journal.ingest(
            text: [
                #"{"run":"f","seq":1,"ts":"2026-11-24T10:00:01Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"f","seq":2,"ts":"2026-11-24T10:00:02Z","kind":"run.completed","data":{"status":"succeeded","final_answer":"#
                    + completed + "}}",
            ].joined(separator: "\n") + "\n")
        let md = MarkdownReport.render(try t.journal.state(of: "f"))
        #expect(md.hasSuffix("## Final answer\n\n`````markdown\n" + answer + "\n`````\n"), "\(md)")
    }

    /// Step ids with a pipe or backticks keep the Steps table's columns and their code spans.
    @Test func stepIDsWithPipesAndBackticksStayInTheirCell() throws {
        let t = try TemporaryJournal()
        _ = try t.journal.ingest(
            text: [
                #"{"run":"m","seq":1,"ts":"2026-11-24T10:00:01Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"m","seq":2,"ts":"2026-11-24T10:00:02Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"fetch|parse"},{"id":"b"},{"id":"x`y","depends_on":["fetch|parse","b"]}]}}"#,
            ].joined(separator: "\n") + "\n")
        let md = MarkdownReport.render(try t.journal.state(of: "m"))
        #expect(md.contains(#"| `fetch\|parse` | pending |"#))
        #expect(md.contains("| ``x`y`` | pending |"))
        // The plan line says what each step waits for: `fetch|parse` and `b` run side by side.
        #expect(md.contains("`fetch|parse`, `b`, ``x`y`` (after `fetch|parse`, `b`)"), "\(md)")
    }

    /// Control characters an agent wrote (an escape sequence that clears the screen, NUL, BEL, a
    /// bidirectional override) reach no one who prints the report: each is U+FFFD.
    @Test func controlCharactersInAgentTextAreReplaced() throws {
        let t = try TemporaryJournal()
        _ = try t.journal.ingest(
            text: [
                #"{"run":"e","seq":1,"ts":"2026-11-24T10:00:01Z","kind":"run.started","data":{"goal":"g\u001b]52;c;ZWNobyBoaQ==\u0007"}}"#,
                #"{"run":"e","seq":2,"ts":"2026-11-24T10:00:02Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"a\u001b[2J"}]}}"#,
                #"{"run":"e","seq":3,"ts":"2026-11-24T10:00:03Z","kind":"run.completed","data":{"status":"failed","final_answer":"x\u0000y\u202Ez\n\tdone\r\nOK"}}"#,
            ].joined(separator: "\n") + "\n")
        let md = MarkdownReport.render(try t.journal.state(of: "e"))
        #expect(!md.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x202E })
        #expect(md.contains("`a\u{FFFD}[2J`") && md.contains("x\u{FFFD}y\u{FFFD}z\n\tdone\nOK"), "\(md)")
    }

    /// Text from the agent (run id, goal, approver, replan reason) cannot start a heading, a
    /// table or an HTML comment that would hide the rest of the report.
    @Test func agentTextCannotChangeTheReportsStructure() throws {
        let t = try TemporaryJournal()
        let run = #"m\n<!-- x"#
        _ = try t.journal.ingest(
            text: [
                #"{"run":"\#(run)","seq":1,"ts":"2026-11-24T10:00:01Z","kind":"run.started","data":{"goal":"Clean up\n<!-- draft\n---"}}"#,
                #"{"run":"\#(run)","seq":2,"ts":"2026-11-24T10:00:02Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"a"}]}}"#,
                #"{"run":"\#(run)","seq":3,"ts":"2026-11-24T10:00:03Z","kind":"approval.resolved","actor":"human:ana\n\n|fake|table|\n|---|---|","data":{"version":1,"decision":"granted"}}"#,
                #"{"run":"\#(run)","seq":4,"ts":"2026-11-24T10:00:04Z","kind":"replan.triggered","data":{"reason":"late\n# Everything is fine <img src=x onerror=alert(1)>"}}"#,
            ].joined(separator: "\n") + "\n")
        let md = MarkdownReport.render(try t.journal.state(of: "m\n<!-- x"))
        let lines = md.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.filter { $0.hasPrefix("#") } == ["# Run m \\<!-- x", "## Plan versions", "## Steps", "## Approvals", "## Replans"])
        #expect(!lines.contains { $0.hasPrefix("<") || $0.hasPrefix("|fake") || $0.hasPrefix("---") })
        #expect(md.contains("**Goal:** Clean up \\<!-- draft ---"))
        #expect(md.contains("by human:ana  \\|fake\\|table\\| \\|---\\|---\\|"))
        #expect(md.contains("late # Everything is fine \\<img src=x onerror=alert(1)\\>"))
    }
}
