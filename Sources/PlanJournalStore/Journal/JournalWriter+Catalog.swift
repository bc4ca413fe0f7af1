import PlanJournalCore

extension RunRow {
    /// The values ``JournalWriter`` writes to the catalog, in the order of ``catalogSetClause``.
    var catalogValues: [SQLValue] {
        [
            .int(headSeq), .blob(headHash), goal.map { .text($0) } ?? .null, .text(status),
            startedAt.map { .int($0) } ?? .null, endedAt.map { .int($0) } ?? .null, .int(inputTokens),
            .int(outputTokens), .double(costUSD), .int(rawBytes), tailFirstSeq.map { .int($0) } ?? .null,
            .int(tailBytes),
        ]
    }

    /// Takes what the catalog summarizes of a run (goal, status, times, tokens, cost) from `state`.
    mutating func summarize(_ state: PlanState) {
        goal = state.goal
        status = state.status
        startedAt = state.startedAt?.microseconds
        endedAt = state.endedAt?.microseconds
        inputTokens = state.totals.inputTokens
        outputTokens = state.totals.outputTokens
        costUSD = state.totals.costUSD
    }

    static let catalogSetClause = """
        head_seq = ?, head_hash = ?, goal = ?, status = ?, started_at = ?, ended_at = ?,
          input_tokens = ?, output_tokens = ?, cost_usd = ?, raw_bytes = ?, tail_first_seq = ?, tail_bytes = ?
        """
}

extension JournalWriter {
    /// Writes a run's catalog row as it is (undo).
    func writeCatalog(_ row: RunRow) throws(JournalError) {
        try db.statement("UPDATE runs SET \(RunRow.catalogSetClause) WHERE rid = ?")
            .bindAll(row.catalogValues + [.int(row.rid)]).run()
    }

    /// Moves a run's head: writes `chunk` (the small chunk held back for this) and the catalog
    /// row, provided the row still has the head `replacing`; on PostgreSQL it also notifies
    /// listeners (``PGNotifications``) at commit. One statement on PostgreSQL (one round trip).
    /// - Returns: `false`, writing nothing, when the row's head is not `replacing` any more.
    func writeHead(
        _ row: RunRow, replacing head: (seq: Int64, hash: [UInt8]), chunk: RunWrite.DeferredChunk?
    ) throws(JournalError) -> Bool {
        let condition: [SQLValue] = [.int(row.rid), .int(head.seq), .blob(head.hash)]
        switch db.dialect {
        case .sqlite:
            if let chunk { try insertChunk(chunk, rid: row.rid) }
            try db.statement(
                "UPDATE runs SET \(RunRow.catalogSetClause) WHERE rid = ? AND head_seq = ? AND head_hash = ?"
            ).bindAll(row.catalogValues + condition).run()
            return db.changes == 1
        case .postgres:
            var binds = row.catalogValues + condition
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
                  UPDATE runs SET \(RunRow.catalogSetClause)
                  WHERE rid = ? AND head_seq = ? AND head_hash = ? RETURNING rid, id, head_seq)\(insert)
                SELECT count(*) FROM (SELECT \(PGNotifications.notifySQL(seq: "head_seq", run: "id")) FROM moved) notified
                """
            ).bindAll(binds)
            defer { s.reset() }
            return try s.step() && s.int(0) == 1
        }
    }
}
