/// Checks that a list of steps forms a plan: non-empty unique ids, known dependencies, no cycles.
public enum PlanGraph {
    /// Validates `steps` as one plan version.
    /// - Parameters:
    ///   - path: the field path of the step list in errors, e.g. `data.steps`.
    ///   - paths: per step, the path used in its errors (defaults to `path[i]`).
    /// - Throws: ``JournalError`` `.invalidEvent` naming the duplicate id, the unknown dependency or the cycle.
    /// - Complexity: O(steps + dependencies).
    public static func validate(_ steps: [PlanStep], path: String, paths: [String]? = nil) throws(JournalError) {
        var index: [String: Int] = [:]
        for (k, step) in steps.enumerated() {
            let p = paths?[k] ?? "\(path)[\(k)]"
            // What the wire form refuses (``PlanStep/init(wire:path:)``), for steps built in code.
            if step.id.isEmpty { throw JournalError.invalid("\(p).id", "must be a non-empty string") }
            if step.id.utf8.contains(0) { throw JournalError.invalid("\(p).id", "must not contain U+0000") }
            if index.updateValue(k, forKey: step.id) != nil {
                throw JournalError.invalid("\(p).id", "duplicate step id \"\(step.id)\"")
            }
        }
        var indegree = [Int](repeating: 0, count: steps.count)
        var dependents = [[Int]](repeating: [], count: steps.count)
        for (k, step) in steps.enumerated() {
            for dep in step.dependsOn {
                guard let d = index[dep] else {
                    let p = paths?[k] ?? "\(path)[\(k)]"
                    throw JournalError.invalid(
                        "\(p).depends_on", "step \"\(step.id)\" depends on unknown step \"\(dep)\"")
                }
                indegree[k] += 1
                dependents[d].append(k)
            }
        }
        var ready = indegree.indices.filter { indegree[$0] == 0 }
        var visited = 0
        while let k = ready.popLast() {
            visited += 1
            for n in dependents[k] {
                indegree[n] -= 1
                if indegree[n] == 0 { ready.append(n) }
            }
        }
        if visited < steps.count {
            let inCycle = indegree.indices.filter { indegree[$0] > 0 }.map { steps[$0].id }
            throw JournalError.invalid(
                path, "the dependencies form a cycle through steps \(inCycle.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
    }
}
