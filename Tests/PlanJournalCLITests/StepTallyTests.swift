import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalCLI

/// The status line's tally, kept event by event, equals a count over the current plan after
/// every event: on the contract's runs and on a run whose revisions remove and add back steps.
@Suite struct StepTallyTests {
    @Test func theTallyEqualsACountOverTheCurrentPlanAfterEachEvent() throws {
        var r = RunBuilder(run: "t")
        try r.add("run.started", #"{"goal":"g"}"#)
        try r.add("step.started", #"{"step_id":"early"}"#)
        try r.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"},{"id":"c","depends_on":["a"]}]}"#)
        try r.add("step.started", #"{"step_id":"a"}"#)
        try r.add("step.started", #"{"step_id":"b"}"#)
        try r.add("step.completed", #"{"step_id":"a"}"#)
        try r.add("plan.revised", #"{"version":2,"base_version":1,"removed":["b"],"added":[{"id":"d"}]}"#)
        try r.add("step.started", #"{"step_id":"d"}"#)
        try r.add("plan.revised", #"{"version":3,"base_version":2,"added":[{"id":"b"}]}"#)
        try r.add("step.started", #"{"step_id":"b"}"#)
        try r.add("step.failed", #"{"step_id":"d","error":{"message":"x"}}"#)
        try r.add("step.completed", #"{"step_id":"b"}"#)
        try r.add("run.completed", #"{"status":"failed"}"#)
        var runs = [r.events]
        let contract = try Fixtures.lines(Fixtures.validContract).map { try JournalEvent(parsing: $0) }
        for run in Set(contract.map(\.run)).sorted() { runs.append(contract.filter { $0.run == run }) }
        for events in runs {
            var state = PlanState(run: events[0].run)
            var tally = StepTally()
            for e in events {
                PlanProjection().apply(&state, e)
                tally.update(state, after: e)
                let held = Set(state.currentPlan?.steps.map(\.id) ?? [])
                let steps = state.steps.filter { held.contains($0.id) }
                #expect(tally.planned == steps.count, "seq \(e.seq)")
                #expect(tally.done == steps.filter { $0.status == .completed }.count, "seq \(e.seq)")
                #expect(Set(tally.running) == Set(steps.filter { $0.status == .running }.map(\.id)), "seq \(e.seq)")
            }
        }
    }
}
