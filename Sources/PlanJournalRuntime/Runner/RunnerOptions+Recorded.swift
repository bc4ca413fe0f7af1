import PlanJournalCore

extension RunnerOptions {
    /// The limits and policies a run recorded in its `run.started` `config` (`parallel`,
    /// `max_attempts`, `max_steps`, `max_replans`, `approve`, `approve_plan`, `budget_usd`,
    /// `timeout_s`); each one `config` lacks keeps its default.
    public init(recorded config: JSONValue?) {
        self.init()
        guard let config else { return }
        if let v = config["parallel"]?.int64Value { parallel = Int(clamping: max(1, v)) }
        if let v = config["max_attempts"]?.int64Value { maxAttempts = Int(clamping: max(1, v)) }
        if let v = config["max_steps"]?.int64Value { maxSteps = Int(clamping: v) }
        if let v = config["max_replans"]?.int64Value { maxReplans = Int(clamping: v) }
        if let v = config["approve"]?.stringValue, let mode = ApprovalMode(rawValue: v) { approval = mode }
        if let v = config["budget_usd"]?.doubleValue { budgetUSD = v }
        if let v = config["timeout_s"]?.doubleValue { timeout = .milliseconds(Int64(saturating: v * 1000)) }
        if config["approve_plan"]?.boolValue == true { approvePlan = true }
    }

    /// The limits a run was last driven with: those its last resume recorded, else those of its
    /// `run.started` `config`.
    public init(lastDriven events: [JournalEvent]) {
        self = RunnerOptions(lastResumeOf: events) ?? RunnerOptions(recorded: events.first { $0.knownKind == .runStarted }?.data("config"))
    }

    /// The limits the run's last resume recorded (`note` `resumed`, `limits`); `nil` when none did.
    public init?(lastResumeOf events: [JournalEvent]) {
        guard let limits = events.last(where: { $0.knownKind == .note && $0.dataString("message") == "resumed" })?.data("limits")
        else { return nil }
        self.init(recorded: limits)
    }

    /// The `config` members that record these options in `run.started` (read back by
    /// ``init(recorded:)``).
    public var recordedMembers: [JSONValue.Member] {
        var members: [JSONValue.Member] = [
            .init("parallel", .int(parallel)), .init("max_attempts", .int(maxAttempts)),
            .init("max_steps", .int(maxSteps)), .init("max_replans", .int(maxReplans)),
            .init("approve", .string(approval.rawValue)),
        ]
        if let budgetUSD { members.append(.init("budget_usd", .double(budgetUSD))) }
        if let timeout {
            let c = timeout.components
            members.append(.init("timeout_s", .double(Double(c.seconds) + Double(c.attoseconds) / 1e18)))
        }
        if approvePlan { members.append(.init("approve_plan", .bool(true))) }
        return members
    }
}
