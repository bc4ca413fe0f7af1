import Foundation
import PlanJournalCore

/// Compression off the writer's thread during an ingest (``ChunkCompressor``): starting and
/// ending it, inserting the chunks it compressed, and the references between runs' strings
/// (``RepeatedStrings``) its chunks record.
extension JournalWriter {
    /// Compresses chunks on a second thread until ``endBackgroundCompression()``.
    func beginBackgroundCompression() {
        // A transaction begins: what the last one sampled is committed (or was rolled back).
        dictionaries.beginTransaction()
        if let spare = spareCompressor {
            spare.beginTransaction()
            compressor = spare
            spareCompressor = nil
        } else {
            compressor = ChunkCompressor(repeats: repeats)
        }
    }

    /// Inserts every chunk still being compressed; the idle compressor is kept for the next ingest.
    func endBackgroundCompression() throws(JournalError) {
        try settleChunks()
        spareCompressor = compressor
        compressor = nil
        referrers.removeAll()
    }

    /// Inserts the chunks compressed so far (with `wait`, every queued one: do this before reading
    /// or deleting chunks).
    func settleChunks(wait: Bool = true) throws(JournalError) {
        try insertCompressed(by: compressor, wait: wait)
    }

    /// Inserts the chunks `compressor` has compressed (with `wait`, every queued one).
    /// Internal: the write window's tails are inserted with it too (``settleWindowChunks()``).
    func insertCompressed(by compressor: ChunkCompressor?, wait: Bool) throws(JournalError) {
        guard let compressor else { return }
        for d in compressor.take(all: wait) {
            try insertChunk(
                rid: d.job.rid, first: d.job.first, last: d.job.last, codec: d.codec, references: d.targets != nil,
                rawLength: d.storedLength, hash: d.job.hash,
                dictionary: d.codec == .lz4Dictionary ? d.job.dictionary?.id : nil, body: d.body, bodySum: d.bodySum)
            for target in d.targets ?? [] { referrers[target, default: []].append((d.job.rid, d.job.first)) }
        }
    }

    /// Stops later chunks from referencing the strings of the run `rid`, and stores the chunks of
    /// this ingest that do reference them with those strings in place: the run's events are about
    /// to be removed.
    /// Internal for ``undo(_:)-(RunWrite.Undo)``.
    func dropReferences(to rid: Int64) throws(JournalError) {
        compressor?.forget(rid: rid)
        for (r, first) in referrers.removeValue(forKey: rid) ?? [] where r != rid {
            guard let chunk = try reader.chunks(rid: r, from: first, to: first).first, chunk.firstSeq == first,
                chunk.hasReferences
            else { continue }
            let raw = try reader.expandedBody(of: chunk, run: try reader.run(rid: r)?.id ?? "#\(r)")
            let (codec, body, dict) = try dictionaries.encode(raw, rid: r)
            try db.statement(
                "UPDATE chunks SET codec = ?, raw_len = ?, body_sum = ?, dict = ?, body = ? WHERE rid = ? AND first_seq = ?"
            ).bind(
                .int(codec.rawValue), .int(Int64(raw.count)), .blob(ChunkRow.checksum(body)),
                dict.map { .int($0) } ?? .null, .blob(body), .int(r), .int(first)
            ).run()
        }
    }
}
