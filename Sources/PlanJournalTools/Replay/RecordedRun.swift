import PlanJournalCore
import PlanJournalRuntime

/// What a recorded run answered: each step attempt's outcome, judgements, replans, approvals,
/// tool calls and plan revisions, for the `recorded` planner, executor and tools of a replay.
public struct RecordedRun: Sendable, ApprovalSource {
    /// A step's recorded outcome.
    public enum Outcome: Sendable, Equatable {
        /// `output` is the recorded `output` value (a string, or any JSON the executor gave).
        case completed(output: JSONValue, summary: String?)
        case failed(type: String, message: String, retryable: Bool)
    }

    public let run: String
    public let goal: String
    /// Each step's outcomes, one per finished attempt, in order.
    public private(set) var outcomes: [String: [Outcome]] = [:]
    /// For each `step.completed` of a step, in order, the `matches_expected` of the step's last
    /// observation before it (`nil` when none said).
    public private(set) var judgements: [String: [Bool?]] = [:]
    /// The steps whose failure made the run replan, in order.
    public private(set) var replannedSteps: [String] = []
    /// Per step, the indexes in ``outcomes`` of failures the run replanned after (rather than
    /// trying the step again in the same plan).
    public private(set) var replannedFailures: [String: Set<Int>] = [:]
    /// The approval decisions, by `step:ID` or `plan:VERSION`.
    public private(set) var approvals: [String: ApprovalDecision] = [:]
    /// The `run.completed` status, when the run ended.
    public private(set) var finalStatus: String?
    /// The full step list of every plan version, in order.
    public private(set) var plans: [[PlanStep]] = []
    /// Every tool call with what it returned, in order.
    public private(set) var toolCalls: [ToolCall] = []

    /// A recorded tool call and its observation.
    public struct ToolCall: Sendable {
        public var stepID: String
        public var tool: String
        public var args: JSONValue
        public var output: ToolOutput?
    }

    /// Indexes `events` (all of one run, in order).
    public init(run: String, events: [JournalEvent]) {
        self.run = run
        var goal = ""
        var state = PlanState(run: run)
        var lastMatch: [String: Bool?] = [:]
        var callIndex: [String: Int] = [:]
        let projection = PlanProjection()
        for e in events {
            projection.apply(&state, e)
            switch e.knownKind {
            case .runStarted?: goal = e.dataString("goal") ?? ""
            case .planProposed?, .planRevised?:
                if let plan = state.plans.last, plan.seq == e.seq { plans.append(plan.steps) }
            case .stepCompleted?:
                if let id = e.dataString("step_id") {
                    judgements[id, default: []].append(lastMatch[id] ?? nil)
                    lastMatch[id] = nil
                    outcomes[id, default: []].append(
                        .completed(output: e.data("output") ?? .string(""), summary: e.dataString("summary")))
                }
            case .stepFailed?:
                if let id = e.dataString("step_id") {
                    let error = e.data("error")
                    outcomes[id, default: []].append(
                        .failed(
                            type: error?["type"]?.stringValue ?? "recorded_failure",
                            message: error?["message"]?.stringValue ?? error?.textValue ?? "failed",
                            retryable: e.dataBool("retryable") ?? false))
                }
            case .callTool?:
                if let id = e.dataString("step_id"), let tool = e.dataString("tool") {
                    if let call = e.dataString("call_id") { callIndex[call] = toolCalls.count }
                    toolCalls.append(ToolCall(stepID: id, tool: tool, args: e.data("args") ?? .object([])))
                }
            case .stepObserved?:
                if let id = e.dataString("step_id"), let m = e.dataBool("matches_expected") { lastMatch[id] = m }
                if let call = e.dataString("call_id"), let k = callIndex.removeValue(forKey: call) {
                    toolCalls[k].output = ToolOutput(
                        ok: e.dataBool("ok") ?? true, content: e.dataString("content") ?? e.data("content")?.textValue ?? "",
                        contentType: e.dataString("content_type") ?? "text/plain")
                }
            case .replanTriggered?:
                let id = e.dataString("step_id") ?? ""
                replannedSteps.append(id)
                if let last = outcomes[id]?.last, case .failed = last { replannedFailures[id, default: []].insert(outcomes[id]!.count - 1) }
            case .approvalResolved?:
                let key = e.dataString("step_id").map { "step:\($0)" } ?? "plan:\(e.dataInt("version") ?? 0)"
                approvals[key] = ApprovalDecision(
                    decision: e.dataString("decision") ?? "granted", actor: e.actor ?? "human",
                    comment: e.dataString("comment"))
            case .runCompleted?:
                finalStatus = e.dataString("status")
            default: break
            }
        }
        self.goal = goal
    }

    /// The recorded decision for a step or plan version.
    public func decision(stepID: String?, version: Int?) -> ApprovalDecision? {
        approvals[stepID.map { "step:\($0)" } ?? "plan:\(version ?? 0)"]
    }
}
