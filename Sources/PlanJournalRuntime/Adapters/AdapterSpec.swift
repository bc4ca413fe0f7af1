import Foundation
import PlanJournalCore

/// Where a planner, executor, reviewer or tool comes from, as written on the command line:
/// - `demo`: the offline demo agent;
/// - `cmd:PROGRAM ARGS`: a program speaking the subprocess JSON Lines protocol;
/// - `openai:MODEL@BASE_URL`: an OpenAI-compatible chat-completions server (key from `$OPENAI_API_KEY`;
///   credentials in the URL, `http://user:password@host/v1`, are sent as Basic authorization and
///   shown and journaled as `user:***@`).
public enum AdapterSpec: Sendable, Hashable, CustomStringConvertible {
    case demo
    case command([String])
    case openAI(model: String, baseURL: String)

    /// Parses a spec.
    /// - Throws: ``RuntimeError`` `usage` naming the accepted forms.
    public init(parsing text: String) throws {
        if text == "demo" {
            self = .demo
        } else if text.hasPrefix("cmd:") {
            let words = Self.split(String(text.dropFirst(4)))
            guard !words.isEmpty else { throw RuntimeError("usage", "cmd: needs a program, e.g. cmd:python3 agent.py") }
            self = .command(words)
        } else if text.hasPrefix("openai:") {
            let rest = text.dropFirst(7)
            guard let at = rest.firstIndex(of: "@"), at != rest.startIndex else {
                throw RuntimeError("usage", "write an OpenAI-compatible model as openai:MODEL@BASE_URL, e.g. openai:gpt-4o-mini@https://api.openai.com/v1")
            }
            let url = String(rest[rest.index(after: at)...])
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw RuntimeError("usage", "the base URL of '\(OpenAIEndpoint.redacting(text))' must start with http:// or https://")
            }
            self = .openAI(model: String(rest[..<at]), baseURL: url)
        } else {
            throw RuntimeError(
                "usage", "unknown adapter '\(text)': use demo, cmd:PROGRAM ARGS or openai:MODEL@BASE_URL")
        }
    }

    public var description: String {
        switch self {
        case .demo: "demo"
        case .command(let words): "cmd:" + words.joined(separator: " ")
        case .openAI(let model, let url): "openai:\(model)@\(OpenAIEndpoint.redacting(url))"
        }
    }

    /// `text` as it may be journaled and shown: the password of an `openai:` base URL as `***`
    /// (other specs as they are).
    public static func redacting(_ text: String) -> String {
        text.hasPrefix("openai:") ? OpenAIEndpoint.redacting(text) : text
    }

    /// Splits a command line on spaces, keeping 'single' and "double" quoted words together.
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var inWord = false
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
