import Foundation
import PlanJournalCore

/// What the HTML report's timeline draws, read from a run's events: step attempts as spans on
/// lanes (a lane per parallel step), tool and model calls as ticks, plan versions, replans and
/// approvals as markers. Events it does not know (or that miss fields) are passed over.
struct RunTimeline {
    /// How one attempt of a step ended.
    enum Outcome: String {
        case completed, failed, skipped
        /// Still open when the events end (the run is running, crashed or was cancelled).
        case unfinished
    }

    /// One attempt of a step.
    struct Span {
        var step: String
        var attempt: Int64
        /// 1, 2, …
        var lane: Int
        var start: Timestamp
        var end: Timestamp
        var outcome: Outcome
    }

    /// A tool or model call.
    struct Tick {
        var isTool: Bool
        /// 0 for calls of no step (planning).
        var lane: Int
        var at: Timestamp
        var label: String
    }

    /// A plan version, replan or approval.
    struct Marker {
        enum Kind: String { case plan, replan, approval, denial }
        var kind: Kind
        var at: Timestamp
        var label: String
    }

    var spans: [Span] = []
    var ticks: [Tick] = []
    var markers: [Marker] = []
    var lanes = 0
    var start = Timestamp(microseconds: 0)
    var end = Timestamp(microseconds: 0)

    init(_ events: [JournalEvent]) {
        guard let first = events.first else { return }
        start = events.map(\.ts).min() ?? first.ts
        end = events.map(\.ts).max() ?? first.ts
        var freeAt: [Timestamp] = []
        var open: [String: (ts: Timestamp, lane: Int, attempt: Int64)] = [:]
        var laneOf: [String: Int] = [:]
        func close(_ step: String, at ts: Timestamp, _ outcome: Outcome) {
            guard let o = open.removeValue(forKey: step) else { return }
            freeAt[o.lane - 1] = ts
            spans.append(.init(step: step, attempt: o.attempt, lane: o.lane, start: o.ts, end: max(ts, o.ts), outcome: outcome))
        }
        for e in events {
            let step = e.dataString("step_id")
            switch e.knownKind {
            case .stepStarted?:
                guard let step else { continue }
                close(step, at: e.ts, .unfinished)  // a start without an end: the earlier attempt ends here
                let k = freeAt.firstIndex { $0 <= e.ts } ?? { freeAt.append(e.ts); return freeAt.count - 1 }()
                freeAt[k] = Timestamp(microseconds: .max)
                laneOf[step] = k + 1
                open[step] = (e.ts, k + 1, e.dataInt("attempt") ?? 1)
            case .stepCompleted?: if let step { close(step, at: e.ts, .completed) }
            case .stepFailed?: if let step { close(step, at: e.ts, .failed) }
            case .stepSkipped?:
                guard let step else { continue }
                if open[step] != nil {
                    close(step, at: e.ts, .skipped)
                } else {
                    markers.append(.init(kind: .plan, at: e.ts, label: "skipped \(step)"))
                }
            case .callTool?:
                let tool = e.dataString("tool") ?? "tool"
                ticks.append(.init(isTool: true, lane: step.flatMap { laneOf[$0] } ?? 0, at: e.ts, label: "tool \(tool)"))
            case .callModel?:
                let model = e.dataString("model") ?? "model"
                let purpose = e.dataString("purpose").map { " (\($0))" } ?? ""
                ticks.append(.init(isTool: false, lane: step.flatMap { laneOf[$0] } ?? 0, at: e.ts, label: "model \(model)\(purpose)"))
            case .planProposed?, .planRevised?:
                let v = e.dataInt("version").map { "v\($0)" } ?? "plan"
                markers.append(.init(kind: .plan, at: e.ts, label: v))
            case .replanTriggered?:
                markers.append(.init(kind: .replan, at: e.ts, label: "replan: " + (e.dataString("reason") ?? "")))
            case .approvalRequested?, .approvalResolved?:
                let decision = e.dataString("decision") ?? "requested"
                let target = e.dataString("step_id") ?? e.dataInt("version").map { "plan v\($0)" } ?? ""
                markers.append(
                    .init(kind: decision == "denied" ? .denial : .approval, at: e.ts, label: "approval \(decision) \(target)"))
            default: break
            }
        }
        for (step, o) in open.sorted(by: { $0.value.ts < $1.value.ts }) {
            spans.append(.init(step: step, attempt: o.attempt, lane: o.lane, start: o.ts, end: max(end, o.ts), outcome: .unfinished))
        }
        lanes = freeAt.count
    }
}
