import PlanJournalCore

/// The read model's rows for one run, made from its new events and its plan state (no I/O).
struct ReadModelRows {
    /// The run id.
    let id: SQLValue
    /// The run's `read_runs` row (after ``fold(_:summary:)``).
    var run: [SQLValue] = []
    /// Its `read_steps` rows (all of them: they replace the stored ones).
    var steps: [[SQLValue]] = []
    /// `read_calls` rows of the events folded since the last refresh, with what their
    /// observations since then said.
    var calls: [[SQLValue]] = []
    /// What the observations since the last refresh said of tool calls made before it: ok,
    /// duration_ms, bytes, then run (twice), step_id, call_id and the observation's seq (the
    /// parameters of ``ReadModelRows/observe``).
    var observations: [[SQLValue]] = []

    /// The upsert of `rows` `read_runs` rows.
    static func insertRuns(_ rows: Int) -> String {
        ReadModelTables.insert(into: "read_runs", conflict: "ON CONFLICT(run) DO UPDATE SET", updatingAllBut: ["run"], rows: rows)
    }
    /// The insert of `rows` `read_steps` rows.
    static func insertSteps(_ rows: Int) -> String { ReadModelTables.insert(into: "read_steps", rows: rows) }
    /// The insert of `rows` `read_calls` rows.
    static func insertCalls(_ rows: Int) -> String {
        ReadModelTables.insert(into: "read_calls", conflict: "ON CONFLICT(run, seq) DO NOTHING", rows: rows)
    }
    /// The last of ``calls`` that is a tool call, by its step id and call id (byte for byte, as
    /// SQL compares them).
    private var lastToolCall: [ToolCallKey: Int] = [:]
    private struct ToolCallKey: Hashable {
        let step: ExactString
        let call: ExactString
    }
    /// Where a call's observation goes in its row: `ok`, `duration_ms`, `bytes`.
    private static let observedColumns = 12..<15
    /// An observation describes the latest tool call of its step before it with its `call_id`: an
    /// agent may use one id again (`c1` on each attempt, or in each of two parallel steps), and
    /// each call keeps its own observation. (For a call folded in an earlier refresh.)
    static let observe = """
        UPDATE read_calls SET ok = ?, duration_ms = ?, bytes = ? WHERE run = ? AND kind = 'tool' AND seq = (
            SELECT max(seq) FROM read_calls WHERE run = ? AND step_id = ? AND call_id = ? AND kind = 'tool' AND seq < ?)
        """

    /// Rows for `run`, without any yet.
    init(run: String) {
        id = .text(run)
    }

    /// Sets the run's row and its step rows to what `state` says; `forkGap`, the time between a
    /// fork's fork point and its own first event, is left out of its duration.
    mutating func fold(_ state: PlanState, summary: RunSummary, forkGap: Duration? = nil) {
        let current = state.currentPlan.map { Set($0.steps.map(\.id)) } ?? []
        let inPlan = state.steps.filter { current.contains($0.id) }
        var duration: Double?
        if let start = state.startedAt, let end = state.endedAt {
            let gap = forkGap.map { Double($0.components.seconds) * 1e6 + Double($0.components.attoseconds) / 1e12 } ?? 0
            duration = (Double(end.microseconds - start.microseconds) - gap) / 1000
        }
        run = [
            id, Self.text(state.goal ?? summary.goal), .text(state.status), .int(state.seq),
            Self.time(state.startedAt), Self.time(state.endedAt),
            Self.real(duration),
            Self.text(summary.parent), Self.int(summary.forkSeq), .int(Int64(state.plans.count)),
            .int(Int64(inPlan.count)), .int(Int64(inPlan.count { $0.status == .completed })),
            .int(Int64(inPlan.count { $0.status == .failed })), .int(Int64(state.totals.replans)),
            .int(Int64(state.totals.modelCalls)), .int(Int64(state.totals.toolCalls)),
            .int(state.totals.inputTokens), .int(state.totals.outputTokens), .double(state.totals.costUSD.withoutFloatNoise),
            Self.text(state.stoppedBy), Self.text(state.error),
        ]
        steps = state.steps.map { s in
            [
                id, .text(s.id), .text(s.status.rawValue), .int(Int64(s.attempts)), Self.text(s.tool),
                Self.text(s.description), Self.int(s.versions.min().map(Int64.init)),
                Self.int(s.versions.max().map(Int64.init)), Self.time(s.startedAt), Self.time(s.endedAt),
                Self.real(s.durationMs), .int(Int64(s.modelCalls)), .int(Int64(s.toolCalls)),
                .int(Int64(s.observations)), Self.int(s.matchesExpected.map { $0 ? 1 : 0 }), .int(s.inputTokens),
                .int(s.outputTokens), .double(s.costUSD.withoutFloatNoise), Self.text(s.error), Self.text(s.outputSummary),
            ]
        }
    }

    /// Adds what `event` (of this run, after the last refresh) holds for `read_calls`, its step
    /// id spelt as the step's in `state` (the state it is folded into): a call and its
    /// observation may write one id in two Unicode forms.
    mutating func add(_ event: JournalEvent, in state: PlanState) {
        let stepID = event.dataString("step_id").map { state.step($0)?.id ?? $0 }
        switch event.knownKind {
        case .callModel:
            calls.append([
                id, .int(event.seq), .text(event.ts.description), .text("model"), Self.text(stepID),
                Self.text(event.dataString("model")), Self.text(event.dataString("purpose")),
                Self.text(event.dataString("call_id")), Self.int(event.dataMemberInt("usage", "input_tokens").map { max(0, $0) }),
                Self.int(event.dataMemberInt("usage", "output_tokens").map { max(0, $0) }), Self.real(event.dataDouble("cost_usd")),
                Self.real(event.dataDouble("latency_ms")), .null, .null, .null,
            ])
        case .callTool:
            if let step = stepID, let callID = event.dataString("call_id") {
                lastToolCall[ToolCallKey(step: ExactString(step), call: ExactString(callID))] = calls.count
            }
            calls.append([
                id, .int(event.seq), .text(event.ts.description), .text("tool"), Self.text(stepID),
                Self.text(event.dataString("tool")), .null, Self.text(event.dataString("call_id")), .null, .null, .null,
                .null, .null, .null, .null,
            ])
        case .stepObserved:
            guard let callID = event.dataString("call_id"), let step = stepID else { return }
            observed += 1
            let said = [
                Self.int(event.dataBool("ok").map { $0 ? 1 : 0 }), Self.real(event.dataDouble("duration_ms")),
                Self.int(event.dataInt("bytes")),
            ]
            // The latest tool call before it (every call here is) of its step with its id; one
            // folded before this refresh is updated in SQL.
            if let k = lastToolCall[ToolCallKey(step: ExactString(step), call: ExactString(callID))] {
                calls[k].replaceSubrange(Self.observedColumns, with: said)
            } else {
                observations.append(said + [id, id, .text(step), .text(callID), .int(event.seq)])
            }
        default:
            break
        }
    }

    /// How many rows this writes.
    var count: Int { 1 + steps.count + calls.count + observed }
    /// Observations of tool calls since the last refresh (each a call's update).
    private var observed = 0

    private static func text(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
    private static func int(_ n: Int64?) -> SQLValue { n.map { .int($0) } ?? .null }
    private static func real(_ d: Double?) -> SQLValue { d.map { .double($0) } ?? .null }
    private static func time(_ t: Timestamp?) -> SQLValue { t.map { .text($0.description) } ?? .null }
}
