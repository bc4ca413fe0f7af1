import Foundation
import PlanJournalTestSupport
import Testing

/// Agents write whatever numbers they like where the contract asks for counts and durations:
/// every command reads such a run without trapping, and sums stop at their bounds.
@Suite struct ExtremeNumbersTests {

    /// A run whose tokens, attempts, versions, latencies, durations and costs sit at the limits of
    /// `Int64` and `Double` (and beyond: `1e400`), positive and negative.
    static let run: String = {
        let max = "9223372036854775807"
        let data = [
            ("run.started", #"{"goal":"numbers at their limits"}"#),
            ("plan.proposed", #"{"version":\#(max),"steps":[{"id":"a"},{"id":"b","depends_on":["a"]}]}"#),
            ("plan.reviewed", #"{"version":\#(max),"verdict":"approved","score":1e400}"#),
            ("call.model", #"{"step_id":null,"model":"m","usage":{"input_tokens":\#(max),"output_tokens":\#(max)},"latency_ms":1e20,"cost_usd":1e308}"#),
            ("call.model", #"{"step_id":null,"model":"m","usage":{"input_tokens":\#(max),"output_tokens":-\#(max)},"latency_ms":1e400,"cost_usd":1e308}"#),
            ("step.started", #"{"step_id":"a","attempt":\#(max)}"#),
            ("call.model", #"{"step_id":"a","model":"m","usage":{"input_tokens":-\#(max),"output_tokens":-1},"latency_ms":-1e20,"cost_usd":-1e308}"#),
            ("call.model", #"{"step_id":"a","model":"m","usage":{"input_tokens":\#(max)},"latency_ms":-1e400,"cost_usd":-1e308}"#),
            ("call.tool", #"{"step_id":"a","tool":"t","call_id":"c1"}"#),
            ("step.observed", #"{"step_id":"a","call_id":"c1","ok":true,"bytes":\#(max),"duration_ms":1e400}"#),
            ("step.completed", #"{"step_id":"a","output":"x","duration_ms":1e300}"#),
            ("step.started", #"{"step_id":"b","attempt":-\#(max)}"#),
            ("step.failed", #"{"step_id":"b","attempt":\#(max),"error":{"type":"E","message":"m"}}"#),
            ("replan.triggered", #"{"reason":"r","step_id":"b"}"#),
            ("plan.revised", #"{"version":-\#(max),"base_version":\#(max),"added":[{"id":"c"}],"removed":["b"],"reason":"r"}"#),
            ("step.started", #"{"step_id":"c","attempt":\#(max)}"#),
            ("step.completed", #"{"step_id":"c","output":"y","duration_ms":-1e20}"#),
            ("run.completed", #"{"status":"succeeded","totals":{"input_tokens":\#(max),"cost_usd":1e400}}"#),
        ]
        return data.enumerated().map { i, d in
            #"{"v":1,"run":"extreme","seq":\#(i + 1),"ts":"2026-11-24T10:00:\#(10 + i).000000Z","kind":"\#(d.0)","data":\#(d.1)}"#
        }.joined(separator: "\n") + "\n"
    }()

    @Test func everyCommandReadsARunOfExtremeNumbers() async throws {
        let s = try PlanjSandbox("planj-numbers")
        let ingest = try await s.planj("ingest", "-", stdin: Self.run)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let out = s.path("out")
        let commands: [[String]] = [
            ["runs"], ["runs", "--json"], ["show", "extreme"], ["show", "extreme", "--json"], ["audit", "extreme"],
            ["diff", "extreme", "extreme"], ["replay", "extreme", "--quiet"], ["stats"], ["verify"],
            ["sql", "SELECT * FROM read_calls"], ["watch", "extreme"],
            ["export", "extreme", "--format", "md", "-o", out + ".md"], ["export", "extreme", "--format", "html", "-o", out + ".html"],
            ["export", "extreme", "--format", "chrome", "-o", out + ".json"], ["export", "extreme", "--format", "otlp", "-o", out + ".otlp"],
            ["replay", "extreme", "--executor", "recorded", "--quiet"],
        ]
        for command in commands {
            let r = try await PlanjBinary.run(["--journal", s.journal] + command, in: s.directory)
            #expect(r.status < 2, "\(command): \(r.status) \(r.stderr.suffix(600))")
        }
        let show = try await s.planj("show", "extreme", "--json")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let totals = try #require(state["totals"] as? [String: Any])
        // Negative counts count 0; the sums stop at Int64.max; the costs stay finite.
        #expect(totals["input_tokens"] as? Int64 == Int64.max && totals["output_tokens"] as? Int64 == Int64.max)
        #expect((totals["cost_usd"] as? Double)?.isFinite == true)
        // A cost past 1e299 used to round to infinity and drop the run from `runs --json`.
        let costly = [
            #"{"run":"costly","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
            #"{"run":"costly","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"call.model","data":{"model":"m","cost_usd":1e300}}"#,
        ]
        #expect(try await s.planj("ingest", "-", stdin: costly.joined(separator: "\n")).status == 0)
        let runs = try await s.planj("runs", "--json")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])
        #expect(Set(list.compactMap { $0["id"] as? String }).isSuperset(of: ["extreme", "costly"]))
        #expect(list.contains { ($0["cost_usd"] as? Double) == 1e300 })
    }

    /// Sums and differences of costs print as the decimals they are: 0.1 + 0.2 is 0.3, not
    /// 0.30000000000000004, in every command that prints one.
    @Test func costSumsPrintWithoutFloatNoise() async throws {
        let s = try PlanjSandbox("planj-noise")
        func run(_ id: String, _ costs: [Double]) -> String {
            var lines = [
                #"{"run":"\#(id)","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
                #"{"run":"\#(id)","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"a"}]}}"#,
                #"{"run":"\#(id)","seq":3,"ts":"2026-11-24T10:00:02Z","kind":"step.started","data":{"step_id":"a"}}"#,
            ]
            for cost in costs {
                lines.append(
                    #"{"run":"\#(id)","seq":\#(lines.count + 1),"ts":"2026-11-24T10:00:03Z","kind":"call.model","data":{"step_id":"a","model":"m","cost_usd":\#(cost)}}"#)
            }
            lines.append(
                #"{"run":"\#(id)","seq":\#(lines.count + 1),"ts":"2026-11-24T10:00:04.000100Z","kind":"step.completed","data":{"step_id":"a","output":"o"}}"#)
            return lines.joined(separator: "\n") + "\n"
        }
        #expect(try await s.planj("ingest", "-", stdin: run("x", [0.1, 0.2]) + run("y", [0.010823, 0.000001, 0.3])).status == 0)
        let outputs = [
            try await s.planj("show", "x", "--json"), try await s.planj("runs", "--json"),
            try await s.planj("diff", "x", "y", "--json"), try await s.planj("replay", "x", "--json"),
            try await s.planj("sql", "SELECT cost_usd FROM read_runs UNION ALL SELECT cost_usd FROM read_steps", "--json"),
        ]
        for r in outputs {
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!r.stdout.contains("0000000000") && !r.stdout.contains("9999999999"), "\(r.stdout.prefix(2000))")
        }
        #expect(outputs[0].stdout.contains("0.3"))
        #expect(outputs[2].stdout.contains("0.310824") && outputs[2].stdout.contains("0.010824"))
    }
}
