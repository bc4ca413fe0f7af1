import PlanJournalCore

/// Builds valid runs event by event with a manual clock: seqs count up from 1 and each event is
/// one millisecond after the last.
public struct RunBuilder: Sendable {
    public let run: String
    public private(set) var events: [JournalEvent] = []
    private var clock: Int64

    /// A builder for `run` whose first event happens at `start` microseconds.
    public init(run: String, start: Int64 = 1_795_514_400_000_000) {
        self.run = run
        self.clock = start
    }

    /// Lets `milliseconds` pass before the next event.
    public mutating func wait(milliseconds: Int64) {
        clock += milliseconds * 1000
    }

    /// The next seq.
    public var nextSeq: Int64 { Int64(events.count) + 1 }

    /// Appends an event of `kind` with `data` (a JSON object literal).
    @discardableResult
    public mutating func add(_ kind: String, _ data: String, actor: String = "system") throws -> JournalEvent {
        clock += 1000
        let event = try JournalEvent(
            run: run, seq: nextSeq, ts: Timestamp(microseconds: clock), kind: kind, actor: actor,
            data: JSONValue(parsing: data))
        events.append(event)
        return event
    }

    /// A complete, realistic run: a plan of `steps` steps in a chain, each with a model call,
    /// a tool call and an observation of `payloadBytes`, then run.completed.
    public static func complete(run: String, steps: Int = 3, payloadBytes: Int = 200) throws -> RunBuilder {
        var b = RunBuilder(run: run)
        try b.add("run.started", #"{"goal":"test goal for \#(run)","agent":{"name":"t","version":"1"}}"#)
        let ids = (0..<steps).map { "s\($0)" }
        let stepJSON = ids.enumerated().map { k, id in
            let deps = k == 0 ? "[]" : "[\"\(ids[k - 1])\"]"
            return #"{"id":"\#(id)","description":"step \#(k)","tool":"http_get","depends_on":\#(deps)}"#
        }
        try b.add("plan.proposed", #"{"version":1,"steps":[\#(stepJSON.joined(separator: ","))]}"#, actor: "planner")
        let payload = String(repeating: "lorem ipsum ", count: max(1, payloadBytes / 12))
        for id in ids {
            try b.add("step.started", #"{"step_id":"\#(id)","attempt":1}"#, actor: "executor")
            try b.add(
                "call.model",
                #"{"step_id":"\#(id)","model":"m","usage":{"input_tokens":10,"output_tokens":5},"cost_usd":0.001}"#)
            try b.add("call.tool", #"{"step_id":"\#(id)","call_id":"c-\#(id)","tool":"http_get","args":{}}"#)
            try b.add("step.observed", #"{"step_id":"\#(id)","ok":true,"content":"\#(payload)"}"#)
            try b.add("step.completed", #"{"step_id":"\#(id)","output":"done \#(id)"}"#, actor: "executor")
        }
        try b.add("run.completed", #"{"status":"succeeded","final_answer":"ok"}"#)
        return b
    }

    /// The events of `runs` as JSON Lines, interleaved one by one (each run's first event, then
    /// each run's second, ...), as agents writing at once would leave them.
    public static func interleaved(_ runs: [[JournalEvent]]) -> String {
        var lines = ""
        for k in 0..<(runs.map(\.count).max() ?? 0) {
            for run in runs where k < run.count { lines += run[k].jsonLine + "\n" }
        }
        return lines
    }

    /// The events as JSON Lines.
    public var jsonl: String {
        events.map { $0.jsonLine + "\n" }.joined()
    }
}
