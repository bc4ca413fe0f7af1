import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Synchronization
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
        var lines = ""
        for k in 0..<live.map(\.count).max()! {
            for run in live where k < run.count { lines += run[k].jsonLine + "\n" }
        }
        let done = Mutex(false)
        let appending = Task {
            defer { done.withLock { $0 = true } }
            return try await s.planj("append", stdin: lines)
        }
        var verifies = 0
        var failures: [String] = []
        while !done.withLock({ $0 }) || verifies == 0 {
            let v = try await s.planj("verify", "--json")
            if v.status != 0 { failures.append(v.stdout + v.stderr) }
            verifies += 1
        }
        let appended = try await appending.value
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(failures.isEmpty, "\(failures.count) of \(verifies) verifies failed: \(failures.first ?? "")")
        let last = try await s.planj("verify")
        #expect(last.status == 0, "\(last.stdout)")
    }
}
