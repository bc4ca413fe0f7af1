import PlanJournalCore

/// The `data` of a `step.observed` event: what a tool or step produced, capped in size.
struct Observation {
    /// Content longer than this many UTF-8 bytes is cut (and marked `truncated`).
    static let maxContentBytes = 256 * 1024

    var stepID: String
    var callID: String?
    var ok: Bool
    var content: String
    var contentType: String
    var durationMs: Double?
    /// `nil` when unknown (no check made, or a judge whose answer could not be read).
    var matchesExpected: Bool?
    /// Where the content came from when not live (`recorded`).
    var source: String? = nil

    var eventData: JSONValue {
        let bytes = content.utf8.count
        let truncated = bytes > Self.maxContentBytes
        let kept = truncated ? String(decoding: content.utf8.prefix(Self.maxContentBytes), as: UTF8.self) : content
        return .record([
            "step_id": .string(stepID),
            "call_id": callID.map(JSONValue.string),
            "ok": .bool(ok),
            "content": .string(kept),
            "content_type": .string(contentType),
            "bytes": .int(bytes),
            "truncated": .bool(truncated),
            "duration_ms": durationMs.map(JSONValue.double),
            "matches_expected": matchesExpected.map(JSONValue.bool) ?? .null,
            "source": source.map(JSONValue.string),
        ])
    }
}
