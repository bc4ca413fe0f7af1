import Crypto
import Foundation
import PlanJournalCore

/// Encodes plan-state snapshots: JSON, LZ4, SHA-256 checksum of the stored body.
enum SnapshotCodec {
    static func encode(_ state: PlanState) throws(JournalError) -> (codec: Codec, rawLength: Int, checksum: [UInt8], body: [UInt8]) {
        let raw: [UInt8]
        do {
            raw = Array(try JSONEncoder().encode(state))
        } catch {
            throw JournalError(.io, "cannot encode a snapshot: \(error)")
        }
        let (codec, body) = Codec.encode(raw, level: 0)
        return (codec, raw.count, Array(SHA256.hash(data: body)), body)
    }

    static func decode(
        codec: Int64, rawLength: Int, checksum: [UInt8], body: [UInt8], run: String, seq: Int64, journal: String
    ) throws(JournalError) -> PlanState {
        let context = JournalError.Context(journalPath: journal, run: run, seq: seq)
        guard Array(SHA256.hash(data: body)) == checksum, let c = Codec(rawValue: codec) else {
            throw JournalError(.corrupt, "the snapshot at seq \(seq) does not match its checksum", context: context)
        }
        do {
            let raw = try c.decode(body, rawLength: rawLength)
            return try JSONDecoder().decode(PlanState.self, from: Data(raw))
        } catch {
            throw JournalError(.corrupt, "the snapshot at seq \(seq) does not decode", context: context)
        }
    }
}
