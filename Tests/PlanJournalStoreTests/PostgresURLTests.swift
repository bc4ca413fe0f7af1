import PlanJournalCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import PlanJournalStore

/// Parsing `postgres://` journal names (no server needed).
@Suite struct PostgresURLTests {
    let env = ["USER": "ana"]

    @Test func fullURL() throws {
        let u = try PostgresURL("postgres://bob:p%40ss@db.example:6543/journal", environment: env)
        #expect(u.host == "db.example" && u.port == 6543 && u.user == "bob" && u.password == "p@ss" && u.database == "journal")
        #expect(u.redacted == "postgres://bob@db.example:6543/journal")
        // Decoded once, as libpq does: %25 is a percent sign, and %2541 is %41, not A.
        let p = try PostgresURL("postgres://b%25b:100%25sure%2541@h/x%2541", environment: env)
        #expect(p.user == "b%b" && p.password == "100%sure%41" && p.database == "x%41")
    }

    @Test func defaultsFollowLibpq() throws {
        // The user running the process (not $USER, which libpq does not read either).
        let me = String(cString: try #require(getpwuid(geteuid())?.pointee.pw_name))
        let u = try PostgresURL("postgresql://localhost", environment: ["USER": "ana", "PGPASSWORD": "pw"])
        #expect(u.host == "localhost" && u.port == 5432 && u.user == me && u.password == "pw" && u.database == me)
        #expect(u.connectTimeoutSeconds == 10)
        let w = try PostgresURL("postgres://localhost?connect_timeout=1", environment: ["PGDATABASE": "journals", "PGCONNECT_TIMEOUT": "30"])
        #expect(w.database == "journals" && w.connectTimeoutSeconds == 2)
        #expect(try PostgresURL("postgres://localhost", environment: ["PGCONNECT_TIMEOUT": "30"]).connectTimeoutSeconds == 30)
        #expect(throws: JournalError.self) { try PostgresURL("postgres://localhost?connect_timeout=soon") }
        let v = try PostgresURL("postgres://[::1]:5433/j?sslmode=disable", environment: ["PGUSER": "svc"])
        #expect(v.host == "::1" && v.port == 5433 && v.user == "svc" && v.database == "j")
        #expect(v.redacted == "postgres://svc@[::1]:5433/j")
    }

    @Test func malformedURLsAreUsageErrorsWithoutThePassword() {
        for bad in [
            "postgres://me:secret@host:notaport/db", "postgres:///db", "postgres://me:secret@host/a/b",
            "postgres://me:secret@host/db?sslmode=allow", "postgres://me:secret@host/db?sslmode=bogus",
            "postgres://me:secret@host/db?color=blue", "postgres://me@host/db?password=secret", "postgres://me:secret@host/db?sslmode=require&sslrootcert=system",
        ] {
            do {
                _ = try PostgresURL(bad, environment: env)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.code == .usage, "\(bad)")
                #expect(!error.description.contains("secret"), "\(error)")
            }
        }
    }

    @Test func sslModesFollowLibpqWithPreferAsTheDefault() throws {
        #expect(try PostgresURL("postgres://h/db", environment: env).sslMode == .prefer)
        for mode in PostgresURL.SSLMode.allCases {
            let u = try PostgresURL("postgres://h/db?sslmode=\(mode.rawValue)", environment: env)
            #expect(u.sslMode == mode && u.sslRootCert == nil && u.sslModeSource == "sslmode=\(mode.rawValue)")
        }
        // $PGSSLMODE and $PGSSLROOTCERT when the URL says nothing; the URL wins over them.
        let fromEnv = try PostgresURL(
            "postgres://h/db", environment: ["USER": "ana", "PGSSLMODE": "verify-full", "PGSSLROOTCERT": "/etc/ca.pem"])
        #expect(fromEnv.sslMode == .verifyFull && fromEnv.sslRootCert == "/etc/ca.pem" && fromEnv.sslModeSource == "PGSSLMODE=verify-full")
        let overridden = try PostgresURL(
            "postgres://h/db?sslmode=disable&sslrootcert=/ca.pem", environment: ["PGSSLMODE": "require", "PGSSLROOTCERT": "/x"])
        #expect(overridden.sslMode == .disable && overridden.sslRootCert == "/ca.pem")
        // As libpq: require with a root certificate verifies the chain; sslrootcert=system means
        // the system's CAs and defaults to verify-full.
        #expect(try PostgresURL("postgres://h/db?sslmode=require&sslrootcert=/ca.pem", environment: env).sslMode == .verifyCA)
        let system = try PostgresURL("postgres://h/db?sslrootcert=system", environment: env)
        #expect(system.sslMode == .verifyFull && system.sslRootCert == nil)
        #expect(try PostgresURL("postgres://h/db?application_name=fleet", environment: env).applicationName == "fleet")
        do {
            _ = try PostgresURL("postgres://h/db", environment: ["USER": "ana", "PGSSLMODE": "verify"])
            Issue.record("accepted PGSSLMODE=verify")
        } catch {
            #expect(error.message.contains("PGSSLMODE=verify is not supported"), "\(error)")
        }
    }

    @Test func displayNamesDropThePassword() {
        #expect(Journal.displayName("postgres://me:secret@h:1/db") == "postgres://me@h:1/db")
        #expect(Journal.displayName("journals/a.sqlite") == "journals/a.sqlite")
        #expect(Journal.isDatabaseURL("POSTGRES://h/db") && !Journal.isDatabaseURL("postgres.sqlite"))
    }

    @Test func placeholdersAreNumberedOutsideQuotes() {
        #expect(PGPlaceholders.numbered("SELECT ? , '?', \"a?\" WHERE x = ?") == "SELECT $1 , '?', \"a?\" WHERE x = $2")
    }

    /// A server that cannot be reached is described in words, not SwiftNIO's type names.
    @Test func anUnreachableServerIsDescribedInWords() throws {
        #expect {
            _ = try Journal(path: "postgres://u:secret@127.0.0.1:1/db")
        } throws: { error in
            let text = "\(error)"
            return text.contains("127.0.0.1 port 1: connection refused") && !text.contains("SingleConnectionFailure")
                && !text.contains("secret")
        }
    }
}
