import PlanJournalCore

/// The runner's step statuses by step id, remembering which changed since ``RunProgress/scan()``
/// last looked.
struct StatusTable: Sendable {
    private var byID: [String: RunProgress.Status] = [:]
    private var changed: Set<String> = []

    subscript(id: String) -> RunProgress.Status? {
        get { byID[id] }
        set {
            guard byID[id] != newValue else { return }
            byID[id] = newValue
            changed.insert(id)
        }
    }

    var keys: Dictionary<String, RunProgress.Status>.Keys { byID.keys }
    var values: Dictionary<String, RunProgress.Status>.Values { byID.values }

    /// Marks `id` as changed (something its readiness depends on, other than its status, changed).
    mutating func touch(_ id: String) {
        changed.insert(id)
    }

    /// The ids changed since the last call.
    mutating func takeChanged() -> Set<String> {
        guard !changed.isEmpty else { return [] }
        defer { changed = [] }
        return changed
    }
}

extension RunProgress {
    /// Where the plan's steps stand.
    struct Scan {
        /// Pending steps whose dependencies all completed, in plan order.
        var ready: LazyMapSequence<[Int], PlanStep>
        /// Pending steps that can never run (a dependency was skipped or denied), with that dependency.
        var blocked: [(step: PlanStep, dependency: String)]
        /// Whether no step can change any more (each completed, skipped or denied).
        var settled: Bool
    }

    /// The plan's dependency index and each step's class, kept up to date by ``scan()``.
    struct Schedule: Sendable {
        /// Each step id's index in the plan.
        var position: [String: Int] = [:]
        /// The indices of the steps that depend on each step id.
        var dependents: [String: [Int]] = [:]
        /// Ready steps' indices, ascending.
        var ready: [Int] = []
        /// Blocked steps' indices with the dependency that blocks each.
        var blocked: [Int: String] = [:]
        /// Whether each step can still change (neither completed nor dead).
        var live: [Bool] = []
        var liveCount = 0
    }

    /// Where the plan's steps stand. The first call after the plan changes looks at every step;
    /// later calls only at the steps whose status changed since, and at their dependents.
    /// - Complexity: O(*c* · *d*) for *c* changed steps with *d* dependents each (O(*n*) after a
    ///   plan change), plus O(*r*) for *r* ready steps.
    mutating func scan() -> Scan {
        var s: Schedule
        if let schedule {
            s = schedule
            self.schedule = nil  // s is the only copy while it changes
            for index in touchedIndices(s) { classify(index, in: &s) }
        } else {
            s = Schedule()
            s.live = Array(repeating: false, count: plan.count)
            for (index, step) in plan.enumerated() {
                s.position[step.id] = index
                for dep in step.dependsOn { s.dependents[dep, default: []].append(index) }
            }
            _ = status.takeChanged()
            for index in plan.indices { classify(index, in: &s) }
        }
        schedule = s
        let plan = self.plan
        return Scan(
            ready: s.ready.lazy.map { plan[$0] },
            blocked: s.blocked.sorted { $0.key < $1.key }.map { (plan[$0.key], $0.value) },
            settled: s.liveCount == 0)
    }

    /// The indices of the steps whose class may have changed: those whose status changed, and
    /// their dependents.
    private mutating func touchedIndices(_ s: Schedule) -> Set<Int> {
        var touched = Set<Int>()
        for id in status.takeChanged() {
            if let index = s.position[id] { touched.insert(index) }
            for index in s.dependents[id] ?? [] { touched.insert(index) }
        }
        return touched
    }

    /// Puts step `index` in its class: ready, blocked (with the dependency), or neither, and live
    /// or not.
    private func classify(_ index: Int, in s: inout Schedule) {
        let step = plan[index]
        let state = status[step.id]
        let dead = state == .skipped || state == .denied || (state == .failed && abandoned.contains(step.id))
        let live = state != .completed && !dead
        if s.live[index] != live {
            s.live[index] = live
            s.liveCount += live ? 1 : -1
        }
        var ready = false
        var blocker: String?
        if state == .pending {
            ready = true
            for dep in step.dependsOn {
                switch status[dep] {
                case .completed?: continue
                case .skipped?, .denied?: blocker = dep
                case .failed? where abandoned.contains(dep): blocker = dep
                default: break
                }
                ready = false
                break
            }
        }
        s.blocked[index] = blocker
        let (at, found) = s.ready.sortedIndex(of: index)
        if ready && !found {
            s.ready.insert(index, at: at)
        } else if !ready && found {
            s.ready.remove(at: at)
        }
    }
}

extension [Int] {
    /// Where `value` is in this ascending array, or where it would go.
    fileprivate func sortedIndex(of value: Int) -> (index: Int, found: Bool) {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if self[mid] < value { low = mid + 1 } else { high = mid }
        }
        return (low, low < count && self[low] == value)
    }
}
