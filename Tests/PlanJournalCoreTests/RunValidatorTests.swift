import PlanJournalTestSupport
import Testing

@testable import PlanJournalCore

@Suite struct RunValidatorTests {
    private func event(_ seq: Int64, _ kind: String, _ data: String, run: String = "r") throws -> JournalEvent {
        try JournalEvent(
            run: run, seq: seq, ts: Timestamp(microseconds: 1_795_514_400_000_000 + seq), kind: kind,
            data: JSONValue(parsing: data))
    }

    /// Validates `events` in order and returns the field of the first error, if any.
    private func firstErrorField(_ events: [JournalEvent]) -> (seq: Int64?, field: String?)? {
        var v = RunValidator(run: "r")
        for e in events {
            do {
                try v.validate(e)
            } catch {
                return (error.context.seq, error.context.field)
            }
        }
        return nil
    }

    private var started: JournalEvent { get throws { try event(1, "run.started", #"{"goal":"g"}"#) } }
    private var plan: JournalEvent {
        get throws {
            try event(
                2, "plan.proposed",
                #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]},{"id":"c","depends_on":["a","b"]}]}"#)
        }
    }

    @Test func acceptsTheContractExamples() throws {
        var validators: [String: RunValidator] = [:]
        for line in try Fixtures.lines(Fixtures.validContract) {
            let e = try JournalEvent(parsing: line)
            var v = validators[e.run] ?? RunValidator(run: e.run)
            try v.validate(e)
            validators[e.run] = v
        }
        #expect(validators.count == 2)
        #expect(validators.values.allSatisfy { $0.completed })
    }

    @Test func eachRuleNamesItsField() throws {
        let s = try started
        let p = try plan
        #expect(firstErrorField([try event(1, "note", "{}")])?.field == "kind")
        #expect(firstErrorField([try event(1, "run.started", #"{"goal":3}"#)])?.field == "data.goal")
        #expect(firstErrorField([s, try event(3, "note", "{}")])?.field == "seq")
        #expect(firstErrorField([s, try event(1, "note", "{}")])?.field == "seq")
        #expect(firstErrorField([s, try event(2, "plan.proposed", #"{"version":"1","steps":[]}"#)])?.field == "data.version")
        #expect(firstErrorField([s, try event(2, "plan.proposed", #"{"version":1}"#)])?.field == "data.steps")
        #expect(
            firstErrorField([s, try event(2, "plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"a"}]}"#)])?.field
                == "data.steps[1].id")
        #expect(
            firstErrorField([s, try event(2, "plan.proposed", #"{"version":1,"steps":[{"id":"a","depends_on":["z"]}]}"#)])?
                .field == "data.steps[0].depends_on")
        #expect(
            firstErrorField([
                s, try event(2, "plan.proposed", #"{"version":1,"steps":[{"id":"a","depends_on":["b"]},{"id":"b","depends_on":["a"]}]}"#),
            ])?.field == "data.steps")
        #expect(firstErrorField([s, p, try event(3, "step.started", #"{"step_id":"zz"}"#)])?.field == "data.step_id")
        #expect(firstErrorField([s, p, try event(3, "call.tool", #"{"step_id":"a"}"#)])?.field == "data.tool")
        #expect(firstErrorField([s, try event(2, "call.model", #"{}"#)])?.field == "data.model")
        #expect(firstErrorField([s, try event(2, "plan.reviewed", #"{"version":1,"verdict":"meh"}"#)])?.field == "data.verdict")
        #expect(firstErrorField([s, try event(2, "approval.resolved", #"{"decision":"maybe"}"#)])?.field == "data.decision")
        #expect(firstErrorField([s, try event(2, "replan.triggered", #"{}"#)])?.field == "data.reason")
        #expect(firstErrorField([s, try event(2, "run.completed", #"{"status":"great"}"#)])?.field == "data.status")
        #expect(
            firstErrorField([s, try event(2, "run.completed", #"{"status":"failed"}"#), try event(3, "note", "{}")])?.field
                == "kind")
        #expect(firstErrorField([s, try event(2, "run.started", #"{"goal":"again"}"#)])?.field == "kind")
    }

    @Test func revisionsResolveAgainstTheirBaseAndAreChecked() throws {
        let s = try started
        let p = try plan
        let revised = try event(
            3, "plan.revised",
            #"{"version":2,"base_version":1,"removed":["b"],"changed":[{"id":"c","depends_on":["a","d"]}],"added":[{"id":"d"}]}"#)
        var v = RunValidator(run: "r")
        for e in [s, p, revised] { try v.validate(e) }
        #expect(v.plans[2]?.map(\.id) == ["a", "c", "d"])
        #expect(v.knownSteps == ["a", "b", "c", "d"])
        // b is gone from v2 but still a step of v1, so events may name it.
        try v.validate(try event(4, "step.skipped", #"{"step_id":"b","reason":"removed"}"#))

        let unknownBase = try event(3, "plan.revised", #"{"version":2,"base_version":7}"#)
        #expect(firstErrorField([s, p, unknownBase])?.field == "data.base_version")
        let danglingDependency = try event(3, "plan.revised", #"{"version":2,"base_version":1,"removed":["a"]}"#)
        #expect(firstErrorField([s, p, danglingDependency])?.field == "data.removed")
        let numberRemoved = try event(3, "plan.revised", #"{"version":2,"base_version":1,"removed":["c",5]}"#)
        #expect(firstErrorField([s, p, numberRemoved])?.field == "data.removed[1]")
        let duplicateAdd = try event(3, "plan.revised", #"{"version":2,"base_version":1,"added":[{"id":"a"}]}"#)
        #expect(firstErrorField([s, p, duplicateAdd])?.field == "data.added[0].id")
    }

    @Test func unknownAndExtensionKindsPassThrough() throws {
        var v = RunValidator(run: "r")
        try v.validate(try started)
        try v.validate(try event(2, "x.acme.heartbeat", #"{"cpu":0.3}"#))
        try v.validate(try event(3, "future.kind", #"{"anything":[1]}"#))
        #expect(v.lastSeq == 3)
    }

    /// Step ids are compared as text (canonical equivalence), as the runner, audit, diff and the
    /// exports compare them: `é` and `e` + U+0301 are one id, so a plan holding both is refused as
    /// a duplicate, and a step event may name either spelling.
    @Test func canonicallyEquivalentStepIDsAreOneID() throws {
        var v = RunValidator(run: "r")
        try v.validate(try started)
        #expect(throws: JournalError.self) {
            try v.validate(
                try event(2, "plan.proposed", #"{"version":1,"steps":[{"id":"\u00e9"},{"id":"e\u0301","depends_on":["\u00e9"]}]}"#))
        }
        try v.validate(try event(2, "plan.proposed", #"{"version":1,"steps":[{"id":"\u00e9"}]}"#))
        try v.validate(try event(3, "step.started", #"{"step_id":"e\u0301"}"#))
    }

    @Test func aFailedEventLeavesTheValidatorAsItWas() throws {
        var v = RunValidator(run: "r")
        try v.validate(try started)
        try v.validate(try plan)
        let before = (v.lastSeq, v.knownSteps, v.plans)
        #expect(throws: JournalError.self) { try v.validate(try event(3, "step.started", #"{"step_id":"nope"}"#)) }
        #expect(v.lastSeq == before.0 && v.knownSteps == before.1 && v.plans == before.2)
    }

    /// The fork command a seq gap at a run's start suggests can be pasted into a shell whatever
    /// the run id holds.
    @Test func theForkHintQuotesTheRunIdForAShell() throws {
        #expect("f-1.b/c=2".shellWord == "f-1.b/c=2")
        #expect("my run".shellWord == "'my run'" && "café".shellWord == "'café'")
        #expect("it's; rm -rf ~".shellWord == #"'it'\''s; rm -rf ~'"#)
        #expect("".shellWord == "''")
        var v = RunValidator(run: "a b")
        #expect {
            try v.validate(try event(6, "note", "{}", run: "a b"))
        } throws: { error in
            (error as? JournalError)?.message.contains("--as='a b',") == true
        }
    }
}

