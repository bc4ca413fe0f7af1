import PlanJournalCore

/// A run's catalog values, as ``JournalWriter`` writes them to `runs`.
struct CatalogUpdate {
    var rid: Int64
    var headSeq: Int64
    var headHash: [UInt8]
    var goal: String?
    var status: String
    var startedAt: Int64?
    var endedAt: Int64?
    var inputTokens: Int64
    var outputTokens: Int64
    var costUSD: Double
    var rawBytes: Int64
    var tailFirstSeq: Int64?
    var tailBytes: Int64

    /// The `SET` list's values, in the order of ``setClause``.
    var values: [SQLValue] {
        [
            .int(headSeq), .blob(headHash), goal.map { .text($0) } ?? .null, .text(status),
            startedAt.map { .int($0) } ?? .null, endedAt.map { .int($0) } ?? .null, .int(inputTokens),
            .int(outputTokens), .double(costUSD), .int(rawBytes), tailFirstSeq.map { .int($0) } ?? .null,
            .int(tailBytes),
        ]
    }

    static let setClause = """
        head_seq = ?, head_hash = ?, goal = ?, status = ?, started_at = ?, ended_at = ?,
          input_tokens = ?, output_tokens = ?, cost_usd = ?, raw_bytes = ?, tail_first_seq = ?, tail_bytes = ?
        """
}

extension JournalWriter {
    /// Writes a run's catalog row as it is (undo).
    func writeCatalog(_ update: CatalogUpdate) throws(JournalError) {
        try db.statement("UPDATE runs SET \(CatalogUpdate.setClause) WHERE rid = ?")
            .bindAll(update.values + [.int(update.rid)]).run()
    }

    /// Moves a run's head: writes `chunk` (the small chunk held back for this) and the catalog
    /// row, provided the row still has the head `replacing`; on PostgreSQL it also notifies
    /// listeners (``PGNotifications``) at commit. One statement on PostgreSQL (one round trip).
    /// - Returns: `false`, writing nothing, when the row's head is not `replacing` any more.
    func writeHead(
        _ update: CatalogUpdate, replacing head: (seq: Int64, hash: [UInt8]), chunk: RunWrite.DeferredChunk?
    ) throws(JournalError) -> Bool {
        let condition: [SQLValue] = [.int(update.rid), .int(head.seq), .blob(head.hash)]
        switch db.dialect {
        case .sqlite:
            if let chunk {
                try insertChunk(
                    rid: update.rid, first: chunk.first, last: chunk.last, codec: .raw, rawLength: chunk.body.count,
                    hash: chunk.hash, dictionary: nil, body: chunk.body)
            }
            try db.statement(
                "UPDATE runs SET \(CatalogUpdate.setClause) WHERE rid = ? AND head_seq = ? AND head_hash = ?"
            ).bindAll(update.values + condition).run()
            return db.changes == 1
        case .postgres:
            var binds = update.values + condition
            var insert = ""
            if let chunk {
                insert = """
                    , chunk AS (
                      INSERT INTO chunks(rid, first_seq, last_seq, codec, raw_len, hash, body_sum, dict, body)
                      SELECT rid, ?::bigint, ?::bigint, ?::bigint, ?::bigint, ?::bytea, ?::bytea, NULL, ?::bytea FROM moved)
                    """
                binds += [
                    .int(chunk.first), .int(chunk.last), .int(Codec.raw.rawValue), .int(Int64(chunk.body.count)),
                    .blob(chunk.hash), .blob(ChunkRow.checksum(chunk.body)), .blob(chunk.body),
                ]
            }
            let s = try db.statement(
                """
                WITH moved AS (
                  UPDATE runs SET \(CatalogUpdate.setClause)
                  WHERE rid = ? AND head_seq = ? AND head_hash = ? RETURNING rid, id, head_seq)\(insert)
                SELECT count(*) FROM (SELECT \(PGNotifications.notifySQL(seq: "head_seq", run: "id")) FROM moved) notified
                """
            ).bindAll(binds)
            defer { s.reset() }
            return try s.step() && s.int(0) == 1
        }
    }
}
