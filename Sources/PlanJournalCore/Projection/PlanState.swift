/// The state of a run's plan after some prefix of its events: what ``PlanProjection`` folds to.
public struct PlanState: Sendable, Codable, Equatable {
    /// The run id.
    public var run: String
    /// The seq of the last event folded in (0 before any).
    public var seq: Int64 = 0
    /// The goal from `run.started`.
    public var goal: String?
    /// `running` until `run.completed`, then its status (`succeeded`, `failed`, `partially_succeeded`, `cancelled`).
    public var status: String = "running"
    /// The time of `run.started`; `nil` before it.
    public var startedAt: Timestamp?
    /// The time of the last event folded in.
    public var updatedAt: Timestamp?
    /// The time of `run.completed`; `nil` while the run has not ended.
    public var endedAt: Timestamp?
    /// `data.final_answer` of `run.completed` (an answer that is no string, as its JSON text); `nil`
    /// when there is none.
    public var finalAnswer: String?
    /// What ended the run early, as `run.completed` says in `data.stopped_by` (`max_replans`,
    /// `reviewer_error`, `timeout`, ...); `nil` when it does not say.
    public var stoppedBy: String?
    /// Why, as `run.completed` says in `data.error` (`type: message`, or its text); `nil` when it
    /// does not say.
    public var error: String?
    /// Every plan version, in the order they appeared.
    public var plans: [PlanVersion] = []
    /// The version the run follows now (the latest proposed or revised).
    public var currentVersion: Int?
    /// Every step of every plan version, in the order they first appeared.
    public var steps: [StepState] = []
    /// Every approval request and decision, in seq order.
    public var approvals: [Approval] = []
    /// Every plan review, in seq order.
    public var reviews: [Review] = []
    /// Every replan trigger, in seq order.
    public var replans: [Replan] = []
    /// Sums over the whole run: events, tokens, cost, calls and replans.
    public var totals = Totals()
    /// Position of each step in ``steps``.
    var stepIndex: [String: Int] = [:]

    enum CodingKeys: String, CodingKey {
        case run, seq, goal, status, startedAt, updatedAt, endedAt, finalAnswer, stoppedBy, error, plans, currentVersion, steps
        case approvals, reviews, replans, totals
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        run = try c.decode(String.self, forKey: .run)
        seq = try c.decode(Int64.self, forKey: .seq)
        goal = try c.decodeIfPresent(String.self, forKey: .goal)
        status = try c.decode(String.self, forKey: .status)
        startedAt = try c.decodeIfPresent(Timestamp.self, forKey: .startedAt)
        updatedAt = try c.decodeIfPresent(Timestamp.self, forKey: .updatedAt)
        endedAt = try c.decodeIfPresent(Timestamp.self, forKey: .endedAt)
        finalAnswer = try c.decodeIfPresent(String.self, forKey: .finalAnswer)
        stoppedBy = try c.decodeIfPresent(String.self, forKey: .stoppedBy)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        plans = try c.decode([PlanVersion].self, forKey: .plans)
        currentVersion = try c.decodeIfPresent(Int.self, forKey: .currentVersion)
        steps = try c.decode([StepState].self, forKey: .steps)
        approvals = try c.decode([Approval].self, forKey: .approvals)
        reviews = try c.decode([Review].self, forKey: .reviews)
        replans = try c.decode([Replan].self, forKey: .replans)
        totals = try c.decode(Totals.self, forKey: .totals)
        for (k, step) in steps.enumerated() { stepIndex[step.id] = k }
    }

    /// An empty state for `run`.
    public init(run: String) {
        self.run = run
    }

    /// The step with `id`, if any plan version holds it.
    public func step(_ id: String) -> StepState? {
        stepIndex[id].map { steps[$0] }
    }

    /// The plan the run follows now.
    public var currentPlan: PlanVersion? {
        plans.last(where: { $0.version == currentVersion })
    }

    /// The states a step can be in.
    public enum StepStatus: String, Sendable, Codable, CaseIterable {
        case pending, awaitingApproval = "awaiting_approval", running, completed, failed, skipped, denied, removed
    }

    /// One plan version.
    public struct PlanVersion: Sendable, Codable, Equatable {
        /// The version number (`data.version`).
        public var version: Int
        /// The seq of the `plan.proposed` / `plan.revised` event.
        public var seq: Int64
        /// `proposed` or `revised`.
        public var origin: String
        /// The version a revision starts from (`data.base_version`); `nil` for a proposal.
        public var baseVersion: Int?
        /// The version's full step list (for a revision: its base with the removals, changes and additions applied).
        public var steps: [PlanStep]
        /// Ids of the steps this version added to its base (every step, for a proposal).
        public var added: [String] = []
        /// Ids of the base's steps this version removed.
        public var removed: [String] = []
        /// Ids of the base's steps this version replaced with a changed definition.
        public var changed: [String] = []
        /// `data.reason` of the event (why the plan was revised), when given.
        public var reason: String?
        /// The planner's `data.rationale`, when given.
        public var rationale: String?
    }

    /// One step's progress.
    public struct StepState: Sendable, Codable, Equatable {
        /// The step id (one entry per id, across all plan versions).
        public var id: String
        /// Where the step is now. A step the plan in force no longer holds is ``StepStatus/removed``
        /// unless it had completed or been skipped.
        public var status: StepStatus = .pending
        /// Attempts started: one per `step.started`, or the `data.attempt` of a `step.started` or
        /// `step.failed` when that is higher.
        public var attempts: Int = 0
        /// The step's tool, as the latest plan version defines it or a later `step.started` names it.
        public var tool: String?
        /// The step's description in the latest plan version that holds it.
        public var description: String?
        /// The time of the latest `step.started`; `nil` before the first.
        public var startedAt: Timestamp?
        /// When the latest attempt completed, failed or was skipped; `nil` while it runs or before it starts.
        public var endedAt: Timestamp?
        /// The latest attempt's duration in milliseconds: `data.duration_ms` of `step.completed`, else the
        /// time from `step.started` to the end; `nil` when unknown.
        public var durationMs: Double?
        /// The `summary`, or the start of the `output`, of `step.completed`.
        public var outputSummary: String?
        /// The error message of the last `step.failed`.
        public var error: String?
        /// The number of `step.observed` events.
        public var observations: Int = 0
        /// `data.ok` of the latest `step.observed` that has it; `nil` when none has.
        public var lastObservationOK: Bool?
        /// Whether the output matches the step's expected output: `data.matches_expected` of the latest
        /// `step.observed` that has it; `nil` when it was not judged, or the judgement was unreadable.
        public var matchesExpected: Bool?
        /// Input tokens of the `call.model` events naming this step (`data.usage.input_tokens`), from
        /// the first plan version that holds it on (a call before that counts in the run's totals only).
        public var inputTokens: Int64 = 0
        /// Output tokens of the `call.model` events naming this step (`data.usage.output_tokens`).
        public var outputTokens: Int64 = 0
        /// Cost in US dollars of the `call.model` events naming this step (`data.cost_usd`).
        public var costUSD: Double = 0
        /// The number of `call.model` events naming this step.
        public var modelCalls: Int = 0
        /// The number of `call.tool` events naming this step.
        public var toolCalls: Int = 0
        /// Tokens in and out.
        public var tokens: Int64 { inputTokens.saturatingAdd(outputTokens) }
        /// The plan versions that hold this step.
        public var versions: [Int] = []

        enum CodingKeys: String, CodingKey {
            case id, status, attempts, tool, description, startedAt, endedAt, durationMs, outputSummary, error
            case observations, lastObservationOK, matchesExpected, inputTokens, outputTokens, costUSD, modelCalls
            case toolCalls, versions
        }

        /// Encodes every property, the cost without float noise (``Swift/Double/withoutFloatNoise``).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(status, forKey: .status)
            try c.encode(attempts, forKey: .attempts)
            try c.encodeIfPresent(tool, forKey: .tool)
            try c.encodeIfPresent(description, forKey: .description)
            try c.encodeIfPresent(startedAt, forKey: .startedAt)
            try c.encodeIfPresent(endedAt, forKey: .endedAt)
            try c.encodeIfPresent(durationMs, forKey: .durationMs)
            try c.encodeIfPresent(outputSummary, forKey: .outputSummary)
            try c.encodeIfPresent(error, forKey: .error)
            try c.encode(observations, forKey: .observations)
            try c.encodeIfPresent(lastObservationOK, forKey: .lastObservationOK)
            try c.encodeIfPresent(matchesExpected, forKey: .matchesExpected)
            try c.encode(inputTokens, forKey: .inputTokens)
            try c.encode(outputTokens, forKey: .outputTokens)
            try c.encode(costUSD.withoutFloatNoise, forKey: .costUSD)
            try c.encode(modelCalls, forKey: .modelCalls)
            try c.encode(toolCalls, forKey: .toolCalls)
            try c.encode(versions, forKey: .versions)
        }
    }

    /// An approval request or decision.
    public struct Approval: Sendable, Codable, Equatable {
        /// The seq of the `approval.requested` or `approval.resolved` event.
        public var seq: Int64
        /// `requested`, `granted` or `denied`.
        public var decision: String
        /// The step the approval is for; `nil` when it is for a plan version.
        public var stepID: String?
        /// The plan version the approval is for (`data.version`), when given.
        public var version: Int?
        /// Who requested or decided (the event's `actor`), when recorded.
        public var actor: String?
        /// The reason of a request or the comment of a decision.
        public var text: String?
    }

    /// A plan review.
    public struct Review: Sendable, Codable, Equatable {
        /// The seq of the `plan.reviewed` event.
        public var seq: Int64
        /// The plan version reviewed (`data.version`; 0 when missing).
        public var version: Int
        /// `approved`, `changes_requested`, `rejected` or `amended` (empty when missing).
        public var verdict: String
        /// `data.reviewer`, else the event's actor; `nil` when neither is there.
        public var reviewer: String?
    }

    /// A replan trigger.
    public struct Replan: Sendable, Codable, Equatable {
        /// The seq of the `replan.triggered` event.
        public var seq: Int64
        /// Why: `step_failed`, `observation_mismatch`, `changes_requested`, or an agent's own reason
        /// (empty when missing).
        public var reason: String
        /// The step that triggered the replan; `nil` when none is named (a `changes_requested` replan).
        public var stepID: String?
    }

    /// Run-wide sums.
    public struct Totals: Sendable, Codable, Equatable {
        /// Events folded in.
        public var events: Int64 = 0
        /// Input tokens of every `call.model`, planning calls included (`data.usage.input_tokens`).
        public var inputTokens: Int64 = 0
        /// Output tokens of every `call.model`, planning calls included (`data.usage.output_tokens`).
        public var outputTokens: Int64 = 0
        /// Cost in US dollars of every `call.model` (`data.cost_usd`).
        public var costUSD: Double = 0
        /// The number of `call.model` events.
        public var modelCalls: Int = 0
        /// The number of `call.tool` events.
        public var toolCalls: Int = 0
        /// The number of `replan.triggered` events.
        public var replans: Int = 0
        /// Tokens in and out.
        public var tokens: Int64 { inputTokens.saturatingAdd(outputTokens) }

        enum CodingKeys: String, CodingKey {
            case events, inputTokens, outputTokens, costUSD, modelCalls, toolCalls, replans
        }

        /// Encodes every property, the cost without float noise (``Swift/Double/withoutFloatNoise``).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(events, forKey: .events)
            try c.encode(inputTokens, forKey: .inputTokens)
            try c.encode(outputTokens, forKey: .outputTokens)
            try c.encode(costUSD.withoutFloatNoise, forKey: .costUSD)
            try c.encode(modelCalls, forKey: .modelCalls)
            try c.encode(toolCalls, forKey: .toolCalls)
            try c.encode(replans, forKey: .replans)
        }
    }
}
