import Foundation

/// `tools/fake_openai.py` running on loopback: a real HTTP server speaking the chat-completions API.
/// Stopped when released.
public final class FakeOpenAIServer {
    /// e.g. `http://127.0.0.1:41234/v1`.
    public let baseURL: String
    private let server: LoopbackScript

    /// Starts the server with `arguments` (`--model`, `--fail-first`, ...).
    public init(_ arguments: [String]) throws {
        server = try LoopbackScript(script: "fake_openai.py") { log in ["--exit-with-stdin", "--log", log] + arguments }
        baseURL = server.url
    }

    /// The requests received so far, each as its JSON log object.
    public func requests() throws -> [[String: Any]] { try server.loggedObjects() }
}
