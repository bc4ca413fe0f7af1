import Foundation
import PlanJournalCore

/// The writer's shared compression dictionary: the one new chunks are compressed against, and
/// its training from the first chunks written (and what the journal already stores) until there
/// is enough to build one.
///
/// Training is undone with the runs it sampled: an ingest may reject a run, and nothing of a
/// rejected run may stay in the journal (``untrain(_:)``). What was sampled is committed with
/// the writer's transaction (``committedTraining()``).
///
/// Not `Sendable`: owned by one ``JournalWriter`` and used on its thread.
struct ChunkDictionaries {
    private let db: any SQLDatabase
    private let reader: JournalReader
    private let config: JournalConfiguration
    private let codec = LZ4DictionaryCodec()
    /// The dictionary new chunks are compressed against; `nil` until one is trained.
    private(set) var current: CompressionDictionary?
    /// Samples chunks until there is enough to train a dictionary.
    private var trainer: DictionaryTrainer?
    /// No dictionary yet: the first chunk written starts a trainer with the chunks stored last.
    private var trainsOnStoredChunks = false
    /// The runs whose chunks the trainer sampled since the last commit: an ingest may still reject
    /// them, and nothing of a rejected run may stay in the journal (``untrain(_:)``).
    private var sampledRuns: Set<Int64> = []
    /// The dictionary this transaction stored, if any.
    private var storedDictionary: Int64?

    /// Dictionaries of the journal `db`, read through `reader`; nothing is loaded until ``load()``.
    init(db: any SQLDatabase, reader: JournalReader, config: JournalConfiguration) {
        self.db = db
        self.reader = reader
        self.config = config
    }

    /// Loads the journal's newest intact dictionary and starts training afresh.
    mutating func load() throws(JournalError) {
        reader.dictionaries.reset()
        current = try reader.dictionaries.latestIntact()
        trainer = nil
        trainsOnStoredChunks = current == nil && config.dictionaryTrainingBytes > 0
        committedTraining()
    }

    /// What was sampled and stored so far is committed: no rejection can take it back.
    mutating func committedTraining() {
        sampledRuns.removeAll()
        storedDictionary = nil
    }

    /// A transaction that compresses off the writer's thread begins: what the last one sampled
    /// is committed (or was rolled back), and training resumes if no dictionary is trained yet.
    mutating func beginTransaction() {
        committedTraining()
        if current == nil && trainer == nil && !trainsOnStoredChunks { trainsOnStoredChunks = config.dictionaryTrainingBytes > 0 }
    }

    /// Starts training afresh from what the journal stores when the trainer sampled chunks since
    /// the last commit (an append rolled back may have been among them).
    mutating func forgetSamples() {
        guard !sampledRuns.isEmpty else { return }
        sampledRuns.removeAll()
        trainer = nil
        trainsOnStoredChunks = current == nil && config.dictionaryTrainingBytes > 0
    }

    /// Takes the run `rid`, about to be removed, out of dictionary training: a dictionary this
    /// transaction trained on its chunks is withdrawn (the chunks compressed with it are compressed
    /// again without one), and training starts afresh on the chunks written from now on. Call
    /// with every chunk inserted (``JournalWriter/settleChunks(wait:)``).
    mutating func untrain(_ rid: Int64) throws(JournalError) {
        guard sampledRuns.contains(rid) else { return }
        trainer = DictionaryTrainer()
        trainsOnStoredChunks = false
        sampledRuns.removeAll()
        guard let id = storedDictionary else { return }
        storedDictionary = nil
        current = nil
        let trained = try reader.dictionaries.dictionary(id)
        var compressed: [(rid: Int64, first: Int64)] = []
        let s = try db.statement("SELECT rid, first_seq FROM chunks WHERE dict = ?").bind(.int(id))
        while try s.step() { compressed.append((s.int(0), s.int(1))) }
        s.reset()
        for (r, first) in compressed {
            guard let chunk = try reader.chunks(rid: r, from: first, to: first).first, chunk.firstSeq == first else { continue }
            let stored = try chunk.stored(run: "#\(r)", journal: db.path, dictionary: trained)
            let (c, body) = Codec.encode(stored, level: config.compressionLevel, dictionary: nil, codec: codec)
            try db.statement("UPDATE chunks SET codec = ?, body_sum = ?, dict = NULL, body = ? WHERE rid = ? AND first_seq = ?")
                .bind(
                    .int(c.rawValue | (chunk.codec & ChunkRow.referencesFlag)), .blob(ChunkRow.checksum(body)), .blob(body),
                    .int(r), .int(first)
                ).run()
        }
        try reader.dictionaries.withdraw(id)
    }

    /// The dictionary to compress `raw` (a chunk of the run `rid`) with, training one from the
    /// first chunks written.
    mutating func dictionary(for raw: [UInt8], rid: Int64) throws(JournalError) -> CompressionDictionary? {
        if trainsOnStoredChunks {
            // What the journal already stores is sampled too: a journal written a little at a time
            // (a process per run, a runner's appends) would otherwise train on one process's writes,
            // often one run, whose text recurs little, or never write enough to train at all.
            // Sampled at the first chunk written, not on opening: a reader never pays for it.
            trainsOnStoredChunks = false
            var t = DictionaryTrainer()
            for body in (try? reader.recentChunkBodies(upTo: config.dictionaryTrainingBytes)) ?? [] { t.add(body) }
            trainer = t
        }
        if current == nil, trainer != nil {
            trainer?.add(raw)
            sampledRuns.insert(rid)
            if let t = trainer, t.sampled >= config.dictionaryTrainingBytes {
                trainer = nil
                // Another writer (an ingest beside this one, on PostgreSQL) may have stored one
                // meanwhile: use it rather than add a second. Two writers training at once each
                // store their own (ids never repeat); each chunk names the one it was compressed with.
                if let stored = try reader.dictionaries.latestIntact() {
                    current = stored
                } else {
                    let bytes = t.build()
                    if bytes.count >= 256 {
                        current = try reader.dictionaries.insert(bytes)
                        storedDictionary = current?.id
                    }
                }
            }
        }
        return current
    }

    /// Compresses a chunk of the run `rid` here and now.
    /// - Returns: the codec, the body, and the id of the dictionary the body was compressed
    ///   against (`nil` for none).
    mutating func encode(_ raw: [UInt8], rid: Int64) throws(JournalError) -> (Codec, [UInt8], Int64?) {
        let dictionary = try dictionary(for: raw, rid: rid)
        let (c, body) = Codec.encode(raw, level: config.compressionLevel, dictionary: dictionary, codec: codec)
        return (c, body, c == .lz4Dictionary ? dictionary?.id : nil)
    }
}
