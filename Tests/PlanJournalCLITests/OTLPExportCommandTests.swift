import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

/// `planj export --format otlp` and `--otlp-endpoint` as real processes, checked with the official
/// OpenTelemetry protobuf definitions and against a receiver on loopback.
@Suite(.serialized) struct OTLPExportCommandTests {
    let directory: String
    let journal: String

    init() throws {
        directory = NSTemporaryDirectory() + "planj-otlp-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        journal = directory + "/j.sqlite"
    }

    @discardableResult
    func planj(_ arguments: String..., environment: [String: String] = [:]) async throws -> PlanjBinary.Result {
        try await PlanjBinary.run(["--journal", journal] + arguments, in: directory, environment: environment)
    }

    /// A demo run recorded by `planj demo`.
    func demoRun() async throws -> String {
        let demo = try await planj("demo", "--json", "--pace", "0", "--quiet")
        #expect(demo.status == 0, "\(demo.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(demo.stdout.utf8)) as? [String: Any]
        return try #require(object?["run"] as? String)
    }

    @Test func theOTLPExportParsesWithTheOfficialDefinitions() async throws {
        let run = try await demoRun()
        let export = try await planj("export", run, "--format", "otlp")
        #expect(export.status == 0, "\(export.stderr)")
        let check = try await OTLPCheck.run(export.stdout)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.spans == 24)  // the root, 8 step attempts, 7 tool calls, 8 model calls
        #expect(check.names["invoke_agent planj"] == 1 && check.names["step fetch_rocksdb"] == 2)
        #expect(check.services == ["planj"])
        // -o writes the same bytes to a file; exporting again gives the same trace.
        let file = directory + "/trace.json"
        #expect(try await planj("export", run, "--format", "otlp", "-o", file).status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == export.stdout)
    }

    @Test func theEndpointGetsThePostWithTheHeaderAndNothingOnStdout() async throws {
        let run = try await demoRun()
        let receiver = try OTLPReceiver()
        // $OPENAI_API_KEY is for model servers: it must not reach the collector.
        let sent = try await planj(
            "export", run, "--otlp-endpoint", receiver.endpoint, "--header", "Authorization: Bearer collector-token",
            "--header", "X-Tenant: acme", environment: ["OPENAI_API_KEY": "sk-not-for-collectors"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.isEmpty)
        #expect(sent.stderr.contains("sent 24 spans of run \(run) to \(receiver.endpoint)/v1/traces"), "\(sent.stderr)")
        // With --json, a summary of what was sent.
        let again = try await planj("export", run, "--otlp-endpoint", receiver.endpoint, "--json")
        let entry = try #require(try JSONValue(parsing: Array(again.stdout.utf8))["runs"]?.arrayValue?.first)
        #expect(entry["run"]?.stringValue == run && entry["spans_sent"]?.int64Value == 24)
        #expect(entry["spans_rejected"]?.int64Value == 0 && entry["file"] == nil)
        let requests = try receiver.requests()
        #expect(requests.count == 2)
        let request = try #require(requests.first)
        #expect(request.path == "/v1/traces")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["authorization"] == "Bearer collector-token")
        #expect(request.headers["x-tenant"] == "acme")
        #expect(!request.headers.values.contains { $0.contains("sk-not-for-collectors") })
        let check = try await OTLPCheck.run(request.body)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.spans == 24)

        // user:password in the URL is Basic authentication, and is not printed.
        let withUser = receiver.endpoint.replacingOccurrences(of: "http://", with: "http://ana:s3cret@")
        let basic = try await planj("export", run, "--otlp-endpoint", withUser)
        #expect(basic.status == 0 && !basic.stderr.contains("s3cret"), "\(basic.stderr)")
        #expect(try receiver.requests().last?.headers["authorization"] == "Basic " + Data("ana:s3cret".utf8).base64EncodedString())
    }

    @Test func anEndpointWithAPathIsUsedAsItIsAndOutputStillWritesTheFile() async throws {
        let run = try await demoRun()
        let receiver = try OTLPReceiver()
        let file = directory + "/sent.json"
        let sent = try await planj(
            "export", run, "--format", "otlp", "--otlp-endpoint", receiver.endpoint + "/collector/traces", "-o", file)
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(try receiver.requests().map(\.path) == ["/collector/traces"])
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix(#"{"resourceSpans":"#))
    }

    @Test func aRefusingCollectorIsAClearErrorNamingTheEndpointAndStatus() async throws {
        let run = try await demoRun()
        let receiver = try OTLPReceiver(failing: ["/v1/traces": 500])
        let refused = try await planj("export", run, "--otlp-endpoint", receiver.endpoint)
        #expect(refused.status == 8)
        #expect(refused.stdout.isEmpty)
        #expect(
            refused.stderr.contains("the OTLP collector at \(receiver.endpoint)/v1/traces refused the export: HTTP 500: collector says no (500)"),
            "\(refused.stderr)")
        #expect(!refused.stderr.contains("second line"))
        #expect(try receiver.requests().count == 1)

        // Nothing listening: the endpoint is named too.
        let closed = try await planj("export", run, "--otlp-endpoint", "http://127.0.0.1:1", "--otlp-timeout", "5")
        #expect(closed.status == 8)
        #expect(closed.stderr.contains("OTLP collector at http://127.0.0.1:1/v1/traces: connection refused"), "\(closed.stderr)")
    }

    /// A collector briefly overloaded (503 with `Retry-After`) gets the request again, as the OTLP
    /// specification asks; one that refuses for good (500) does not (above).
    @Test func anOverloadedCollectorGetsTheRequestAgain() async throws {
        let run = try await demoRun()
        let receiver = try OTLPReceiver(failing: ["/v1/traces": 503], failingTimes: 2)
        let sent = try await planj("export", run, "--otlp-endpoint", receiver.endpoint)
        #expect(sent.status == 0, "\(sent.stderr)")
        let requests = try receiver.requests()
        #expect(requests.count == 3 && Set(requests.map(\.body)).count == 1)
        #expect(requests.allSatisfy { $0.headers["user-agent"]?.hasPrefix("planj/") == true })
    }

    @Test func aCollectorThatDoesNotAnswerTimesOut() async throws {
        let run = try await demoRun()
        let receiver = try OTLPReceiver(hanging: ["/v1/traces"])
        let started = Date()
        let hung = try await planj("export", run, "--otlp-endpoint", receiver.endpoint, "--otlp-timeout", "1")
        #expect(hung.status == 8)  // I/O, as for any destination that fails
        #expect(hung.stderr.contains("OTLP collector at \(receiver.endpoint)/v1/traces: no answer within 1 s"), "\(hung.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test func theEndpointOptionsAreCheckedBeforeAnythingIsSent() async throws {
        let run = try await demoRun()
        let chrome = try await planj("export", run, "--format", "chrome", "--otlp-endpoint", "http://127.0.0.1:1")
        #expect(chrome.status == 2, "\(chrome.stderr)")
        #expect(chrome.stderr.contains("--otlp-endpoint"))
        let notURL = try await planj("export", run, "--otlp-endpoint", "localhost:4318")
        #expect(notURL.status == 2)
        #expect(notURL.stderr.contains("'localhost:4318' is not an http or https URL"), "\(notURL.stderr)")
        let header = try await planj("export", run, "--format", "otlp", "--header", "A: b")
        #expect(header.status != 0 && header.stderr.contains("--header"))
        let badHeader = try await planj("export", run, "--otlp-endpoint", "http://127.0.0.1:1", "--header", "no-colon")
        #expect(badHeader.status != 0 && badHeader.stderr.contains("--header must be 'Name: value'"), "\(badHeader.stderr)")
        let timeout = try await planj("export", run, "--otlp-endpoint", "http://127.0.0.1:1", "--otlp-timeout", "1e30")
        #expect(timeout.status != 0 && timeout.stderr.contains("--otlp-timeout must be"), "\(timeout.stderr)")
    }
}
