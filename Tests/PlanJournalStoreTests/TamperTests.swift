import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// Flipping any single stored byte that carries meaning makes `verify` fail naming the run.
@Suite struct TamperTests {
    /// A journal with two runs, several chunks each, and snapshots.
    private func makeJournal() async throws -> TemporaryJournal {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 3000, snapshotInterval: 9))
        _ = try t.journal.ingest(file: Fixtures.validContract)
        let run = try RunBuilder.complete(run: "victim", steps: 6, payloadBytes: 500)
        _ = try t.journal.ingest(text: run.jsonl)
        #expect(try t.journal.verify().ok)
        return t
    }

    /// Runs `body` with the raw database of the journal.
    private func withDatabase(_ t: TemporaryJournal, _ body: (SQLiteConnection) throws -> Void) throws {
        let db = try SQLiteConnection(path: t.path)
        try body(db)
    }

    private func blobs(_ db: SQLiteConnection, _ sql: String) throws -> [(Int64, [UInt8])] {
        let s = try db.statement(sql)
        var out: [(Int64, [UInt8])] = []
        while try s.step() { out.append((s.int(0), s.blob(1))) }
        s.reset()
        return out
    }

    private func flip(_ db: SQLiteConnection, table: String, column: String, key: String, id: Int64, bytes: [UInt8], at k: Int) throws {
        var changed = bytes
        changed[k] ^= 0x01
        try db.statement("UPDATE \(table) SET \(column) = ? WHERE \(key) = ?").bind(.blob(changed), .int(id)).run()
    }

    private func restore(_ db: SQLiteConnection, table: String, column: String, key: String, id: Int64, bytes: [UInt8]) throws {
        try db.statement("UPDATE \(table) SET \(column) = ? WHERE \(key) = ?").bind(.blob(bytes), .int(id)).run()
    }

    private func expectCaught(_ t: TemporaryJournal, _ what: String) throws {
        let report = try t.journal.verify()
        #expect(!report.ok, "\(what) was not detected")
        #expect(report.problems.allSatisfy { !$0.run.isEmpty })
    }

    /// The catalog (what `planj runs` lists) is not under the hash chain, but verify folds the
    /// events and checks it against them.
    @Test(arguments: [
        ("status = 'failed'", "status"), ("goal = 'another goal'", "goal"), ("input_tokens = input_tokens + 1", "input_tokens"),
        ("cost_usd = cost_usd + 0.5", "cost_usd"), ("ended_at = NULL", "ended_at"),
    ])
    func aChangedCatalogIsFound(change: String, field: String) throws {
        let t = try TemporaryJournal()
        _ = try t.journal.ingest(text: try RunBuilder.complete(run: "r", steps: 3).jsonl)
        #expect(try t.journal.verify().ok)
        try withDatabase(t) { try $0.execute("UPDATE runs SET \(change) WHERE id = 'r'") }
        let reopened = try Journal(path: t.path)
        let report = try reopened.verify()
        #expect(!report.ok && report.problems.contains { $0.message.hasPrefix("the run catalog's \(field) differs from what the run's events say") })
        // What an older planj counted otherwise (or this change) is recomputed from the events.
        #expect(try reopened.refreshCatalog() == ["r"])
        #expect(try reopened.verify().ok && reopened.refreshCatalog().isEmpty)
    }

    @Test func everyByteOfEveryChunkBodyAndHashIsChecked() async throws {
        let t = try await makeJournal()
        try withDatabase(t) { db in
            for column in ["body", "hash", "body_sum"] {
                for (cid, bytes) in try blobs(db, "SELECT cid, \(column) FROM chunks") {
                    // Every position of small values; a spread of positions in large ones.
                    let positions = bytes.count <= 64 ? Array(bytes.indices) : Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 16))) + [bytes.count - 1]
                    for k in positions {
                        try flip(db, table: "chunks", column: column, key: "cid", id: cid, bytes: bytes, at: k)
                        try expectCaught(t, "chunk \(cid) \(column) byte \(k)")
                        try restore(db, table: "chunks", column: column, key: "cid", id: cid, bytes: bytes)
                    }
                }
            }
        }
        #expect(try t.journal.verify().ok)
    }

    @Test func snapshotsAndHeadHashesAreChecked() async throws {
        let t = try await makeJournal()
        try withDatabase(t) { db in
            let snaps = try blobs(db, "SELECT rowid, body FROM (SELECT rid * 1000000 + seq AS rowid, body FROM snapshots)")
            #expect(!snaps.isEmpty)
            let s = try db.statement("SELECT rid, seq, body FROM snapshots")
            var rows: [(Int64, Int64, [UInt8])] = []
            while try s.step() { rows.append((s.int(0), s.int(1), s.blob(2))) }
            s.reset()
            for (rid, seq, body) in rows {
                for k in [0, body.count / 2, body.count - 1] {
                    var changed = body
                    changed[k] ^= 0x20
                    try db.statement("UPDATE snapshots SET body = ? WHERE rid = ? AND seq = ?").bind(.blob(changed), .int(rid), .int(seq)).run()
                    try expectCaught(t, "snapshot \(rid)/\(seq) byte \(k)")
                    try db.statement("UPDATE snapshots SET body = ? WHERE rid = ? AND seq = ?").bind(.blob(body), .int(rid), .int(seq)).run()
                }
            }
            for (rid, hash) in try blobs(db, "SELECT rid, head_hash FROM runs") {
                try flip(db, table: "runs", column: "head_hash", key: "rid", id: rid, bytes: hash, at: 31)
                try expectCaught(t, "head hash of run \(rid)")
                try restore(db, table: "runs", column: "head_hash", key: "rid", id: rid, bytes: hash)
            }
        }
        #expect(try t.journal.verify().ok)
    }

    /// A stored length no checksum covers (how long a body is once decoded): any value it cannot
    /// hold is damage reported for its run, never a length to reserve memory for or a trap.
    @Test(arguments: [Int64(3_000_000_000), 4_294_967_296, Int64.max, 2_000_000_000, -5, 0])
    func aDamagedRawLengthIsFound(rawLength: Int64) async throws {
        let t = try await makeJournal()
        try withDatabase(t) { db in
            try db.statement("UPDATE chunks SET raw_len = ? WHERE codec != 0").bind(.int(rawLength)).run()
            try db.statement("UPDATE snapshots SET raw_len = ? WHERE codec != 0").bind(.int(rawLength)).run()
        }
        let report = try t.journal.verify()
        #expect(!report.ok)
        #expect(report.problems.contains { $0.run == "victim" })
        #expect(throws: JournalError.self) { try t.journal.events(of: "victim") }
    }

    /// Seqs of the catalog and the chunks near the integers' ends are damage reported for their
    /// run, not arithmetic that overflows.
    @Test(arguments: [
        "UPDATE chunks SET last_seq = 9223372036854775807 WHERE first_seq = 1 AND",
        "UPDATE chunks SET first_seq = -9223372036854775808 WHERE first_seq = 1 AND",
        "UPDATE runs SET head_seq = 9223372036854775807", "UPDATE runs SET fork_seq = 9223372036854775807",
        "UPDATE runs SET head_seq = -9223372036854775808",
    ])
    func seqsAtTheIntegersEndsAreDamage(change: String) async throws {
        let t = try await makeJournal()
        let change = change.hasSuffix("AND") ? change : change + " WHERE"
        try withDatabase(t) { try $0.execute(change + " rid = (SELECT rid FROM runs WHERE id = 'victim')") }
        let report = try t.journal.verify()
        #expect(report.problems.contains { $0.run == "victim" })
        _ = try? t.journal.events(of: "victim")
        _ = try? t.journal.state(of: "victim")
    }

    /// A run cut short in the catalog and its last chunk alike (the chunk still holds the events
    /// after) is damage: a chunk holding more events than its seqs say is found by reads too.
    @Test func aChunkHoldingMoreEventsThanItsSeqsIsDamage() async throws {
        let t = try await makeJournal()
        try withDatabase(t) { db in
            try db.execute(
                """
                UPDATE chunks SET last_seq = last_seq - 3 WHERE rid = (SELECT rid FROM runs WHERE id = 'victim')
                    AND first_seq = (SELECT max(first_seq) FROM chunks WHERE rid = (SELECT rid FROM runs WHERE id = 'victim'));
                UPDATE runs SET head_seq = head_seq - 3 WHERE id = 'victim';
                """)
        }
        #expect(throws: JournalError.self) { try t.journal.events(of: "victim") }
        #expect(!(try t.journal.verify().ok))
    }

    /// A catalog row that says a run was forked where it cannot have been (past its end, or
    /// with no parent) is damage: its reads fail, instead of giving its parent's events or none.
    @Test(arguments: [
        ("UPDATE runs SET fork_seq = 9223372036854775807, parent = NULL WHERE id = 'victim'", "names no parent"),
        ("UPDATE runs SET fork_seq = 9223372036854775807, parent = (SELECT min(rid) FROM runs) WHERE id = 'victim'", "past its end"),
        ("UPDATE runs SET fork_seq = 50 WHERE id = 'f'", "past its end"),
        ("UPDATE runs SET parent = NULL WHERE id = 'f'", "names no parent"),
    ])
    func aForkPointThatCannotBeIsDamage(change: String, message: String) async throws {
        let t = try await makeJournal()
        _ = try t.journal.fork("victim", at: 5, as: "f")
        try withDatabase(t) { try $0.execute(change) }
        let damaged = change.contains("'f'") ? "f" : "victim"
        do {
            let events = try t.journal.events(of: damaged)
            Issue.record("read \(events.count) events of a damaged fork")
        } catch {
            #expect(error.code == .corrupt && error.message.contains(message) && error.context.run == damaged, "\(error)")
        }
        #expect(try t.journal.verify().problems.contains { $0.run == damaged })
    }

    /// A run whose chunks are gone, or say other seqs than their events do, is not read as a
    /// shorter run: reading it fails naming the first seq missing.
    @Test(arguments: [
        ("DELETE FROM chunks", "the journal holds no event at seq 1, though the run has"),
        ("UPDATE chunks SET first_seq = first_seq + 4, last_seq = last_seq + 4", "the event stored at seq 5 says it is seq 1"),
        ("DELETE FROM chunks WHERE first_seq > 1", "though the run has"),
    ])
    func aRunMissingEventsIsNotReadAsAShorterOne(change: String, message: String) async throws {
        let t = try await makeJournal()
        let head = try t.journal.run("victim").events
        try withDatabase(t) { db in
            if change.hasPrefix("UPDATE") {
                // The chunk starting the run, so that its seqs and its events' differ.
                try db.execute(change + " WHERE cid = (SELECT min(cid) FROM chunks WHERE rid = (SELECT rid FROM runs WHERE id = 'victim'))")
            } else {
                try db.execute(change + (change.contains("WHERE") ? " AND" : " WHERE") + " rid = (SELECT rid FROM runs WHERE id = 'victim')")
            }
        }
        #expect(head > 8)
        do {
            _ = try t.journal.events(of: "victim")
            Issue.record("a run missing events was read")
        } catch {
            #expect(error.code == .corrupt && error.message.contains(message), "\(error.message)")
            #expect(error.context.run == "victim")
        }
        // The state starts from the last snapshot: it reads the events after it.
        if change.hasPrefix("DELETE") { #expect(throws: JournalError.self) { try t.journal.state(of: "victim") } }
        #expect(!(try t.journal.verify().ok))
        // The other runs read as before.
        #expect(try t.journal.runs().filter { $0.id != "victim" }.allSatisfy { (try? t.journal.events(of: $0.id)) != nil })
    }

    /// A snapshot whose state says another seq than the one it is stored at (its checksum
    /// recomputed) is not started from: the state is folded from the events, and verify says so.
    @Test(arguments: [Int64.max, 0, -3, 1_000_000])
    func aSnapshotOfAnotherSeqIsNotUsed(inner: Int64) async throws {
        let t = try await makeJournal()
        let truth = try t.journal.state(of: "victim")
        try withDatabase(t) { db in
            let s = try db.statement("SELECT rid, seq FROM snapshots WHERE rid = (SELECT rid FROM runs WHERE id = 'victim') ORDER BY seq DESC LIMIT 1")
            #expect(try s.step())
            let (rid, seq) = (s.int(0), s.int(1))
            s.reset()
            var state = try t.journal.state(of: "victim", at: seq)
            state.seq = inner
            let (codec, rawLength, checksum, body) = try SnapshotCodec.encode(state)
            try db.statement("UPDATE snapshots SET codec = ?, raw_len = ?, checksum = ?, body = ? WHERE rid = ? AND seq = ?")
                .bind(.int(codec.rawValue), .int(Int64(rawLength)), .blob(checksum), .blob(body), .int(rid), .int(seq)).run()
        }
        let reopened = try t.reopen()
        #expect(try reopened.state(of: "victim") == truth)
        #expect(try reopened.verify().problems.contains { $0.run == "victim" })
    }

    /// A damaged index of the catalog (which hides a run from lookups by id) is no stored byte the
    /// hash chains cover: verify asks SQLite to check the whole file.
    @Test func aDamagedCatalogIndexIsFound() throws {
        let directory = NSTemporaryDirectory() + "planj-index-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/j.sqlite"
        do {
            let journal = try Journal(path: path)
            for k in 0..<3 { _ = try journal.ingest(text: try RunBuilder.complete(run: "run-\(k)", steps: 2).jsonl) }
            #expect(try journal.verify().ok)
        }
        var pageSize = 0
        var root = 0
        do {
            let db = try SQLiteConnection(path: path)
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            let s = try db.statement("SELECT (SELECT page_size FROM pragma_page_size), rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_runs_1'")
            #expect(try s.step())
            (pageSize, root) = (Int(s.int(0)), Int(s.int(1)))
            s.reset()
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let page = (root - 1) * pageSize..<root * pageSize
        let at = try #require(page.first { bytes[$0...].starts(with: Array("run-1".utf8)) })
        bytes[at + 4] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = try Journal(path: path).verify()
        #expect(report.problems.contains { $0.run.isEmpty && $0.message.contains("the SQLite file is damaged") }, "\(report)")
    }

    /// A table whose definition another program changed (a column renamed through
    /// `writable_schema`) is damage to the journal, exit 6, not an I/O error.
    @Test func aChangedTableDefinitionIsDamage() async throws {
        let t = try await makeJournal()
        try withDatabase(t) { db in
            try db.execute("PRAGMA writable_schema=ON")
            try db.execute("UPDATE sqlite_master SET sql = replace(sql, 'raw_len', 'raw_size') WHERE name = 'chunks'")
        }
        let report = try Journal(path: t.path).verify()
        #expect(!report.ok && report.problems.allSatisfy { $0.code == JournalError.Code.corrupt.name }, "\(report)")
        #expect(report.problems.first?.message.contains("tables are not as planj made them") == true, "\(report)")
    }

    @Test func aChangedDictionaryByteIsFound() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 4096, dictionaryTrainingBytes: 8192))
        for k in 0..<6 {
            _ = try t.journal.ingest(text: try RunBuilder.complete(run: "d\(k)", steps: 8, payloadBytes: 700).jsonl)
        }
        #expect(try t.journal.verify().ok)
        try withDatabase(t) { db in
            let dictionaries = try blobs(db, "SELECT id, bytes FROM dictionaries")
            #expect(dictionaries.count == 1)
            let used = try blobs(db, "SELECT count(*), x'' FROM chunks WHERE dict IS NOT NULL")
            #expect((used.first?.0 ?? 0) > 0)
            for (id, bytes) in dictionaries {
                for k in [0, bytes.count / 2, bytes.count - 1] {
                    try flip(db, table: "dictionaries", column: "bytes", key: "id", id: id, bytes: bytes, at: k)
                    try expectCaught(t, "dictionary byte \(k)")
                    try restore(db, table: "dictionaries", column: "bytes", key: "id", id: id, bytes: bytes)
                }
                try flip(db, table: "dictionaries", column: "bytes", key: "id", id: id, bytes: bytes, at: 0)
            }
        }
        // A journal opened after the damage still opens: its catalog lists, verify names the runs
        // whose chunks need the dictionary, and new runs are written (with a new dictionary).
        let reopened = try t.reopen(configuration: JournalConfiguration(chunkBytes: 4096, dictionaryTrainingBytes: 8192))
        #expect(try reopened.runs().count == 6)
        let report = try reopened.verify()
        #expect(!report.ok && report.problems.allSatisfy { $0.run.hasPrefix("d") && $0.message.contains("dictionary 1") })
        for k in 0..<3 {
            _ = try reopened.ingest(text: try RunBuilder.complete(run: "after\(k)", steps: 8, payloadBytes: 700).jsonl)
        }
        #expect(try reopened.verify().problems.allSatisfy { !$0.run.hasPrefix("after") })
        #expect(try reopened.events(of: "after2").count > 10)
    }

    @Test func aRewrittenEventWithARecomputedChecksumBreaksTheChain() async throws {
        let t = try await makeJournal()
        try withDatabase(t) { db in
            let s = try db.statement("SELECT cid, codec, raw_len, body FROM chunks WHERE rid = (SELECT rid FROM runs WHERE id = 'victim') LIMIT 1")
            #expect(try s.step())
            let cid = s.int(0)
            let raw = try Codec(rawValue: s.int(1))!.decode(s.blob(3), rawLength: Int(s.int(2)))
            s.reset()
            // Change a value inside an event, keep the length, re-encode, fix the body checksum.
            var text = String(decoding: raw, as: UTF8.self)
            text = text.replacingOccurrences(of: "test goal", with: "evil goal")
            let (codec, body) = Codec.encode(Array(text.utf8), level: 0)
            try db.statement("UPDATE chunks SET codec = ?, body = ?, body_sum = ? WHERE cid = ?")
                .bind(.int(codec.rawValue), .blob(body), .blob(ChunkRow.checksum(body)), .int(cid)).run()
        }
        let report = try t.journal.verify(run: "victim")
        #expect(report.problems.first?.code == JournalError.Code.chainBroken.name)
        #expect(report.problems.first?.run == "victim")
        #expect(report.problems.first?.seq == 1)
    }
}
