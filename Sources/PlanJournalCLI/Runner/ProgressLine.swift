import Foundation
import PlanJournalCore

/// One line per step transition, for the live progress of `run`, `demo`, `resume` and `watch`.
enum ProgressLine {
    /// The line for `event`, or `nil` for events that are not transitions (model and tool calls…).
    static func render(_ event: JournalEvent) -> String? {
        let step = event.dataString("step_id") ?? "?"
        let text: String
        switch event.knownKind {
        case .runStarted?: text = "run started: \(TextTable.clip(event.dataString("goal") ?? "", 100))"
        case .planProposed?:
            text = "plan v\(event.dataInt("version") ?? 0): \(ids(event.data("steps")).joined(separator: ", "))"
        case .planRevised?:
            var parts: [String] = []
            let added = ids(event.data("added"))
            let removed = event.data("removed")?.arrayValue?.compactMap(\.stringValue) ?? []
            let changed = ids(event.data("changed"))
            if !added.isEmpty { parts.append("+" + added.joined(separator: " +")) }
            if !removed.isEmpty { parts.append("-" + removed.joined(separator: " -")) }
            if !changed.isEmpty { parts.append("~" + changed.joined(separator: " ~")) }
            text = "plan v\(event.dataInt("version") ?? 0) (revised from v\(event.dataInt("base_version") ?? 0)): \(parts.joined(separator: " "))"
        case .planReviewed?: text = "plan v\(event.dataInt("version") ?? 0) reviewed: \(event.dataString("verdict") ?? "?")"
        case .approvalRequested?:
            text = "approval requested for \(event.dataString("step_id").map { "step \($0)" } ?? "the plan")"
        case .approvalResolved?:
            text = "\(event.dataString("step_id").map { "step \($0)" } ?? "the plan") \(event.dataString("decision") ?? "?") by \(event.actor ?? "?")"
        case .stepStarted?: text = "\(step) started (attempt \(event.dataInt("attempt") ?? 1))"
        case .stepCompleted?:
            let ms = event.dataDouble("duration_ms").map { String(format: " in %.2fs", $0 / 1000) } ?? ""
            text = "\(step) completed\(ms)"
        case .stepFailed?:
            let message = event.data("error")?["message"]?.stringValue ?? "failed"
            text = "\(step) failed (attempt \(event.dataInt("attempt") ?? 1)): \(TextTable.clip(message, 100))"
        case .stepSkipped?: text = "\(step) skipped: \(event.dataString("reason") ?? "")"
        case .replanTriggered?:
            text = "replan: \(event.dataString("reason") ?? "")" + (event.dataString("step_id").map { " at \($0)" } ?? "")
        case .runCompleted?:
            text = "run \(event.dataString("status") ?? "?")" + (event.dataString("stopped_by").flatMap { $0 == event.dataString("status") ? nil : " (stopped by \($0))" } ?? "")
        case .note?:
            guard let message = event.dataString("message") else { return nil }
            if let original = event.dataString("replay_of"), let seq = event.dataInt("resumed_after_seq") {
                // A replay's fork begins with the note a resume writes.
                text = "replaying \(original) from seq \(seq + 1)"
            } else {
                text = "note: \(message)"
            }
        default: return nil
        }
        return String(format: "[%4lld] ", event.seq) + text
    }

    private static func ids(_ steps: JSONValue?) -> [String] {
        steps?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }
}
