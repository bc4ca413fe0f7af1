import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// Reviews over the subprocess protocol, with `tools/agents/example_agent.py` as every role.
@Suite struct ReviewCommandTests {
    let agent = "cmd:python3 " + Fixtures.repositoryRoot + "/tools/agents/example_agent.py"

    func run(_ s: PlanjSandbox, _ id: String, review: String) async throws -> PlanjBinary.Result {
        try await s.planj(
            "run", "--goal", "one two three four", "--planner", agent, "--executor", agent, "--reviewer", agent,
            "--run-id", id, "--quiet", environment: ["EXAMPLE_AGENT_REVIEW": review])
    }

    /// The plan the reviewer sends back goes to the planner with the review (`review` param), and
    /// the audit finds nothing wrong with that replan.
    @Test func changesRequestedReachThePlannerWithTheReview() async throws {
        let s = try PlanjSandbox("planj-review")
        let result = try await run(s, "cr", review: "changes_requested")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let events = try Journal(path: s.journal).events(of: "cr")
        #expect(events.filter { $0.kind == "plan.reviewed" }.compactMap { $0.dataString("verdict") } == ["changes_requested", "approved"])
        let trigger = try #require(events.first { $0.kind == "replan.triggered" })
        #expect(trigger.dataString("reason") == "changes_requested" && trigger.dataString("details") == "say what each step counts")
        let revised = try #require(events.first { $0.kind == "plan.revised" })
        #expect(revised.dataString("rationale") == "revised for the reviewer: say what each step counts")
        #expect(revised.dataString("reason") == "changes_requested")
        let audit = try await s.planj("audit", "cr", "--json")
        #expect(!audit.stdout.contains("replan-without-failure"), "\(audit.stdout)")
        #expect(audit.status == 0, "\(audit.stdout)")
    }

    /// An amended plan (review result `steps`) is journaled as the reviewer's revision and runs.
    @Test func anAmendedPlanIsTheReviewersRevision() async throws {
        let s = try PlanjSandbox("planj-review")
        let result = try await run(s, "am", review: "amended")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let events = try Journal(path: s.journal).events(of: "am")
        #expect(events.filter { $0.kind == "plan.reviewed" }.count == 1)
        let revised = try #require(events.first { $0.kind == "plan.revised" })
        #expect(revised.actor == "reviewer" && revised.dataString("reason") == "amended by the reviewer")
        let state = try Journal(path: s.journal).state(of: "am")
        #expect(state.currentPlan?.steps.allSatisfy { $0.description?.hasSuffix("(amended by the reviewer)") == true } == true)
        #expect(state.status == "succeeded")
    }
}
