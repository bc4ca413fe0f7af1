import PlanJournalCore
import PlanJournalStore

/// The runner's working state of one run: the plan in force and where each of its steps stands.
/// Pure data; ``PlanRunner`` changes it only after the matching event is in the journal.
struct RunProgress: Sendable {
    enum Status: Sendable, Equatable {
        case pending, running, completed, failed, skipped, denied
    }

    /// Where the plan-level approval stands.
    enum PlanApproval: Sendable, Equatable {
        case notNeeded, requested, granted, denied
    }

    /// Why a step needs a replan: its failure is final, or (`completed`) it completed with an
    /// output judged not to match.
    struct FinalFailure: Sendable, Equatable {
        var stepID: String
        var reason: String
        var details: String
        var completed = false

        /// As the planner is told.
        var replanReason: ReplanReason { ReplanReason(reason: reason, stepID: stepID, details: details) }
    }

    /// Planning a resumed run stopped in the middle of.
    enum PlanWork: Sendable {
        /// A replan for a step whose `replan.triggered` is journaled, the planner not yet asked.
        case replan(FinalFailure)
        /// A `changes_requested` replan whose `replan.triggered` is journaled, the planner not yet asked.
        case revise(PlanReview)
        /// The review of the plan in force: the recorded one to act on, or (`nil`) one to ask for.
        case review(PlanReview?)
        /// The plan-level approval point of the plan in force, reviewed (or written by the reviewer)
        /// but not yet decided: `requested` when its `approval.requested` is journaled already.
        case approve(requested: Bool)
    }

    var goal: String
    /// When a fork's own part began (its first own event); `nil` for a run that is not a fork.
    var startedAt: Timestamp?
    /// What planning is left from before a resume (done before any step runs).
    var pendingPlanWork: PlanWork?
    /// The failure of a step that showed the executor cannot work at all (the run then stops).
    var unusableExecutor: RuntimeError?
    /// This process's claim on the run, held while it drives it (confirmed as it goes).
    var claim: RunClaim?
    /// When `--timeout` ends the run (set as the runner starts driving it).
    var deadline = RunDeadline(nil)
    /// The goal's analysis, once journaled.
    var analysis: GoalAnalysis?
    var plan: [PlanStep] = [] {
        didSet { schedule = nil }
    }
    var version = 0
    /// Each step's status; ``scan()`` re-examines only the steps whose status changed and their
    /// dependents.
    var status = StatusTable()
    var outputs: [String: String] = [:]
    /// Attempts per step over the whole run (the `attempt` of `step.started`).
    var attempts: [String: Int] = [:]
    /// Attempts since the step last changed (what the retry limit counts).
    var tries: [String: Int] = [:]
    var approvalRequested: Set<String> = []
    var approved: Set<String> = []
    var planApproval = PlanApproval.notNeeded
    /// Final failures not yet replanned or abandoned, in the order they happened.
    var finalFailures: [FinalFailure] = []
    /// Replan requests set aside until the next plan version.
    var deferredFailures: [FinalFailure] = []
    /// Failed steps the planner declined to replan: their dependents are skipped.
    var abandoned: Set<String> = [] {
        didSet {
            for id in abandoned.symmetricDifference(oldValue) { status.touch(id) }
        }
    }
    var replans = 0
    var stepsStarted = 0
    /// Steps a resumed run found started and never finished, with no tries left: the resume
    /// journals their attempts as failed.
    var interrupted: [String] = []
    /// Why the run must be cancelled, once an executor asked for it.
    var cancelRequested: String?

    init(goal: String) {
        self.goal = goal
    }

    /// Puts a new plan version in force: new and changed steps become pending, and so does the
    /// failed step the replan was for (`retrying`); other steps keep their status, and other final
    /// failures still wait for their own replan decision.
    mutating func adopt(_ steps: [PlanStep], version: Int, changed: Set<String>, retrying: String? = nil) {
        let held = Set(steps.map(\.id))
        for id in status.keys where !held.contains(id) {
            status[id] = nil
            approvalRequested.remove(id)
            approved.remove(id)
            denied.remove(id)
        }
        for step in steps {
            let fresh = changed.contains(step.id) || status[step.id] == nil
                || (status[step.id] == .failed && step.id == retrying)
            if fresh {
                status[step.id] = .pending
                tries[step.id] = 0
                outputs[step.id] = nil
                abandoned.remove(step.id)
            }
            if changed.contains(step.id) {
                // What was decided for the step as it was does not hold for it as it is now.
                approvalRequested.remove(step.id)
                approved.remove(step.id)
                denied.remove(step.id)
            }
        }
        // A step skipped because a dependency did not run gets its chance when that dependency
        // (changed, say, after its approval was denied) runs again, and no other dependency of it
        // is dead.
        var again = Set(steps.filter { status[$0.id] == .pending }.map(\.id))
        var reopened = true
        while reopened {
            reopened = false
            for step in steps
            where status[step.id] == .skipped && !denied.contains(step.id) && step.dependsOn.contains(where: again.contains)
                && !step.dependsOn.contains(where: isDead)
            {
                status[step.id] = .pending
                tries[step.id] = 0
                again.insert(step.id)
                reopened = true
            }
        }
        finalFailures += deferredFailures
        deferredFailures.removeAll()
        finalFailures.removeAll { f in f.stepID == retrying || !held.contains(f.stepID) || status[f.stepID] == .pending }
        plan = steps
        schedule = nil
        self.version = version
    }

    /// Whether step `id` will never complete: skipped, denied, or failed with its replan declined.
    private func isDead(_ id: String) -> Bool {
        status[id] == .skipped || status[id] == .denied || (status[id] == .failed && abandoned.contains(id))
    }

    /// Steps whose approval was denied.
    var denied: Set<String> = []

    /// Whether a denied step is still to be journaled as skipped.
    var hasUnskippedDenials: Bool { denied.contains { status[$0] == .denied } }

    /// What ``scan()`` knows of the plan in force (built on first use after the plan changes).
    var schedule: Schedule?

    /// Whether every step of the plan completed or was skipped, none for a denial or a failure.
    var allSucceeded: Bool {
        plan.allSatisfy { status[$0.id] == .completed || status[$0.id] == .skipped }
            && abandoned.isEmpty && plan.allSatisfy { !denied.contains($0.id) }
    }

    /// Declines the first replan request: a failed step stays failed for good (its dependents will
    /// be skipped); a completed step stays completed.
    mutating func abandonFirstFailure() {
        guard !finalFailures.isEmpty else { return }
        abandon(finalFailures.removeFirst())
    }

    /// Sets the first replan request aside until the next plan version (the planner wants it, but
    /// not yet).
    mutating func deferFirstFailure() {
        guard !finalFailures.isEmpty else { return }
        deferredFailures.append(finalFailures.removeFirst())
    }

    /// Declines every request set aside (nothing else can happen before them).
    mutating func abandonDeferred() {
        for failure in deferredFailures { abandon(failure) }
        deferredFailures.removeAll()
    }

    private mutating func abandon(_ failure: FinalFailure) {
        if !failure.completed { abandoned.insert(failure.stepID) }
    }

    var anyCompleted: Bool { status.values.contains(.completed) }

    /// The attempts of step `id` that have finished (all started, but one running).
    func finishedAttempts(of id: String) -> Int {
        (attempts[id] ?? 0) - (status[id] == .running ? 1 : 0)
    }

    /// Outputs of the steps `step` depends on.
    func dependencyOutputs(of step: PlanStep) -> [String: String] {
        var result: [String: String] = [:]
        for dep in step.dependsOn { result[dep] = outputs[dep] }
        return result
    }

    /// The outputs of the completed steps no other step depends on, joined: the run's answer.
    var finalAnswer: String? {
        let needed = Set(plan.flatMap(\.dependsOn))
        let sinks = plan.filter { !needed.contains($0.id) }.compactMap { outputs[$0.id] }
        return sinks.isEmpty ? nil : sinks.joined(separator: "\n\n")
    }

    /// Applies a decision another process journaled (`planj approve`, `planj cancel`).
    mutating func absorb(_ event: JournalEvent) {
        noteCancel(event)
        guard event.knownKind == .approvalResolved else { return }
        let granted = event.dataString("decision") == "granted"
        if let stepID = event.dataString("step_id") {
            // A decision for a request of the step as it is (a replan that changed it asks again).
            guard status[stepID] == .pending, approvalRequested.contains(stepID) else { return }
            if granted {
                approved.insert(stepID)
            } else {
                status[stepID] = .denied
                denied.insert(stepID)
            }
        } else if planApproval == .requested {
            planApproval = granted ? .granted : .denied
        }
    }
}
