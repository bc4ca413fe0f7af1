/// What a `plan.proposed` or `plan.revised` event defines: a plan version and its full step list.
public struct PlanRevision: Sendable, Hashable {
    /// The plan version the event defines (`data.version`).
    public var version: Int
    /// The version a revision starts from; `nil` for a proposal.
    public var baseVersion: Int?
    /// The resolved steps of the new version (for a revision: base minus removed, changed replaced, added appended).
    public var steps: [PlanStep]
    /// Ids of the steps the version adds: every step of a proposal; for a revision, its `added` steps
    /// and the `changed` ones its base did not hold.
    public var added: [String] = []
    /// Ids of the base version's steps the revision removes.
    public var removed: [String] = []
    /// Ids of the base version's steps the revision replaces with a changed definition.
    public var changed: [String] = []

    /// Reads the plan version a `plan.proposed` or `plan.revised` event defines and checks it is a DAG.
    /// - Parameter base: looks up the step list of an earlier version (for revisions).
    /// - Returns: `nil` when `event` is of another kind.
    /// - Throws: ``JournalError`` `.invalidEvent` naming the field.
    public static func read(
        _ event: JournalEvent, base: (Int) -> [PlanStep]?
    ) throws(JournalError) -> PlanRevision? {
        switch event.knownKind {
        case .planProposed?:
            let version = try EventFields.requireInt(event, "version")
            guard case .array(let items)? = event.data("steps") else {
                throw EventFields.typeError(event, "steps", "an array of steps")
            }
            var steps: [PlanStep] = []
            steps.reserveCapacity(items.count)
            for (k, item) in items.enumerated() {
                steps.append(try PlanStep(wire: item, path: "data.steps[\(k)]"))
            }
            try PlanGraph.validate(steps, path: "data.steps")
            return PlanRevision(version: Int(version), steps: steps, added: steps.map(\.id))
        case .planRevised?:
            return try revision(event, base: base)
        default:
            return nil
        }
    }

    private static func revision(_ e: JournalEvent, base: (Int) -> [PlanStep]?) throws(JournalError) -> PlanRevision {
        let version = Int(try EventFields.requireInt(e, "version"))
        let baseVersion = Int(try EventFields.requireInt(e, "base_version"))
        guard var steps = base(baseVersion) else {
            throw .invalid("data.base_version", "plan version \(baseVersion) does not exist in this run")
        }
        var result = PlanRevision(version: version, baseVersion: baseVersion, steps: [])
        var paths = steps.map { _ in "data.base_version" }
        if let removed = e.data("removed"), removed != .null {
            guard let items = removed.arrayValue else { throw EventFields.typeError(e, "removed", "an array of step ids") }
            var ids: [String] = []
            for (k, item) in items.enumerated() {
                guard let id = item.stringValue else {
                    throw .invalid("data.removed[\(k)]", "must be a step id (a string), found \(item.typeName)")
                }
                ids.append(id)
            }
            let gone = Set(ids)
            let keep = steps.indices.filter { !gone.contains(steps[$0].id) }
            result.removed = steps.filter { gone.contains($0.id) }.map(\.id)
            steps = keep.map { steps[$0] }
            paths = keep.map { paths[$0] }
        }
        // Where each step id first sits in `steps`, for `changed` (built only when it is used).
        var positions: [String: Int]?
        for field in ["changed", "added"] {
            guard let list = e.data(field), list != .null else { continue }
            guard let items = list.arrayValue else { throw EventFields.typeError(e, field, "an array of steps") }
            if field == "changed", positions == nil {
                var index: [String: Int] = [:]
                index.reserveCapacity(steps.count + items.count)
                for (k, step) in steps.enumerated() where index[step.id] == nil { index[step.id] = k }
                positions = index
            }
            for (k, item) in items.enumerated() {
                let path = "data.\(field)[\(k)]"
                let step = try PlanStep(wire: item, path: path)
                if field == "changed", let at = positions?[step.id] {
                    steps[at] = step
                    paths[at] = path
                    result.changed.append(step.id)
                } else {
                    if field == "changed" { positions?[step.id] = steps.count }
                    steps.append(step)
                    paths.append(path)
                    result.added.append(step.id)
                }
            }
        }
        if !result.removed.isEmpty {
            // A kept step may still depend on a removed one: the fault is in `removed`.
            let ids = Set(steps.map(\.id))
            for (k, step) in steps.enumerated() where paths[k] == "data.base_version" {
                if let dep = step.dependsOn.first(where: { !ids.contains($0) }) {
                    throw .invalid(
                        "data.removed",
                        "step \"\(step.id)\" of plan version \(baseVersion) depends on \"\(dep)\", which this revision "
                            + "removes (remove or change that step too)")
                }
            }
        }
        try PlanGraph.validate(steps, path: "data", paths: paths)
        result.steps = steps
        return result
    }
}

/// Typed reads of required `data` fields, with errors naming the field.
enum EventFields {
    @discardableResult
    static func requireString(_ e: JournalEvent, _ key: String) throws(JournalError) -> String {
        guard e.rawData(key) != nil else { throw .invalid("data.\(key)", "is required for \(e.kind)") }
        guard let s = e.dataString(key) else { throw typeError(e, key, "a string") }
        return s
    }

    @discardableResult
    static func requireInt(_ e: JournalEvent, _ key: String) throws(JournalError) -> Int64 {
        guard e.rawData(key) != nil else { throw .invalid("data.\(key)", "is required for \(e.kind)") }
        guard let n = e.dataInt(key) else { throw typeError(e, key, "an integer") }
        return n
    }

    static func requireOneOf(_ e: JournalEvent, _ key: String, _ allowed: Set<String>) throws(JournalError) {
        let value = try requireString(e, key)
        guard allowed.contains(value) else {
            throw .invalid("data.\(key)", "\"\(value)\" is not one of \(allowed.sorted().joined(separator: ", "))")
        }
    }

    static func typeError(_ e: JournalEvent, _ key: String, _ expected: String) -> JournalError {
        let found = e.data(key)?.typeName ?? "nothing"
        return .invalid("data.\(key)", "must be \(expected), found \(found)")
    }
}
