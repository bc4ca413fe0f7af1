/// One step of a plan version, as the planner wrote it.
public struct PlanStep: Sendable, Hashable, Codable {
    /// Unique within the plan version.
    public var id: String
    /// What the step does, in the planner's words.
    public var description: String?
    /// The tool the step uses, if any.
    public var tool: String?
    /// The tool's arguments, as written.
    public var args: JSONValue?
    /// Ids of the steps of the same plan version that must complete first.
    public var dependsOn: [String]
    /// What the step should produce (usually text).
    public var expectedOutput: JSONValue?
    /// Whether a human or policy must approve the step before it runs.
    public var requiresApproval: Bool

    /// Creates a step.
    public init(
        id: String, description: String? = nil, tool: String? = nil, args: JSONValue? = nil, dependsOn: [String] = [],
        expectedOutput: JSONValue? = nil, requiresApproval: Bool = false
    ) {
        self.id = id
        self.description = description
        self.tool = tool
        self.args = args
        self.dependsOn = dependsOn
        self.expectedOutput = expectedOutput
        self.requiresApproval = requiresApproval
    }

    /// Reads a step object of the wire format.
    /// - Parameter path: the field path used in errors, e.g. `data.steps[2]`.
    /// - Throws: ``JournalError`` `.invalidEvent` naming `path.id` or `path.depends_on`.
    public init(wire value: JSONValue, path: String) throws(JournalError) {
        guard case .object = value else { throw JournalError.invalid(path, "must be an object") }
        guard let id = value["id"]?.stringValue, !id.isEmpty else {
            throw JournalError.invalid("\(path).id", "must be a non-empty string")
        }
        guard !id.utf8.contains(0) else { throw JournalError.invalid("\(path).id", "must not contain U+0000") }
        var deps: [String] = []
        switch value["depends_on"] {
        case nil, .null?: break
        case .array(let items)?:
            for item in items {
                guard let d = item.stringValue else {
                    throw JournalError.invalid("\(path).depends_on", "must be an array of step ids (strings)")
                }
                deps.append(d)
            }
        default:
            throw JournalError.invalid("\(path).depends_on", "must be an array of step ids")
        }
        self.init(
            id: id, description: value["description"]?.stringValue, tool: value["tool"]?.stringValue,
            args: value["args"], dependsOn: deps, expectedOutput: value["expected_output"],
            requiresApproval: value["requires_approval"]?.boolValue ?? false)
    }
}
