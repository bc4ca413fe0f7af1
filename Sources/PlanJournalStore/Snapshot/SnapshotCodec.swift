import Crypto
import Foundation
import PlanJournalCore

/// Encodes plan-state snapshots: ``PlanState``'s binary form, LZ4, SHA-256 checksum of the stored
/// body. Snapshots written before format version 2 hold JSON, which is still read.
enum SnapshotCodec {
    static func encode(_ state: PlanState) throws(JournalError) -> (codec: Codec, rawLength: Int, checksum: [UInt8], body: [UInt8]) {
        let raw = state.binaryEncoded()
        let (codec, body) = Codec.encode(raw, level: 0)
        return (codec, raw.count, Array(SHA256.hash(data: body)), body)
    }

    /// The state a stored snapshot holds, or `nil` when it is stale: taken by an earlier (or a later)
    /// planj whose projection folds the events differently (its bytes are still checked, and the
    /// events are folded instead).
    /// - Throws: `.corrupt` when it does not match its checksum or does not decode.
    static func decode(
        codec: Int64, rawLength: Int, checksum: [UInt8], body: [UInt8], run: String, seq: Int64, journal: String
    ) throws(JournalError) -> PlanState? {
        let context = JournalError.Context(journalPath: journal, run: run, seq: seq)
        guard Array(SHA256.hash(data: body)) == checksum, let c = Codec(rawValue: codec) else {
            throw JournalError(.corrupt, "the snapshot at seq \(seq) does not match its checksum", context: context)
        }
        do {
            let raw = try c.decode(body, rawLength: rawLength)
            if PlanState.isBinary(raw) { return try PlanState(binary: raw) }
            // Another version's binary form, or the JSON form before them: decoded only to check it.
            if raw.first == UInt8(ascii: "{") { _ = try JSONDecoder().decode(PlanState.self, from: Data(raw)) }
            return nil
        } catch {
            throw JournalError(.corrupt, "the snapshot at seq \(seq) does not decode", context: context)
        }
    }
}
