/// Building values in Swift code (runtimes writing events, tests).
extension JSONValue {
    /// An integer number.
    public static func int<T: BinaryInteger>(_ value: T) -> JSONValue { .number(String(value)) }

    /// A floating-point number; `null` when it is not finite (JSON has no NaN or infinity).
    public static func double(_ value: Double) -> JSONValue {
        value.isFinite ? .number(value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)") : .null
    }

    /// An array of strings.
    public static func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }

    /// An object of the members whose value is not `nil`, in the order given.
    public static func record(_ members: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        .object(members.compactMap { key, value in value.map { Member(key, $0) } })
    }

    /// The members, when this is an object.
    public var objectMembers: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The text of a string, or the compact JSON of any other value (`nil` for `null`).
    public var textValue: String? {
        switch self {
        case .null: nil
        case .string(let s): s
        default: jsonText
        }
    }
}
