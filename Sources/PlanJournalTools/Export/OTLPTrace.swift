import PlanJournalCore
import PlanJournalRuntime

/// A run as an OTLP/JSON `ExportTraceServiceRequest` following the OpenTelemetry GenAI semantic
/// conventions: one trace per run, a root `invoke_agent` span, a span per step attempt, `chat`
/// spans for model calls and `execute_tool` spans for tool calls, observations, plan changes,
/// replans and approvals as span events, and span status from the outcome.
///
/// The JSON follows the OTLP/JSON encoding: lowerCamelCase names, trace and span ids as hex,
/// enums as integers and 64-bit integers (times, `intValue`) as decimal strings. Ids are derived
/// from the run id and seqs (``OTLPIdentifiers``), so the same run always gives the same trace.
public enum OTLPTrace {
    /// The instrumentation scope named in the export.
    public static let scopeName = "planjournal"

    /// The `ExportTraceServiceRequest` of one run. `service.name` is the agent's name from
    /// `run.started` (`planjournal` when it has none).
    ///
    /// Renders what it is given: secrets in the run's events are in the output unless they were
    /// redacted first, as `planj export` does, by making the export with
    /// ``RedactedExport/prepare(_:of:redactor:audited:tally:)`` and a ``Redactor``.
    public static func render(_ export: RunExport) -> JSONValue {
        render([export])
    }

    /// One `ExportTraceServiceRequest` holding the runs' traces (a resource per run).
    public static func render(_ exports: [RunExport]) -> JSONValue {
        .record(["resourceSpans": .array(exports.map(resourceSpans))])
    }

    /// The number of spans in a rendered `ExportTraceServiceRequest`.
    public static func spanCount(of request: JSONValue) -> Int {
        (request["resourceSpans"]?.arrayValue ?? []).reduce(0) { count, resource in
            (resource["scopeSpans"]?.arrayValue ?? []).reduce(count) { $0 + ($1["spans"]?.arrayValue?.count ?? 0) }
        }
    }

    /// `request` cut into requests of at most about `maxBytes` of JSON each (a span larger than
    /// that goes alone), each with its spans' resource and scope: collectors refuse large bodies
    /// (the OpenTelemetry Collector's default limit is 20 MiB), and a long run with large
    /// observations is more than that.
    public static func batches(of request: JSONValue, maxBytes: Int = 4 << 20) -> [JSONValue] {
        var out: [JSONValue] = []
        for resource in request["resourceSpans"]?.arrayValue ?? [] {
            for scope in resource["scopeSpans"]?.arrayValue ?? [] {
                var batch: [JSONValue] = []
                var bytes = 0
                func flush() {
                    guard !batch.isEmpty else { return }
                    let scoped = JSONValue.record(["scope": scope["scope"], "spans": .array(batch)])
                    out.append(.record(["resourceSpans": .array([.record(["resource": resource["resource"], "scopeSpans": .array([scoped])])])]))
                    batch.removeAll()
                    bytes = 0
                }
                for span in scope["spans"]?.arrayValue ?? [] {
                    let size = span.jsonText.utf8.count
                    if bytes > 0 && bytes + size > maxBytes { flush() }
                    batch.append(span)
                    bytes += size
                }
                flush()
            }
        }
        return out.isEmpty ? [request] : out
    }

    private static func resourceSpans(_ export: RunExport) -> JSONValue {
        let builder = OTLPSpanBuilder(export)
        let traceID = OTLPIdentifiers.traceID(run: export.identity)
        var resource: [OTLPAttribute] = [.string("service.name", builder.agentName ?? "planjournal")]
        if let version = builder.agentVersion { resource.append(.string("service.version", version)) }
        resource.append(.string("planjournal.run.id", export.run))
        return .record([
            "resource": .record(["attributes": .array(resource.map(\.json))]),
            "scopeSpans": .array([
                .record([
                    "scope": .record(["name": .string(scopeName), "version": .string(PlanJournalRuntime.version)]),
                    "spans": .array(builder.spans.map { $0.json(traceID: traceID, fallbackEnd: builder.lastTime) }),
                ])
            ]),
        ])
    }
}
