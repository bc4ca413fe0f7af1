import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The TCP connection under a PostgreSQL connection, with keepalive probes and a limit on
/// unacknowledged data: a server or network that goes silent (a host powered off, a VM paused, a
/// firewall dropping the flow) ends the connection within about a minute, as libpq's
/// `keepalives_*` and `tcp_user_timeout` settings do, instead of a query waiting (and holding its
/// locks) for ever. The connection then fails as a lost one: the transaction in progress is not
/// committed, and the next statement connects again.
enum PGSocket {
    /// Seconds a connection may stay silent before the first probe.
    static let idleSeconds: Int = 30
    /// Seconds between probes.
    static let intervalSeconds: Int = 10
    /// Probes left unanswered before the connection counts as lost.
    static let probes: Int = 3
    /// How long data sent may stay unacknowledged before the connection counts as lost.
    static let unacknowledgedMilliseconds: Int = 60_000

    /// Connects to `host`:`port` on `loop` with these settings, giving up after `timeout`.
    static func connect(host: String, port: Int, timeout: TimeAmount, on loop: any EventLoop) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelOption(ChannelOptions.tcpOption(.init(rawValue: TCP_KEEPIDLE)), value: idleSeconds)
            .channelOption(ChannelOptions.tcpOption(.init(rawValue: TCP_KEEPINTVL)), value: intervalSeconds)
            .channelOption(ChannelOptions.tcpOption(.init(rawValue: TCP_KEEPCNT)), value: probes)
            .channelOption(ChannelOptions.tcpOption(.init(rawValue: TCP_USER_TIMEOUT)), value: unacknowledgedMilliseconds)
            .connect(host: host, port: port)
    }

    /// Whether `host` is an IP address (no name to check a server certificate against).
    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
