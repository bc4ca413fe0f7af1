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

    /// The recorded run's id.
    public let run: String
    /// The run's goal (`run.started` `goal`; empty when it has none).
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
    /// The approval decisions, by `step:ID` or `plan:VERSION` (a step's last one).
    public private(set) var approvals: [String: ApprovalDecision] = [:]
    /// Each step's decisions in order, with the plan version in force when each was made (a step
    /// a replan changed is asked again).
    public private(set) var stepDecisions: [String: [(planVersion: Int, decision: ApprovalDecision)]] = [:]
    /// The `run.completed` status, when the run ended.
    public private(set) var finalStatus: String?
    /// The full step list of every plan version, in order.
    public private(set) var plans: [[PlanStep]] = []
    /// Every tool call with what it returned, in order.
    public private(set) var toolCalls: [ToolCall] = []
    /// What each finished attempt of a step did on its way (aligned with ``outcomes``).
    public private(set) var attempts: [String: [AttemptWork]] = [:]
    /// The model calls made to write each plan version (aligned with ``plans``).
    public private(set) var planCalls: [[ModelCall]] = []
    /// For each judgement in ``judgements``, the judge's model calls.
    public private(set) var judgeCalls: [String: [[ModelCall]]] = [:]
    /// The review of each plan version (by version), with the reviewer's model calls.
    public private(set) var reviews: [Int: PlanReview] = [:]
    /// When the run was cancelled (a `planj cancel` note, a human's note followed by the skips of
    /// a cancellation, or its `run.completed`): the attempts each step had finished by then, and why.
    public private(set) var cancelledAfter: (finished: [String: Int], reason: String)?
    /// Whether approval points are answered with the recorded decisions (``decision(stepID:version:)``);
    /// the recorded cancellation stands either way.
    public var answersApprovals = true

    /// The calls one recorded attempt of a step made, so that a replay answering from the
    /// recording journals them again: the fork then costs what the original did, and its audit
    /// sees the same tool calls.
    public struct AttemptWork: Sendable {
        /// The executor's model calls.
        public var modelCalls: [ModelCall] = []
        /// Indexes into ``RecordedRun/toolCalls``.
        public var toolCalls: [Int] = []
    }

    /// A recorded tool call and its observation.
    public struct ToolCall: Sendable {
        /// The step that made the call.
        public var stepID: String
        /// The tool called.
        public var tool: String
        /// The call's arguments, as recorded.
        public var args: JSONValue
        /// What the tool returned, as the call's `step.observed` recorded it; `nil` when no observation
        /// followed the call.
        public var output: ToolOutput?
        /// The recorded `duration_ms` of its observation.
        public var durationMs: Double?
    }

    /// Indexes `events` (all of one run, in order).
    public init(run: String, events: [JournalEvent]) {
        self.run = run
        var goal = ""
        var state = PlanState(run: run)
        var lastMatch: [String: Bool?] = [:]
        var callIndex: [String: Int] = [:]
        // Calls not yet assigned to the attempt, plan or judgement they were made for.
        var working: [String: AttemptWork] = [:]
        var judging: [String: [ModelCall]] = [:]
        var planning: [ModelCall] = []
        var reviewing: [ModelCall] = []
        var finished: [String: Int] = [:]
        let projection = PlanProjection()
        for e in events {
            projection.apply(&state, e)
            switch e.knownKind {
            case .runStarted?: goal = e.dataString("goal") ?? ""
            case .goalAnalyzed?: planning.removeAll()
            case .planProposed?, .planRevised?:
                if let plan = state.plans.last, plan.seq == e.seq {
                    plans.append(plan.steps)
                    planCalls.append(planning)
                }
                planning.removeAll()
            case .callModel?:
                guard let call = ModelCall(wire: e.data, purpose: "execute") else { break }
                if let id = e.dataString("step_id") {
                    if e.actor == "judge" || call.purpose == "judge" {
                        judging[id, default: []].append(call)
                    } else {
                        working[id, default: AttemptWork()].modelCalls.append(call)
                    }
                } else if e.actor == "reviewer" || call.purpose == "review" {
                    reviewing.append(call)
                } else if e.actor != "judge" && !["analyze", "judge"].contains(call.purpose) {
                    planning.append(call)
                }
            case .planReviewed?:
                var review = PlanReview(recorded: e)
                review.calls = reviewing
                reviewing.removeAll()
                reviews[Int(clamping: e.dataInt("version") ?? Int64(state.currentPlan?.version ?? 0))] = review
            case .stepCompleted?:
                if let id = e.dataString("step_id") {
                    judgements[id, default: []].append(lastMatch[id] ?? nil)
                    judgeCalls[id, default: []].append(judging.removeValue(forKey: id) ?? [])
                    lastMatch[id] = nil
                    attempts[id, default: []].append(working.removeValue(forKey: id) ?? AttemptWork())
                    finished[id, default: 0] += 1
                    outcomes[id, default: []].append(
                        .completed(output: e.data("output") ?? .string(""), summary: e.dataString("summary")))
                }
            case .stepFailed?:
                if let id = e.dataString("step_id") {
                    judging[id] = nil
                    attempts[id, default: []].append(working.removeValue(forKey: id) ?? AttemptWork())
                    if !e.isCutOffAttempt { finished[id, default: 0] += 1 }
                    let error = e.data("error")
                    outcomes[id, default: []].append(
                        .failed(
                            type: error?["type"]?.stringValue ?? "recorded_failure",
                            message: error?["message"]?.stringValue ?? error?.textValue ?? "failed",
                            retryable: e.dataBool("retryable") ?? false))
                }
            case .stepStarted?:
                // An attempt that never finished (the run was interrupted) answers nothing.
                if let id = e.dataString("step_id") { working[id] = nil }
            case .note?:
                if let reason = e.cancellationReason, cancelledAfter == nil {
                    cancelledAfter = (finished, "run \(run) was \(reason)")
                }
            case .callTool?:
                if let id = e.dataString("step_id"), let tool = e.dataString("tool") {
                    if let call = e.dataString("call_id") { callIndex[call] = toolCalls.count }
                    working[id, default: AttemptWork()].toolCalls.append(toolCalls.count)
                    toolCalls.append(ToolCall(stepID: id, tool: tool, args: e.data("args") ?? .object([])))
                }
            case .stepObserved?:
                if let id = e.dataString("step_id"), let m = e.dataBool("matches_expected") { lastMatch[id] = m }
                if let call = e.dataString("call_id"), let k = callIndex.removeValue(forKey: call) {
                    toolCalls[k].output = ToolOutput(
                        ok: e.dataBool("ok") ?? true, content: e.dataString("content") ?? e.data("content")?.textValue ?? "",
                        contentType: e.dataString("content_type") ?? "text/plain")
                    toolCalls[k].durationMs = e.data("duration_ms")?.doubleValue
                }
            case .stepSkipped?:
                if cancelledAfter == nil, e.dataString("reason")?.hasPrefix("run cancelled") == true {
                    cancelledAfter = (finished, "run \(run) was cancelled here")
                }
            case .replanTriggered?:
                let id = e.dataString("step_id") ?? ""
                replannedSteps.append(id)
                if let last = outcomes[id]?.last, case .failed = last { replannedFailures[id, default: []].insert(outcomes[id]!.count - 1) }
            case .approvalResolved?:
                let key = e.dataString("step_id").map { "step:\($0)" } ?? "plan:\(e.dataInt("version") ?? 0)"
                // Given again by the replay, not by who decided: the policy, naming them.
                let decided = "as \(e.actor ?? "the original") decided in run \(run) at seq \(e.seq)"
                let decision = ApprovalDecision(
                    decision: e.dataString("decision") ?? "granted", actor: "policy",
                    comment: e.dataString("comment").map { "\(decided): \($0)" } ?? decided)
                approvals[key] = decision
                if let id = e.dataString("step_id") {
                    stepDecisions[id, default: []].append((state.currentPlan?.version ?? 0, decision))
                }
            case .runCompleted?:
                finalStatus = e.dataString("status")
                if finalStatus == "cancelled" && cancelledAfter == nil {
                    cancelledAfter = (finished, "run \(run) was cancelled here")
                }
            default: break
            }
        }
        // A cancel request the run did not act on (it came while the runner was already
        // completing the run otherwise) is not replayed: the replay ends as the run did.
        if let finalStatus, finalStatus != "cancelled" { cancelledAfter = nil }
        self.goal = goal
    }

    /// The recorded decision for a step or plan version.
    public func decision(stepID: String?, version: Int?) -> ApprovalDecision? {
        guard answersApprovals else { return nil }
        return approvals[stepID.map { "step:\($0)" } ?? "plan:\(version ?? 0)"]
    }

    /// The decision recorded for the step's request under `planVersion`: the last one made while
    /// that version or an earlier one was in force, else the step's first.
    public func decision(stepID: String, planVersion: Int) -> ApprovalDecision? {
        guard answersApprovals, let decisions = stepDecisions[stepID] else { return nil }
        return decisions.last { $0.planVersion <= planVersion }?.decision ?? decisions.first?.decision
    }

    /// The recording's cancellation, once each step has finished as many attempts as it had when
    /// the recording was cancelled.
    public func cancellation(finished: (String) -> Int) -> String? {
        guard let cancelledAfter, cancelledAfter.finished.allSatisfy({ finished($0.key) >= $0.value }) else { return nil }
        return cancelledAfter.reason
    }
}
