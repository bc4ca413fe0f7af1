import Foundation
import PlanJournalTestSupport
import Testing

/// `planj export --format html` on a real demo run, checked in headless Chromium by
/// `tools/html_check.sh` (no console errors, the DAG renders, a screenshot is taken).
///
/// Without Chromium the checks are skipped with a loud message, unless `PLANJ_REQUIRE_CHROMIUM=1`
/// (as in CI), when they fail. `PLANJ_HTML_SCREENSHOT=PATH` keeps the screenshot at PATH.
@Suite(.serialized) struct HTMLExportCommandTests {
    let directory: String
    let journal: String
    static let checker = Fixtures.repositoryRoot + "/tools/html_check.sh"

    init() throws {
        directory = NSTemporaryDirectory() + "planj-html-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        journal = directory + "/j.sqlite"
    }

    /// Where Chromium is: `$CHROMIUM` when set (as the checker reads it), else on PATH.
    static var chromium: String? {
        if let named = ProcessInfo.processInfo.environment["CHROMIUM"], !named.isEmpty {
            return FileManager.default.isExecutableFile(atPath: named) ? named : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// True when Chromium is there; otherwise records a failure when it is required, or prints why
    /// the test is skipped.
    func chromiumAvailable() -> Bool {
        if Self.chromium != nil { return true }
        if ProcessInfo.processInfo.environment["PLANJ_REQUIRE_CHROMIUM"] == "1" {
            Issue.record("PLANJ_REQUIRE_CHROMIUM=1 but Chromium is not installed (apt-get install chromium, or bash tools/setup.sh)")
        } else {
            let line = String(repeating: "!", count: 78)
            print("\(line)\n!! SKIPPED: the HTML report's Chromium check: chromium is not installed.\n!! Install it (bash tools/setup.sh); CI sets PLANJ_REQUIRE_CHROMIUM=1 to make this a failure.\n\(line)")
        }
        return false
    }

    /// Runs `command arguments` and waits; its output and status.
    func run(_ command: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let r = try await ChildProcess.run(command, arguments, in: directory)
        return (r.status, r.stdout + r.stderr)
    }

    @Test func theDemoRunsHTMLReportRendersInChromiumWithoutErrors() async throws {
        let demo = try await PlanjBinary.run(["--journal", journal, "demo", "--json", "--pace", "0.2", "--quiet"], in: directory)
        #expect(demo.status == 0, "\(demo.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(demo.stdout.utf8)) as? [String: Any]
        let runID = try #require(object?["run"] as? String)
        let file = directory + "/report.html"
        let export = try await PlanjBinary.run(["--journal", journal, "export", runID, "--format", "html", "-o", file], in: directory)
        #expect(export.status == 0, "\(export.stderr)")
        let html = try String(contentsOfFile: file, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains(#"<svg class="dag""#))
        // To standard output too.
        let stdout = try await PlanjBinary.run(["--journal", journal, "export", runID, "--format", "html"], in: directory)
        #expect(stdout.status == 0 && stdout.stdout == html)

        guard chromiumAvailable() else { return }
        let shot = ProcessInfo.processInfo.environment["PLANJ_HTML_SCREENSHOT"] ?? directory + "/report.png"
        let check = try await run("/bin/bash", [Self.checker, file, shot])
        #expect(check.status == 0, "\(check.output)")
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
    }

    @Test func aRunOfHostileTextsRendersInertInChromium() async throws {
        // Each payload would log to the console if the page let it run (the checker fails on that).
        let payloads = [
            #"</script><script>console.error("xss1")</script>"#, #""><img src=x onerror=console.error("xss2")>"#,
            #"'><svg onload=console.error('xss3')>"#, "ünïcødé 🚀 中文 \u{202E}rtl",
        ]
        func q(_ k: Int) -> String {
            let data = try! JSONSerialization.data(withJSONObject: [payloads[k]], options: [.fragmentsAllowed])
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        }
        let runID = #"r</script><script>console.error("xss0")</script>"#
        var seq = 0
        func line(_ kind: String, _ data: String, actor: String = "system") -> String {
            seq += 1
            let runJSON = String(decoding: try! JSONSerialization.data(withJSONObject: [runID]), as: UTF8.self).dropFirst().dropLast()
            return #"{"v":1,"run":\#(runJSON),"seq":\#(seq),"ts":\#(1_795_514_400_000_000 + seq * 1000),"kind":"\#(kind)","actor":"\#(actor)","data":\#(data)}"#
        }
        let lines = [
            line("run.started", #"{"goal":\#(q(0))}"#),
            line(
                "plan.proposed",
                #"{"version":1,"steps":[{"id":\#(q(0)),"description":\#(q(1)),"tool":\#(q(2))},{"id":\#(q(1)),"depends_on":[\#(q(0))]},{"id":\#(q(3)),"depends_on":[\#(q(1))],"args":{"q":\#(q(2))}}]}"#),
            line("step.started", #"{"step_id":\#(q(0))}"#),
            line("call.tool", #"{"step_id":\#(q(0)),"call_id":\#(q(1)),"tool":\#(q(2)),"args":{"x":\#(q(0))}}"#),
            line("step.observed", #"{"step_id":\#(q(0)),"ok":true,"content":\#(q(1))}"#),
            line("step.completed", #"{"step_id":\#(q(0)),"output":\#(q(0))}"#),
            line("step.started", #"{"step_id":\#(q(1))}"#),
            line("step.failed", #"{"step_id":\#(q(1)),"error":{"type":\#(q(2)),"message":\#(q(1)),"traceback":\#(q(0))}}"#),
            line("replan.triggered", #"{"reason":\#(q(1)),"step_id":\#(q(1))}"#),
            line(
                "plan.revised",
                #"{"version":2,"base_version":1,"removed":[\#(q(1))],"changed":[{"id":\#(q(3)),"args":{"q":\#(q(0))}}],"reason":\#(q(2))}"#),
            line("step.started", #"{"step_id":\#(q(3))}"#),
            line("x.custom", #"{"step_id":\#(q(3)),"anything":\#(q(0))}"#),
            line("step.completed", #"{"step_id":\#(q(3)),"output":\#(q(2))}"#),
            line("run.completed", #"{"status":"succeeded","final_answer":\#(q(1))}"#),
        ]
        let ingest = try await PlanjBinary.run(["--journal", journal, "ingest", "-"], in: directory, stdin: lines.joined(separator: "\n") + "\n")
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let file = directory + "/hostile.html"
        let export = try await PlanjBinary.run(["--journal", journal, "export", runID, "--format", "html", "-o", file], in: directory)
        #expect(export.status == 0, "\(export.stderr)")
        let html = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!html.contains("<img") && html.contains("ünïcødé"))
        guard chromiumAvailable() else { return }
        let check = try await run("/bin/bash", [Self.checker, file])
        #expect(check.status == 0, "\(check.output)")
        // The same page with one payload let through is caught: the check above would see a breach.
        let breached = directory + "/breached.html"
        try html.replacingOccurrences(of: "&lt;img src=x onerror=console.error(&quot;xss2&quot;)&gt;", with: #"<img src=x onerror=console.error("xss2")>"#)
            .write(toFile: breached, atomically: true, encoding: .utf8)
        let caught = try await run("/bin/bash", [Self.checker, breached])
        #expect(caught.status == 1 && caught.output.contains("xss2"), "\(caught.output)")
    }

    @Test func theCheckerReportsAPageThatThrows() async throws {
        guard chromiumAvailable() else { return }
        let page = directory + "/throws.html"
        try #"<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head><body><svg class="dag"></svg><svg class="timeline"></svg><script>throw new Error("deliberate")</script></body></html>"#
            .write(toFile: page, atomically: true, encoding: .utf8)
        let check = try await run("/bin/bash", [Self.checker, page])
        #expect(check.status == 1, "\(check.output)")
        #expect(check.output.contains("Uncaught Error: deliberate"))
        // And one that loads something from outside.
        let external = directory + "/external.html"
        try #"<!DOCTYPE html><html><body><svg class="dag"></svg><svg class="timeline"></svg><img src="https://example.invalid/x.png"></body></html>"#
            .write(toFile: external, atomically: true, encoding: .utf8)
        let ext = try await run("/bin/bash", [Self.checker, external])
        #expect(ext.status == 1 && ext.output.contains("external resources"), "\(ext.output)")
        // The script's own self-test agrees.
        let selfTest = try await run("/bin/bash", [Self.checker, "--self-test"])
        #expect(selfTest.status == 0, "\(selfTest.output)")
    }
}
