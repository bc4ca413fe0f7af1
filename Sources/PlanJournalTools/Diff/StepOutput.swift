import PlanJournalCore

/// A `step.completed` output as diffs compare and show it: a string as it is; any other JSON
/// (an executor's structured output) as its JSON text with every object's keys in order, so
/// that `{"a":1,"b":2}` and `{"b":2,"a":1}`, which a Python executor writes alike, are the same.
enum StepOutput {
    static func text(of e: JournalEvent) -> String {
        if let s = e.dataString("output") { return s }
        return e.data("output").map { sortingKeys($0).jsonText } ?? ""
    }

    private static func sortingKeys(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { .init($0.key, sortingKeys($0.value)) })
        case .array(let items):
            return .array(items.map(sortingKeys))
        default:
            return value
        }
    }
}
