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

    /// On a terminal, verify shows how far it has come on standard error (under `script`, which
    /// gives it one), and the line is gone before the result; `--quiet`, or a pipe, shows none.
    @Test func verifyShowsProgressOnATerminalOnly() async throws {
        let s = try PlanjSandbox("planj-verify-progress")
        let runs = try (0..<3).map { try RunBuilder.complete(run: "r\($0)", steps: 4, payloadBytes: 100).jsonl }
        #expect(try await s.planj("ingest", "-", stdin: runs.joined()).status == 0)
        let planj = try #require(Fixtures.planjBinary)
        func onTerminal(_ extra: String) async throws -> String {
            let command = "\(planj.shellWord) --journal \(s.journal.shellWord) verify\(extra)"
            var environment = ProcessInfo.processInfo.environment
            environment["TERM"] = "xterm"
            let r = try await ChildProcess.run("script", ["-qec", command, "/dev/null"], in: s.directory, environment: environment)
            #expect(r.status == 0, "\(r.stdout)")
            return r.stdout
        }
        let shown = try await onTerminal("")
        #expect(shown.contains("verify: 3/3 runs, ") && shown.contains("\r\u{1B}[Kok: 3 runs"), "\(shown)")
        #expect(!(try await onTerminal(" --quiet")).contains("verify: "))
        let piped = try await s.planj("verify")
        #expect(piped.status == 0 && piped.stderr.isEmpty, "\(piped.stderr)")
    }
}
