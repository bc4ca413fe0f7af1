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
        do throws(OTLPExportError) {
            return try OTLPHTTPExporter(endpoint: otlpEndpoint, headers: headers, timeout: .milliseconds(Int64(saturating: otlpTimeout * 1000)))
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
            let response = try await collector.send(trace)
            let spans = OTLPTrace.spanCount(of: trace)
            entry.spansSent = spans
            entry.spansRejected = Int(response.rejectedSpans)
            Output.error("planj: sent \(spans) span\(spans == 1 ? "" : "s") of run \(run) to \(collector.url.absoluteString)")
            if response.rejectedSpans > 0 {
                Output.error(
                    "planj: warning: the collector rejected \(response.rejectedSpans) span(s)\(response.message.map { ": " + $0 } ?? "")")
            }
        } catch {
            throw RuntimeError("otlp_export", error.description)
        }
    }
}
