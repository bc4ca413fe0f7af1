import PlanJournalCore

@testable import PlanJournalStore

/// Changes one stored event through SQL, as an attacker with write access to the storage would
/// (the backend fixtures' `tamper`): the chunk holding it is decoded, one letter of the event's
/// data changed in case, and stored back uncompressed with a matching body checksum and the old
/// chain hash.
enum StoredEventTamperer {
    static func tamper(_ db: any SQLDatabase, journal: String, run: String, seq: Int64) throws {
        let reader = JournalReader(db: db)
        let row = try reader.requireRun(run)
        guard let chunk = try reader.chunks(rid: row.rid, from: seq, to: seq).first else {
            throw JournalError(.notFound, "no stored chunk holds this seq", context: .init(run: run, seq: seq))
        }
        var raw = try reader.expandedBody(of: chunk, run: run)
        let newline = UInt8(ascii: "\n")
        var start = 0
        for _ in chunk.firstSeq..<seq {
            start = (raw[start...].firstIndex(of: newline) ?? raw.count) + 1
        }
        let end = raw[start...].firstIndex(of: newline) ?? raw.count
        let data = Array("\"data\":".utf8)
        let from = (start..<end).first { raw[$0...].starts(with: data) } ?? start
        guard let k = (from..<end).first(where: { raw[$0] >= UInt8(ascii: "a") && raw[$0] <= UInt8(ascii: "z") }) else {
            throw JournalError(.notFound, "the event has no letter to change", context: .init(run: run, seq: seq))
        }
        raw[k] -= 32
        try db.statement("UPDATE chunks SET codec = ?, raw_len = ?, dict = NULL, body = ?, body_sum = ? WHERE cid = ?")
            .bind(
                .int(Codec.raw.rawValue), .int(Int64(raw.count)), .blob(raw), .blob(ChunkRow.checksum(raw)),
                .int(chunk.cid)
            ).run()
    }

    /// Flips one bit in the middle of the body of the chunk `select` names (its first row: cid,
    /// body), leaving its checksum as it was.
    static func flipMiddleByte(ofChunk select: String, in path: String) throws {
        let db = try SQLiteConnection(path: path)
        let s = try db.statement(select)
        guard try s.step() else {
            s.reset()
            throw JournalError(.notFound, "no chunk matches \(select)")
        }
        let (cid, body) = (s.int(0), s.blob(1))
        s.reset()
        var changed = body
        changed[changed.count / 2] ^= 0x01
        try db.statement("UPDATE chunks SET body = ? WHERE cid = ?").bind(.blob(changed), .int(cid)).run()
    }
}
