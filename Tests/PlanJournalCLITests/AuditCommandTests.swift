import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

/// `planj audit` as a real process: its report, its JSON and its exit status.
@Suite struct AuditCommandTests {
    /// A journal with a clean run, a run with a warning (an observation that did not match) and,
    /// when `broken`, a run with an error (a step before its dependency).
    private func sandbox(broken: Bool) async throws -> PlanjSandbox {
        let s = try PlanjSandbox("planj-audit")
        var lines = try RunBuilder.complete(run: "clean").jsonl
        var warned = RunBuilder(run: "warned")
        try warned.add("run.started", #"{"goal":"g"}"#)
        try warned.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"},{"id":"b","depends_on":["a"]}]}"#)
        try warned.add("step.started", #"{"step_id":"a"}"#)
        try warned.add("step.observed", #"{"step_id":"a","ok":true,"matches_expected":false}"#)
        try warned.add("step.completed", #"{"step_id":"a"}"#)
        if broken { try warned.add("step.started", #"{"step_id":"b"}"#) }
        try warned.add("run.completed", #"{"status":"succeeded"}"#)
        lines += warned.jsonl
        #expect(try await s.planj("ingest", "-", stdin: lines).status == 0)
        return s
    }

    @Test func exitStatusFollowsFailOn() async throws {
        let s = try await sandbox(broken: false)
        let clean = try await s.planj("audit", "clean")
        #expect(clean.status == 0 && clean.stdout.contains("audited 1 run: 0 errors, 0 warnings, 0 info"))
        let all = try await s.planj("audit", "--all")
        #expect(all.status == 0)
        #expect(all.stdout.contains("warning behaviour.unexpected-observation  run warned seq 4 step a: "))
        #expect(try await s.planj("audit", "--all", "--fail-on", "warning").status == 1)
        #expect(try await s.planj("audit", "--all", "--fail-on", "info").status == 1)

        let broken = try await sandbox(broken: true)
        let failed = try await broken.planj("audit", "--all")
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("error   order.unfinished-step  run warned step b: "))
        #expect(try await broken.planj("audit", "--all", "--fail-on", "never").status == 0)
    }

    @Test func jsonListsFindingsPerRunWithCounts() async throws {
        let s = try await sandbox(broken: true)
        let r = try await s.planj("audit", "--all", "--json")
        #expect(r.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let counts = try #require(object["counts"] as? [String: Int])
        #expect(counts == ["error": 1, "warning": 1, "info": 0])
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.map { $0["run"] as? String } == ["clean", "warned"])
        let finding = try #require((runs[1]["findings"] as? [[String: Any]])?.first)
        #expect(finding["severity"] as? String == "warning" && finding["seq"] as? Int == 4 && finding["step"] as? String == "a" && finding["step_id"] as? String == "a")
    }

    /// Runs are audited several at a time; the report still lists them oldest first, each with
    /// its own findings.
    @Test func manyRunsAreReportedInOrderWithTheirOwnFindings() async throws {
        let s = try PlanjSandbox("planj-audit-many")
        var lines = ""
        let ids = (0..<24).map { String(format: "run-%02d", $0) }
        for (k, id) in ids.enumerated() {
            var b = RunBuilder(run: id)
            try b.add("run.started", #"{"goal":"g"}"#)
            try b.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#)
            try b.add("step.started", #"{"step_id":"a"}"#)
            try b.add("step.observed", k % 3 == 0 ? #"{"step_id":"a","ok":true,"matches_expected":false}"# : #"{"step_id":"a","ok":true}"#)
            try b.add("step.completed", #"{"step_id":"a"}"#)
            try b.add("run.completed", #"{"status":"succeeded"}"#)
            lines += b.jsonl
        }
        #expect(try await s.planj("ingest", "-", stdin: lines).status == 0)
        let r = try await s.planj("audit", "--all", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.map { $0["run"] as? String } == ids)
        for (k, run) in runs.enumerated() {
            let findings = try #require(run["findings"] as? [[String: Any]])
            #expect(findings.count == (k % 3 == 0 ? 1 : 0), "run \(ids[k])")
            #expect(findings.allSatisfy { $0["run"] as? String == ids[k] })
        }
        #expect((object["counts"] as? [String: Int])?["warning"] == 8)
    }

    @Test func trustRequiresASealByATrustedKey() async throws {
        let s = try await sandbox(broken: false)
        #expect(try await s.planj("keygen", "-o", s.path("ci.key")).status == 0)
        #expect(try await s.planj("seal", "clean", "--key", s.path("ci.key")).status == 0)
        let sealed = try await s.planj("audit", "clean", "--trust", s.path("ci.key.pub"))
        #expect(sealed.status == 0, "\(sealed.stdout)\(sealed.stderr)")
        let unsealed = try await s.planj("audit", "warned", "--trust", s.path("ci.key.pub"))
        #expect(unsealed.status == 1)
        #expect(unsealed.stdout.contains("error   seal.untrusted  run warned"), "\(unsealed.stdout)")
    }

    @Test func anUnknownRunIsAClearError() async throws {
        let s = try await sandbox(broken: false)
        let r = try await s.planj("audit", "nope")
        #expect(r.status != 0 && r.stderr.contains("nope"))
        #expect(try await s.planj("audit", "clean", "--all").status != 0)
    }
}
