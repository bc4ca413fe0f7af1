import PlanJournalCore

/// One span under construction: open until ``end`` is set.
struct OTLPSpan {
    /// OTLP `Span.SpanKind` values.
    enum Kind: Int {
        case `internal` = 1
        case client = 3
    }

    /// OTLP `Status.StatusCode` values, with the message of an error.
    enum Status {
        case unset
        case ok
        case error(String)
    }

    /// One span event (`Span.Event`).
    struct Event {
        var name: String
        var time: Timestamp
        var attributes: [OTLPAttribute]
    }

    var name: String
    var spanID: String
    var parentSpanID: String?
    var kind: Kind
    var start: Timestamp
    var end: Timestamp?
    var attributes: [OTLPAttribute] = []
    var events: [Event] = []
    var status: Status = .unset

    /// The span in OTLP/JSON form; an open span ends at `fallbackEnd`, and no span ends before it starts.
    func json(traceID: String, fallbackEnd: Timestamp) -> JSONValue {
        let endTime = max(end ?? fallbackEnd, start)
        let statusJSON: JSONValue? =
            switch status {
            case .unset: nil
            case .ok: .record(["code": .int(1)])
            case .error(let message): .record(["message": .string(message), "code": .int(2)])
            }
        return .record([
            "traceId": .string(traceID),
            "spanId": .string(spanID),
            "parentSpanId": parentSpanID.map(JSONValue.string),
            "name": .string(name),
            "kind": .int(kind.rawValue),
            "startTimeUnixNano": Self.nanos(start),
            "endTimeUnixNano": Self.nanos(endTime),
            "attributes": .array(attributes.map(\.json)),
            "events": events.isEmpty
                ? nil
                : .array(
                    events.map {
                        .record([
                            "timeUnixNano": Self.nanos($0.time), "name": .string($0.name),
                            "attributes": .array($0.attributes.map(\.json)),
                        ])
                    }),
            "status": statusJSON,
        ])
    }

    /// OTLP/JSON writes `fixed64` times as decimal strings.
    static func nanos(_ ts: Timestamp) -> JSONValue {
        let (n, overflow) = max(0, ts.microseconds).multipliedReportingOverflow(by: 1000)
        return .string(String(overflow ? Int64.max : n))
    }
}
