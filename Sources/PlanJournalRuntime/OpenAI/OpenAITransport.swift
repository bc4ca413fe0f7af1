import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix
import Synchronization

/// One HTTP reply, read whole.
struct HTTPReply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    /// The value of the first header named `name` (any case).
    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// Why an exchange got no reply.
enum TransportFailure: Error {
    /// No complete reply within the request timeout.
    case timedOut
    /// Anything else: refused, reset, TLS, DNS…, in words.
    case failed(String)
}

/// Sends requests to OpenAI-compatible servers over SwiftNIO (AsyncHTTPClient).
///
/// Foundation's `URLSession` on Linux (libcurl under `FoundationNetworking`) keeps a socket it
/// waits on registered for writability, so its event loop wakes thousands of times a second while
/// a model thinks: a 15 s reply cost about 12 s of CPU. An idle NIO channel costs nothing.
///
/// Replies compressed with gzip or deflate are inflated, chunked ones joined; proxies come from
/// ``OpenAIProxies`` (`http_proxy`, `https_proxy`, `no_proxy`, as curl reads them).
enum OpenAITransport {
    /// The largest reply body read, inflated.
    static let maxBodyBytes = 64 << 20

    /// One client per proxy (a proxy is a setting of the client, not of a request), kept for the
    /// life of the process.
    private static let clients = Mutex<[OpenAIProxies.Proxy?: HTTPClient]>([:])

    private static func client(via proxy: OpenAIProxies.Proxy?) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[proxy] { return client }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .follow(
                    configuration: .init(
                        max: 5, allowCycles: false, retainHTTPMethodAndBodyOn301: true, retainHTTPMethodAndBodyOn302: true)),
                decompression: .enabled(limit: .size(maxBodyBytes)))
            configuration.proxy = proxy.map { .server(host: $0.host, port: $0.port, authorization: $0.authorization) }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[proxy] = client
            return client
        }
    }

    /// POSTs `body` to `url` and reads the whole reply.
    /// - Throws: ``TransportFailure``; `CancellationError` when the task is cancelled.
    static func post(
        _ url: String, headers: [(String, String)], body: [UInt8], timeout: Duration, proxy: OpenAIProxies.Proxy?
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Accept-Encoding", value: "gzip, deflate")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let prepared = request
        let client = client(via: proxy)
        do {
            // The deadline of `execute` ends with the reply's head; the race with a sleep covers
            // the body too.
            return try await withThrowingTaskGroup(of: HTTPReply?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: .nanoseconds(timeout.nanoseconds))
                    let bytes = try await response.body.collect(upTo: maxBodyBytes)
                    return HTTPReply(status: Int(response.status.code), headers: response.headers, body: Array(buffer: bytes))
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
            throw TransportFailure.failed(describe(error))
        }
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
        if error is NIOTooManyBytesError { return "the reply is larger than \(maxBodyBytes >> 20) MiB" }
        if let error = error as? NIOConnectionError {
            let causes = error.connectionErrors.map { "\($0.error)" } + [error.dnsAError, error.dnsAAAAError].compactMap { $0.map { "\($0)" } }
            return "could not connect to \(error.host):\(error.port)" + (causes.isEmpty ? "" : " (" + causes.joined(separator: "; ") + ")")
        }
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
