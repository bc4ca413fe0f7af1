import Foundation
import PlanJournalTestSupport
import Testing

@testable import PlanJournalCore

@Suite struct PlanProjectionTests {
    private func contractState(_ run: String, upTo seq: Int64 = .max) throws -> PlanState {
        let events = try Fixtures.lines(Fixtures.validContract).map { try JournalEvent(parsing: $0) }
            .filter { $0.run == run && $0.seq <= seq }
        return PlanProjection().fold(run: run, events)
    }

    @Test func foldsTheContractRun() throws {
        let s = try contractState("01JDQ8Z7K2V3M4N5P6Q7R8S9T0")
        #expect(s.status == "succeeded")
        #expect(s.plans.map(\.version) == [1, 2])
        #expect(s.currentVersion == 2)
        #expect(s.plans[1].added == ["fetch_a_mirror"])
        #expect(s.plans[1].removed == ["fetch_a"])
        #expect(s.plans[1].changed == ["compare"])
        let status = Dictionary(uniqueKeysWithValues: s.steps.map { ($0.id, $0.status) })
        #expect(
            status == [
                "fetch_a": .removed, "fetch_b": .completed, "compare": .completed, "publish": .completed,
                "fetch_a_mirror": .completed,
            ])
        #expect(s.step("fetch_a")?.error == "503 from example.org")
        #expect(s.totals.inputTokens == 1113 && s.totals.outputTokens == 265)
        #expect(abs(s.totals.costUSD - 0.0043) < 1e-9)
        #expect(s.step("compare")?.inputTokens == 301)
        #expect(s.approvals.map(\.decision) == ["requested", "granted"])
        #expect(s.replans.first?.reason == "fetch_a failed with 503; use the mirror")
        #expect(s.finalAnswer == "Posted m-991")
        #expect(s.reviews.first?.verdict == "approved")
    }

    /// Each step lists the plan versions that hold it, once each, also when a version number
    /// comes again (the contract does not forbid it).
    @Test func stepsListTheVersionsThatHoldThem() throws {
        var b = RunBuilder(run: "v")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]}]}"#)
        try b.add("plan.revised", #"{"version":2,"base_version":1,"removed":["b"]}"#)
        try b.add("plan.revised", #"{"version":1,"base_version":2,"added":[{"id":"c"}]}"#)
        try b.add("plan.revised", #"{"version":3,"base_version":1,"added":[{"id":"b"}]}"#)
        let s = PlanProjection().fold(run: "v", b.events)
        #expect(s.step("a")?.versions == [1, 2, 3])
        #expect(s.step("b")?.versions == [1, 3])
        #expect(s.step("c")?.versions == [1, 3])
    }

    /// `changed` replaces the step with its id in the base; an id the base lacks is added, and a
    /// later entry with that id in the same list replaces the added step.
    @Test func changedStepsReplaceTheirBaseStepOrAreAdded() throws {
        var b = RunBuilder(run: "c")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]},{"id":"c"}]}"#)
        try b.add(
            "plan.revised",
            #"{"version":2,"base_version":1,"removed":["a"],"changed":[{"id":"c","description":"c2"},{"id":"n","description":"n1"},{"id":"b"},{"id":"n","description":"n2"}],"added":[{"id":"z"}]}"#
        )
        let s = PlanProjection().fold(run: "c", b.events)
        let v2 = try #require(s.plans.last)
        #expect(v2.steps.map(\.id) == ["b", "c", "n", "z"])
        #expect(v2.steps.map(\.description) == [nil, "c2", "n2", nil])
        #expect(v2.steps[0].dependsOn == [])
        #expect(v2.changed == ["c", "b", "n"])
        #expect(v2.added == ["n", "z"])
        #expect(v2.removed == ["a"])
    }

    /// A step's tool is the plan in force's (it kept the first one given), and a model call
    /// naming a step no plan holds counts in the totals without making up a step.
    @Test func toolsFollowThePlanAndUnplannedStepsAreNotMadeUp() throws {
        var b = RunBuilder(run: "t")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"b","tool":"t1"}]}"#)
        try b.add("plan.revised", #"{"version":2,"base_version":1,"changed":[{"id":"b","tool":"t2"}]}"#)
        try b.add("call.model", #"{"step_id":"zzz","model":"m","usage":{"input_tokens":7},"cost_usd":0.25}"#)
        let s = PlanProjection().fold(run: "t", b.events)
        #expect(s.step("b")?.tool == "t2")
        #expect(s.step("zzz") == nil && s.steps.count == 1)
        #expect(s.totals.inputTokens == 7 && s.totals.costUSD == 0.25)
    }

    @Test func timeTravelShowsIntermediateStatuses() throws {
        let run = "01JDQ8Z7K2V3M4N5P6Q7R8S9T0"
        #expect(try contractState(run, upTo: 7).step("fetch_a")?.status == .running)
        #expect(try contractState(run, upTo: 13).step("fetch_a")?.status == .failed)
        #expect(try contractState(run, upTo: 22).step("publish")?.status == .awaitingApproval)
        #expect(try contractState(run, upTo: 23).step("publish")?.status == .pending)
        #expect(try contractState(run, upTo: 25).status == "running")
    }

    @Test func stateSurvivesACodableRoundTrip() throws {
        let s = try contractState("01JDQ8Z7K2V3M4N5P6Q7R8S9T0")
        let data = try JSONEncoder().encode(s)
        let back = try JSONDecoder().decode(PlanState.self, from: data)
        #expect(back == s)
        #expect(back.step("publish") == s.step("publish"))
    }

    /// StepState and Totals write their encoding by hand (to print costs without noise): every
    /// stored property is in it, so one added later cannot drop out of `show --json` unseen.
    @Test func handWrittenEncodingsHoldEveryProperty() throws {
        func keys(_ value: some Encodable) throws -> Set<String> {
            Set((try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any] ?? [:]).keys)
        }
        var step = PlanState.StepState(id: "s")
        (step.tool, step.description, step.startedAt, step.endedAt) = ("t", "d", Timestamp(microseconds: 1), Timestamp(microseconds: 2))
        (step.durationMs, step.outputSummary, step.error, step.lastObservationOK, step.matchesExpected) = (1, "o", "e", true, false)
        #expect(try keys(step) == Set(Mirror(reflecting: step).children.compactMap(\.label)))
        #expect(try keys(PlanState.Totals()) == Set(Mirror(reflecting: PlanState.Totals()).children.compactMap(\.label)))
    }

    @Test func floatNoiseIsRemovedFromWhatPrints() {
        let cases: [(Double, Double)] = [
            (0.1 + 0.2, 0.3), (0.03 - 0.01, 0.02), (0.010823 + 0.000001 + 0.3 - (0.1 + 0.2), 0.010824),
            (-(0.1 + 0.2), -0.3), (1234567.891 + 0.0000001, 1234567.891),
            // Twelve significant digits are kept; values outside the range, and the rest, as they are.
            (0.123456789012, 0.123456789012), (0, 0), (1e-12, 1e-12), (1e300, 1e300), (-1e308, -1e308),
            (.infinity, .infinity), (7, 7), (0.5, 0.5),
        ]
        for (value, printed) in cases { #expect(value.withoutFloatNoise == printed, "\(value)") }
        #expect(Double.nan.withoutFloatNoise.isNaN)
        // A difference is rounded where its operands' noise is.
        #expect(0.730091.minusWithoutFloatNoise(0.73) == 0.000091 && 0.73.minusWithoutFloatNoise(0.730091) == -0.000091)
        #expect(0.3.minusWithoutFloatNoise(0.1 + 0.2) == 0 && 1234.567.minusWithoutFloatNoise(1000.123) == 234.444)
    }

    /// A step denied, changed by a replan and asked for again awaits the new decision; a grant
    /// lifts a denial (also one that came without a new request).
    @Test func aStepAskedForAgainAfterADenialAwaitsTheNewDecision() throws {
        var b = RunBuilder(run: "d")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"g","requires_approval":true},{"id":"h"}]}"#)
        try b.add("approval.requested", #"{"step_id":"g"}"#)
        try b.add("approval.resolved", #"{"step_id":"g","decision":"denied"}"#)
        try b.add("approval.requested", #"{"step_id":"h"}"#)
        try b.add("approval.resolved", #"{"step_id":"h","decision":"denied"}"#)
        try b.add(
            "plan.revised", #"{"version":2,"base_version":1,"changed":[{"id":"g","description":"staging","requires_approval":true}]}"#)
        try b.add("approval.requested", #"{"step_id":"g"}"#)
        let fold = { (n: Int) in PlanProjection().fold(run: "d", b.events.prefix(n)) }
        #expect(fold(4).step("g")?.status == .denied)
        // The revision changed g: no longer denied, to be asked about again; h it kept as it was.
        #expect(fold(7).step("g")?.status == .pending && fold(7).step("h")?.status == .denied)
        #expect(fold(8).step("g")?.status == .awaitingApproval)
        try b.add("approval.resolved", #"{"step_id":"g","decision":"granted"}"#)
        try b.add("approval.resolved", #"{"step_id":"h","decision":"granted"}"#)
        #expect(fold(9).step("g")?.status == .pending)
        #expect(fold(10).step("h")?.status == .pending)
    }

    /// A revision settles the failures it answers: a failed step it changes, and the one its
    /// replan was for when it keeps it, are pending again (as the runner runs them); a failure
    /// it neither changes nor was asked about stays, and so does a completed step it changes.
    @Test func aRevisionMakesTheFailuresItSettlesPending() throws {
        var b = RunBuilder(run: "f")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"}]}"#)
        for id in ["a", "b", "c", "d"] { try b.add("step.started", #"{"step_id":"\#(id)"}"#) }
        try b.add("step.completed", #"{"step_id":"d","output":"ok"}"#)
        for id in ["a", "b", "c"] { try b.add("step.failed", #"{"step_id":"\#(id)","error":{"message":"boom"},"retryable":false}"#) }
        try b.add("replan.triggered", #"{"reason":"step_failed","step_id":"a"}"#)
        try b.add(
            "plan.revised",
            #"{"version":2,"base_version":1,"changed":[{"id":"b","description":"another way"},{"id":"d","description":"again"}]}"#)
        let state = PlanProjection().fold(run: "f", b.events)
        #expect(state.steps.map(\.status) == [.pending, .pending, .failed, .completed])
        // What the failed attempts said is kept until the next attempt ends.
        #expect(state.step("a")?.error == "boom" && state.step("a")?.attempts == 1)
        // A replan before the plan in force settles nothing in a later revision.
        try b.add("step.started", #"{"step_id":"a","attempt":2}"#)
        try b.add("step.failed", #"{"step_id":"a","error":{"message":"boom again"},"retryable":false}"#)
        try b.add("plan.revised", #"{"version":3,"base_version":2,"changed":[{"id":"d","description":"once more"}]}"#)
        let later = PlanProjection().fold(run: "f", b.events)
        #expect(later.step("a")?.status == .failed && later.step("c")?.status == .failed)
    }

    /// A retry's duration is unknown until it ends; an attempt skipped while it ran lasted until
    /// the skip; a null (or unreadable) judgement makes the match unknown again.
    @Test func durationsAndJudgementsAreTheLatestAttempts() throws {
        var b = RunBuilder(run: "r")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"}]}"#)
        try b.add("step.started", #"{"step_id":"a"}"#)
        try b.add("step.observed", #"{"step_id":"a","matches_expected":false}"#)
        try b.add("step.completed", #"{"step_id":"a","output":"x","duration_ms":3000}"#)
        try b.add("step.started", #"{"step_id":"a","attempt":2}"#)
        var s = PlanProjection().fold(run: "r", b.events)
        #expect(s.step("a")?.status == .running && s.step("a")?.durationMs == nil && s.step("a")?.matchesExpected == false)
        try b.add("step.observed", #"{"step_id":"a","matches_expected":null}"#)
        try b.add("step.started", #"{"step_id":"b"}"#)
        b.wait(milliseconds: 1999)
        try b.add("step.skipped", #"{"step_id":"b","reason":"not needed"}"#)
        s = PlanProjection().fold(run: "r", b.events)
        #expect(s.step("a")?.matchesExpected == nil)
        #expect(s.step("b")?.status == .skipped && s.step("b")?.durationMs == 2000)
        try b.add("step.observed", #"{"step_id":"a","matches_expected":"yes"}"#)
        try b.add("step.observed", #"{"step_id":"a","ok":true}"#)
        s = PlanProjection().fold(run: "r", b.events)
        #expect(s.step("a")?.matchesExpected == nil && s.step("a")?.lastObservationOK == true)
    }

    /// What ended a run early and why, as its `run.completed` says; kept by the binary form.
    @Test func theRunsEndSaysWhatStoppedItAndWhy() throws {
        for (data, stoppedBy, error) in [
            (#"{"status":"failed","stopped_by":"reviewer_error","error":{"type":"bad_reply","message":"no verdict"}}"#,
             "reviewer_error", "bad_reply: no verdict"),
            (#"{"status":"failed","error":"disk full"}"#, nil, "disk full"),
            (#"{"status":"succeeded"}"#, nil, nil),
        ] as [(String, String?, String?)] {
            var b = RunBuilder(run: "e")
            try b.add("run.started", #"{"goal":"g"}"#)
            try b.add("run.completed", data)
            let s = PlanProjection().fold(run: "e", b.events)
            #expect(s.stoppedBy == stoppedBy && s.error == error)
            #expect(try PlanState(binary: s.binaryEncoded()) == s)
        }
    }
}

