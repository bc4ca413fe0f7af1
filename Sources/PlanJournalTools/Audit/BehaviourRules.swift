import Foundation
import PlanJournalCore

/// What a run did that deserves a look although no invariant broke: tool loops, retry and replan
/// storms, overrun limits, observations that did not match, steps the final answer never used,
/// and steps much slower or more expensive than the run's own median.
struct BehaviourRules {
    let run: String
    let policy: AuditPolicy
    private var findings: [Finding] = []

    /// The behaviour findings of a run's events (in seq order) and the state they fold to.
    static func check(run: String, events: [JournalEvent], state: PlanState, policy: AuditPolicy) -> [Finding] {
        var rules = BehaviourRules(run: run, policy: policy)
        rules.toolLoops(events)
        rules.storms(events)
        rules.limits(events, state)
        rules.unexpectedObservations(events)
        rules.unusedSteps(state)
        rules.outliers(state)
        return rules.findings
    }

    private init(run: String, policy: AuditPolicy) {
        self.run = run
        self.policy = policy
    }

    /// The same tool with the same arguments called again and again. A retry that re-issues the
    /// call its step made in an earlier attempt is not a loop (retry storms are their own finding),
    /// nor are calls without arguments made by different steps.
    private mutating func toolLoops(_ events: [JournalEvent]) {
        struct Calls {
            var count = 0
            var first: Int64
            var attempts: [String: Set<Int64>] = [:]
            var flagged: JournalEvent?

            /// Counts call `e` of `step`'s attempt `now` unless it re-issues an earlier attempt's call.
            mutating func record(_ e: JournalEvent, step: String, attempt now: Int64, flagAt repeats: Int) {
                let earlier = attempts[step]
                attempts[step, default: []].insert(now)
                guard earlier == nil || earlier?.contains(now) == true else { return }
                count += 1
                if count == repeats { flagged = e }
            }
        }
        var attempt: [String: Int64] = [:]
        var calls: [String: Calls] = [:]
        var order: [String] = []
        for e in events {
            let step = e.dataString("step_id") ?? ""
            if e.knownKind == .stepStarted {
                attempt[step] = e.dataInt("attempt") ?? (attempt[step] ?? 0) + 1
                continue
            }
            guard e.knownKind == .callTool else { continue }
            let args = String(decoding: e.rawData("args") ?? [], as: UTF8.self)
            // Calls without arguments (a clock, a status check) repeat across steps by design.
            let scope = args.isEmpty || args == "{}" || args == "null" ? step : ""
            let key = [e.dataString("tool") ?? "?", args, scope].joined(separator: "\u{0}")
            if calls[key] == nil { order.append(key) }
            // Changed in place: a copy out and back would copy its attempts, which grow with the steps.
            calls[key, default: Calls(first: e.seq)].record(
                e, step: step, attempt: attempt[step] ?? 1, flagAt: policy.toolLoopRepeats)
        }
        for key in order {
            guard let entry = calls[key], let e = entry.flagged else { continue }
            add(
                .warning, "behaviour.tool-loop", e.seq, e.dataString("step_id"),
                "tool \(e.dataString("tool") ?? "?") was called \(entry.count) times with the same arguments (first at seq \(entry.first))")
        }
    }

    private mutating func storms(_ events: [JournalEvent]) {
        // Attempts that failed: a step started again after a crash (no step.failed) is no retry.
        var failures: [String: Int] = [:]
        var inARow = 0
        var replans = 0
        for e in events {
            switch e.knownKind {
            case .stepFailed?:
                guard let step = e.dataString("step_id") else { continue }
                failures[step, default: 0] += 1
                if failures[step] == policy.retryStormAttempts {
                    add(.warning, "behaviour.retry-storm", e.seq, step, "failed \(policy.retryStormAttempts) times: a retry storm")
                }
            case .stepCompleted?:
                inARow = 0
            case .replanTriggered?:
                inARow += 1
                replans += 1
                if inARow == policy.replanStormInARow {
                    add(.warning, "behaviour.replan-storm", e.seq, e.dataString("step_id"), "\(inARow) replans in a row with no step completing between them")
                } else if replans == policy.replanStormTotal {
                    add(.warning, "behaviour.replan-storm", e.seq, e.dataString("step_id"), "\(replans) replans in one run")
                }
            default: break
            }
        }
    }

    /// The limits a run declares in `run.started` `config` (`budget_usd`, `max_tokens`,
    /// `timeout_s`, `max_steps`, `max_replans`), or its last resume's, against what it spent.
    private mutating func limits(_ events: [JournalEvent], _ s: PlanState) {
        guard let started = events.first, started.knownKind == .runStarted, case .object(var members) = started.data("config")
        else { return }
        // A resume may have been given other limits (its note records them): the last ones hold.
        let resumed = events.last { $0.knownKind == .note && $0.dataString("message") == "resumed" }
        if case .object(let limits)? = resumed?.data("limits") {
            members = members.filter { m in !limits.contains { $0.key == m.key } } + limits
        }
        let config = JSONValue.object(members)
        let budget = config["budget_usd"]?.doubleValue
        let maxTokens = config["max_tokens"]?.int64Value
        // Where each limit was first crossed: the model call (and its step) that crossed it, as
        // the finding's seq and step.
        var cost = 0.0
        var tokens: Int64 = 0
        var costCrossed: JournalEvent?
        var tokensCrossed: JournalEvent?
        if budget != nil || maxTokens != nil {
            for e in events where e.knownKind == .callModel {
                cost.addSaturating(e.costUSD)
                tokens.addSaturating(e.usageTokens.input.saturatingAdd(e.usageTokens.output))
                if let budget, costCrossed == nil, cost > budget { costCrossed = e }
                if let maxTokens, tokensCrossed == nil, tokens > maxTokens { tokensCrossed = e }
            }
        }
        if let budget, s.totals.costUSD > budget {
            add(
                .warning, "limit.budget", costCrossed?.seq, costCrossed?.dataString("step_id"),
                "cost \(s.totals.costUSD.dollarText) exceeds the run's budget of \(budget.dollarText)")
        }
        if let maxTokens, s.totals.tokens > maxTokens {
            add(
                .warning, "limit.tokens", tokensCrossed?.seq, tokensCrossed?.dataString("step_id"),
                "used \(s.totals.tokens) tokens, more than the run's max_tokens of \(maxTokens)")
        }
        // The timeout bounds each drive of the run: from its start, or from its last resume.
        if let timeout = config["timeout_s"]?.doubleValue, let start = resumed?.ts ?? s.startedAt, let end = s.endedAt ?? s.updatedAt {
            let seconds = start.milliseconds(to: end) / 1000
            // A run the timeout stopped takes a moment to journal its end.
            let stopping = events.last?.dataString("stopped_by") == "timeout" ? max(1, timeout / 10) : 0
            if seconds > timeout + stopping {
                add(.warning, "limit.time", nil, nil, String(format: "ran %.1f s, longer than the run's timeout of %.0f s", seconds, timeout))
            }
        }
        let steps = s.steps.filter { $0.attempts > 0 }.count
        if let limit = config["max_steps"]?.int64Value, steps > limit {
            add(.warning, "limit.steps", nil, nil, "started \(steps) steps, more than the run's max_steps of \(limit)")
        }
        if let limit = config["max_replans"]?.int64Value, s.totals.replans > limit {
            add(.warning, "limit.replans", nil, nil, "replanned \(s.totals.replans) times, more than the run's max_replans of \(limit)")
        }
    }

    private mutating func unexpectedObservations(_ events: [JournalEvent]) {
        for e in events where e.knownKind == .stepObserved && e.dataBool("matches_expected") == false {
            add(.warning, "behaviour.unexpected-observation", e.seq, e.dataString("step_id"), "the observation did not match the step's expected output")
        }
    }

    /// Steps of the final plan that nothing depends on, completed, whose output the final answer
    /// does not contain, when another such step's output is in the final answer (so the answer is
    /// built from step outputs, and these were left out).
    private mutating func unusedSteps(_ s: PlanState) {
        guard let answer = s.finalAnswer, let plan = s.currentPlan else { return }
        let needed = Set(plan.steps.flatMap(\.dependsOn))
        let sinks = plan.steps.filter { !needed.contains($0.id) }.compactMap { s.step($0.id) }.filter { $0.status == .completed }
        func used(_ step: PlanState.StepState) -> Bool {
            guard let output = step.outputSummary?.trimmingCharacters(in: .whitespacesAndNewlines), !output.isEmpty else { return true }
            return answer.contains(String(output.prefix(60))) || answer.contains(step.id)
        }
        guard sinks.count > 1, sinks.contains(where: used) else { return }
        for step in sinks where !used(step) {
            add(.info, "behaviour.unused-step", nil, step.id, "completed, nothing depends on it, and the final answer does not use its output")
        }
    }

    private mutating func outliers(_ s: PlanState) {
        let done = s.steps.filter { $0.status == .completed }
        guard done.count >= policy.outlierMinimumSteps else { return }
        let durations = done.compactMap(\.durationMs)
        if durations.count >= policy.outlierMinimumSteps {
            let median = Self.median(durations)
            for step in done {
                guard let d = step.durationMs, d > median * policy.outlierFactor, d - median >= policy.slowStepMinimumMs else { continue }
                add(.info, "behaviour.slow-step", nil, step.id, String(format: "took %.0f ms, %.1fx the run's median step (%.0f ms)", d, d / max(median, 1), median))
            }
        }
        let median = Self.median(done.map(\.costUSD))
        for step in done where step.costUSD > median * policy.outlierFactor && step.costUSD - median >= policy.expensiveStepMinimumUSD {
            add(.info, "behaviour.expensive-step", nil, step.id, "cost \(step.costUSD.dollarText) against the run's median step of \(median.dollarText)")
        }
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    private mutating func add(_ severity: Finding.Severity, _ code: String, _ seq: Int64?, _ step: String?, _ message: String) {
        findings.append(Finding(severity, code, run: run, seq: seq, step: step, message))
    }
}
