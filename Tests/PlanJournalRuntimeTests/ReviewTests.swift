import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Synchronization
import Testing

/// A reviewer that answers with the given reviews in turn (the last one again and again) and
/// remembers the versions it saw.
final class ScriptedReviewer: Reviewer {
    let name = "scripted-reviewer"
    let reviews: [PlanReview]
    let versions = Mutex<[Int]>([])

    init(_ reviews: [PlanReview]) { self.reviews = reviews }

    func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        let n = versions.withLock { v in
            v.append(version)
            return v.count - 1
        }
        return reviews[min(n, reviews.count - 1)]
    }
}

@Suite struct ReviewTests {
    let first = [step("a")]
    let second = [step("a"), step("b")]

    @Test func changesRequestedSendsThePlanBackToThePlannerAndReviewsTheRevision() async throws {
        let t = try TemporaryJournal()
        let planner = ScriptedPlanner(plans: [first, second])
        let reviewer = ScriptedReviewer([
            PlanReview(verdict: "changes_requested", score: 0.2, comments: ["add b", "keep a"]),
            PlanReview(verdict: "approved", score: 1),
        ])
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: executor, reviewer: reviewer)
            .start(.init(goal: "review me"))
        #expect(result.status == "succeeded")
        #expect(executor.count("b") == 1)
        #expect(reviewer.versions.withLock { $0 } == [1, 2])
        let request = try #require(planner.requests.withLock { $0.last })
        #expect(request.previous == first)
        #expect(request.replan == ReplanReason(reason: "changes_requested", stepID: nil, details: "add b\nkeep a"))
        #expect(request.review?.verdict == "changes_requested" && request.review?.comments == ["add b", "keep a"])
        #expect(request.review?.score == 0.2)
        let events = try t.journal.events(of: result.run)
        let trigger = try #require(events.first { $0.kind == "replan.triggered" })
        #expect(trigger.dataString("reason") == "changes_requested" && trigger.data("step_id") == nil)
        #expect(trigger.dataString("details") == "add b\nkeep a")
        let revised = try #require(events.first { $0.kind == "plan.revised" })
        #expect(revised.actor == "planner" && revised.dataString("reason") == "changes_requested")
        #expect(result.state.reviews.map(\.verdict) == ["changes_requested", "approved"])
        #expect(result.state.totals.replans == 1)
        #expect(try t.journal.verify(run: result.run).ok)
    }

    @Test func revisionsForTheReviewerCountAgainstMaxReplans() async throws {
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.maxReplans = 2
        let reviewer = ScriptedReviewer([PlanReview(verdict: "changes_requested", comments: ["never good"])])
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [first, second]), executor: executor, reviewer: reviewer,
            options: options
        ).start(.init(goal: "picky"))
        #expect(result.stoppedBy == "max_replans" && result.status == "failed")
        #expect(result.state.totals.replans == 2)
        #expect(reviewer.versions.withLock { $0 } == [1, 2, 3])
        #expect(executor.calls.withLock { $0 }.isEmpty)
    }

    @Test func anAmendedPlanRunsAsTheReviewerWroteItWithoutAnotherReview() async throws {
        let t = try TemporaryJournal()
        let reviewer = ScriptedReviewer([PlanReview(verdict: "amended", comments: ["added c"], steps: [step("a"), step("c", ["a"])])])
        let planner = ScriptedPlanner(plans: [first])
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: executor, reviewer: reviewer)
            .start(.init(goal: "amend"))
        #expect(result.status == "succeeded")
        #expect(reviewer.versions.withLock { $0 } == [1])
        #expect(planner.requests.withLock { $0.count } == 1)
        #expect(executor.count("c") == 1)
        let revised = try #require(try t.journal.events(of: result.run).first { $0.kind == "plan.revised" })
        #expect(revised.actor == "reviewer" && revised.dataString("reason") == "amended by the reviewer")
        #expect(result.state.currentPlan?.steps.map(\.id) == ["a", "c"])
        #expect(result.state.totals.replans == 0)
    }

    @Test func amendedWithoutStepsIsABadReply() async throws {
        let t = try TemporaryJournal()
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [first]), executor: executor,
            reviewer: ScriptedReviewer([PlanReview(verdict: "amended", comments: ["fix it"])])
        ).start(.init(goal: "amend nothing"))
        #expect(result.stoppedBy == "reviewer_error" && result.error?.type == "bad_reply")
        #expect(executor.calls.withLock { $0 }.isEmpty)
        #expect(result.state.reviews.isEmpty)
    }

    /// A run killed right after its plan came back with `changes_requested` is revised by resume.
    @Test func resumeRevisesAPlanTheReviewerSentBack() async throws {
        let t = try TemporaryJournal()
        var r = RunBuilder(run: "sent-back")
        try r.add("run.started", #"{"goal":"resume me"}"#)
        try r.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#, actor: "planner")
        try r.add(
            "plan.reviewed", #"{"version":1,"verdict":"changes_requested","score":0.1,"comments":["add b"]}"#,
            actor: "reviewer")
        _ = try await t.journal.append(r.events, to: "sent-back", expecting: .noRun)
        let planner = ScriptedPlanner(plans: [second])
        let reviewer = ScriptedReviewer([PlanReview(verdict: "approved")])
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: executor, reviewer: reviewer)
            .resume(run: "sent-back")
        #expect(result.status == "succeeded")
        #expect(planner.requests.withLock { $0.first?.review?.comments } == ["add b"])
        #expect(reviewer.versions.withLock { $0 } == [2])
        #expect(executor.count("a") == 1 && executor.count("b") == 1)
        #expect(result.state.totals.replans == 1)
    }

    /// Killed between `plan.proposed` and its review: resume has the plan reviewed before it runs.
    @Test func resumeReviewsAPlanThatWasNeverReviewed() async throws {
        let t = try TemporaryJournal()
        var r = RunBuilder(run: "unreviewed")
        try r.add("run.started", #"{"goal":"resume me"}"#)
        try r.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#, actor: "planner")
        _ = try await t.journal.append(r.events, to: "unreviewed", expecting: .noRun)
        let reviewer = ScriptedReviewer([PlanReview(verdict: "rejected", comments: ["no"])])
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [first]), executor: executor, reviewer: reviewer
        ).resume(run: "unreviewed")
        #expect(result.stoppedBy == "plan_rejected")
        #expect(executor.calls.withLock { $0 }.isEmpty)
    }
}

@Suite struct ResumePlanningTests {
    /// Killed after `replan.triggered`, before the planner answered: resume asks the planner for
    /// that replan, without a second trigger, and the replan counts once.
    @Test func resumeAsksThePlannerForAnUnansweredReplanOnce() async throws {
        let t = try TemporaryJournal()
        var r = RunBuilder(run: "mid-replan")
        try r.add("run.started", #"{"goal":"resume me"}"#)
        try r.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]}]}"#, actor: "planner")
        try r.add("step.started", #"{"step_id":"a","attempt":1}"#, actor: "executor")
        try r.add("step.failed", #"{"step_id":"a","attempt":1,"error":{"message":"boom"},"retryable":true}"#, actor: "executor")
        try r.add("step.started", #"{"step_id":"a","attempt":2}"#, actor: "executor")
        try r.add("step.failed", #"{"step_id":"a","attempt":2,"error":{"message":"boom"},"retryable":true}"#, actor: "executor")
        try r.add("replan.triggered", #"{"reason":"step_failed","step_id":"a","details":"boom"}"#)
        _ = try await t.journal.append(r.events, to: "mid-replan", expecting: .noRun)
        var options = RunnerOptions()
        options.maxReplans = 1
        let planner = ScriptedPlanner(plans: [[step("a2"), step("b", ["a2"])]])
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: executor, options: options)
            .resume(run: "mid-replan")
        #expect(result.status == "succeeded", "\(result.error?.message ?? "")")
        #expect(planner.requests.withLock { $0.map(\.replan?.stepID) } == ["a"])
        #expect(result.state.totals.replans == 1)
        #expect(executor.count("a") == 0 && executor.count("a2") == 1 && executor.count("b") == 1)
    }

    /// A step whose last failure said `retryable: false` is not tried again by resume: its
    /// failure is final and goes to the planner.
    @Test func resumeDoesNotRetryAStepWhoseFailureWasNotRetryable() async throws {
        let t = try TemporaryJournal()
        var r = RunBuilder(run: "final")
        try r.add("run.started", #"{"goal":"resume me"}"#)
        try r.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b"}]}"#, actor: "planner")
        try r.add("step.started", #"{"step_id":"a","attempt":1}"#, actor: "executor")
        try r.add("step.started", #"{"step_id":"b","attempt":1}"#, actor: "executor")
        try r.add("step.failed", #"{"step_id":"a","attempt":1,"error":{"message":"no"},"retryable":false}"#, actor: "executor")
        _ = try await t.journal.append(r.events, to: "final", expecting: .noRun)
        let planner = ScriptedPlanner(plans: [[step("a2"), step("b")]])
        let executor = ScriptedExecutor()
        let result = try await PlanRunner(journal: t.journal, planner: planner, executor: executor).resume(run: "final")
        #expect(executor.count("a") == 0)
        #expect(executor.count("b") == 1 && executor.count("a2") == 1)
        #expect(planner.requests.withLock { $0.map(\.replan?.stepID) } == ["a"])
        #expect(result.status == "succeeded")
    }
}
