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
            // The URL starts at the first '@http://' or '@https://' (any case): a model's name may
            // hold an '@' of its own (claude-3-5-sonnet@20240620), and the URL's credentials do.
            let urlStart = rest.indices.first { i in
                rest[i] == "@" && ["http://", "https://"].contains { rest[rest.index(after: i)...].prefix(8).lowercased().hasPrefix($0) }
            }
            guard let split = urlStart else {
                throw RuntimeError(
                    "usage",
                    "write an OpenAI-compatible model as openai:MODEL@BASE_URL with an http:// or https:// URL, e.g. openai:gpt-4o-mini@https://api.openai.com/v1, not '\(OpenAIEndpoint.redacting(text))'")
            }
            guard split != rest.startIndex else {
                throw RuntimeError("usage", "'\(OpenAIEndpoint.redacting(text))' names no model before its base URL")
            }
            self = .openAI(model: String(rest[..<split]), baseURL: String(rest[rest.index(after: split)...]))
        } else {
            throw RuntimeError(
                "usage", "unknown adapter '\(OpenAIEndpoint.redacting(text))': use demo, cmd:PROGRAM ARGS or openai:MODEL@BASE_URL")
        }
    }

    /// The spec as written, with a password in an `openai:` base URL shown as `***`.
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

    /// `text` (a spec, or a tool's `NAME=cmd:...`) with each word of its command that is a
    /// relative path to a file in `directory` made absolute: `planj resume` in another directory
    /// starts the programs `planj run` started there. Other specs come back as they are.
    public static func resolvingRelativePaths(_ text: String, against directory: String) -> String {
        let prefix = text.hasPrefix("cmd:") ? "cmd:" : text.range(of: "=cmd:").map { String(text[..<$0.upperBound]) }
        guard let prefix else { return text }
        var changed = false
        let words = split(String(text.dropFirst(prefix.count))).map { word -> String in
            guard word.contains("/"), !word.hasPrefix("/") else { return word }
            let full = (directory as NSString).appendingPathComponent(word)
            guard FileManager.default.fileExists(atPath: full) else { return word }
            changed = true
            return full
        }
        guard changed else { return text }
        let quoted = words.map { $0.contains(where: { " \t'\"".contains($0) }) ? "'" + $0 + "'" : $0 }
        return prefix + quoted.joined(separator: " ")
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
