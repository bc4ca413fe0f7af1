import AsyncHTTPClient
import Foundation

/// The HTTP proxies requests to OpenAI-compatible servers go through, read from the environment
/// as curl (and so `URLSession` on Linux) reads it: `http_proxy` (lowercase only) for http URLs,
/// `https_proxy` or `HTTPS_PROXY` for https URLs, `all_proxy` / `ALL_PROXY` for either, and
/// `no_proxy` / `NO_PROXY`: hosts and domains (`.example.com`, `example.com`) reached directly,
/// or `*` for all.
public struct HTTPProxies: Sendable, Hashable {
    /// One HTTP proxy (`http://[user:password@]host[:port]`, port 1080 when not given, as curl).
    public struct Proxy: Sendable, Hashable {
        /// The proxy's host name or address.
        public var host: String
        /// The proxy's port.
        public var port: Int
        /// The user of `Proxy-Authorization: Basic`, if the proxy URL names one.
        public var user: String?
        /// That user's password.
        public var password: String?

        /// Parses `http://[user:password@]host[:port]` or `host[:port]`; `nil` for an empty value,
        /// another scheme or no host.
        public init?(url text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return nil }
            let withScheme = trimmed.contains("://") ? trimmed : "http://" + trimmed
            guard let parts = URLComponents(string: withScheme), parts.scheme?.lowercased() == "http",
                let host = parts.host, !host.isEmpty
            else { return nil }
            self.host = host
            port = parts.port ?? 1080
            user = parts.user
            password = parts.password
        }

        var authorization: HTTPClient.Authorization? {
            user.map { .basic(username: $0, password: password ?? "") }
        }
    }

    /// For `http://` base URLs.
    public var http: Proxy?
    /// For `https://` base URLs (tunnelled with `CONNECT`).
    public var https: Proxy?
    /// Hosts and domains reached without a proxy (lowercased); `*` for all.
    public var noProxy: [String]

    /// No proxy at all.
    public static let none = HTTPProxies(http: nil, https: nil, noProxy: [])

    /// Proxies set one by one.
    public init(http: Proxy?, https: Proxy?, noProxy: [String]) {
        self.http = http
        self.https = https
        self.noProxy = noProxy
    }

    /// The proxies `environment` names.
    public init(environment: [String: String]) {
        let all = (environment["all_proxy"] ?? environment["ALL_PROXY"]).flatMap(Proxy.init(url:))
        http = environment["http_proxy"].flatMap(Proxy.init(url:)) ?? all
        https = (environment["https_proxy"] ?? environment["HTTPS_PROXY"]).flatMap(Proxy.init(url:)) ?? all
        noProxy = (environment["no_proxy"] ?? environment["NO_PROXY"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }.filter { !$0.isEmpty }
    }

    /// The proxy for a URL of `scheme` on `host`, `nil` to connect directly.
    func proxy(scheme: String, host: String) -> Proxy? {
        let host = host.lowercased()
        for entry in noProxy {
            if entry == "*" { return nil }
            let domain = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            if host == domain || host.hasSuffix("." + domain) { return nil }
        }
        return scheme.lowercased() == "https" ? https : http
    }
}
