import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

/// Journals that older planj builds wrote (`Tests/Fixtures/upgrade`): this planj opens them,
/// upgrades them once and says so, reads every event back as those builds printed it, and
/// verifies and goes on writing them.
@Suite struct UpgradeTests {
    @Test(arguments: [1, 4])
    func aJournalOfAnOlderFormatIsUpgradedReadBackAndVerified(version: Int) async throws {
        let s = try PlanjSandbox("planj-upgrade-v\(version)")
        let fixtures = Fixtures.repositoryRoot + "/Tests/Fixtures/upgrade/format-v\(version)"
        let load = try await ChildProcess.run(
            "python3", ["-c", "import sqlite3, sys; sqlite3.connect(sys.argv[2]).executescript(open(sys.argv[1]).read())", fixtures + ".sql", s.journal])
        try #require(load.status == 0, "\(load.stderr)")

        let runs = try await s.planj("runs", "--json")
        #expect(runs.status == 0, "\(runs.stderr)")
        #expect(runs.stderr.contains("upgraded from format version \(version) to"), "\(runs.stderr)")
        // Said once: the journal is current from then on.
        #expect(try await s.planj("runs").stderr.isEmpty)

        let ids = try #require(try JSONValue(parsing: runs.stdout).arrayValue).compactMap { $0["id"]?.stringValue }
        var events: [String] = []
        for id in ids {
            let r = try await s.planj("events", id)
            #expect(r.status == 0, "\(r.stderr)")
            events += r.stdout.split(separator: "\n").map(String.init)
        }
        let expected = try Fixtures.lines(fixtures + ".events.jsonl")
        #expect(events.count == expected.count && Set(events) == Set(expected))

        let verify = try await s.planj("verify")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        // Written to as any journal: a new run, and a fork of an old one.
        let more = try RunBuilder.complete(run: "after-upgrade", steps: 3)
        #expect(try await s.planj("ingest", "-", stdin: more.jsonl).status == 0)
        #expect(try await s.planj("fork", "floats", "--at", "3", "--as", "floats-fork").status == 0)
        #expect(try await s.planj("verify").status == 0)
    }
}
