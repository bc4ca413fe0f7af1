import PlanJournalCore

/// A named tool an executor may call; each call is journaled (`call.tool`, then `step.observed`).
public protocol Tool: Sendable {
    var name: String { get }
    func call(_ args: JSONValue) async throws -> ToolOutput
}

/// What a tool returned.
public struct ToolOutput: Sendable, Hashable {
    public var ok: Bool
    public var content: String
    /// e.g. `text/plain`, `application/json`.
    public var contentType: String
    /// Where the answer came from when it was not a live call (`recorded`): journaled as the
    /// observation's `source`.
    public var source: String?

    public init(ok: Bool = true, content: String, contentType: String = "text/plain", source: String? = nil) {
        self.ok = ok
        self.content = content
        self.contentType = contentType
        self.source = source
    }
}

/// A tool made of a closure (in-process tools, tests).
public struct ClosureTool: Tool {
    public let name: String
    private let body: @Sendable (JSONValue) async throws -> ToolOutput

    public init(_ name: String, _ body: @escaping @Sendable (JSONValue) async throws -> ToolOutput) {
        self.name = name
        self.body = body
    }

    public func call(_ args: JSONValue) async throws -> ToolOutput { try await body(args) }
}

/// The tools of a run, by name.
public struct ToolRegistry: Sendable {
    private var tools: [String: any Tool] = [:]

    public init(_ tools: [any Tool] = []) {
        for tool in tools { self.tools[tool.name] = tool }
    }

    /// The tool named `name`.
    public subscript(name: String) -> (any Tool)? { tools[name] }

    /// Every tool's name, sorted.
    public var names: [String] { tools.keys.sorted() }

    /// Adds or replaces a tool.
    public mutating func register(_ tool: any Tool) { tools[tool.name] = tool }
}
