import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix
import Synchronization

/// One HTTP reply, read whole.
package struct HTTPReply: Sendable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: [UInt8]

    /// The value of the first header named `name` (any case).
    package func header(_ name: String) -> String? { headers.first(name: name) }
}

/// Why an exchange got no reply.
package enum TransportFailure: Error {
    /// No complete reply within the request timeout.
    case timedOut
    /// Anything else: refused, reset, TLS, DNS…, in words.
    case failed(String)
    /// A reply that came but cannot be read, as the same request would get it again: larger
    /// than the limit, or not inflatable as its `Content-Encoding` says. In words.
    case unreadable(String)
}

/// Sends requests to OpenAI-compatible servers and OTLP collectors over SwiftNIO (AsyncHTTPClient).
///
/// Foundation's `URLSession` on Linux (libcurl under `FoundationNetworking`) keeps a socket it
/// waits on registered for writability, so its event loop wakes thousands of times a second while
/// a model thinks: a 15 s reply cost about 12 s of CPU. An idle NIO channel costs nothing.
///
/// Replies compressed with gzip or deflate are inflated, chunked ones joined; proxies come from
/// ``HTTPProxies`` (`http_proxy`, `https_proxy`, `no_proxy`, as curl reads them). Redirects
/// (301, 302, 303, 307, 308; at most 5) are followed with the same POST and body; the credentials
/// (`Authorization`, and headers whose name says key, token, secret, auth or cookie) go only to
/// the origin they were meant for.
package enum HTTPTransport {
    /// The largest reply body read, inflated.
    static let maxBodyBytes = 64 << 20
    /// The most redirects followed for one request.
    static let maxRedirects = 5

    /// One client per proxy (a proxy is a setting of the client, not of a request), kept for the
    /// life of the process.
    private static let clients = Mutex<[HTTPProxies.Proxy?: HTTPClient]>([:])

    private static func client(via proxy: HTTPProxies.Proxy?) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[proxy] { return client }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                decompression: .enabled(limit: .size(maxBodyBytes)))
            configuration.proxy = proxy.map { .server(host: $0.host, port: $0.port, authorization: $0.authorization) }
            // A refused connection or an unknown host fails at once (the callers retry as they
            // see fit); by default it was retried until the whole timeout had passed.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[proxy] = client
            return client
        }
    }

    /// POSTs `body` to `url` and reads the whole reply, following redirects, all within `timeout`.
    /// - Throws: ``TransportFailure``; `CancellationError` when the task is cancelled.
    package static func post(
        _ url: String, headers: [(String, String)], body: [UInt8], timeout: Duration, proxies: HTTPProxies
    ) async throws -> HTTPReply {
        do {
            // The deadline of `execute` ends with the reply's head; the race with a sleep covers
            // the body and the redirects too.
            return try await withThrowingTaskGroup(of: HTTPReply?.self) { group in
                group.addTask {
                    try await following(url, headers: headers, body: body, timeout: timeout, proxies: proxies)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let reply = try await group.next(), let reply else { throw TransportFailure.timedOut }
                return reply
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw TransportFailure.timedOut
        } catch let error as TransportFailure {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try Task.checkCancellation()
            if error is NIOTooManyBytesError || error is NIOHTTPDecompression.DecompressionError {
                throw TransportFailure.unreadable(describe(error))
            }
            throw TransportFailure.failed(describe(error))
        }
    }

    /// The exchange and the redirects after it.
    private static func following(
        _ url: String, headers: [(String, String)], body: [UInt8], timeout: Duration, proxies: HTTPProxies
    ) async throws -> HTTPReply {
        var url = url
        var headers = headers
        for _ in 0...maxRedirects {
            let reply = try await once(url, headers: headers, body: body, timeout: timeout, proxies: proxies)
            guard [301, 302, 303, 307, 308].contains(reply.status), let location = reply.header("Location"),
                let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL, next.host != nil
            else { return reply }
            if let current = URL(string: url), !sameOrigin(current, next) {
                // Another origin gets none of the caller's headers but those that describe the
                // body: any other may be a credential (X-Honeycomb-Team, uptrace-dsn, …).
                headers.removeAll { !describesBody($0.0) }
            }
            url = next.absoluteString
        }
        throw TransportFailure.failed("more than \(maxRedirects) redirects")
    }

    /// One request, no redirect followed.
    private static func once(
        _ url: String, headers: [(String, String)], body: [UInt8], timeout: Duration, proxies: HTTPProxies
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Accept-Encoding", value: "gzip, deflate")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let parts = URLComponents(string: url)
        let client = client(via: proxies.proxy(scheme: parts?.scheme ?? "http", host: parts?.host ?? ""))
        let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
        let bytes = try await response.body.collect(upTo: maxBodyBytes)
        return HTTPReply(status: Int(response.status.code), headers: response.headers, body: Array(buffer: bytes))
    }

    /// Whether two URLs have the same scheme, host and port.
    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ url: URL) -> Int? { url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased()
            && port(a) == port(b)
    }

    /// Whether a header only describes the request's body or the reply wanted (`Content-Type`,
    /// `Accept`): the headers a redirect to another origin keeps.
    static func describesBody(_ name: String) -> Bool {
        ["content-type", "content-encoding", "accept", "accept-encoding", "user-agent"].contains(name.lowercased())
    }

    /// An error of the exchange in words.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .remoteConnectionClosed: return "the server closed the connection before its reply was complete"
            case .connectTimeout: return "could not connect (timed out)"
            case .bodyLengthMismatch: return "the reply ended before its Content-Length"
            case .redirectLimitReached, .redirectCycleDetected: return "too many redirects"
            case .proxyAuthenticationRequired: return "the proxy asks for authentication"
            case .invalidProxyResponse: return "the proxy refused the connection"
            default: return "\(error)"
            }
        }
        if let error = error as? HTTPParserError {
            return error == .invalidEOFState
                ? "the server closed the connection before its reply was complete" : "the reply is not valid HTTP (\(error))"
        }
        if error is NIOTooManyBytesError { return "the reply is larger than \(maxBodyBytes >> 20) MiB" }
        if let error = error as? NIOHTTPDecompression.DecompressionError {
            return error == .limit
                ? "the reply is larger than \(maxBodyBytes >> 20) MiB once inflated"
                : "the reply's body could not be inflated as its Content-Encoding says (\(error))"
        }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil && error.dnsAAAAError != nil && error.connectionErrors.isEmpty {
                return "cannot resolve the host \(error.host)"
            }
            let causes = Set(error.connectionErrors.map { describe($0.error) }).sorted()
            return "could not connect to \(error.host):\(error.port)" + (causes.isEmpty ? "" : " (" + causes.joined(separator: "; ") + ")")
        }
        // The errno of a failed system call, in words (`connection refused`).
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return "\(error)"
    }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating).
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
