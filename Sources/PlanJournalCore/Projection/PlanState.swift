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
    public var startedAt: Timestamp?
    /// The time of the last event folded in.
    public var updatedAt: Timestamp?
    public var endedAt: Timestamp?
    public var finalAnswer: String?
    /// Every plan version, in the order they appeared.
    public var plans: [PlanVersion] = []
    /// The version the run follows now (the latest proposed or revised).
    public var currentVersion: Int?
    /// Every step of every plan version, in the order they first appeared.
    public var steps: [StepState] = []
    public var approvals: [Approval] = []
    public var reviews: [Review] = []
    public var replans: [Replan] = []
    public var totals = Totals()
    /// Position of each step in ``steps``.
    var stepIndex: [String: Int] = [:]

    enum CodingKeys: String, CodingKey {
        case run, seq, goal, status, startedAt, updatedAt, endedAt, finalAnswer, plans, currentVersion, steps
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
        public var version: Int
        /// The seq of the `plan.proposed` / `plan.revised` event.
        public var seq: Int64
        /// `proposed` or `revised`.
        public var origin: String
        public var baseVersion: Int?
        public var steps: [PlanStep]
        /// Step ids this version added, removed and changed compared with its base.
        public var added: [String] = []
        public var removed: [String] = []
        public var changed: [String] = []
        public var reason: String?
        public var rationale: String?
    }

    /// One step's progress.
    public struct StepState: Sendable, Codable, Equatable {
        public var id: String
        public var status: StepStatus = .pending
        public var attempts: Int = 0
        public var tool: String?
        public var description: String?
        public var startedAt: Timestamp?
        public var endedAt: Timestamp?
        public var durationMs: Double?
        /// The `summary`, or the start of the `output`, of `step.completed`.
        public var outputSummary: String?
        /// The error message of the last `step.failed`.
        public var error: String?
        public var observations: Int = 0
        public var lastObservationOK: Bool?
        public var matchesExpected: Bool?
        public var inputTokens: Int64 = 0
        public var outputTokens: Int64 = 0
        public var costUSD: Double = 0
        public var modelCalls: Int = 0
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
        public var seq: Int64
        /// `requested`, `granted` or `denied`.
        public var decision: String
        public var stepID: String?
        public var version: Int?
        public var actor: String?
        /// The reason of a request or the comment of a decision.
        public var text: String?
    }

    /// A plan review.
    public struct Review: Sendable, Codable, Equatable {
        public var seq: Int64
        public var version: Int
        public var verdict: String
        public var reviewer: String?
    }

    /// A replan trigger.
    public struct Replan: Sendable, Codable, Equatable {
        public var seq: Int64
        public var reason: String
        public var stepID: String?
    }

    /// Run-wide sums.
    public struct Totals: Sendable, Codable, Equatable {
        public var events: Int64 = 0
        public var inputTokens: Int64 = 0
        public var outputTokens: Int64 = 0
        public var costUSD: Double = 0
        public var modelCalls: Int = 0
        public var toolCalls: Int = 0
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
