import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// TLS to PostgreSQL (`sslmode`, `sslrootcert`) against the test server, which tools/pg/start.sh
/// starts with TLS on and a certificate signed by a throwaway CA (`$PLANJ_TEST_POSTGRES_CA`), and
/// against tools/pg/no_tls_server.py, a stand-in for a server without TLS. Skipped loudly without
/// `$PLANJ_TEST_POSTGRES_URL`.
@Suite struct PostgresTLSTests {
    let server = PostgresTestServer.url(skipping: "PostgreSQL TLS checks")
    /// The CA that signed the test server's certificate.
    let ca: String? = {
        let env = ProcessInfo.processInfo.environment
        if let path = env["PLANJ_TEST_POSTGRES_CA"], !path.isEmpty { return path }
        if env["PLANJ_REQUIRE_POSTGRES"] == "1" {
            Issue.record("PLANJ_REQUIRE_POSTGRES=1 but PLANJ_TEST_POSTGRES_CA is not set (tools/test.sh sets it)")
        }
        return nil
    }()

    /// `url` with `parameters` added to its query (and its host replaced by `host`).
    static func url(_ url: String, host: String? = nil, _ parameters: [String: String]) -> String {
        guard var parts = URLComponents(string: url) else { return url }
        if let host { parts.host = host }
        parts.queryItems = (parts.queryItems ?? []) + parameters.sorted { $0.key < $1.key }.map(URLQueryItem.init)
        return parts.string ?? url
    }

    /// Whether the connection `url` opens uses TLS, as the server sees it.
    static func usesTLS(_ url: String) throws -> Bool {
        let db = try PGConnection(url: url)
        let rows = try db.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [])
        if case .int(let n)? = rows.first?.first { return n == 1 }
        return false
    }

    @Test func theDefaultPreferUsesTLSWhenTheServerHasItAndDisableDoesNot() throws {
        guard let server, ca != nil else { return }
        #expect(try Self.usesTLS(server))
        #expect(try Self.usesTLS(Self.url(server, ["sslmode": "require"])))
        #expect(try !Self.usesTLS(Self.url(server, ["sslmode": "disable"])))
    }

    @Test func verifyFullAndVerifyCASucceedWithTheCAThatSignedTheServersCertificate() throws {
        guard let server, let ca else { return }
        for mode in ["verify-full", "verify-ca"] {
            #expect(try Self.usesTLS(Self.url(server, ["sslmode": mode, "sslrootcert": ca])), "\(mode)")
        }
        // By host name too (the certificate names localhost as well as 127.0.0.1).
        #expect(try Self.usesTLS(Self.url(server, host: "localhost", ["sslmode": "verify-full", "sslrootcert": ca])))
        // A whole journal works over it.
        let fixture = PostgresFixture(serverURL: Self.url(server, ["sslmode": "verify-full", "sslrootcert": ca]))
        let journal = try fixture.makeJournal()
        _ = try journal.ingest(file: Fixtures.validContract)
        #expect(try journal.verify().ok)
    }

    @Test func verifyFullWithoutTheCAFailsNamingTheHostAndWhy() throws {
        guard let server, ca != nil else { return }
        // Without sslrootcert the system's trusted CAs are used: none signed the throwaway CA.
        for mode in ["verify-full", "verify-ca"] {
            do {
                _ = try PGConnection(url: Self.url(server, ["sslmode": mode]))
                Issue.record("\(mode) accepted a certificate no trusted CA signed")
            } catch {
                #expect(error.code == .io)
                #expect(error.message.contains("TLS certificate verification failed for host 127.0.0.1"), "\(error)")
                #expect(error.message.contains("not signed by the system's trusted CAs"), "\(error)")
                #expect(error.message.contains("sslmode=\(mode)"), "\(error)")
            }
        }
    }

    @Test func verifyFullRefusesACertificateNotIssuedForTheHost() throws {
        guard let server, let ca else { return }
        // The IPv4-mapped IPv6 form of 127.0.0.1 reaches the same server under an address the
        // certificate does not name (it names localhost and 127.0.0.1).
        let mapped = "[::ffff:127.0.0.1]"
        guard (try? Self.usesTLS(Self.url(server, host: mapped, ["sslmode": "verify-ca", "sslrootcert": ca]))) == true else {
            print("PostgresTLSTests: IPv4-mapped IPv6 addresses are not reachable here; host name check not tested")
            return
        }
        do {
            _ = try PGConnection(url: Self.url(server, host: mapped, ["sslmode": "verify-full", "sslrootcert": ca]))
            Issue.record("verify-full accepted a certificate that does not name the host")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains("TLS certificate verification failed for host ::ffff:127.0.0.1"), "\(error)")
            #expect(error.message.contains("not issued for ::ffff:127.0.0.1"), "\(error)")
        }
    }

    /// A host name that resolves to an address the certificate names, while the certificate does
    /// not name the host: refused, as libpq refuses it (NIOSSL's own check took the address, so
    /// whoever answers DNS for the name could pass with a certificate issued for their address).
    @Test func verifyFullRefusesANameOnlyItsAddressMatches() throws {
        guard let server, let ca else { return }
        // A name of this machine, other than localhost, that resolves to 127.0.0.1.
        guard let name = [ProcessInfo.processInfo.hostName, "runsc", "vm"].first(where: { $0 != "localhost" && Self.isLoopback($0) })
        else {
            print("PostgresTLSTests: no other name for 127.0.0.1 here; the check of a name against an address is not tested")
            return
        }
        #expect(try Self.usesTLS(Self.url(server, host: name, ["sslmode": "verify-ca", "sslrootcert": ca])))
        do {
            _ = try PGConnection(url: Self.url(server, host: name, ["sslmode": "verify-full", "sslrootcert": ca]))
            Issue.record("verify-full accepted \(name), which the certificate does not name, for its address")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains("TLS certificate verification failed for host \(name)"), "\(error)")
            #expect(error.message.contains("not issued for \(name)"), "\(error)")
        }
        #expect(try Self.usesTLS(Self.url(server, host: "localhost", ["sslmode": "verify-full", "sslrootcert": ca])))
    }

    /// Whether `name` resolves to 127.0.0.1.
    static func isLoopback(_ name: String) -> Bool {
        var result: UnsafeMutablePointer<addrinfo>?
        var hints = addrinfo()
        hints.ai_family = AF_INET
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { return false }
        defer { freeaddrinfo(result) }
        return first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
            $0.pointee.sin_addr.s_addr == inet_addr("127.0.0.1")
        }
    }

    /// Names in a certificate: exact (any case, a final dot ignored) or a wildcard for one label.
    @Test func certificateNamesMatchAsLibpqMatchesThem() {
        #expect(PGHostNameCheck.matches("db.example.com", "DB.Example.com"))
        #expect(PGHostNameCheck.matches("db.example.com", "db.example.com."))
        #expect(PGHostNameCheck.matches("db.example.com", "*.example.com"))
        #expect(!PGHostNameCheck.matches("a.db.example.com", "*.example.com"))
        #expect(!PGHostNameCheck.matches("example.com", "*.example.com"))
        #expect(!PGHostNameCheck.matches("db.example.com", "example.com"))
        #expect(!PGHostNameCheck.matches("vm", "localhost"))
    }

    @Test func anUnreadableRootCertificateFileIsAClearUsageError() throws {
        guard let server else { return }
        let missing = NSTemporaryDirectory() + "no-such-ca-\(UUID().uuidString).crt"
        let notPEM = NSTemporaryDirectory() + "not-pem-\(UUID().uuidString).crt"
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: notPEM))
        defer { try? FileManager.default.removeItem(atPath: notPEM) }
        for (file, why) in [(missing, "no such file"), (notPEM, "no PEM certificate")] {
            let url = Self.url(server.replacingOccurrences(of: "postgres@", with: "postgres:secret@"), [
                "sslmode": "verify-full", "sslrootcert": file,
            ])
            do {
                _ = try PGConnection(url: url)
                Issue.record("connected with sslrootcert=\(file)")
            } catch {
                #expect(error.code == .usage)
                #expect(error.message.contains("root certificate file \(file)") && error.message.contains(why), "\(error)")
                #expect(!error.description.contains("secret"), "\(error)")
            }
        }
    }

    @Test func requireFailsAgainstAServerWithoutTLSAndPreferFallsBack() throws {
        guard server != nil else { return }
        let fake = try LoopbackScript(script: "pg/no_tls_server.py") { ["--log", $0] }
        do {
            _ = try PGConnection(url: Self.url(fake.url, ["sslmode": "require"]))
            Issue.record("sslmode=require connected to a server without TLS")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains("does not support TLS, which sslmode=require demands"), "\(error)")
        }
        // prefer (the default) asks for TLS, is refused, and logs in without it (which the stand-in refuses).
        do {
            _ = try PGConnection(url: fake.url)
            Issue.record("the stand-in server accepted a login")
        } catch {
            #expect(error.message.contains("plain startup received"), "\(error)")
        }
        #expect(try fake.loggedObjects().compactMap { $0["request"] as? String } == ["ssl", "ssl", "startup"])
    }
}
