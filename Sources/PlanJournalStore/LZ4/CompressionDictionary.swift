import Crypto
import PlanJournalCore

/// A stored compression dictionary (see ``DictionaryTrainer``).
struct CompressionDictionary: Sendable {
    var id: Int64
    var bytes: [UInt8]

    /// SHA-256 of the bytes, stored beside them.
    static func checksum(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}

/// Dictionaries read over one connection, kept once read (they never change).
///
/// Not `Sendable`: it belongs to one connection.
final class DictionaryCache {
    private let db: any SQLDatabase
    private var loaded: [Int64: CompressionDictionary] = [:]

    init(db: any SQLDatabase) {
        self.db = db
    }

    /// The dictionary `id`, checked against its checksum.
    /// - Throws: `.corrupt` when it is missing or damaged.
    func dictionary(_ id: Int64) throws(JournalError) -> CompressionDictionary {
        if let d = loaded[id] { return d }
        let s = try db.statement("SELECT bytes, checksum FROM dictionaries WHERE id = ?").bind(.int(id))
        defer { s.reset() }
        guard try s.step() else {
            throw JournalError(.corrupt, "compression dictionary \(id) is missing", context: .init(journalPath: db.path))
        }
        let bytes = s.blob(0)
        guard CompressionDictionary.checksum(bytes) == s.blob(1) else {
            throw JournalError(
                .corrupt, "compression dictionary \(id) does not match its checksum", context: .init(journalPath: db.path))
        }
        let d = CompressionDictionary(id: id, bytes: bytes)
        loaded[id] = d
        return d
    }

    /// Whether dictionary `id` is stored.
    func exists(_ id: Int64) throws(JournalError) -> Bool {
        let s = try db.statement("SELECT 1 FROM dictionaries WHERE id = ?").bind(.int(id))
        defer { s.reset() }
        return try s.step()
    }

    /// The newest dictionary, if any (a withdrawn one, emptied, is none).
    func latest() throws(JournalError) -> CompressionDictionary? {
        let s = try db.statement("SELECT max(id) FROM dictionaries WHERE length(bytes) > 0")
        let id = try s.step() ? s.optionalInt(0) : nil
        s.reset()
        return try id.map(dictionary)
    }

    /// The newest dictionary, unless it is damaged: it then compresses nothing more (a new one is
    /// trained), and does not keep the journal from opening; the runs whose chunks need it fail
    /// to read, and `verify` names them.
    func latestIntact() throws(JournalError) -> CompressionDictionary? {
        do {
            return try latest()
        } catch where error.code == .corrupt {
            return nil
        }
    }

    /// Stores `bytes` as a new dictionary.
    func insert(_ bytes: [UInt8]) throws(JournalError) -> CompressionDictionary {
        let s = try db.statement("INSERT INTO dictionaries(bytes, checksum) VALUES (?, ?) RETURNING id")
            .bind(.blob(bytes), .blob(CompressionDictionary.checksum(bytes)))
        defer { s.reset() }
        guard try s.step() else {
            throw JournalError(.io, "the compression dictionary was not stored", context: .init(journalPath: db.path))
        }
        let d = CompressionDictionary(id: s.int(0), bytes: bytes)
        loaded[d.id] = d
        return d
    }

    /// Withdraws dictionary `id` (no chunk may use it any more): its bytes are emptied rather than
    /// the row deleted, so that its id is never given to another dictionary, which a process that
    /// read this one would take for it.
    func withdraw(_ id: Int64) throws(JournalError) {
        try db.statement("UPDATE dictionaries SET bytes = ?, checksum = ? WHERE id = ?")
            .bind(.blob([]), .blob(CompressionDictionary.checksum([])), .int(id)).run()
        loaded[id] = nil
    }

    /// Forgets what was read (after a rollback that may have removed an inserted dictionary).
    func reset() { loaded.removeAll() }
}
