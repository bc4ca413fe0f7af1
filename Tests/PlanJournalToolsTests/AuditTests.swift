import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalTestSupport
import PlanJournalTools
import Testing

@testable import PlanJournalStore

/// Each audit rule on a run built to trigger it, and clean runs that trigger none.
@Suite struct AuditTests {
    /// A run with a two-step plan (`b` depends on `a`) whose steps follow `body`.
    private func run(
        steps: String = #"[{"id":"a"},{"id":"b","depends_on":["a"]}]"#, config: String = "{}",
        _ body: (inout RunBuilder) throws -> Void
    ) throws -> RunBuilder {
        var b = RunBuilder(run: "r")
        try b.add("run.started", #"{"goal":"g","config":\#(config)}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":\#(steps)}"#)
        try body(&b)
        return b
    }

    private func findings(_ b: RunBuilder) -> [Finding] { RunAudit.findings(run: b.run, events: b.events) }

    private func complete(_ b: inout RunBuilder, _ step: String, output: String = "done") throws {
        try b.add("step.started", #"{"step_id":"\#(step)"}"#)
        try b.add("step.completed", #"{"step_id":"\#(step)","output":"\#(output)"}"#)
    }

    @Test func cleanRunsHaveNoFindings() async throws {
        #expect(findings(try RunBuilder.complete(run: "clean", steps: 6)).isEmpty)
        let t = try TemporaryJournal()
        let demo = try await PlanRunner(
            journal: t.journal, planner: DemoPlanner(), executor: DemoExecutor(pace: 0.05), tools: DemoExecutor.tools
        ).start(.init(goal: DemoPlanner.goal))
        // Step times depend on the machine's load: a slow step is the one finding a busy machine may add.
        #expect(try RunAudit(run: demo.run, in: t.journal).findings.filter { $0.code != "behaviour.slow-step" } == [])
        _ = try t.journal.ingest(file: Fixtures.validContract)
        for r in try t.journal.runs() {
            #expect(try RunAudit(run: r.id, in: t.journal).findings.allSatisfy { $0.severity < .error })
        }
    }

    /// A kind neither known nor `x.*` is a warning, once per kind, naming its first event.
    @Test func unknownKindsAreWarnedOnce() throws {
        let b = try run { b in
            try b.add("step.started", #"{"step_id":"a"}"#)
            try b.add("step.complete", #"{"step_id":"a"}"#)
            try b.add("x.acme.beat", "{}")
            try b.add("step.complete", #"{"step_id":"a"}"#)
        }
        let unknown = findings(b).filter { $0.code == "contract.unknown-kind" }
        #expect(unknown.count == 1)
        #expect(unknown.first?.seq == 4 && unknown.first?.severity == .warning && unknown.first?.step == "a")
        #expect(unknown.first?.message.contains("did you mean step.completed?") == true)
    }

    @Test func aStepBeforeItsDependencyIsAnError() throws {
        let b = try run { b in
            try b.add("step.started", #"{"step_id":"a"}"#)
            try b.add("step.started", #"{"step_id":"b"}"#)
            try b.add("step.completed", #"{"step_id":"a"}"#)
            try b.add("step.completed", #"{"step_id":"b"}"#)
            try b.add("run.completed", #"{"status":"succeeded"}"#)
        }
        let f = findings(b)
        #expect(f.map(\.code) == ["order.dependency"])
        #expect(f.first?.seq == 4 && f.first?.step == "b" && f.first?.severity == .error)
        #expect(f.first?.message.contains("dependency a") == true)
    }

    /// An attempt ends once and after it started; a replan answers a failure; a success is borne
    /// out by its plan; a limit names the model call that crossed it.
    @Test func endsRepliesAndOutcomesAreCheckedAgainstWhatHappened() throws {
        let twice = try run { b in
            try complete(&b, "a")
            try b.add("step.completed", #"{"step_id":"a","output":"again"}"#)
        }
        #expect(findings(twice).contains { $0.code == "order.ended-twice" && $0.seq == 5 && $0.step == "a" })
        let unstarted = try run { b in try b.add("step.failed", #"{"step_id":"a","error":{"message":"m"}}"#) }
        #expect(findings(unstarted).contains { $0.code == "order.end-without-start" && $0.seq == 3 })
        let replan = try run { b in
            try complete(&b, "a")
            try b.add("replan.triggered", #"{"reason":"step_failed","step_id":"a"}"#)
        }
        #expect(findings(replan).contains { $0.code == "order.replan-without-failure" && $0.seq == 5 })
        let success = try run { b in
            try b.add("step.started", #"{"step_id":"a"}"#)
            try b.add("step.failed", #"{"step_id":"a","error":{"message":"m"}}"#)
            try b.add("run.completed", #"{"status":"succeeded"}"#)
        }
        #expect(findings(success).filter { $0.code == "outcome.status" }.map(\.step) == ["a", "b"])
        let budget = try run(config: #"{"budget_usd":0.01}"#) { b in
            try b.add("step.started", #"{"step_id":"a"}"#)
            try b.add("call.model", #"{"step_id":"a","model":"m","cost_usd":0.006}"#)
            try b.add("call.model", #"{"step_id":"a","model":"m","cost_usd":0.006}"#)
        }
        #expect(findings(budget).contains { $0.code == "limit.budget" && $0.seq == 5 && $0.step == "a" })
    }

    @Test func aStepTheCurrentPlanNoLongerHoldsIsAnError() throws {
        let b = try run { b in
            try b.add("plan.revised", #"{"version":2,"base_version":1,"removed":["b"],"reason":"simpler"}"#)
            try complete(&b, "a")
            try complete(&b, "b")
            try b.add("run.completed", #"{"status":"succeeded"}"#)
        }
        #expect(findings(b).map(\.code) == ["order.step-not-in-plan"])
        #expect(findings(b).first?.seq == 6)
    }

    /// Each start is checked against the plan current at that moment: a step a revision removed,
    /// then one that added it back with another dependency.
    @Test func eachStartIsCheckedAgainstThePlanCurrentThen() throws {
        let b = try run { b in
            try complete(&b, "a")
            try b.add("plan.revised", #"{"version":2,"base_version":1,"removed":["b"],"reason":"simpler"}"#)
            try b.add("step.started", #"{"step_id":"b"}"#)
            try b.add("plan.revised", #"{"version":3,"base_version":2,"added":[{"id":"c"},{"id":"b","depends_on":["c"]}]}"#)
            try b.add("step.started", #"{"step_id":"b"}"#)
        }
        let f = findings(b).filter { $0.code.hasPrefix("order.") && $0.severity == .error }
        #expect(f.map(\.code) == ["order.step-not-in-plan", "order.dependency"])
        #expect(f.map(\.seq) == [6, 8])
        #expect(f.last?.message.contains("dependency c") == true)
    }

    @Test func aCauseMustBeAnEarlierEvent() throws {
        var b = RunBuilder(run: "c")
        try b.add("run.started", #"{"goal":"g"}"#)
        try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#)
        var events = b.events
        for (seq, cause) in [(3, 2), (4, 4), (5, 9)] as [(Int64, Int64)] {
            events.append(
                try JournalEvent(
                    run: "c", seq: seq, ts: Timestamp(microseconds: 1_000_000 * seq), kind: "note", cause: cause,
                    data: JSONValue(parsing: #"{"n":1}"#)))
        }
        let f = RunAudit.findings(run: "c", events: events).filter { $0.code == "order.cause" }
        #expect(f.map(\.seq) == [4, 5])
        #expect(f.allSatisfy { $0.severity == .warning })
        #expect(f.last?.message == "its cause 9 is not an earlier event of the run")
    }

    /// Plan versions numbered again or downwards, and reviews or approvals of versions no plan
    /// defined, are warnings (the contract lets them through).
    @Test func planVersionsGoUpAndAreNamedAsDefined() throws {
        let b = try run { b in
            try b.add("plan.reviewed", #"{"version":9,"verdict":"approved"}"#)
            try b.add("plan.revised", #"{"version":3,"base_version":1,"added":[{"id":"c"}]}"#)
            try b.add("plan.revised", #"{"version":2,"base_version":3}"#)
            try b.add("plan.revised", #"{"version":3,"base_version":2}"#)
            try b.add("approval.requested", #"{"version":42}"#)
            try b.add("approval.requested", #"{"step_id":"a"}"#)
        }
        let f = findings(b).filter { $0.code.hasPrefix("plan.version") }
        #expect(f.map(\.code) == ["plan.version-unknown", "plan.version-order", "plan.version-order", "plan.version-unknown"])
        #expect(f.map(\.seq) == [3, 5, 6, 7])
        #expect(f[1].message == "plan version 2 comes after version 3")
        #expect(f[2].message == "plan version 3 again (first at seq 4)")
    }

    @Test func gatedStepsAndPlansMustBeApprovedAndDenialsRespected() throws {
        let gated = #"[{"id":"a","requires_approval":true},{"id":"b","requires_approval":true}]"#
        let pending = try run(steps: gated) { b in
            try b.add("approval.requested", #"{"step_id":"a"}"#)
            try complete(&b, "a")
            try b.add("approval.resolved", #"{"step_id":"b","decision":"denied"}"#)
            try complete(&b, "b")
        }
        #expect(findings(pending).filter { $0.severity == .error }.map(\.code) == ["order.unapproved", "order.denied"])
        let unrecorded = try run(steps: gated) { b in
            try b.add("approval.resolved", #"{"step_id":"a","decision":"granted"}"#)
            try complete(&b, "a")
            try complete(&b, "b")
            try b.add("run.completed", #"{"status":"succeeded"}"#)
        }
        #expect(findings(unrecorded).map { "\($0.severity) \($0.code) \($0.step ?? "")" } == ["warning order.unapproved b"])
        let plan = try run { b in
            try b.add("approval.requested", #"{"version":1}"#)
            try complete(&b, "a")
        }
        #expect(findings(plan).first { $0.severity == .error }?.message.contains("plan version 1 awaited approval") == true)
    }

    @Test func eventsAfterCompletionAndUnfinishedStepsAreErrors() throws {
        var b = try run { b in
            try b.add("step.started", #"{"step_id":"a"}"#)
            try b.add("run.completed", #"{"status":"failed"}"#)
        }
        #expect(findings(b).map(\.code) == ["order.unfinished-step"])
        try b.add("note", #"{"message":"late"}"#)
        try b.add("note", #"{"message":"later"}"#)
        let late = findings(b).first { $0.code == "order.after-completion" }
        #expect(late?.seq == 5 && late?.message.contains("2 events in all") == true)

        let cancelled = try run { b in
            try b.add("step.started", #"{"step_id":"a"}"#)
            try b.add("run.completed", #"{"status":"cancelled"}"#)
        }
        #expect(findings(cancelled).isEmpty)
        let crashed = try run { b in try b.add("step.started", #"{"step_id":"a"}"#) }
        #expect(findings(crashed).map { "\($0.severity) \($0.code)" } == ["info run.incomplete"])
    }

    @Test func toolLoopsButNotRetriesThatReissueACall() throws {
        let loop = try run { b in
            try b.add("step.started", #"{"step_id":"a"}"#)
            for k in 1...3 { try b.add("call.tool", #"{"step_id":"a","call_id":"c\#(k)","tool":"search","args":{"q":"x"}}"#) }
            try b.add("call.tool", #"{"step_id":"a","call_id":"c9","tool":"search","args":{"q":"y"}}"#)
            try b.add("step.completed", #"{"step_id":"a"}"#)
        }
        let f = findings(loop).filter { $0.code == "behaviour.tool-loop" }
        #expect(f.count == 1 && f.first?.seq == 6 && f.first?.message.contains("3 times") == true)

        let retries = try run { b in
            for attempt in 1...3 {
                try b.add("step.started", #"{"step_id":"a","attempt":\#(attempt)}"#)
                try b.add("call.tool", #"{"step_id":"a","tool":"search","args":{"q":"x"}}"#)
                try b.add("step.failed", #"{"step_id":"a","attempt":\#(attempt),"error":{"message":"503"}}"#)
            }
        }
        #expect(!findings(retries).contains { $0.code == "behaviour.tool-loop" })
    }

    @Test func retryAndReplanStorms() throws {
        let b = try run { b in
            for attempt in 1...4 {
                try b.add("step.started", #"{"step_id":"a","attempt":\#(attempt)}"#)
                try b.add("step.failed", #"{"step_id":"a","attempt":\#(attempt),"error":{"message":"503"}}"#)
                try b.add("replan.triggered", #"{"reason":"step_failed","step_id":"a"}"#)
            }
        }
        let f = findings(b)
        #expect(f.filter { $0.code == "behaviour.retry-storm" }.map(\.seq) == [13])
        #expect(f.filter { $0.code == "behaviour.replan-storm" }.map(\.seq) == [11])
    }

    /// A step started again and again by crashes (resumes) without failing is no retry storm.
    @Test func restartsAfterCrashesAreNoRetryStorm() throws {
        let b = try run { b in
            for attempt in 1...4 {
                try b.add("step.started", #"{"step_id":"a","attempt":\#(attempt)}"#)
                try b.add("note", #"{"message":"resumed"}"#)
            }
            try b.add("step.completed", #"{"step_id":"a","output":"x"}"#)
        }
        #expect(!findings(b).contains { $0.code == "behaviour.retry-storm" })
    }

    @Test func limitsDeclaredInRunStartedAreChecked() throws {
        let b = try run(config: #"{"budget_usd":0.002,"max_tokens":100,"max_steps":1,"max_replans":0}"#) { b in
            try b.add("step.started", #"{"step_id":"a"}"#)
            try b.add("call.model", #"{"step_id":"a","model":"m","usage":{"input_tokens":90,"output_tokens":20},"cost_usd":0.003}"#)
            try b.add("step.completed", #"{"step_id":"a"}"#)
            try b.add("replan.triggered", #"{"reason":"surprise"}"#)
            try complete(&b, "b")
            try b.add("run.completed", #"{"status":"succeeded"}"#)
        }
        #expect(Set(findings(b).map(\.code)) == ["limit.budget", "limit.tokens", "limit.steps", "limit.replans"])
        #expect(findings(b).allSatisfy { $0.severity == .warning })
    }

    /// The timeout bounds each drive of a run (from its start or its last resume), and a run the
    /// timeout stopped may take a moment to journal its end.
    @Test func aRunIsLongerThanItsTimeoutOnlyWithinOneDrive() throws {
        func timed(_ body: (inout RunBuilder) throws -> Void) throws -> [String] {
            findings(try run(config: #"{"timeout_s":2}"#) { b in try body(&b) }).map(\.code).filter { $0 == "limit.time" }
        }
        #expect(try timed { b in
            b.wait(milliseconds: 2500)
            try b.add("run.completed", #"{"status":"failed","stopped_by":"timeout"}"#)
        }.isEmpty)
        #expect(try timed { b in
            b.wait(milliseconds: 2500)
            try b.add("run.completed", #"{"status":"succeeded"}"#)
        } == ["limit.time"])
        // A resume given a longer timeout: its limits hold.
        #expect(try timed { b in
            try b.add("note", #"{"message":"resumed","resumed_after_seq":2,"limits":{"timeout_s":60}}"#)
            b.wait(milliseconds: 30_000)
            try b.add("run.completed", #"{"status":"succeeded"}"#)
        }.isEmpty)
        #expect(try timed { b in
            b.wait(milliseconds: 3_600_000)
            try b.add("note", #"{"message":"resumed","resumed_after_seq":3}"#)
            b.wait(milliseconds: 1000)
            try b.add("run.completed", #"{"status":"succeeded"}"#)
        }.isEmpty)
    }

    @Test func unexpectedObservationsUnusedStepsAndOutliers() throws {
        let steps = (0..<6).map { #"{"id":"s\#($0)"}"# }.joined(separator: ",")
        let b = try run(steps: "[\(steps)]") { b in
            try b.add("step.started", #"{"step_id":"s0"}"#)
            try b.add("step.observed", #"{"step_id":"s0","ok":true,"matches_expected":false}"#)
            try b.add("step.completed", #"{"step_id":"s0","output":"alpha result","duration_ms":100}"#)
            for k in 1..<5 {
                try b.add("step.started", #"{"step_id":"s\#(k)"}"#)
                try b.add("step.completed", #"{"step_id":"s\#(k)","output":"out \#(k)","duration_ms":\#(100 + k)}"#)
            }
            try b.add("step.started", #"{"step_id":"s5"}"#)
            try b.add("call.model", #"{"step_id":"s5","model":"m","cost_usd":0.5}"#)
            try b.add("step.completed", #"{"step_id":"s5","output":"slow","duration_ms":9000}"#)
            try b.add("run.completed", #"{"status":"succeeded","final_answer":"We found: alpha result, out 1, out 2, out 3, slow."}"#)
        }
        let f = findings(b)
        #expect(f.first { $0.code == "behaviour.unexpected-observation" }?.seq == 4)
        #expect(f.filter { $0.code == "behaviour.unused-step" }.map(\.step) == ["s4"])
        #expect(f.filter { $0.code == "behaviour.slow-step" }.map(\.step) == ["s5"])
        #expect(f.filter { $0.code == "behaviour.expensive-step" }.map(\.step) == ["s5"])
        #expect(f.allSatisfy { $0.severity <= .warning })
    }

    @Test func aTamperedJournalIsAnIntegrityError() throws {
        let t = try TemporaryJournal()
        let b = try RunBuilder.complete(run: "victim")
        _ = try t.journal.ingest(text: b.jsonl)
        #expect(try RunAudit(run: "victim", in: t.journal).findings.isEmpty)
        let db = try SQLiteConnection(path: t.path)
        try db.statement("UPDATE runs SET head_hash = zeroblob(32) WHERE id = 'victim'").run()
        let audit = try RunAudit(run: "victim", in: t.reopen())
        #expect(audit.worst == .error)
        #expect(audit.findings.contains { $0.code.hasPrefix("integrity.") })
    }
}
