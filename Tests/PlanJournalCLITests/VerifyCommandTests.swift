import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

/// `planj verify` as a real process beside a real `planj append` process writing to the runs it
/// checks (a cron job next to running agents).
@Suite struct VerifyCommandTests {
    @Test func verifyWhileAnotherProcessAppendsFindsNothingWrong() async throws {
        let s = try PlanjSandbox("planj-verify")
        let settled = try (0..<3).map { try RunBuilder.complete(run: "settled-\($0)", steps: 10, payloadBytes: 300).jsonl }
        #expect(try await s.planj("ingest", "-", stdin: settled.joined()).status == 0)
        // Four live runs, their events interleaved one by one, each acknowledged before the next.
        let live = try (0..<4).map { try RunBuilder.complete(run: "live-\($0)", steps: 80, payloadBytes: 200).events }
        let r = try await s.whileAppending(RunBuilder.interleaved(live), repeat: ["verify", "--json"])
        #expect(r.appended.status == 0, "\(r.appended.stderr)")
        #expect(r.failures.isEmpty, "\(r.failures.count) of \(r.runs) verifies failed: \(r.failures.first ?? "")")
        let last = try await s.planj("verify")
        #expect(last.status == 0, "\(last.stdout)")
    }
}
