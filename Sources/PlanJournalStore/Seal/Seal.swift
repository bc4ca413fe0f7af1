import Crypto
import Foundation
import PlanJournalCore

/// A signed statement that a run's events up to ``seq`` hash to ``hash``: an Ed25519 signature
/// (by the key ``publicKey``) over the run's chain hash at that seq.
///
/// A seal covers a prefix of the run: events appended later leave it valid, while any changed,
/// removed or reordered event at or before ``seq`` changes the chain hash and breaks it. Its
/// ``trail`` (4 bytes of the chain hash after each event, also signed) locates the first changed
/// event.
///
/// The signed message is domain-separated and versioned, so a seal cannot be mistaken for any
/// other signature made with the same key:
/// ```
/// planjournal-seal-v1
/// run "<run id as a JSON string>"
/// seq <seq>
/// hash <chain hash at seq, 64 lowercase hex digits>
/// trail <SHA-256 of the trail, 64 lowercase hex digits>
/// sealed_at <RFC 3339 UTC, microseconds>
/// ```
/// (each line ends with a line feed).
public struct Seal: Sendable, Hashable, Encodable {
    /// The run sealed.
    public var run: String
    /// The last seq the seal covers.
    public var seq: Int64
    /// The chain hash after event ``seq``, lowercase hex.
    public var hash: String
    /// The first 4 bytes of the chain hash after each event 1...``seq``, in order (4 × ``seq``
    /// bytes): where the recomputed chain first differs is the first changed event.
    public var trail: [UInt8]
    /// The key that signed.
    public var publicKey: SealPublicKey
    /// The 64-byte Ed25519 signature of ``message``.
    public var signature: [UInt8]
    /// When the seal was made (part of what is signed).
    public var sealedAt: Timestamp

    /// The bytes of each chain hash the ``trail`` keeps.
    public static let trailBytesPerEvent = 4

    /// The signer's key id (``SealPublicKey/keyID``).
    public var keyID: String { publicKey.keyID }

    /// Creates a seal from its parts (nothing is checked: see ``isSignatureValid``).
    public init(
        run: String, seq: Int64, hash: String, trail: [UInt8], publicKey: SealPublicKey, signature: [UInt8],
        sealedAt: Timestamp
    ) {
        self.run = run
        self.seq = seq
        self.hash = hash
        self.trail = trail
        self.publicKey = publicKey
        self.signature = signature
        self.sealedAt = sealedAt
    }

    /// The bytes the signature covers.
    public var message: [UInt8] {
        Self.message(run: run, seq: seq, hash: hash, trail: trail, sealedAt: sealedAt)
    }

    static func message(run: String, seq: Int64, hash: String, trail: [UInt8], sealedAt: Timestamp) -> [UInt8] {
        Array(
            """
            planjournal-seal-v1
            run \(JSONValue.string(run).jsonText)
            seq \(seq)
            hash \(hash)
            trail \(HashChain.hex(Array(SHA256.hash(data: trail))))
            sealed_at \(sealedAt)

            """.utf8)
    }

    /// Whether ``signature`` is a valid signature of ``message`` by ``publicKey`` (it says nothing
    /// about whether the events still hash to ``hash``, nor whether the key is trusted).
    public var isSignatureValid: Bool {
        publicKey.isValidSignature(signature, for: message)
    }

    /// The seq of the first event whose recomputed chain hash (its first bytes in `trail`, as
    /// ``JournalReader/ChainWalk`` keeps them) differs from this seal's trail; `nil` when none does.
    func firstDifference(from recomputed: [UInt8]) -> Int64? {
        let n = Self.trailBytesPerEvent
        var k = 0
        while k * n < trail.count {
            let mine = trail[(k * n)..<min(trail.count, (k + 1) * n)]
            let theirs = recomputed.dropFirst(k * n).prefix(n)
            if !mine.elementsEqual(theirs) { return Int64(k + 1) }
            k += 1
        }
        return nil
    }

    /// Signs `hash` of `run` at `seq` with `key`.
    static func make(
        run: String, seq: Int64, hash: [UInt8], trail: [UInt8], key: SealingKey, at time: Timestamp
    ) throws(JournalError) -> Seal {
        let hex = HashChain.hex(hash)
        let signature = try key.sign(message(run: run, seq: seq, hash: hex, trail: trail, sealedAt: time))
        return Seal(
            run: run, seq: seq, hash: hex, trail: trail, publicKey: key.publicKey, signature: signature, sealedAt: time)
    }

    // MARK: - Encodable (the form `--json` prints; the trail is left out: it is 4 bytes per event)

    private enum CodingKeys: String, CodingKey {
        case run, seq, hash
        case keyID = "key_id"
        case publicKey = "public_key"
        case signature
        case sealedAt = "sealed_at"
    }

    /// Encodes the form `--json` prints: `run`, `seq`, `hash`, `key_id`, `public_key` and `signature`
    /// (both base64) and `sealed_at`; the ``trail`` (4 bytes per event) is left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(run, forKey: .run)
        try c.encode(seq, forKey: .seq)
        try c.encode(hash, forKey: .hash)
        try c.encode(keyID, forKey: .keyID)
        try c.encode(Data(publicKey.rawRepresentation).base64EncodedString(), forKey: .publicKey)
        try c.encode(Data(signature).base64EncodedString(), forKey: .signature)
        try c.encode(sealedAt, forKey: .sealedAt)
    }

    // MARK: - The record in .pjl files

    /// The record type of a seal line in a `.pjl` seal frame.
    static let recordType = "planjournal.seal"

    /// One JSON line (without the line feed): how a `.pjl` file carries the seal.
    var record: [UInt8] {
        var out: [UInt8] = []
        JSONValue.record([
            "type": .string(Self.recordType), "v": .int(1), "run": .string(run), "seq": .int(seq), "hash": .string(hash),
            "key_id": .string(keyID), "public_key": .string(Data(publicKey.rawRepresentation).base64EncodedString()),
            "signature": .string(Data(signature).base64EncodedString()), "sealed_at": .string(sealedAt.description),
            "trail": .string(Data(trail).base64EncodedString()),
        ]).write(to: &out)
        return out
    }

    /// Parses a seal line of a `.pjl` seal frame.
    /// - Throws: `.badInput` naming what is wrong (the file is damaged, not the journal).
    init(record line: ArraySlice<UInt8>) throws(JournalError) {
        func bad(_ what: String) -> JournalError { JournalError(.badInput, "a seal record of the file is damaged: \(what)") }
        guard let value = try? JSONValue(parsing: Array(line)) else { throw bad("not JSON") }
        guard value["type"]?.stringValue == Self.recordType, value["v"]?.int64Value == 1 else {
            throw bad("not a version 1 \(Self.recordType) record")
        }
        guard let run = value["run"]?.stringValue, !run.isEmpty else { throw bad("run") }
        guard let seq = value["seq"]?.int64Value, seq >= 1 else { throw bad("seq") }
        guard let hash = value["hash"]?.stringValue, let bytes = HashChain.bytes(hex: hash), HashChain.hex(bytes) == hash
        else { throw bad("hash") }
        guard let k = value["public_key"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let key = try? SealPublicKey(rawRepresentation: Array(k))
        else { throw bad("public_key") }
        guard let s = value["signature"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else { throw bad("signature") }
        guard let t = value["sealed_at"]?.stringValue, let time = Timestamp(rfc3339: Array(t.utf8)) else {
            throw bad("sealed_at")
        }
        guard let trail = value["trail"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else { throw bad("trail") }
        self.init(
            run: run, seq: seq, hash: hash, trail: Array(trail), publicKey: key, signature: Array(s), sealedAt: time)
    }
}

/// What checking one seal (or a run's lack of one) found: see ``Journal/checkSeals(run:trusting:)``.
public struct SealCheck: Sendable, Hashable, Encodable {
    /// The verdict on a seal.
    public enum Status: String, Sendable, Hashable, Codable {
        /// The signature is good, the events still hash to the sealed hash, and (when trusted keys
        /// were given) the key is one of them.
        case valid
        /// The signature does not verify against the seal's own public key: the stored seal was
        /// changed or forged (an integrity error).
        case signatureInvalid = "signature_invalid"
        /// An event at or before the sealed seq was changed, removed or reordered after sealing
        /// (an integrity error); ``SealCheck/seq`` names the first changed seq (located by the seal's signed ``Seal/trail``).
        case changedAfterSealing = "changed_after_sealing"
        /// The seal is sound but its key is not one of the trusted keys.
        case untrustedKey = "untrusted_key"
        /// Trusted keys were given but no seal of the run is by one of them (``SealCheck/seal`` is `nil`).
        case unsealed
        /// Trusted keys were given and the run has events after its last valid seal by one of
        /// them: those are not signed (``SealCheck/seq`` is the first of them, ``SealCheck/seal`` `nil`).
        case unsealedTail = "unsealed_tail"
    }

    /// The run checked.
    public var run: String
    /// The seal checked; `nil` for ``Status/unsealed``.
    public var seal: Seal?
    /// What the check found.
    public var status: Status
    /// The seq concerned: the first changed seq for ``Status/changedAfterSealing``, `nil` for
    /// ``Status/unsealed``, else the sealed seq.
    public var seq: Int64?
    /// One line for people, naming the key and the seqs.
    public var message: String

    /// Whether the run's integrity is in question (a bad signature or a change after sealing);
    /// ``Status/untrustedKey`` and ``Status/unsealed`` are questions of trust, not of integrity.
    public var isIntegrityFailure: Bool { status == .signatureInvalid || status == .changedAfterSealing }

    /// Creates a result.
    public init(run: String, seal: Seal?, status: Status, seq: Int64?, message: String) {
        self.run = run
        self.seal = seal
        self.status = status
        self.seq = seq
        self.message = message
    }
}
