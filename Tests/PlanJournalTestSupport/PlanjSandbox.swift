import Foundation

/// A temporary folder with a journal file in it, for tests that run the `planj` binary.
public struct PlanjSandbox: Sendable {
    /// The folder; `planj` runs in it.
    public let directory: String
    /// The journal file every ``planj(_:stdin:environment:)`` call names with `--journal`.
    public let journal: String

    public init(_ name: String = "planj-test") throws {
        directory = NSTemporaryDirectory() + name + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        journal = directory + "/j.sqlite"
    }

    /// Runs `planj --journal JOURNAL arguments…` in the folder and waits for it.
    @discardableResult
    public func planj(_ arguments: String..., stdin: String? = nil, environment: [String: String] = [:]) async throws
        -> PlanjBinary.Result
    {
        try await PlanjBinary.run(["--journal", journal] + arguments, in: directory, stdin: stdin, environment: environment)
    }

    /// A file in the folder.
    public func path(_ name: String) -> String { directory + "/" + name }
}
