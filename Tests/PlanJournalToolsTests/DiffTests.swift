import PlanJournalStore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalTools

@Suite struct LineDiffTests {
    /// Outputs with CRLF line ends (Windows tools, HTTP bodies) differ line by line, not as one
    /// line: `\r\n` is one Swift `Character`, which a split on `"\n"` never meets.
    @Test func crlfTextsDifferLineByLine() {
        let diff = LineDiff.lines("line1\r\nline2\r\nline3\r\n", "line1\r\nCHANGED\r\nline3\r\n")
        #expect(diff == ["  line1", "- line2", "+ CHANGED", "  line3", "  "])
    }
}

@Suite struct DivergenceTests {
    /// A step skipped in one run and left pending in the other is where they part (diff said
    /// "no divergence" while its table showed the step differ).
    /// Runs whose steps end alike but that went differently (a failed attempt in one) do not
    /// agree: a regression check on the exit status must see it.
    @Test func runsThatDivergedOnTheWayDoNotAgree() throws {
        let t = try TemporaryJournal()
        let head = { (run: String) in
            [
                #"{"run":"\#(run)","seq":1,"ts":"2026-11-24T10:00:01Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"\#(run)","seq":2,"ts":"2026-11-24T10:00:02Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"a"}]}}"#,
                #"{"run":"\#(run)","seq":3,"ts":"2026-11-24T10:00:03Z","kind":"step.started","data":{"step_id":"a"}}"#,
            ]
        }
        let straight = head("s") + [#"{"run":"s","seq":4,"ts":"2026-11-24T10:00:04Z","kind":"step.completed","data":{"step_id":"a","output":"x"}}"#]
        let retried = head("r") + [
            #"{"run":"r","seq":4,"ts":"2026-11-24T10:00:04Z","kind":"step.failed","data":{"step_id":"a","error":{"type":"tool_error","message":"m"}}}"#,
            #"{"run":"r","seq":5,"ts":"2026-11-24T10:00:05Z","kind":"step.started","data":{"step_id":"a","attempt":2}}"#,
            #"{"run":"r","seq":6,"ts":"2026-11-24T10:00:06Z","kind":"step.completed","data":{"step_id":"a","output":"x"}}"#,
        ]
        _ = try t.journal.ingest(text: (straight + retried).joined(separator: "\n") + "\n")
        let diff = try RunDiff("s", "r", in: t.journal)
        #expect(diff.steps.allSatisfy { $0.status == "same" } && diff.firstDivergence != nil && !diff.agree)
        #expect(try RunDiff("s", "s", in: t.journal).agree)
    }

    /// A step only one run planned neither newly fails nor is fixed in a replay's summary.
    @Test func aStepOnlyOneRunPlannedIsNotNewlyFailing() throws {
        let t = try TemporaryJournal()
        let run = { (id: String, steps: [String]) in
            var lines = [
                #"{"run":"\#(id)","seq":1,"ts":"2026-11-24T10:00:01Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"\#(id)","seq":2,"ts":"2026-11-24T10:00:02Z","kind":"plan.proposed","data":{"version":1,"steps":[\#(steps.map { #"{"id":"\#($0)"}"# }.joined(separator: ","))]}}"#,
            ]
            for (k, step) in steps.enumerated() {
                lines.append(#"{"run":"\#(id)","seq":\#(3 + 2 * k),"ts":"2026-11-24T10:00:03Z","kind":"step.started","data":{"step_id":"\#(step)"}}"#)
                lines.append(#"{"run":"\#(id)","seq":\#(4 + 2 * k),"ts":"2026-11-24T10:00:04Z","kind":"step.completed","data":{"step_id":"\#(step)","output":"o"}}"#)
            }
            return lines.joined(separator: "\n") + "\n"
        }
        _ = try t.journal.ingest(text: run("a", ["x", "y"]) + run("b", ["x", "z"]))
        let outcome = ReplayOutcome(try RunDiff("a", "b", in: t.journal))
        #expect(outcome.newlyFailing == 0 && outcome.fixed == 0 && !outcome.agree)
    }

    /// Structured outputs are compared as JSON, whatever order an executor wrote their keys in.
    @Test func structuredOutputsCompareWhateverTheirKeyOrder() throws {
        let t = try TemporaryJournal()
        let run = { (id: String, output: String) in
            [
                #"{"run":"\#(id)","seq":1,"ts":"2026-11-24T10:00:01Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"\#(id)","seq":2,"ts":"2026-11-24T10:00:02Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"x"}]}}"#,
                #"{"run":"\#(id)","seq":3,"ts":"2026-11-24T10:00:03Z","kind":"step.started","data":{"step_id":"x"}}"#,
                #"{"run":"\#(id)","seq":4,"ts":"2026-11-24T10:00:04Z","kind":"step.completed","data":{"step_id":"x","output":\#(output)}}"#,
            ].joined(separator: "\n") + "\n"
        }
        _ = try t.journal.ingest(
            text: run("a", #"{"a":1,"b":{"d":[1,{"f":2,"e":3}],"c":2}}"#) + run("b", #"{"b":{"c":2,"d":[1,{"e":3,"f":2}]},"a":1}"#)
                + run("c", #"{"a":1,"b":{"c":3}}"#))
        #expect(try RunDiff("a", "b", in: t.journal).agree)
        #expect(try !RunDiff("a", "c", in: t.journal).agree)
    }

    @Test func aSkippedStepIsADivergence() throws {
        let t = try TemporaryJournal()
        let events = { (run: String, last: String) in
            [
                #"{"run":"\#(run)","seq":1,"ts":"2026-11-24T10:00:01Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"\#(run)","seq":2,"ts":"2026-11-24T10:00:02Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"a"},{"id":"b"}]}}"#,
                #"{"run":"\#(run)","seq":3,"ts":"2026-11-24T10:00:03Z","kind":"step.started","data":{"step_id":"a"}}"#,
                #"{"run":"\#(run)","seq":4,"ts":"2026-11-24T10:00:04Z","kind":"step.completed","data":{"step_id":"a","output":"x"}}"#,
                last,
            ].joined(separator: "\n") + "\n"
        }
        _ = try t.journal.ingest(text: events("p", #"{"run":"p","seq":5,"ts":"2026-11-24T10:00:05Z","kind":"note","data":{}}"#))
        _ = try t.journal.ingest(text: events("s", #"{"run":"s","seq":5,"ts":"2026-11-24T10:00:05Z","kind":"step.skipped","data":{"step_id":"b","reason":"r"}}"#))
        let diff = try RunDiff("p", "s", in: t.journal)
        #expect(diff.firstDivergence?.reason == "nothing in a, step b skipped in b")
        #expect(diff.firstDivergence?.seqB == 5)
    }
}

@Suite struct PlanVersionDiffTests {
    /// Two runs: both complete a; `plain` completes b, `replanned` fails b, removes it and
    /// completes b2 instead. b is removed in `replanned`, not a step only `plain` has.
    func journal() throws -> TemporaryJournal {
        let t = try TemporaryJournal()
        var plain = RunBuilder(run: "plain")
        try plain.add("run.started", #"{"goal":"g"}"#)
        try plain.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]}]}"#)
        for id in ["a", "b"] {
            try plain.add("step.started", #"{"step_id":"\#(id)"}"#)
            try plain.add("step.completed", #"{"step_id":"\#(id)","output":"\#(id)!"}"#)
        }
        var replanned = RunBuilder(run: "replanned")
        try replanned.add("run.started", #"{"goal":"g"}"#)
        try replanned.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]}]}"#)
        try replanned.add("step.started", #"{"step_id":"a"}"#)
        try replanned.add("step.completed", #"{"step_id":"a","output":"a!"}"#)
        try replanned.add("step.started", #"{"step_id":"b"}"#)
        try replanned.add("step.failed", #"{"step_id":"b","error":{"message":"no"},"retryable":false}"#)
        try replanned.add("replan.triggered", #"{"reason":"step_failed","step_id":"b"}"#)
        try replanned.add(
            "plan.revised", #"{"version":2,"base_version":1,"added":[{"id":"b2","depends_on":["a"]}],"removed":["b"]}"#)
        try replanned.add("step.started", #"{"step_id":"b2"}"#)
        try replanned.add("step.completed", #"{"step_id":"b2","output":"b2!"}"#)
        _ = try t.journal.ingest(text: plain.jsonl + replanned.jsonl)
        return t
    }

    @Test func aStepARevisionRemovedIsReportedAsRemoved() throws {
        let t = try journal()
        let diff = try RunDiff("plain", "replanned", in: t.journal)
        let status = Dictionary(uniqueKeysWithValues: diff.steps.map { ($0.stepID, $0.status) })
        #expect(status == ["a": "same", "b": "removed_in_b", "b2": "only_in_b"])
        #expect(diff.steps.first { $0.stepID == "b" }?.b?.removed == true)
        #expect(diff.totals.removedInB == 1 && diff.totals.onlyInB == 1 && diff.totals.onlyInA == 0)
        let reverse = try RunDiff("replanned", "plain", in: t.journal)
        #expect(reverse.steps.first { $0.stepID == "b" }?.status == "removed_in_a")
    }

    /// A step both runs removed is compared as any other (a replay of a run that replanned).
    @Test func aStepBothRunsRemovedIsCompared() throws {
        let t = try journal()
        _ = try t.journal.fork("replanned", at: 10, as: "copy")
        let diff = try RunDiff("replanned", "copy", in: t.journal)
        #expect(diff.steps.map(\.stepID) == ["a", "b", "b2"])
        #expect(diff.agree)
    }
}
