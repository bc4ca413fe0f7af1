import PlanJournalCore

/// Tool observations of a fork that differ from the original's for the same call (the same step,
/// tool and arguments, in order): what `--executor recorded --tools live` reports.
public struct ObservationDrift: Sendable, Encodable {
    /// The step that made the call.
    public var stepID: String
    /// The tool called.
    public var tool: String
    /// The seq of the fork's observation.
    public var seq: Int64
    /// The size of the original's observation content, in UTF-8 bytes.
    public var recordedBytes: Int
    /// The size of the fork's observation content, in UTF-8 bytes.
    public var liveBytes: Int

    enum CodingKeys: String, CodingKey {
        case stepID = "step_id", tool, seq, recordedBytes = "recorded_bytes", liveBytes = "live_bytes"
    }

    /// The drifted observations of `fork` against `original`.
    public static func find(original: [JournalEvent], fork: [JournalEvent]) -> [ObservationDrift] {
        var recorded: [String: [String]] = [:]
        for (key, content, _) in observations(original) { recorded[key, default: []].append(content) }
        var drifts: [ObservationDrift] = []
        for (key, content, event) in observations(fork) where event.dataString("source") != "recorded" {
            guard var queue = recorded[key], !queue.isEmpty else { continue }
            let before = queue.removeFirst()
            recorded[key] = queue
            if before != content {
                drifts.append(
                    ObservationDrift(
                        stepID: event.dataString("step_id") ?? "", tool: event.actor?.replacingPrefix("tool:") ?? "",
                        seq: event.seq, recordedBytes: before.utf8.count, liveBytes: content.utf8.count))
            }
        }
        return drifts
    }

    /// Each tool observation keyed by step, tool and arguments.
    private static func observations(_ events: [JournalEvent]) -> [(String, String, JournalEvent)] {
        var calls: [String: String] = [:]
        var result: [(String, String, JournalEvent)] = []
        for e in events {
            switch e.knownKind {
            case .callTool?:
                if let id = e.dataString("call_id") {
                    calls[id] = "\(e.dataString("step_id") ?? "") \(e.dataString("tool") ?? "") \(e.data("args")?.jsonText ?? "")"
                }
            case .stepObserved?:
                if let id = e.dataString("call_id"), let key = calls.removeValue(forKey: id) {
                    result.append((key, e.dataString("content") ?? e.data("content")?.textValue ?? "", e))
                }
            default: break
            }
        }
        return result
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
