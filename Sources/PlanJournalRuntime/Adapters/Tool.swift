import PlanJournalCore

/// A named tool an executor may call; each call is journaled (`call.tool`, then `step.observed`).
public protocol Tool: Sendable {
    /// The name steps and executors call it by, e.g. `http.get`.
    var name: String { get }
    /// Calls the tool with `args` (the step's `args`, or what the executor chose).
    /// - Throws: any error; ``StepContext/callTool(_:args:)`` journals it as a failed observation
    ///   (`ok` false, the error as content) and rethrows it to the executor.
    func call(_ args: JSONValue) async throws -> ToolOutput
}

/// What a tool returned.
public struct ToolOutput: Sendable, Hashable {
    /// Whether the call succeeded (`step.observed` `ok`).
    public var ok: Bool
    /// What the tool returned, as text (`step.observed` `content`).
    public var content: String
    /// e.g. `text/plain`, `application/json`.
    public var contentType: String
    /// Where the answer came from when it was not a live call (`recorded`): journaled as the
    /// observation's `source`.
    public var source: String?

    /// Creates an output; by default a successful plain-text one.
    public init(ok: Bool = true, content: String, contentType: String = "text/plain", source: String? = nil) {
        self.ok = ok
        self.content = content
        self.contentType = contentType
        self.source = source
    }
}

/// A tool made of a closure (in-process tools, tests).
public struct ClosureTool: Tool {
    /// The tool's name.
    public let name: String
    private let body: @Sendable (JSONValue) async throws -> ToolOutput

    /// Creates a tool named `name` whose calls `body` answers.
    public init(_ name: String, _ body: @escaping @Sendable (JSONValue) async throws -> ToolOutput) {
        self.name = name
        self.body = body
    }

    /// Returns what `body` returns for `args`; throws what it throws.
    public func call(_ args: JSONValue) async throws -> ToolOutput { try await body(args) }
}

/// The tools of a run, by name.
public struct ToolRegistry: Sendable {
    private var tools: [String: any Tool] = [:]

    /// Creates a registry of `tools`; of two tools with one name, the later is kept.
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
