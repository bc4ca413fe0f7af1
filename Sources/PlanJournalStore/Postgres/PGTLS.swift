import Foundation
import NIOSSL
import PlanJournalCore
import PostgresNIO
import Synchronization

/// TLS for PostgreSQL connections: the postgres-nio mode for a URL's `sslmode` and
/// `sslrootcert`, and what a failed handshake means, in words.
///
/// libpq's semantics (https://www.postgresql.org/docs/current/libpq-ssl.html): `prefer` and
/// `require` encrypt without checking the certificate; `verify-ca` checks that a trusted CA signed
/// it; `verify-full` also that it names the host connected to (its DNS name, or its IP address when
/// the URL names one). The trusted CAs are the PEM file `sslrootcert` names, or the system's.
enum PGTLS {
    /// The postgres-nio TLS setting for `target`.
    /// - Throws: `.usage` when the root certificate file cannot be read or holds no certificate.
    static func mode(for target: PostgresURL) throws(JournalError) -> PostgresConnection.Configuration.TLS {
        switch target.sslMode {
        case .disable: return .disable
        case .prefer: return .prefer(try context(verification: .none, rootCert: nil, target: target))
        case .require: return .require(try context(verification: .none, rootCert: nil, target: target))
        case .verifyCA:
            return .require(try context(verification: .noHostnameVerification, rootCert: target.sslRootCert, target: target))
        case .verifyFull:
            // A host given by name is checked against the names of the certificate only
            // (``PGHostNameCheck``): NIOSSL's check also takes the address connected to.
            let verification: CertificateVerification =
                PGSocket.isIPAddress(target.host) ? .fullVerification : .noHostnameVerification
            return .require(try context(verification: verification, rootCert: target.sslRootCert, target: target))
        }
    }

    /// Contexts are costly to make (the system's roots are parsed): one per setting, for the process.
    private static let contexts = Mutex<[String: NIOSSLContext]>([:])

    private static func context(
        verification: CertificateVerification, rootCert: String?, target: PostgresURL
    ) throws(JournalError) -> NIOSSLContext {
        let key = "\(verification)|\(rootCert ?? "")"
        if let cached = contexts.withLock({ $0[key] }) { return cached }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = verification
        if let rootCert {
            configuration.trustRoots = .certificates(try certificates(at: rootCert, target: target))
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw JournalError(
                .io, "cannot set up TLS for the PostgreSQL connection (\(target.sslModeSource)): \(error)",
                context: .init(journalPath: target.redacted), cause: error)
        }
        contexts.withLock { $0[key] = context }
        return context
    }

    /// The PEM certificates of the file `path`.
    private static func certificates(at path: String, target: PostgresURL) throws(JournalError) -> [NIOSSLCertificate] {
        func unusable(_ why: String, _ cause: (any Error)? = nil) -> JournalError {
            JournalError(
                .usage, "cannot use the root certificate file \(path) (sslrootcert) for \(target.sslModeSource): \(why)",
                context: .init(journalPath: target.redacted), cause: cause)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { "\($0)" } ?? ""
            if !FileManager.default.fileExists(atPath: path) { throw unusable("no such file", error) }
            throw unusable("it cannot be read\(reason.isEmpty ? "" : " (\(reason))")", error)
        }
        do {
            let certificates = try NIOSSLCertificate.fromPEMBytes(Array(data))
            guard !certificates.isEmpty else { throw unusable("it holds no PEM certificate") }
            return certificates
        } catch let e as JournalError {
            throw e
        } catch {
            throw unusable("it holds no PEM certificate that can be read", error)
        }
    }

    /// The error for a connection attempt that failed in TLS, or `nil` when `error` is not about TLS.
    static func connectionError(_ error: any Error, target: PostgresURL) -> JournalError? {
        let server = "the PostgreSQL server at \(target.hostAndPort)"
        let roots = target.sslRootCert.map { "the CA certificates of \($0) (sslrootcert)" } ?? "the system's trusted CAs"
        func failure(_ message: String) -> JournalError {
            JournalError(.io, message, context: .init(journalPath: target.redacted), cause: error)
        }
        let psql = error as? PSQLError
        if psql?.code == .sslUnsupported {
            return failure(
                "\(server) does not support TLS, which \(target.sslModeSource) demands "
                    + "(enable ssl on the server, or connect with sslmode=prefer or sslmode=disable to go without TLS)")
        }
        let underlying = psql?.underlying ?? error
        if let extra = underlying as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return failure(
                "TLS certificate verification failed for host \(target.host) (\(target.sslModeSource)): "
                    + "the server's certificate is not issued for \(target.host) (none of its names matches); "
                    + "connect by a name the certificate holds, or use sslmode=verify-ca to check the CA only")
        }
        if let ssl = underlying as? NIOSSLError {
            let text = "\(ssl)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return failure(
                    "TLS certificate verification failed for host \(target.host) (\(target.sslModeSource)): "
                        + "the server's certificate is not signed by \(roots), or has expired; give the CA that "
                        + "signed it with sslrootcert=PATH (or $PGSSLROOTCERT)")
            }
            return failure("the TLS handshake with \(server) failed (\(target.sslModeSource)): \(text)")
        }
        if underlying is NIOSSLExtraError {
            return failure("the TLS handshake with \(server) failed (\(target.sslModeSource)): \(underlying)")
        }
        return nil
    }
}
