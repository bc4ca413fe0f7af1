import ArgumentParser
import Foundation
import PlanJournalCore
import PlanJournalRuntime
import PlanJournalTools

extension Planj.Export {
    /// The collector of `--otlp-endpoint`, with only the `--header` values: `$OPENAI_API_KEY`
    /// is for model servers, never for a collector.
    func collector() throws -> OTLPHTTPExporter? {
        guard let otlpEndpoint else { return nil }
        let headers = try http.settings().headers
        let timeout = try Seconds.duration(otlpTimeout, flag: "--otlp-timeout", atMost: Seconds.day)
        do throws(OTLPExportError) {
            return try OTLPHTTPExporter(endpoint: otlpEndpoint, headers: headers, timeout: timeout)
        } catch {
            throw RuntimeError("usage", error.description)
        }
    }

    /// Sends `trace` to `collector` (when there is one), noting the spans sent in `entry`.
    func send(_ trace: JSONValue, run: String, to collector: OTLPHTTPExporter?, noting entry: inout ExportSummary.Entry)
        async throws
    {
        guard let collector else { return }
        do throws(OTLPExportError) {
            // A long run goes in several requests, each under the collectors' body limits.
            let requests = OTLPTrace.batches(of: trace)
            var rejected: Int64 = 0
            var messages: [String] = []
            for (k, request) in requests.enumerated() {
                let response: OTLPHTTPExporter.Response
                do {
                    response = try await collector.send(request)
                } catch where k > 0 {
                    // What was sent stays sent: sending the run again repeats those spans (the
                    // same ids, which collectors and backends may or may not merge).
                    Output.error("planj: warning: \(k) of the \(requests.count) requests of run \(run) were sent before this one failed")
                    throw error
                }
                let (sum, overflow) = rejected.addingReportingOverflow(response.rejectedSpans)
                rejected = overflow ? .max : sum
                if let message = response.message, !messages.contains(message) { messages.append(message) }
            }
            let spans = OTLPTrace.spanCount(of: trace)
            entry.spansSent = spans
            entry.spansRejected = Int(clamping: rejected)
            let parts = requests.count > 1 ? " in \(requests.count) requests" : ""
            Output.error("planj: sent \(spans) span\(spans == 1 ? "" : "s") of run \(run) to \(collector.url.absoluteString)\(parts)")
            if rejected > 0 || !messages.isEmpty {
                // A message with nothing rejected is how OTLP sends a warning.
                Output.error(
                    "planj: warning: the collector "
                        + (rejected > 0 ? "rejected \(rejected) span(s)" : "accepted every span with a warning")
                        + (messages.isEmpty ? "" : ": " + messages.joined(separator: "; ")))
            }
        } catch {
            throw RuntimeError(RuntimeError.Types.otlpExport, error.description)
        }
    }
}
