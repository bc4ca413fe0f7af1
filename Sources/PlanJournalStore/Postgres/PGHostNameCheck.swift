import Foundation
import NIOCore
import NIOSSL

/// `sslmode=verify-full` for a host given by name, as libpq checks it: the server's certificate
/// must hold that name (a DNS name of its subject alternative names, or its common name when it
/// has none). NIOSSL's own check also accepts a certificate that holds the IP address connected
/// to, so a name whose DNS answer an attacker controls would pass with any trusted certificate
/// issued for the attacker's address.
///
/// The handler sits at the head of the pipeline, below TLS, and checks the server's certificate
/// as soon as TLS has it, at TLS's next write (its last handshake message): on a mismatch nothing
/// more is sent (not the startup message, not a password), and the connection closes with
/// `NIOSSLExtraError.failedToValidateHostname`.
final class PGHostNameCheck: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = NIOAny

    private let host: String
    private var checked = false
    private var refused = false

    init(host: String) { self.host = Self.normalized(host) }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !checked && !refused, let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self),
            let certificate = tls.peerCertificate
        {
            if Self.names(of: certificate).contains(where: { Self.matches(host, $0) }) {
                checked = true
            } else {
                refused = true
                // On the next turn of the loop: TLS tells postgres-nio that its handshake is done
                // in this one, and postgres-nio traps on an error that comes before that news.
                let later = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.eventLoop.execute {
                    later.value.fireErrorCaught(NIOSSLExtraError.failedToValidateHostname)
                    later.value.close(promise: nil)
                }
            }
        }
        guard !refused else {
            promise?.fail(NIOSSLExtraError.failedToValidateHostname)
            return
        }
        context.write(data, promise: promise)
    }

    /// The DNS names `certificate` is issued for: its subject alternative names of that kind, or
    /// its common name when it has none (as libpq reads them).
    static func names(of certificate: NIOSSLCertificate) -> [String] {
        let dns = certificate._subjectAlternativeNames().filter { $0.nameType == .dnsName }
            .map { String(decoding: $0.contents, as: UTF8.self) }
        if !dns.isEmpty { return dns }
        // NIOSSL shows the common name only in its description: `…;common_name=NAME;…>`.
        let text = certificate.description
        guard let start = text.range(of: ";common_name=")?.upperBound else { return [] }
        return [String(text[start...].prefix { $0 != ";" && $0 != ">" })]
    }

    /// `name` lowercased, without a final dot (`DB.Example.com.` is `db.example.com`).
    private static func normalized(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") ? String(lower.dropLast()) : lower
    }

    /// Whether `name` (from a certificate) names `host`: equal ignoring case, or a wildcard
    /// `*.rest` standing for exactly one label of `host`.
    static func matches(_ host: String, _ name: String) -> Bool {
        let pattern = normalized(name)
        guard pattern.hasPrefix("*.") else { return pattern == host }
        guard let dot = host.firstIndex(of: "."), host.startIndex < dot else { return false }
        return host[dot...] == pattern.dropFirst()
    }
}
