import Foundation
import NIOCore
import PlanJournalCore

/// A `postgres://user[:password]@host[:port]/database[?param=value&…]` journal name, parsed and
/// checked.
///
/// As with libpq, the user defaults to `$PGUSER` then the user running planj, the port to 5432,
/// the database to `$PGDATABASE` then the user's name, and the password to `$PGPASSWORD`.
/// Parameters: `sslmode` (default `$PGSSLMODE`, else `prefer`, see ``SSLMode``), `sslrootcert`
/// (default `$PGSSLROOTCERT`, else `~/.postgresql/root.crt` when it exists), `application_name`
/// and `connect_timeout` (seconds, default `$PGCONNECT_TIMEOUT`, else 10).
struct PostgresURL: Sendable, Equatable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    /// How the connection uses TLS.
    var sslMode: SSLMode
    /// The CA certificates (PEM) the server's certificate is checked against under `verify-ca` and
    /// `verify-full` (and `require`, which then verifies as `verify-ca`, as in libpq); `nil` for
    /// the system's trusted roots.
    var sslRootCert: String?
    /// Where ``sslMode`` and ``sslRootCert`` came from, for messages (`sslmode=require`,
    /// `PGSSLMODE=require`, or the default).
    var sslModeSource: String
    var applicationName: String?
    /// Seconds connecting may take (`connect_timeout=SECONDS`, else `$PGCONNECT_TIMEOUT`; 10).
    var connectTimeoutSeconds: Int64 = 10
    var connectTimeout: TimeAmount { .seconds(connectTimeoutSeconds) }

    /// libpq's `sslmode` values this planj supports (`allow` is not: it would need a second
    /// connection attempt without TLS).
    enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, else plain TCP; the certificate is not checked
        /// (libpq's default, and this planj's).
        case prefer
        /// TLS or fail; the certificate is not checked unless a root certificate is given
        /// (then as `verify-ca`, as libpq does).
        case require
        /// TLS, with a certificate signed by a trusted CA.
        case verifyCA = "verify-ca"
        /// TLS, with a certificate signed by a trusted CA and issued for the host connected to.
        case verifyFull = "verify-full"

        /// Whether the server's certificate chain is checked.
        var verifiesChain: Bool { self == .verifyCA || self == .verifyFull }
    }

    /// The URL without its password, for messages.
    var redacted: String { "postgres://\(user)@\(hostAndPort)/\(database)" }

    /// `host:port` (`[::1]:5432` for an IPv6 address).
    var hostAndPort: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Parses `url`.
    /// - Throws: `.usage`, naming what is wrong.
    init(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(JournalError) {
        func bad(_ why: String) -> JournalError {
            JournalError(
                .usage, "not a PostgreSQL journal URL (postgres://user@host:port/database): \(why)",
                context: .init(journalPath: Self.withoutPassword(url)))
        }
        guard JournalBackend.isPostgres(url), let parts = URLComponents(string: url) else {
            throw bad("it cannot be parsed (is the port a number?)")
        }
        guard let host = parts.host, !host.isEmpty else { throw bad("it names no host") }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let port = parts.port {
            guard (1...65535).contains(port) else { throw bad("port \(port) is out of range") }
            self.port = port
        } else {
            port = 5432
        }
        // URLComponents' user, password and path are decoded already: `%25` is a `%` (decoded again,
        // `100%sure` was no password at all).
        // libpq's defaults: $PGUSER, else the name of the user running this process.
        let user = parts.user ?? environment["PGUSER"] ?? Self.processUser ?? environment["USER"] ?? "postgres"
        guard !user.isEmpty else { throw bad("the user name is empty") }
        self.user = user
        password = parts.password ?? environment["PGPASSWORD"]
        let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        guard !path.contains("/") else { throw bad("the database name holds a slash") }
        database = path.isEmpty ? environment["PGDATABASE"].flatMap { $0.isEmpty ? nil : $0 } ?? user : path
        var mode: (value: String, source: String)?
        var rootCert: String?
        var timeout: (value: String, source: String)?
        applicationName = nil
        for item in parts.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode": mode = (value, "sslmode=\(value)")
            case "sslrootcert": rootCert = value
            case "application_name": applicationName = value
            case "connect_timeout": timeout = (value, "connect_timeout=\(value)")
            default:
                throw bad("unknown parameter \(item.name) (known: sslmode, sslrootcert, application_name, connect_timeout)")
            }
        }
        if timeout == nil, let env = environment["PGCONNECT_TIMEOUT"], !env.isEmpty { timeout = (env, "PGCONNECT_TIMEOUT=\(env)") }
        if let timeout {
            guard let seconds = Int64(timeout.value.trimmingCharacters(in: .whitespaces)), seconds >= 0 else {
                throw bad("\(timeout.source) is not a number of seconds")
            }
            // libpq: 0 waits for ever; less than 2 s counts as 2.
            connectTimeoutSeconds = seconds == 0 ? 86_400 : max(2, seconds)
        }
        if mode == nil, let env = environment["PGSSLMODE"], !env.isEmpty { mode = (env, "PGSSLMODE=\(env)") }
        if rootCert == nil, let env = environment["PGSSLROOTCERT"], !env.isEmpty { rootCert = env }
        let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
        if let mode {
            guard let parsed = SSLMode(rawValue: mode.value) else {
                throw bad("\(mode.source) is not supported (use one of \(known))")
            }
            sslMode = parsed
            sslModeSource = mode.source
        } else {
            // libpq: with the system's roots asked for by name, the default is to verify the host too.
            sslMode = rootCert == "system" ? .verifyFull : .prefer
            sslModeSource = "sslmode=\(sslMode.rawValue) (the default)"
        }
        if rootCert == "system" {
            // As libpq: trusting every public CA is only safe when the host name is checked too.
            guard sslMode == .verifyFull else {
                throw bad("sslrootcert=system needs sslmode=verify-full (\(sslModeSource) given)")
            }
            rootCert = nil
        } else if rootCert == nil, let home = environment["HOME"], !home.isEmpty {
            let standard = home + "/.postgresql/root.crt"
            if FileManager.default.fileExists(atPath: standard) { rootCert = standard }
        }
        if rootCert?.isEmpty == true { rootCert = nil }
        sslRootCert = rootCert
        // libpq: under `require`, a root certificate that exists makes it verify the chain.
        if sslMode == .require && sslRootCert != nil { sslMode = .verifyCA }
    }

    /// The name of the user this process runs as, as libpq takes it for the default user.
    private static var processUser: String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// `url` with any password (`user:password@`, or a `password=` parameter, which is refused)
    /// replaced by `***`, for messages about a URL that does not parse.
    static func withoutPassword(_ url: String) -> String {
        url.replacingOccurrences(of: #"(://[^:/@]*):[^@/]*@"#, with: "$1:***@", options: .regularExpression)
            .replacingOccurrences(of: #"([?&]password=)[^&]*"#, with: "$1***", options: [.regularExpression, .caseInsensitive])
    }
}
