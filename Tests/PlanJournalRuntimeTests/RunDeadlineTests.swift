import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// A planner that never answers (until cancelled).
private struct SilentPlanner: Planner {
    let name = "silent-planner"
    func plan(_ request: PlanningRequest) async throws -> PlanProposal {
        try await Task.sleep(for: .seconds(3600))
        throw RuntimeError("unreachable", "slept an hour")
    }
}

/// A reviewer that answers `verdict`.
private struct FixedReviewer: Reviewer {
    let name = "fixed-reviewer"
    let verdict: String
    func review(goal: String, steps: [PlanStep], version: Int) async throws -> PlanReview {
        PlanReview(verdict: verdict, score: nil, comments: [], calls: [])
    }
}

/// `--timeout` and cancellation reach every call the runner waits on, not only steps.
@Suite(.timeLimit(.minutes(1))) struct RunDeadlineTests {
    @Test func theTimeoutEndsARunWhosePlannerNeverAnswers() async throws {
        let t = try TemporaryJournal()
        var options = RunnerOptions()
        options.timeout = .milliseconds(200)
        let result = try await PlanRunner(journal: t.journal, planner: SilentPlanner(), executor: ScriptedExecutor(), options: options)
            .start(.init(goal: "wait forever", runID: "silent"))
        #expect(result.status == "failed" && result.stoppedBy == "timeout")
        #expect(try t.journal.events(of: "silent").last?.kind == "run.completed")
    }

    @Test func cancellingWhileThePlannerThinksJournalsACancelledRun() async throws {
        let t = try TemporaryJournal()
        let runner = PlanRunner(journal: t.journal, planner: SilentPlanner(), executor: ScriptedExecutor())
        let task = Task { try await runner.start(.init(goal: "cancel me", runID: "c2")) }
        for try await e in t.journal.subscribe(to: "c2", pollInterval: .milliseconds(10)) where e.kind == "run.started" {
            task.cancel()
            break
        }
        let result = try await task.value
        #expect(result.status == "cancelled" && result.stoppedBy == "cancelled")
    }

    /// A verdict outside the contract's was journaled, which the journal refused: the run was left
    /// open, and `resume` then ran the plan unreviewed.
    @Test func aVerdictOutsideTheContractEndsTheRunAsAReviewerError() async throws {
        let t = try TemporaryJournal()
        let result = try await PlanRunner(
            journal: t.journal, planner: ScriptedPlanner(plans: [[step("a")]]), executor: ScriptedExecutor(),
            reviewer: FixedReviewer(verdict: "LGTM")
        ).start(.init(goal: "review me"))
        #expect(result.status == "failed" && result.stoppedBy == "reviewer_error")
        #expect(result.error?.message.contains(#"the verdict "LGTM" is not one of"#) == true)
        #expect(try t.journal.verify(run: result.run).ok)
    }
}
