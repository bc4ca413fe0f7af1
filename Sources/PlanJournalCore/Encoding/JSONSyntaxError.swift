/// Why a JSON text could not be read, with the byte offset where reading stopped.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, e.g. `"unterminated string"`.
    public var reason: String
    /// Byte offset into the line (0-based).
    public var offset: Int

    /// Creates a syntax error at `offset`.
    public init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(reason) at byte \(offset + 1)" }

    /// Nesting deeper than ``JSONCompactor/maxDepth``, planj's limit: valid JSON all the same,
    /// which the same writer will write again.
    public static func tooDeep(at offset: Int) -> JSONSyntaxError {
        JSONSyntaxError(nestingReason, at: offset)
    }

    /// The deepest nesting of arrays and objects planj reads.
    public static var nestingLimit: Int { JSONCompactor.maxDepth }

    /// Whether this is ``tooDeep(at:)``.
    public var isNestingLimit: Bool { reason == Self.nestingReason }

    private static let nestingReason = "nesting deeper than \(JSONCompactor.maxDepth) levels, planj's limit"
}
