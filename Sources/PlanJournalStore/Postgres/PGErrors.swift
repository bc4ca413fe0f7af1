import NIOCore
import NIOPosix
import PlanJournalCore
import PostgresNIO

/// Maps postgres-nio's errors to ``JournalError``s that name the journal and say what happened,
/// without the password and without postgres-nio's deliberately vague descriptions.
enum PGErrors {
    /// - Parameter connecting: whether the error came while connecting (then it says the server
    ///   could not be reached or refused the login).
    static func journalError(_ error: any Error, journal: String, connecting: Bool) -> JournalError {
        let context = JournalError.Context(journalPath: journal)
        guard let e = error as? PSQLError else {
            if connecting && isConnectionLoss(error) || error is SocketAddressError {
                // The socket could not connect (``PGSocket``): said as a failed login is.
                return JournalError(
                    .io, "cannot connect to the PostgreSQL server (is it running, and is the host and port right?): \(reason(error))",
                    context: context, cause: error)
            }
            let what = connecting ? "cannot connect to the PostgreSQL server" : "the PostgreSQL connection failed"
            return JournalError(.io, "\(what): \(error)", context: context, cause: error)
        }
        if let info = e.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "error"
            let detail = info[.detail].map { " (\($0))" } ?? ""
            // 23505: unique violation; 40001/40P01: serialization failure, deadlock.
            let code: JournalError.Code =
                switch state {
                case "23505", "40001", "40P01": .conflict
                // 42501: a privilege the role lacks (the database's setup, not the command's).
                case "42501": .io
                // Class 42: syntax error or access rule violation (SQL a user typed); 25006: a
                // write in a read-only transaction.
                case _ where state.hasPrefix("42"), "25006": .usage
                default: .io
                }
            if state == "40P01" {
                return JournalError(
                    .conflict,
                    "another writer holds a run this transaction also writes, and waits for one this transaction holds "
                        + "(PostgreSQL: deadlock detected); this transaction was rolled back, nothing of it was written: run it again",
                    context: context, cause: error)
            }
            let prefix = connecting ? "the PostgreSQL server refused the connection: " : "PostgreSQL: "
            // 57P01-57P03: the server ended the session (terminated, shutting down, crashed).
            let ended = !connecting && state.hasPrefix("57P") ? "; the transaction in progress was not committed" : ""
            return JournalError(
                code, "\(prefix)\(message)\(detail) (SQLSTATE \(state))\(ended)", context: context, cause: error)
        }
        let message: String
        switch e.code {
        case .connectionError:
            message =
                connecting
                ? "cannot connect to the PostgreSQL server (is it running, and is the host and port right?)"
                : "the connection to the PostgreSQL server failed; the transaction in progress was not committed"
        case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            message =
                connecting
                ? "the server closed the connection before the login ended (is this a PostgreSQL server? is the port right?)"
                : "the PostgreSQL server closed the connection; the transaction in progress was not committed"
        case .sslUnsupported:
            message = "the PostgreSQL server does not support TLS"
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            message = "the PostgreSQL server asks for a login this URL cannot give (a password?)"
        default:
            message = "PostgreSQL client error \(e.code)"
        }
        // postgres-nio's own description of an error is a placeholder ("Generic description to
        // prevent accidental leakage..."): only an underlying error says more.
        var underlying = ""
        if let u = e.underlying, !(u is PSQLError) { underlying = ": " + reason(u) }
        return JournalError(.io, message + underlying, context: context, cause: error)
    }

    /// What a network error underneath says, in words (not SwiftNIO's type names): the reason
    /// each address failed, or the host name that did not resolve.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let io as IOError:
            return String(cString: strerror(io.errnoCode)).lowercased()
        case let failed as NIOConnectionError:
            if failed.dnsAError != nil && failed.dnsAAAAError != nil {
                return "the host name \(failed.host) does not resolve"
            }
            let reasons = failed.connectionErrors.map { "\($0.target.ipAddress ?? "\($0.target)") port \(failed.port): \(reason($0.error))" }
            return reasons.isEmpty ? "no address of \(failed.host) could be reached" : reasons.joined(separator: "; ")
        case is SocketAddressError:
            return "the host name does not resolve"
        case ChannelError.connectTimeout:
            return "timed out"
        default:
            return "\(error)"
        }
    }

    /// The error of a `COMMIT` whose connection was lost before the server answered.
    static func uncertainCommit(_ error: any Error, journal: String) -> JournalError {
        JournalError(
            .commitUncertain,
            "the connection to the PostgreSQL server was lost during COMMIT: the transaction may or may not have been "
                + "committed (read the runs' heads, e.g. with `planj runs`, before writing them again)",
            context: .init(journalPath: journal), cause: error)
    }

    /// Whether `error` is a lock not granted within `lock_timeout` (SQLSTATE 55P03).
    static func isLockTimeout(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "55P03"
    }

    /// Whether the server refused a write for want of a privilege (a role granted SELECT only:
    /// SQLSTATE 42501) or because the transaction may only read (a standby: 25006).
    static func isRefusedWrite(_ error: any Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state == "42501" || state == "25006"
    }

    /// Whether a failed connection attempt may succeed soon: the server said it cannot take
    /// connections now (57P03: starting up or shutting down; 53300: too many connections) or
    /// ended the login as it shut down (57P01, 57P02), or, `whenRefused`, refused or closed the
    /// socket (restarting).
    static func mayConnectLater(_ error: any Error, whenRefused: Bool) -> Bool {
        if let state = (error as? PSQLError)?.serverInfo?[.sqlState] { return ["57P03", "53300", "57P01", "57P02"].contains(state) }
        return whenRefused && isConnectionLoss(error)
    }

    /// Whether `error` means the connection is gone (so is any transaction it had open).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        // The socket's own failures: refused, reset, timed out (``PGSocket``'s keepalive).
        if error is NIOConnectionError || error is IOError || error is ChannelError { return true }
        guard let e = error as? PSQLError else { return false }
        switch e.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection: return true
        // 57P: the server shutting down or ending the connection; 08: a connection exception.
        default: return e.serverInfo?[.sqlState].map { $0.hasPrefix("57P") || $0.hasPrefix("08") } == true
        }
    }
}
