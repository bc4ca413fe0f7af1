import Foundation

/// The base URL of an OpenAI-compatible server taken apart: where its chat completions are, the
/// credentials written in it (`http://user:password@host/v1`), and how it is shown.
///
/// The password never leaves this type in text: ``description`` shows it as `***`, which is how a
/// spec is journaled and printed; so are the values of query parameters named like secrets
/// (`?key=`, `subscription-key=`, `api_token=`, `sig=`…, as some gateways take the key). It is sent as HTTP Basic authorization (as curl and
/// `URLSession` send it), unless an API key or an `Authorization` header says otherwise.
public struct OpenAIEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// What ``description`` shows in place of a password.
    public static let hiddenPassword = "***"

    /// The user of the URL's credentials, percent-decoded.
    public let user: String?
    /// The password of the URL's credentials, percent-decoded.
    public let password: String?
    /// The URL without its credentials.
    private let url: URLComponents

    /// Takes `text` apart.
    /// - Throws: ``RuntimeError`` `usage` when it is not an `http://` or `https://` URL with a host.
    public init(parsing text: String) throws {
        guard var url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw RuntimeError("usage", "'\(Self.redacting(text))' is not an http:// or https:// URL with a host")
        }
        url.scheme = scheme
        user = url.user
        password = url.password
        url.user = nil
        url.password = nil
        self.url = url
    }

    /// `http` or `https`.
    public var scheme: String { url.scheme ?? "http" }

    /// The host, as written (an IPv6 address without its brackets).
    public var host: String { url.host ?? "" }

    /// The URL requests are posted to: the base URL's path followed by `/chat/completions` (unless
    /// it already ends so), without the credentials.
    public var chatCompletionsURL: String {
        var target = url
        var path = target.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        if !path.hasSuffix("/chat/completions") { path += "/chat/completions" }
        target.percentEncodedPath = path
        return target.string ?? ""
    }

    /// Whether the password, or a query parameter named like a secret, was hidden when the spec
    /// was journaled (it reads `***`): a resumed run needs the spec given again.
    public var isPasswordHidden: Bool {
        password == Self.hiddenPassword
            || (url.queryItems ?? []).contains { Self.isSecret($0.name) && $0.value == Self.hiddenPassword }
    }

    /// Whether a query parameter's name says its value is a secret.
    static func isSecret(_ name: String) -> Bool {
        let name = name.lowercased()
        return name == "code" || name == "sig"
            || ["key", "token", "secret", "signature", "password", "passwd", "auth", "credential"].contains { name.contains($0) }
    }

    /// The value of an `Authorization: Basic` header for the URL's credentials, if it has any.
    var basicAuthorization: String? {
        guard let user, !isPasswordHidden else { return nil }
        return "Basic " + Data("\(user):\(password ?? "")".utf8).base64EncodedString()
    }

    /// The base URL as given, its password and secret query values shown as `***`.
    public var description: String {
        var shown = url
        if let user {
            shown.user = user
            if password != nil { shown.percentEncodedPassword = Self.hiddenPassword }
        }
        return Self.redactingQuery(shown.string ?? "")
    }

    /// `text` with the password of each `scheme://user:password@host` in it shown as `***`: for
    /// specs and messages that may hold URLs.
    public static func redacting(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            // The authority ends at the path, query or fragment (or a space, in a message); its
            // credentials end at its last '@'.
            let end = rest.firstIndex { "/?# \t\n".contains($0) } ?? rest.endIndex
            let authority = rest[..<end]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                result += authority[...colon] + hiddenPassword + authority[at...]
            } else {
                result += authority
            }
            rest = rest[end...]
        }
        return redactingQuery(result + rest)
    }

    /// `text` with the value of each query parameter named like a secret (``isSecret(_:)``),
    /// after a `?` or `&`, shown as `***`.
    static func redactingQuery(_ text: String) -> String {
        guard text.contains("=") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.firstIndex(where: { $0 == "?" || $0 == "&" }) {
            result += rest[...start]
            rest = rest[rest.index(after: start)...]
            let end = rest.firstIndex { "&#?\"' \t\n".contains($0) } ?? rest.endIndex
            let parameter = rest[..<end]
            if let eq = parameter.firstIndex(of: "="),
                Self.isSecret(parameter[..<eq].removingPercentEncoding ?? String(parameter[..<eq])),
                parameter.index(after: eq) < parameter.endIndex
            {
                result += parameter[...eq] + hiddenPassword
            } else {
                result += parameter
            }
            rest = rest[end...]
        }
        return result + rest
    }
}
