import PlanJournalCore
import PlanJournalRuntime
import PlanJournalStore

/// The comparison of two runs (typically a run and its fork): per step, whether its outcome (status
/// and output) is the same; timings, tokens and cost as deltas; and the first divergence.
public struct RunDiff: Sendable, Encodable {
    /// One step's comparison.
    public struct Step: Sendable, Encodable {
        /// The step id.
        public var stepID: String
        /// `same`, `differs`, `only_in_a` or `only_in_b` (no plan version of the other run held
        /// it), or `removed_in_a` / `removed_in_b` (a replan of that run removed it, while the
        /// other run's final plan holds it).
        public var status: String
        /// The step as run `a` left it; `nil` when no plan version of `a` held it.
        public var a: Side?
        /// The step as run `b` left it; `nil` when no plan version of `b` held it.
        public var b: Side?
        /// A line diff of the outputs (`-` a, `+` b), when they differ.
        public var outputDiff: [String]?
        /// `b`'s duration minus `a`'s, in milliseconds; `nil` unless both runs hold the step (removed in
        /// neither or in both) and both durations are known.
        public var durationMsDelta: Double?
        /// `b`'s tokens (in and out) minus `a`'s; `nil` unless both runs hold the step (removed in neither
        /// or in both).
        public var tokensDelta: Int64?
        /// `b`'s cost minus `a`'s, in US dollars; `nil` unless both runs hold the step (removed in neither
        /// or in both).
        public var costUSDDelta: Double?

        enum CodingKeys: String, CodingKey {
            case stepID = "step_id", status, a, b, outputDiff = "output_diff", durationMsDelta = "duration_ms_delta"
            case tokensDelta = "tokens_delta", costUSDDelta = "cost_usd_delta"
        }
    }

    /// A step as one run left it.
    public struct Side: Sendable, Encodable {
        /// The step's status: a ``PlanState/StepStatus`` raw value (`completed`, `failed`, `skipped`...).
        public var status: String
        /// Attempts started.
        public var attempts: Int
        /// The output of the step's last `step.completed`; `nil` when it never completed.
        public var output: String?
        /// The last attempt's duration in milliseconds, when known.
        public var durationMs: Double?
        /// Tokens in and out of the step's model calls.
        public var tokens: Int64
        /// Cost of the step's model calls, in US dollars.
        public var costUSD: Double
        /// Whether a plan revision removed the step (the run's final plan does not hold it).
        public var removed: Bool

        enum CodingKeys: String, CodingKey {
            case status, attempts, output, durationMs = "duration_ms", tokens, costUSD = "cost_usd", removed
        }
    }

    /// Where the two runs first differ: the seq in each.
    public struct Divergence: Sendable, Encodable {
        /// The seq of the differing event in run `a`; `nil` when `a` has none there.
        public var seqA: Int64?
        /// The seq of the differing event in run `b`; `nil` when `b` has none there.
        public var seqB: Int64?
        /// What differs, for people, e.g. `step fetch completed in both runs, with different outputs`.
        public var reason: String

        enum CodingKeys: String, CodingKey { case seqA = "seq_a", seqB = "seq_b", reason }
    }

    /// Run-wide figures of each run and their differences.
    public struct Totals: Sendable, Encodable {
        /// Run `a`'s status (`succeeded`, `failed`...).
        public var statusA: String
        /// Run `b`'s status.
        public var statusB: String
        /// Plan versions (proposed and revised) of run `a`.
        public var planVersionsA: Int
        /// Plan versions (proposed and revised) of run `b`.
        public var planVersionsB: Int
        /// Tokens in and out of run `a`'s model calls.
        public var tokensA: Int64
        /// Tokens in and out of run `b`'s model calls.
        public var tokensB: Int64
        /// Cost of run `a`'s model calls, in US dollars.
        public var costUSDA: Double
        /// Cost of run `b`'s model calls, in US dollars.
        public var costUSDB: Double
        /// From the first step's start to the last step's end.
        public var durationMsA: Double?
        /// Run `b`'s duration, measured as ``durationMsA`` is.
        public var durationMsB: Double?
        /// Steps with the same outcome in both runs.
        public var same: Int
        /// Steps of both runs whose status or output differs.
        public var differs: Int
        /// Steps that only run `a` planned.
        public var onlyInA: Int
        /// Steps that only run `b` planned.
        public var onlyInB: Int
        /// Steps a replan of run `a` removed while run `b`'s final plan holds them.
        public var removedInA: Int
        /// Steps a replan of run `b` removed while run `a`'s final plan holds them.
        public var removedInB: Int

        enum CodingKeys: String, CodingKey {
            case statusA = "status_a", statusB = "status_b", planVersionsA = "plan_versions_a"
            case planVersionsB = "plan_versions_b", tokensA = "tokens_a", tokensB = "tokens_b", costUSDA = "cost_usd_a"
            case costUSDB = "cost_usd_b", durationMsA = "duration_ms_a", durationMsB = "duration_ms_b", same, differs
            case onlyInA = "only_in_a", onlyInB = "only_in_b", removedInA = "removed_in_a", removedInB = "removed_in_b"
        }
    }

    /// The first run compared (typically the original).
    public var runA: String
    /// The second run compared (typically its fork).
    public var runB: String
    /// Every step either run planned: `a`'s in the order they first appear, then those only `b` has.
    public var steps: [Step]
    /// Where the runs' outcomes first part (the lowest seq); `nil` when they never do.
    public var firstDivergence: Divergence?
    /// Run-wide figures of both runs, and the steps counted by comparison.
    public var totals: Totals

    /// Whether the runs did the same: every step has the same outcome, and nothing on the way
    /// diverged (a plan version, a failed attempt one run had and the other did not). The runs'
    /// own statuses are not compared: an agent names its run's status as it likes, and a
    /// replay's runner by its steps.
    public var agree: Bool { steps.allSatisfy { $0.status == "same" } && firstDivergence == nil }

    enum CodingKeys: String, CodingKey {
        case runA = "run_a", runB = "run_b", steps, firstDivergence = "first_divergence", totals
    }

    /// Compares the runs `a` and `b` of `journal`.
    public init(_ a: String, _ b: String, in journal: Journal) throws(JournalError) {
        self.init(a, events: try journal.events(of: a), b, events: try journal.events(of: b))
    }

    /// Compares runs whose events the caller already read (each run's events in order).
    public init(_ a: String, events eventsA: [JournalEvent], _ b: String, events eventsB: [JournalEvent]) {
        let fold = { (run: String, events: [JournalEvent]) -> PlanState in
            let projection = PlanProjection()
            var state = projection.initial(run: run)
            for e in events { projection.apply(&state, e) }
            return state
        }
        self.init(a: (a, eventsA, fold(a, eventsA)), b: (b, eventsB, fold(b, eventsB)))
    }

    init(a: (String, [JournalEvent], PlanState), b: (String, [JournalEvent], PlanState)) {
        runA = a.0
        runB = b.0
        let outputsA = Self.outputs(a.1)
        let outputsB = Self.outputs(b.1)
        let idsA = Self.planned(a.2)
        let idsB = Self.planned(b.2)
        let inA = Set(idsA)
        let inB = Set(idsB)
        let finalA = Self.final(a.2)
        let finalB = Self.final(b.2)
        var steps: [Step] = []
        for id in idsA + idsB.filter({ !inA.contains($0) }) {
            let sideA = inA.contains(id) ? a.2.step(id).map { Self.side($0, output: outputsA[id], removed: !finalA.contains(id)) } : nil
            let sideB = inB.contains(id) ? b.2.step(id).map { Self.side($0, output: outputsB[id], removed: !finalB.contains(id)) } : nil
            var step = Step(stepID: id, status: "same", a: sideA, b: sideB)
            switch (sideA, sideB) {
            case (let x?, let y?) where x.removed != y.removed:
                step.status = x.removed ? "removed_in_a" : "removed_in_b"
            case (let x?, let y?):
                if x.status != y.status || x.output != y.output {
                    step.status = "differs"
                    if x.output != y.output { step.outputDiff = LineDiff.lines(x.output ?? "", y.output ?? "") }
                }
                if let dx = x.durationMs, let dy = y.durationMs { step.durationMsDelta = dy.minusWithoutFloatNoise(dx) }
                step.tokensDelta = y.tokens - x.tokens
                step.costUSDDelta = y.costUSD.minusWithoutFloatNoise(x.costUSD)
            case (_?, nil): step.status = "only_in_a"
            default: step.status = "only_in_b"
            }
            steps.append(step)
        }
        self.steps = steps
        firstDivergence = Self.divergence((a.1, a.2), (b.1, b.2))
        var counts: [String: Int] = [:]
        for step in steps { counts[step.status, default: 0] += 1 }
        let count = { (s: String) in counts[s] ?? 0 }
        // From the first step's start to the last step's end: a fork shares its parent's
        // run.started, so the run's own start would count the time between them.
        func duration(_ s: PlanState) -> Double? {
            guard let start = s.steps.compactMap(\.startedAt).min(), let end = s.steps.compactMap(\.endedAt).max() else {
                return nil
            }
            return start.milliseconds(to: end)
        }
        totals = Totals(
            statusA: a.2.status, statusB: b.2.status, planVersionsA: a.2.plans.count, planVersionsB: b.2.plans.count,
            tokensA: a.2.totals.tokens, tokensB: b.2.totals.tokens, costUSDA: a.2.totals.costUSD.withoutFloatNoise,
            costUSDB: b.2.totals.costUSD.withoutFloatNoise, durationMsA: duration(a.2), durationMsB: duration(b.2), same: count("same"),
            differs: count("differs"), onlyInA: count("only_in_a"), onlyInB: count("only_in_b"),
            removedInA: count("removed_in_a"), removedInB: count("removed_in_b"))
    }

    /// The steps of every plan version of the run, in the order they first appear (all known
    /// steps when it has no plan).
    static func planned(_ s: PlanState) -> [String] {
        guard !s.plans.isEmpty else { return s.steps.map(\.id) }
        var seen = Set<String>()
        return s.plans.flatMap { $0.steps.map(\.id) }.filter { seen.insert($0).inserted }
    }

    /// The steps of the run's final plan (all known steps when it has none).
    static func final(_ s: PlanState) -> Set<String> {
        Set(s.currentPlan?.steps.map(\.id) ?? s.steps.map(\.id))
    }

    static func side(_ s: PlanState.StepState, output: String?, removed: Bool) -> Side {
        Side(
            status: s.status.rawValue, attempts: s.attempts, output: output, durationMs: s.durationMs,
            tokens: s.tokens, costUSD: s.costUSD.withoutFloatNoise, removed: removed)
    }

    /// Each step's last `step.completed` output.
    static func outputs(_ events: [JournalEvent]) -> [String: String] {
        var result: [String: String] = [:]
        for e in events where e.knownKind == .stepCompleted {
            if let id = e.dataString("step_id") { result[id] = StepOutput.text(of: e) }
        }
        return result
    }

    /// The first place where the runs' outcomes part: a step that ends differently (completed,
    /// failed or skipped, or another output), or a plan version that differs. (The runs' statuses
    /// are shown, not compared: a replay's runner may sum up the same steps differently.) Each step's outcomes are compared
    /// in their own order, so parallel steps finishing in another order is no divergence; timings
    /// are ignored.
    static func divergence(_ a: ([JournalEvent], PlanState), _ b: ([JournalEvent], PlanState)) -> Divergence? {
        let ma = Dictionary(grouping: milestones(a), by: \.thread)
        let mb = Dictionary(grouping: milestones(b), by: \.thread)
        var first: Divergence?
        // Threads in a fixed order: of two divergences at the same seq, the same one is reported every time.
        for thread in Set(ma.keys).union(mb.keys).sorted() {
            let xs = ma[thread] ?? []
            let ys = mb[thread] ?? []
            for k in 0..<max(xs.count, ys.count) {
                let x = k < xs.count ? xs[k] : nil
                let y = k < ys.count ? ys[k] : nil
                guard x?.key != y?.key else { continue }
                let reason =
                    if let x, let y, x.label == y.label {
                        "\(x.label) in both runs, \(x.difference)"
                    } else {
                        "\(x?.label ?? "nothing") in a, \(y?.label ?? "nothing") in b"
                    }
                let candidate = Divergence(seqA: x?.seq, seqB: y?.seq, reason: reason)
                let at = { (d: Divergence) in min(d.seqA ?? .max, d.seqB ?? .max) }
                if first == nil || at(candidate) < at(first!) { first = candidate }
                break
            }
        }
        return first
    }

    private struct Milestone {
        /// The step id, or `plan` for plan versions: milestones are compared within a thread.
        var thread: String
        var seq: Int64
        var key: String
        var label: String
        /// What differs when both runs reach this milestone with different keys.
        var difference: String
    }

    /// Each step's outcomes, each plan version and the run's end.
    private static func milestones(_ run: ([JournalEvent], PlanState)) -> [Milestone] {
        // Plan versions as the fold resolved them, however each revision was written down.
        var result = run.1.plans.map { plan in
            Milestone(
                thread: "plan", seq: plan.seq, key: JSONValue.array(plan.steps.map(\.wireValue)).jsonText,
                label: "plan version \(plan.version)", difference: "with different steps")
        }
        for e in run.0 {
            switch e.knownKind {
            case .stepCompleted?:
                let id = e.dataString("step_id") ?? "?"
                let output = StepOutput.text(of: e)
                result.append(
                    Milestone(
                        thread: id, seq: e.seq, key: "completed \(output)", label: "step \(id) completed",
                        difference: "with different outputs"))
            case .stepFailed?:
                // An attempt the run's end cut off is the runner's record, not the step's failure.
                if e.isCutOffAttempt { continue }
                let id = e.dataString("step_id") ?? "?"
                result.append(Milestone(thread: id, seq: e.seq, key: "failed", label: "step \(id) failed", difference: "differently"))
            case .stepSkipped?:
                let id = e.dataString("step_id") ?? "?"
                result.append(Milestone(thread: id, seq: e.seq, key: "skipped", label: "step \(id) skipped", difference: "differently"))
            case .runCompleted?:
                // Runs whose steps agree may still differ in being cancelled. (Other statuses follow
                // from the steps, by rules that differ between agents: `failed` or
                // `partially_succeeded` for a run with one step completed.)
                let cancelled = e.dataString("status") == "cancelled"
                result.append(
                    Milestone(
                        thread: "run", seq: e.seq, key: cancelled ? "cancelled" : "ended",
                        label: cancelled ? "run cancelled" : "run ended", difference: ""))
            default: break
            }
        }
        return result
    }
}
