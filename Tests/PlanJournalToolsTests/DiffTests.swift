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
