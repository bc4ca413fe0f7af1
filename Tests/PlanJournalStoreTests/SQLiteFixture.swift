import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Synchronization

@testable import PlanJournalStore

/// The SQLite backend for ``JournalConformance``: each journal a file in its own temporary
/// folder (removed with the fixture), reopened by path, tampered with through SQL.
final class SQLiteFixture: JournalBackendFixture {
    let backendName = "sqlite"
    private let folders = Mutex<[String]>([])

    func makeJournal(configuration: JournalConfiguration) throws -> Journal {
        let folder = NSTemporaryDirectory() + "planjournal-conformance-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        folders.withLock { $0.append(folder) }
        return try Journal(path: folder + "/journal.sqlite", configuration: configuration)
    }

    func reopen(_ journal: Journal, configuration: JournalConfiguration) throws -> Journal {
        try Journal(path: journal.path, configuration: configuration)
    }

    /// Rewrites the chunk holding the event: decoded, one letter of the event's data changed in
    /// case, stored back uncompressed with a matching body checksum and the old chain hash.
    func tamper(_ journal: Journal, run: String, seq: Int64) throws {
        let db = try SQLiteConnection(path: journal.path)
        let reader = JournalReader(db: db)
        let row = try reader.requireRun(run)
        guard let chunk = try reader.chunks(rid: row.rid, from: seq, to: seq).first else {
            throw JournalError(.notFound, "no stored chunk holds this seq", context: .init(run: run, seq: seq))
        }
        var raw = try chunk.decoded(run: run, journal: journal.path, dictionaries: reader.dictionaries)
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

    deinit {
        for folder in folders.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: folder) }
    }
}
