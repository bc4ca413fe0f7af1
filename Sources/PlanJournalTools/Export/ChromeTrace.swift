import PlanJournalCore

/// A run as Chrome trace-event JSON (opens in Perfetto and chrome://tracing): one track per
/// parallel lane, each step attempt and each tool and model call as a complete event, plan
/// versions, replans and approvals as instant events.
public enum ChromeTrace {
    /// The trace of one run's events (in order).
    ///
    /// Renders what it is given: secrets in the run's events are in the output unless they were
    /// redacted first, as `planj export` does, by making the export with
    /// ``RedactedExport/prepare(_:of:redactor:audited:tally:)`` and a ``Redactor``.
    public static func render(run: String, events: [JournalEvent]) -> JSONValue {
        var trace: [JSONValue] = [
            meta("process_name", tid: 0, name: "run \(run)"), meta("thread_name", tid: 0, name: "run"),
        ]
        let lanes = Lanes()
        var open: [String: (ts: Timestamp, lane: Int, attempt: Int64)] = [:]
        var calls: [String: (event: JournalEvent, lane: Int)] = [:]
        var laneOf: [String: Int] = [:]
        var previous: Timestamp?
        /// A tool call is matched to its observation by `call_id`; one without is keyed by its seq,
        /// and matched by its step's next observation that names no call either.
        func callKey(_ e: JournalEvent) -> String {
            e.dataString("call_id") ?? "\u{0}seq \(e.seq)"
        }
        /// Draws the tool calls of `step` (all, when `nil`) that never got an observation, up to `end`.
        func closeCalls(of step: String?, at end: Timestamp) {
            let unanswered = calls.filter { step == nil || $0.value.event.dataString("step_id") == step }
            for (key, call) in unanswered.sorted(by: { $0.value.event.seq < $1.value.event.seq }) {
                calls[key] = nil
                trace.append(
                    complete(
                        call.event.dataString("tool") ?? "tool", cat: "tool", tid: call.lane, from: call.event.ts, to: end,
                        args: .record(["status": .string("unanswered"), "args": call.event.data("args")])))
            }
        }
        for e in events {
            let step = e.dataString("step_id")
            defer { previous = e.ts }
            switch e.knownKind {
            case .stepStarted?:
                guard let step else { continue }
                if let earlier = open.removeValue(forKey: step) {
                    // An attempt that never ended (its process died; the run was resumed): drawn
                    // up to the run's last event before this one, and its lane freed.
                    let end = Timestamp(microseconds: max(earlier.ts.microseconds, (previous ?? earlier.ts).microseconds))
                    lanes.free(earlier.lane, at: end)
                    let args = JSONValue.record(["status": .string("unfinished"), "attempt": .int(earlier.attempt)])
                    trace.append(complete(step, cat: "step", tid: earlier.lane, from: earlier.ts, to: end, args: args))
                    closeCalls(of: step, at: end)
                }
                let lane = lanes.take(at: e.ts)
                laneOf[step] = lane
                open[step] = (e.ts, lane, e.dataInt("attempt") ?? 1)
            case .stepCompleted?, .stepFailed?, .stepSkipped?:
                guard let step, let started = open.removeValue(forKey: step) else { continue }
                lanes.free(started.lane, at: e.ts)
                let status = e.knownKind == .stepCompleted ? "completed" : e.knownKind == .stepFailed ? "failed" : "skipped"
                var args: [JSONValue.Member] = [.init("status", .string(status)), .init("attempt", .int(started.attempt))]
                if let message = e.data("error")?["message"]?.stringValue { args.append(.init("error", .string(message))) }
                if let summary = e.dataString("summary") ?? e.dataString("output") {
                    args.append(.init("output", .string(String(summary.prefix(200)))))
                }
                trace.append(complete(step, cat: "step", tid: started.lane, from: started.ts, to: e.ts, args: .object(args)))
                closeCalls(of: step, at: e.ts)
            case .callTool?:
                calls[callKey(e)] = (e, step.flatMap { laneOf[$0] } ?? 0)
            case .stepObserved?:
                // An observation that names no call answers its step's earliest call that named
                // none (a judge's or the runner's own observation answers no call).
                let key =
                    e.dataString("call_id")
                    ?? (step != nil && e.actor != "judge" && e.actor != "system"
                        ? calls.filter { $0.value.event.dataString("step_id") == step && $0.value.event.dataString("call_id") == nil }
                            .min { $0.value.event.seq < $1.value.event.seq }?.key
                        : nil)
                guard let key, let call = calls.removeValue(forKey: key) else { continue }
                trace.append(
                    complete(
                        call.event.dataString("tool") ?? "tool", cat: "tool", tid: call.lane, from: call.event.ts, to: e.ts,
                        args: .record(["ok": e.data("ok"), "bytes": e.data("bytes"), "args": call.event.data("args")])))
            case .callModel?:
                let lane = step.flatMap { laneOf[$0] } ?? 0
                let ms = e.dataMilliseconds("latency_ms") ?? 0
                // Not before its step's attempt (or the run) began: slices on a track must nest.
                let floor = step.flatMap { open[$0]?.ts } ?? events.first?.ts ?? e.ts
                let start = Timestamp(
                    microseconds: min(e.ts.microseconds, max(floor.microseconds, e.ts.microseconds - Int64(ms * 1000))))
                trace.append(
                    complete(
                        e.dataString("model") ?? "model", cat: "model", tid: lane, from: start, to: e.ts,
                        args: .record([
                            "purpose": e.data("purpose"), "usage": e.data("usage"), "cost_usd": e.data("cost_usd"),
                        ])))
            case .planProposed?, .planRevised?:
                trace.append(instant("plan v\(e.dataInt("version") ?? 0)", cat: "plan", at: e.ts, args: e.data("reason")))
            case .replanTriggered?:
                trace.append(instant("replan: \(e.dataString("reason") ?? "")", cat: "replan", at: e.ts, args: e.data("step_id")))
            case .approvalRequested?, .approvalResolved?:
                let what = e.dataString("decision") ?? "requested"
                trace.append(instant("approval \(what)", cat: "approval", at: e.ts, args: e.data("step_id")))
            case .runCompleted?:
                if let first = events.first {
                    trace.append(
                        complete("run", cat: "run", tid: 0, from: first.ts, to: e.ts, args: .record(["status": e.data("status")])))
                }
            default: break
            }
        }
        // What was open at the run's last event (a run still running or crashed, or one that
        // ended cancelled or failed while steps ran) is drawn up to it, the part a reader of a
        // crash looks for first.
        if let first = events.first, let last = events.last {
            for (step, started) in open.sorted(by: { $0.value.ts.microseconds < $1.value.ts.microseconds }) {
                let args = JSONValue.record(["status": .string("unfinished"), "attempt": .int(started.attempt)])
                trace.append(complete(step, cat: "step", tid: started.lane, from: started.ts, to: last.ts, args: args))
            }
            closeCalls(of: nil, at: last.ts)
            if last.knownKind != .runCompleted {
                trace.append(
                    complete("run", cat: "run", tid: 0, from: first.ts, to: last.ts, args: .record(["status": .string("unfinished")])))
            }
        }
        for lane in 1...max(1, lanes.count) { trace.append(meta("thread_name", tid: lane, name: "lane \(lane)")) }
        return .record(["traceEvents": .array(trace), "displayTimeUnit": .string("ms")])
    }

    private static func meta(_ kind: String, tid: Int, name: String) -> JSONValue {
        .record([
            "ph": .string("M"), "name": .string(kind), "pid": .int(1), "tid": .int(tid),
            "args": .record(["name": .string(name)]),
        ])
    }

    private static func complete(_ name: String, cat: String, tid: Int, from: Timestamp, to: Timestamp, args: JSONValue)
        -> JSONValue
    {
        .record([
            "ph": .string("X"), "name": .string(name), "cat": .string(cat), "pid": .int(1), "tid": .int(tid),
            "ts": .int(from.microseconds), "dur": .int(max(0, to.microseconds - from.microseconds)), "args": args,
        ])
    }

    private static func instant(_ name: String, cat: String, at: Timestamp, args: JSONValue?) -> JSONValue {
        .record([
            "ph": .string("i"), "s": .string("g"), "name": .string(name), "cat": .string(cat), "pid": .int(1),
            "tid": .int(0), "ts": .int(at.microseconds), "args": .record(["detail": args]),
        ])
    }
}

/// Assigns overlapping steps to lanes 1, 2, …: a step takes the first lane free when it starts.
private final class Lanes {
    /// When each lane becomes free (`.max` while a step runs on it).
    private var freeAt: [Timestamp] = []

    var count: Int { freeAt.count }

    func take(at ts: Timestamp) -> Int {
        let k = freeAt.firstIndex { $0 <= ts } ?? { freeAt.append(ts); return freeAt.count - 1 }()
        freeAt[k] = Timestamp(microseconds: .max)
        return k + 1
    }

    func free(_ lane: Int, at ts: Timestamp) {
        freeAt[lane - 1] = ts
    }
}
