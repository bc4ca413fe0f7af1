import Foundation
import PlanJournalCore

/// A `postgres://user[:password]@host[:port]/database` journal name, parsed and checked.
///
/// As with libpq, the user defaults to `$PGUSER` then `$USER`, the port to 5432, the database to
/// the user's name, and the password to `$PGPASSWORD`. Only `sslmode=disable` (the default) is
/// accepted in this version.
struct PostgresURL: Sendable, Equatable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String

    /// The URL without its password, for messages.
    var redacted: String { "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

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
        let user = parts.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        guard !user.isEmpty else { throw bad("the user name is empty") }
        self.user = user
        password = parts.password.flatMap { $0.removingPercentEncoding } ?? environment["PGPASSWORD"]
        let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        guard !path.contains("/") else { throw bad("the database name holds a slash") }
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        for item in parts.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"?), ("application_name", _): continue
            case ("sslmode", let mode):
                throw bad("sslmode=\(mode ?? "") is not supported yet (only sslmode=disable)")
            default: throw bad("unknown parameter \(item.name)")
            }
        }
    }

    /// `url` with any password replaced by `***`, for messages about a URL that does not parse.
    static func withoutPassword(_ url: String) -> String {
        url.replacingOccurrences(of: #"(://[^:/@]*):[^@/]*@"#, with: "$1:***@", options: .regularExpression)
    }
}
