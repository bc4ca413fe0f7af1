/// Folds a run's events into its ``PlanState``: plan versions, step statuses, attempts, outputs,
/// timings, tokens and cost, approvals, reviews, replans and totals.
///
/// Events that break the contract (a run written before validation existed, say) are folded as
/// far as they make sense and never stop the fold.
public struct PlanProjection: Projection {
    /// The longest output summary kept per step, in characters.
    public var summaryLength: Int

    /// Creates a projection.
    /// - Parameter summaryLength: the longest ``PlanState/StepState/outputSummary`` kept, in
    ///   characters; a longer output is cut and ends with `…`.
    public init(summaryLength: Int = 160) {
        self.summaryLength = summaryLength
    }

    /// An empty ``PlanState`` for `run`.
    public func initial(run: String) -> PlanState { PlanState(run: run) }

    /// Whether `e` may change the status of steps other than the one it names (`data.step_id`):
    /// a plan version adds and removes steps; approvals and the run's end are counted in too, as
    /// they are rare. Any other event changes at most the step it names, or adds it: what a view
    /// kept up to date event by event (an audit's entries, a status line) needs to look at.
    public static func changesStepsItDoesNotName(_ e: JournalEvent) -> Bool {
        switch e.knownKind {
        case .planProposed?, .planRevised?, .approvalRequested?, .approvalResolved?, .runCompleted?: true
        default: false
        }
    }

    /// Folds `e`, the run's next event in seq order, into `s`; a plan version is read from the event.
    public func apply(_ s: inout PlanState, _ e: JournalEvent) {
        apply(&s, e, revision: nil)
    }

    /// ``apply(_:_:)`` for an event a ``RunValidator`` has accepted: `revision` is the plan version
    /// it returned for the event, so a plan is not read twice (`nil`: read it from the event).
    public func apply(_ s: inout PlanState, _ e: JournalEvent, revision: PlanRevision?) {
        s.seq = e.seq
        s.totals.events += 1
        s.updatedAt = e.ts
        guard let kind = e.knownKind else { return }
        switch kind {
        case .runStarted:
            s.goal = e.dataString("goal")
            s.startedAt = e.ts
        case .planProposed, .planRevised:
            applyPlan(&s, e, revision)
        case .planReviewed:
            s.reviews.append(
                .init(
                    seq: e.seq, version: Int(e.dataInt("version") ?? 0), verdict: e.dataString("verdict") ?? "",
                    reviewer: e.dataString("reviewer") ?? e.actor))
        case .approvalRequested, .approvalResolved:
            applyApproval(&s, e, requested: kind == .approvalRequested)
        case .stepStarted:
            update(&s, e) { step in
                step.status = .running
                step.attempts = max(step.attempts.saturatingAdd(1), Int(e.dataInt("attempt") ?? 0))
                step.startedAt = e.ts
                step.endedAt = nil
                // The attempt before this one's duration is not this one's (unknown until it ends).
                step.durationMs = nil
                if let tool = e.dataString("tool") { step.tool = tool }
            }
        case .stepCompleted:
            update(&s, e) { step in
                step.status = .completed
                step.endedAt = e.ts
                step.durationMs = e.dataMilliseconds("duration_ms") ?? step.startedAt.map { Self.ms($0, e.ts) }
                step.outputSummary = summary(e)
                step.error = nil
            }
        case .stepFailed:
            update(&s, e) { step in
                step.status = .failed
                step.endedAt = e.ts
                step.durationMs = step.startedAt.map { Self.ms($0, e.ts) }
                let error = e.data("error")
                step.error = error?["message"]?.stringValue ?? error?.stringValue ?? "failed"
                if let attempt = e.dataInt("attempt") { step.attempts = max(step.attempts, Int(attempt)) }
            }
        case .stepSkipped:
            update(&s, e) { step in
                // An attempt skipped while it ran ends there.
                if step.endedAt == nil, let started = step.startedAt { step.durationMs = Self.ms(started, e.ts) }
                step.status = .skipped
                step.endedAt = e.ts
            }
        case .stepObserved:
            update(&s, e) { step in
                step.observations += 1
                if let ok = e.dataBool("ok") { step.lastObservationOK = ok }
                // A judgement that is null or unreadable is one too: the output's match is unknown.
                if e.rawData("matches_expected") != nil { step.matchesExpected = e.dataBool("matches_expected") }
            }
        case .callModel:
            let (input, output) = e.usageTokens
            let cost = e.costUSD
            s.totals.inputTokens.addSaturating(input)
            s.totals.outputTokens.addSaturating(output)
            s.totals.costUSD.addSaturating(cost)
            s.totals.modelCalls += 1
            update(&s, e, adding: false) { step in
                step.inputTokens.addSaturating(input)
                step.outputTokens.addSaturating(output)
                step.costUSD.addSaturating(cost)
                step.modelCalls += 1
            }
        case .callTool:
            s.totals.toolCalls += 1
            update(&s, e, adding: false) { $0.toolCalls += 1 }
        case .replanTriggered:
            s.totals.replans += 1
            s.replans.append(.init(seq: e.seq, reason: e.dataString("reason") ?? "", stepID: e.dataString("step_id")))
        case .runCompleted:
            s.status = e.dataString("status") ?? "succeeded"
            s.endedAt = e.ts
            s.stoppedBy = e.dataString("stopped_by")
            let error = e.data("error")
            s.error =
                error?.stringValue
                ?? error?["message"]?.stringValue.map { message in error?["type"]?.stringValue.map { "\($0): \(message)" } ?? message }
            if let answer = e.dataString("final_answer") {
                s.finalAnswer = answer
            } else if let raw = e.rawData("final_answer"), raw.first != UInt8(ascii: "n") {
                s.finalAnswer = String(decoding: raw, as: UTF8.self)
            }
        case .goalAnalyzed, .note:
            break
        }
    }

    private static func ms(_ from: Timestamp, _ to: Timestamp) -> Double {
        Double(to.microseconds - from.microseconds) / 1000
    }

    private func summary(_ e: JournalEvent) -> String? {
        let text: String
        if let s = e.dataString("summary") {
            text = s
        } else if let s = e.dataString("output") {
            text = s
        } else if let raw = e.rawData("output"), raw.first != UInt8(ascii: "n") {
            text = String(decoding: raw, as: UTF8.self)
        } else {
            return nil
        }
        // At most summaryLength characters are walked: a long output is not counted to its end.
        if text.utf8.count <= summaryLength
            || text.index(text.startIndex, offsetBy: summaryLength, limitedBy: text.endIndex) == text.endIndex
        {
            return text
        }
        return String(text.prefix(summaryLength - 1)) + "…"
    }

    /// Changes the step the event names. A step no plan version holds is added for a `step.*`
    /// event (validation lets none through, but exports also fold runs nobody validated), not
    /// for a call: a `call.model` may name any step id, and then counts in the run's totals only.
    private func update(
        _ s: inout PlanState, _ e: JournalEvent, adding: Bool = true, _ change: (inout PlanState.StepState) -> Void
    ) {
        guard let id = e.dataString("step_id") else { return }
        if let k = s.stepIndex[id] {
            change(&s.steps[k])
        } else if adding {
            var step = PlanState.StepState(id: id)
            change(&step)
            s.steps.append(step)
            s.stepIndex[id] = s.steps.count - 1
        }
    }

    private func applyPlan(_ s: inout PlanState, _ e: JournalEvent, _ known: PlanRevision?) {
        guard
            let revision = known
                ?? (try? PlanRevision.read(e, base: { [plans = s.plans] v in plans.last(where: { $0.version == v })?.steps }))
        else { return }
        // A version number seen before (the contract does not forbid it) may already be in a step's
        // list; a new one cannot, which spares a scan of every step's versions per revision.
        let seenBefore = s.plans.contains { $0.version == revision.version }
        // The step the replan since the plan before was for: a revision that keeps it runs it again.
        let inForceSince = s.plans.last?.seq ?? 0
        let retrying = s.replans.last { $0.seq > inForceSince }?.stepID
        let changed = Set(revision.changed)
        s.plans.append(
            .init(
                version: revision.version, seq: e.seq, origin: e.knownKind == .planRevised ? "revised" : "proposed",
                baseVersion: revision.baseVersion, steps: revision.steps, added: revision.added,
                removed: revision.removed, changed: revision.changed, reason: e.dataString("reason"),
                rationale: e.dataString("rationale")))
        s.currentVersion = revision.version
        let held = Set(revision.steps.map(\.id))
        for step in revision.steps {
            let k: Int
            if let existing = s.stepIndex[step.id] {
                k = existing
                // Settled by the revision: a changed step, or the failed one the replan was for, is
                // to run (or be asked for approval) again as the plan now defines it.
                let settled = changed.contains(step.id) || step.id == retrying
                switch s.steps[k].status {
                case .removed: s.steps[k].status = .pending
                case .failed where settled, .denied where settled: s.steps[k].status = .pending
                default: break
                }
            } else {
                s.steps.append(.init(id: step.id))
                k = s.steps.count - 1
                s.stepIndex[step.id] = k
            }
            s.steps[k].description = step.description
            // The plan in force defines the step (a `step.started` naming its tool says more).
            s.steps[k].tool = step.tool
            if !seenBefore || !s.steps[k].versions.contains(revision.version) {
                s.steps[k].versions.append(revision.version)
            }
        }
        for k in s.steps.indices where !held.contains(s.steps[k].id) {
            switch s.steps[k].status {
            case .pending, .awaitingApproval, .failed, .running, .denied: s.steps[k].status = .removed
            case .completed, .skipped, .removed: break
            }
        }
    }

    private func applyApproval(_ s: inout PlanState, _ e: JournalEvent, requested: Bool) {
        let decision = requested ? "requested" : (e.dataString("decision") ?? "")
        let stepID = e.dataString("step_id")
        s.approvals.append(
            .init(
                seq: e.seq, decision: decision, stepID: stepID, version: e.dataInt("version").map(Int.init),
                actor: e.actor, text: e.dataString(requested ? "reason" : "comment")))
        guard let stepID, let k = s.stepIndex[stepID] else { return }
        switch (decision, s.steps[k].status) {
        // A step asked for again after a denial (a replan changed it) awaits the new decision, and
        // a grant after a denial lifts it.
        case ("requested", .pending), ("requested", .denied): s.steps[k].status = .awaitingApproval
        case ("granted", .awaitingApproval), ("granted", .denied): s.steps[k].status = .pending
        case ("denied", .pending), ("denied", .awaitingApproval): s.steps[k].status = .denied
        default: break
        }
    }
}
