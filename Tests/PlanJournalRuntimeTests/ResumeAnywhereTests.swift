import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// A run cut off after any of its events and resumed ends as the run that was never interrupted:
/// the resume takes the events through the runner's own decisions (retries, replans of failures
/// and judged mismatches, changed steps run again, approvals), whatever the point.
@Suite struct ResumeAnywhereTests {
    /// b fails for good until a replan fixes it; c fails once (retryable); m's output is judged not
    /// to match until a replan changes it; g needs an approval; d needs b and c.
    static func plan(fixed: Bool) -> [PlanStep] {
        [
            PlanStep(id: "a", description: "fetch"),
            PlanStep(id: "m", description: fixed ? "summarize well" : "summarize", dependsOn: ["a"], expectedOutput: .string("a summary")),
            PlanStep(id: "b", description: fixed ? "parse carefully" : "parse", dependsOn: ["a"]),
            PlanStep(id: "c", description: "flaky", dependsOn: ["a"]),
            PlanStep(id: "g", description: "publish", dependsOn: ["m"], requiresApproval: true),
            PlanStep(id: "d", description: "report", dependsOn: ["b", "c", "g"]),
        ]
    }

    struct Outcome: Equatable, CustomStringConvertible {
        var status: String
        var steps: [String]
        var versions: Int
        var replans: Int
        /// The plan versions reviewed, and those approved.
        var reviewed: [Int]
        var approved: [Int]
        var description: String {
            "\(status) v\(versions) r\(replans) reviewed \(reviewed) approved \(approved) \(steps.joined(separator: " "))"
        }
    }

    static func runner(_ journal: Journal) -> PlanRunner {
        let planner = ClosurePlanner(name: "p") { request in PlanProposal(steps: plan(fixed: request.replan != nil)) }
        let executor = ClosureExecutor(name: "e") { request, _ in
            switch (request.step.id, request.step.description ?? "") {
            // An executor's own failure of the type the runner gives attempts it cuts off.
            case ("b", "parse"): throw RuntimeError("cancelled", "b gave up parsing", retryable: false)
            case ("c", _) where request.attempt == 1: throw RuntimeError("timeout", "c timed out", retryable: true)
            default: return StepAnswer(output: "\(request.step.id): \(request.step.description ?? "")")
            }
        }
        var options = RunnerOptions()
        options.parallel = 2
        options.maxAttempts = 3
        options.approvePlan = true
        let reviewer = ClosureReviewer(name: "r") { _, _, _ in PlanReview(verdict: "approved") }
        return PlanRunner(
            journal: journal, planner: planner, executor: executor, reviewer: reviewer, judge: LooseJudge(), options: options)
    }

    /// Says "summarize" (not "summarize well") does not match.
    struct LooseJudge: Judge {
        let name = "loose"
        func judge(goal: String, step: PlanStep, output: String) async throws -> Judgement {
            Judgement(matches: output != "m: summarize", reason: "too short")
        }
    }

    static func outcome(_ result: RunResult, _ events: [JournalEvent]) -> Outcome {
        let plan = result.state.currentPlan?.steps.map(\.id) ?? []
        let versions = { (kind: EventKind) in
            events.filter { $0.knownKind == kind && $0.dataString("step_id") == nil }.compactMap { $0.dataInt("version").map(Int.init) }
        }
        return Outcome(
            status: result.status, steps: plan.map { "\($0):\(result.state.step($0)?.status.rawValue ?? "-")" },
            versions: result.state.plans.count, replans: result.state.totals.replans, reviewed: versions(.planReviewed),
            approved: versions(.approvalResolved))
    }

    @Test(.timeLimit(.minutes(2))) func aRunResumedAfterAnyOfItsEventsEndsAsTheUninterruptedRun() async throws {
        let t = try TemporaryJournal()
        let whole = try await Self.runner(t.journal).start(.init(goal: "anywhere", runID: "w"))
        let events = try t.journal.events(of: "w")
        let expected = Self.outcome(whole, events)
        #expect(expected.status == "succeeded" && expected.replans == 1 && expected.versions == 2)
        #expect(expected.reviewed == [1, 2] && expected.approved == [1, 2])
        #expect(events.contains { $0.knownKind == .stepObserved && $0.dataBool("matches_expected") == false })
        for cut in 1..<(events.count - 1) {
            let j = try TemporaryJournal()
            _ = try await j.journal.append(Array(events[..<cut]), to: "w", expecting: .noRun)
            let resumed = try await Self.runner(j.journal).resume(run: "w")
            #expect(
                Self.outcome(resumed, try j.journal.events(of: "w")) == expected, "cut after seq \(cut) (\(events[cut - 1].kind))")
            let attempts = Dictionary(grouping: try j.journal.events(of: "w").filter { $0.knownKind == .stepStarted }) {
                $0.dataString("step_id") ?? ""
            }
            // No step is tried more often than it was plus the attempt the cut interrupted.
            for (id, starts) in attempts {
                let before = events.filter { $0.knownKind == .stepStarted && $0.dataString("step_id") == id }.count
                #expect(starts.count <= before + 1, "cut after seq \(cut): step \(id) started \(starts.count) times")
            }
        }
    }
}
