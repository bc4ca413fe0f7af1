extension PlanStep {
    /// The step as a wire-format object (`id`, `description`, `tool`, `args`, `depends_on`,
    /// `expected_output`, `requires_approval`), omitting what is not set.
    public var wireValue: JSONValue {
        .record([
            "id": .string(id),
            "description": description.map(JSONValue.string),
            "tool": tool.map(JSONValue.string),
            "args": args,
            "depends_on": .strings(dependsOn),
            "expected_output": expectedOutput,
            "requires_approval": requiresApproval ? .bool(true) : nil,
        ])
    }
}
