import Foundation
import PlanJournalCore

/// Writing chunks: the buffered events of a run as one chunk (compressed here, off the thread,
/// or held back while small), its catalog row when the run is new, and the compaction of a
/// run's small chunks into one.
extension JournalWriter {
    /// Writes the buffered events as one chunk.
    func flushChunk(_ w: inout RunWrite) throws(JournalError) {
        guard w.bufferedBytes > 0 else { return }
        let raw = try w.bufferedLines()
        let rid = try ensureRow(&w)
        let small = raw.count < config.chunkBytes / 2
        if !small && w.cursor.tailFirstSeq != nil {
            // A full chunk closes the run of small ones before it: merge them now, as chunks cover
            // consecutive seqs. (Ingest leaves chunks older than its transaction alone: see finish.)
            if compressor == nil {
                try compactTail(&w)
            } else {
                w.cursor.tailFirstSeq = nil
                w.cursor.tailBytes = 0
            }
        }
        try insertDeferredChunk(&w)
        if small && compressor == nil {
            // A few events appended at a time: stored as they are, and compressed once, with their
            // neighbours, when the tail is compacted. Held back until the catalog update, which
            // writes it in the same statement (one round trip fewer on PostgreSQL).
            w.deferredChunk = RunWrite.DeferredChunk(
                first: w.bufferFirstSeq, last: w.cursor.headSeq, hash: w.cursor.headHash, body: raw)
        } else if let compressor {
            compressor.submit(
                .init(
                    rid: rid, first: w.bufferFirstSeq, last: w.cursor.headSeq, raw: raw, hash: w.cursor.headHash,
                    dictionary: try dictionaries.dictionary(for: raw, rid: rid), level: config.compressionLevel, replacingRepeats: true))
            try settleChunks(wait: false)
        } else {
            let (codec, body, dict) = try dictionaries.encode(raw, rid: rid)
            try insertChunk(
                rid: rid, first: w.bufferFirstSeq, last: w.cursor.headSeq, codec: codec, rawLength: raw.count,
                hash: w.cursor.headHash, dictionary: dict, body: body)
        }
        w.lastChunkFirstSeq = w.bufferFirstSeq
        w.cursor.rawBytes += Int64(raw.count)
        if small {
            if w.cursor.tailFirstSeq == nil { w.cursor.tailFirstSeq = w.bufferFirstSeq }
            w.cursor.tailBytes += Int64(raw.count)
        }
        w.clearBuffer()
        for state in w.pendingSnapshots {
            let snap = try SnapshotCodec.encode(state)
            try db.statement(
                """
                INSERT INTO snapshots(rid, seq, codec, raw_len, checksum, body) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(rid, seq) DO UPDATE SET codec = excluded.codec, raw_len = excluded.raw_len,
                  checksum = excluded.checksum, body = excluded.body
                """
            ).bind(
                .int(rid), .int(state.seq), .int(snap.codec.rawValue), .int(Int64(snap.rawLength)), .blob(snap.checksum),
                .blob(snap.body)
            ).run()
        }
        w.pendingSnapshots.removeAll()
    }

    /// Inserts the small chunk ``flushChunk(_:)`` held back, if any.
    func insertDeferredChunk(_ w: inout RunWrite) throws(JournalError) {
        guard let chunk = w.deferredChunk, let rid = w.cursor.rid else { return }
        w.deferredChunk = nil
        try insertChunk(chunk, rid: rid)
    }

    /// Inserts a small chunk held back from ``flushChunk(_:)``, stored raw.
    func insertChunk(_ chunk: RunWrite.DeferredChunk, rid: Int64) throws(JournalError) {
        try insertChunk(
            rid: rid, first: chunk.first, last: chunk.last, codec: .raw, rawLength: chunk.body.count, hash: chunk.hash,
            dictionary: nil, body: chunk.body)
    }

    /// Inserts a chunk row; `bodySum` is the body's ``ChunkRow/checksum(_:)`` when already computed;
    /// `references`: the body holds ``StringReference``s.
    func insertChunk(
        rid: Int64, first: Int64, last: Int64, codec: Codec, references: Bool = false, rawLength: Int, hash: [UInt8],
        dictionary: Int64?, body: [UInt8], bodySum: [UInt8]? = nil
    ) throws(JournalError) {
        try db.statement(
            """
            INSERT INTO chunks(rid, first_seq, last_seq, codec, raw_len, hash, body_sum, dict, body)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).bind(
            .int(rid), .int(first), .int(last), .int(codec.rawValue | (references ? ChunkRow.referencesFlag : 0)),
            .int(Int64(rawLength)), .blob(hash), .blob(bodySum ?? ChunkRow.checksum(body)),
            dictionary.map { .int($0) } ?? .null, .blob(body)
        ).run()
    }

    /// The run's catalog id (rid), adding its catalog row first when the run is new.
    private func ensureRow(_ w: inout RunWrite) throws(JournalError) -> Int64 {
        if let rid = w.cursor.rid { return rid }
        let s = try db.statement("INSERT INTO runs(id, head_seq, head_hash) VALUES (?, 0, ?) RETURNING rid")
            .bind(.text(w.cursor.id), .blob(HashChain.genesis))
        defer { s.reset() }
        guard try s.step() else {
            throw JournalError(.io, "the run was not added to the catalog", context: .init(run: w.cursor.id))
        }
        let rid = s.int(0)
        w.cursor.rid = rid
        return rid
    }

    /// Merges the run's small chunks into one, so appends of a few events at a time still end up
    /// in well-compressed chunks. The chunk held for the run in the open window (``held``) and the
    /// one this append holds back are merged from memory, without being inserted first.
    /// When the held chunk is merged, `w.compactedHeld` says so (``held`` itself is left as it is,
    /// so a failure after this leaves it intact).
    /// Internal for ``finish(_:mergeOlder:)``.
    func compactTail(_ w: inout RunWrite, offload: Bool = false) throws(JournalError) {
        guard let rid = w.cursor.rid, let from = w.cursor.tailFirstSeq else { return }
        let tailBytes = w.cursor.tailBytes
        w.cursor.tailFirstSeq = nil
        w.cursor.tailBytes = 0
        // During ingest the tail is the one chunk just written, and the compressor already did it.
        if compressor != nil && from == w.lastChunkFirstSeq { return }
        try settleChunks()
        let heldChunk = held[w.cursor.id]?.chunk
        var memory: [RunWrite.DeferredChunk] = []
        if let heldChunk { memory.append(heldChunk) }
        if let d = w.deferredChunk { memory.append(d) }
        let stored = try reader.chunks(rid: rid, from: from, to: .max).filter { $0.firstSeq >= from }
        if memory.isEmpty, stored.count == 1, let only = stored.first, only.codec != Codec.raw.rawValue { return }
        guard let first = stored.first?.firstSeq ?? memory.first?.first,
            let last = memory.last.map({ ($0.last, $0.hash) }) ?? stored.last.map({ ($0.lastSeq, $0.hash) })
        else { return }
        var raw: [UInt8] = []
        raw.reserveCapacity(Int(min(tailBytes, 1 << 24)))
        for chunk in stored {
            raw.append(contentsOf: try chunk.body(run: w.cursor.id, reader: reader))
        }
        for chunk in memory { raw.append(contentsOf: chunk.body) }
        if !stored.isEmpty {
            try db.statement("DELETE FROM chunks WHERE rid = ? AND first_seq >= ?").bind(.int(rid), .int(from)).run()
        }
        if offload {
            let compressor = windowCompressor ?? ChunkCompressor()
            windowCompressor = compressor
            compressor.submit(
                .init(
                    rid: rid, first: first, last: last.0, raw: raw, hash: last.1, dictionary: try dictionaries.dictionary(for: raw, rid: rid),
                    level: config.compressionLevel))
        } else {
            let (codec, body, dict) = try dictionaries.encode(raw, rid: rid)
            try insertChunk(
                rid: rid, first: first, last: last.0, codec: codec, rawLength: raw.count, hash: last.1,
                dictionary: dict, body: body)
        }
        w.deferredChunk = nil
        if heldChunk != nil { w.compactedHeld = true }
    }
}
