import Crypto
import Foundation
import PlanJournalCore

/// An Ed25519 private key that seals runs (``Journal/seal(run:with:)``).
///
/// Key files are standard PEM: PKCS#8 (`-----BEGIN PRIVATE KEY-----`, RFC 8410), the form
/// `openssl genpkey -algorithm ed25519` writes and `openssl pkey -in key.pem -pubout` reads.
public struct SealingKey: Sendable {
    /// The 32-byte Ed25519 seed.
    private let seed: [UInt8]

    /// A new random key.
    public init() {
        seed = Array(Curve25519.Signing.PrivateKey().rawRepresentation)
    }

    /// The key with this 32-byte seed (RFC 8032 private key).
    /// - Throws: `.usage` when `raw` is not 32 bytes.
    public init(rawRepresentation raw: [UInt8]) throws(JournalError) {
        guard raw.count == 32, (try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)) != nil else {
            throw JournalError(.usage, "an Ed25519 private key has 32 bytes, not \(raw.count)")
        }
        seed = raw
    }

    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    /// - Throws: `.usage` when the text is not an Ed25519 private key.
    public init(pem: String) throws(JournalError) {
        let der = try PEM.decode(pem, label: "PRIVATE KEY")
        guard der.count == PEM.pkcs8Prefix.count + 32, Array(der.prefix(PEM.pkcs8Prefix.count)) == PEM.pkcs8Prefix else {
            throw JournalError(
                .usage,
                "not an Ed25519 private key (PKCS#8); make one with `planj keygen` or `openssl genpkey -algorithm ed25519`")
        }
        try self.init(rawRepresentation: Array(der.suffix(32)))
    }

    /// Reads a private key file written by `planj keygen` or `openssl genpkey -algorithm ed25519`.
    /// - Throws: `.usage` when the file cannot be read or holds no Ed25519 private key.
    public init(file path: String) throws(JournalError) {
        do {
            try self.init(pem: try PEM.readFile(path))
        } catch {
            throw error.adding(file: path)
        }
    }

    /// The 32-byte seed (keep it secret).
    public var rawRepresentation: [UInt8] { seed }

    /// The PKCS#8 PEM text of the key (what `planj keygen` writes).
    public var pemRepresentation: String { PEM.encode(PEM.pkcs8Prefix + seed, label: "PRIVATE KEY") }

    /// The public half, which verifies this key's seals.
    public var publicKey: SealPublicKey {
        SealPublicKey(trusted: Array(signingKey.publicKey.rawRepresentation))
    }

    /// An Ed25519 signature of `message`.
    func sign(_ message: [UInt8]) throws(JournalError) -> [UInt8] {
        do {
            return Array(try signingKey.signature(for: message))
        } catch {
            throw JournalError(.io, "cannot sign: \(error)")
        }
    }

    private var signingKey: Curve25519.Signing.PrivateKey {
        // The seed was validated by every initializer.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }
}

/// An Ed25519 public key: it checks seals and names who made them.
///
/// Key files are standard PEM: SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, RFC 8410), the
/// form `openssl pkey -pubout` writes.
public struct SealPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The 32 raw bytes of the key.
    public let rawRepresentation: [UInt8]

    init(trusted raw: [UInt8]) {
        rawRepresentation = raw
    }

    /// The key with these 32 raw bytes.
    /// - Throws: `.usage` when `raw` is not an Ed25519 public key.
    public init(rawRepresentation raw: [UInt8]) throws(JournalError) {
        guard raw.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw JournalError(.usage, "an Ed25519 public key has 32 bytes, not \(raw.count)")
        }
        rawRepresentation = raw
    }

    /// Reads a PEM public key (`-----BEGIN PUBLIC KEY-----`).
    /// - Throws: `.usage` when the text is not an Ed25519 public key.
    public init(pem: String) throws(JournalError) {
        let der: [UInt8]
        do {
            der = try PEM.decode(pem, label: "PUBLIC KEY")
        } catch {
            if pem.contains("-----BEGIN PRIVATE KEY-----") {
                throw JournalError(
                    .usage, "this is a private key: trust its public half (the .pub file `planj keygen` wrote)")
            }
            throw error
        }
        guard der.count == PEM.spkiPrefix.count + 32, Array(der.prefix(PEM.spkiPrefix.count)) == PEM.spkiPrefix else {
            throw JournalError(.usage, "not an Ed25519 public key (SubjectPublicKeyInfo PEM)")
        }
        try self.init(rawRepresentation: Array(der.suffix(32)))
    }

    /// Reads a public key file (`planj keygen` writes one next to the private key, as FILE.pub).
    /// - Throws: `.usage` when the file cannot be read or holds no Ed25519 public key.
    public init(file path: String) throws(JournalError) {
        do {
            try self.init(pem: try PEM.readFile(path))
        } catch {
            throw error.adding(file: path)
        }
    }

    /// The PEM text of the key (what `planj keygen` writes to FILE.pub).
    public var pemRepresentation: String { PEM.encode(PEM.spkiPrefix + rawRepresentation, label: "PUBLIC KEY") }

    /// The short name of the key: the first 16 hex digits of SHA-256 of its raw bytes.
    public var keyID: String { Self.keyID(rawRepresentation) }

    public var description: String { keyID }

    static func keyID(_ raw: [UInt8]) -> String {
        HashChain.hex(Array(SHA256.hash(data: raw).prefix(8)))
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// PEM armour and the fixed DER prefixes of Ed25519 keys (RFC 8410): the key bytes follow them.
enum PEM {
    /// `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }`
    static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// `SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits, 32 bytes) }`
    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }

    /// The DER bytes of the first `label` block of `text`.
    static func decode(_ text: String, label: String) throws(JournalError) -> [UInt8] {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let b = text.range(of: begin), let e = text.range(of: end, range: b.upperBound..<text.endIndex) else {
            throw JournalError(.usage, "no \(begin) block (not a PEM \(label.lowercased()) file)")
        }
        let body = text[b.upperBound..<e.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)) else {
            throw JournalError(.usage, "the PEM \(label.lowercased()) block is not valid base64")
        }
        return Array(data)
    }

    static func readFile(_ path: String) throws(JournalError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw JournalError(.usage, "no key file here (planj keygen makes one)", context: .init(file: path))
            }
            if isDirectory.boolValue { throw JournalError(.usage, "is a directory: name the key file", context: .init(file: path)) }
            let why = FileManager.default.isReadableFile(atPath: path) ? "is it a regular file?" : "permission denied"
            throw JournalError(.io, "cannot read the key file (\(why))", context: .init(file: path))
        }
        return String(decoding: data, as: UTF8.self)
    }
}
