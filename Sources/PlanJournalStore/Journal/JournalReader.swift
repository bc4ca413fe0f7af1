import Crypto
import Foundation
import PlanJournalCore

/// How a chunk or snapshot body is encoded.
enum Codec: Int64 {
    case raw = 0
    case lz4 = 1

    /// Encodes `raw` (LZ4 at `level`, or raw when compression does not pay).
    static func encode(_ raw: [UInt8], level: Int32) -> (Codec, [UInt8]) {
        let packed = LZ4Block.compress(raw, level: level)
        return packed.count < raw.count ? (.lz4, packed) : (.raw, raw)
    }

    func decode(_ body: [UInt8], rawLength: Int) throws(JournalError) -> [UInt8] {
        switch self {
        case .raw:
            guard body.count == rawLength else { throw JournalError(.corrupt, "a stored body has the wrong length") }
            return body
        case .lz4:
            return try LZ4Block.decompress(body, originalLength: rawLength)
        }
    }
}

/// One row of the run catalog.
struct RunRow {
    var rid: Int64
    var id: String
    var parent: Int64?
    var forkSeq: Int64?
    var forkHash: [UInt8]?
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

    static let columns = """
        rid, id, parent, fork_seq, fork_hash, head_seq, head_hash, goal, status, started_at, ended_at,
        input_tokens, output_tokens, cost_usd, raw_bytes, tail_first_seq, tail_bytes
        """

    init(_ s: SQLiteStatement) {
        rid = s.int(0)
        id = s.text(1) ?? ""
        parent = s.optionalInt(2)
        forkSeq = s.optionalInt(3)
        forkHash = s.isNull(4) ? nil : s.blob(4)
        headSeq = s.int(5)
        headHash = s.blob(6)
        goal = s.text(7)
        status = s.text(8) ?? "running"
        startedAt = s.optionalInt(9)
        endedAt = s.optionalInt(10)
        inputTokens = s.int(11)
        outputTokens = s.int(12)
        costUSD = s.double(13)
        rawBytes = s.int(14)
        tailFirstSeq = s.optionalInt(15)
        tailBytes = s.int(16)
    }

    /// The first seq stored in this run's own chunks (later ones come from the parent).
    var firstOwnSeq: Int64 { (forkSeq ?? 0) + 1 }
}

/// One stored chunk: a run's consecutive events as JSON Lines, LZ4-compressed.
struct ChunkRow {
    var cid: Int64
    var firstSeq: Int64
    var lastSeq: Int64
    var codec: Int64
    var rawLength: Int
    /// The chain hash after `lastSeq`.
    var hash: [UInt8]
    /// The first 16 bytes of SHA-256 of `body`: catches a changed stored byte even where the
    /// decoded events would come out the same.
    var bodySum: [UInt8]
    var body: [UInt8]

    static func checksum(_ body: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: body).prefix(16))
    }

    /// The chunk's JSON Lines, decoded.
    func lines(run: String, journal: String) throws(JournalError) -> [ArraySlice<UInt8>] {
        guard Self.checksum(body) == bodySum else {
            throw JournalError(
                .corrupt, "the stored bytes of seq \(firstSeq)-\(lastSeq) do not match their checksum",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        guard let c = Codec(rawValue: codec) else {
            throw JournalError(
                .corrupt, "chunk of seq \(firstSeq)-\(lastSeq) has unknown codec \(codec)",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        let raw: [UInt8]
        do {
            raw = try c.decode(body, rawLength: rawLength)
        } catch {
            throw error.adding(journalPath: journal, run: run, seq: firstSeq)
        }
        var out = raw.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        if out.count != Int(lastSeq - firstSeq + 1) || raw.last != UInt8(ascii: "\n") {
            out = []
            throw JournalError(
                .corrupt, "chunk of seq \(firstSeq)-\(lastSeq) holds the wrong number of events",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        return out
    }
}

/// Reads runs, chunks, events and snapshots over one connection.
struct JournalReader {
    let db: SQLiteConnection
    var path: String { db.path }

    func run(named id: String) throws(JournalError) -> RunRow? {
        let s = try db.statement("SELECT \(RunRow.columns) FROM runs WHERE id = ?").bind(.text(id))
        defer { s.reset() }
        return try s.step() ? RunRow(s) : nil
    }

    func run(rid: Int64) throws(JournalError) -> RunRow? {
        let s = try db.statement("SELECT \(RunRow.columns) FROM runs WHERE rid = ?").bind(.int(rid))
        defer { s.reset() }
        return try s.step() ? RunRow(s) : nil
    }

    func requireRun(_ id: String) throws(JournalError) -> RunRow {
        guard let row = try run(named: id) else {
            throw JournalError(
                .notFound, "no run with this id in the journal (list them with `planj runs`)",
                context: .init(journalPath: path, run: id))
        }
        return row
    }

    /// Every run, newest first.
    func allRuns() throws(JournalError) -> [RunRow] {
        let s = try db.statement("SELECT \(RunRow.columns) FROM runs ORDER BY started_at DESC, rid DESC")
        defer { s.reset() }
        var rows: [RunRow] = []
        while try s.step() { rows.append(RunRow(s)) }
        return rows
    }

    /// The run's own chunks that hold any seq in `from...to`, in order.
    func chunks(rid: Int64, from: Int64, to: Int64) throws(JournalError) -> [ChunkRow] {
        let s = try db.statement(
            """
            SELECT cid, first_seq, last_seq, codec, raw_len, hash, body_sum, body FROM chunks
            WHERE rid = ? AND last_seq >= ? AND first_seq <= ? ORDER BY first_seq
            """
        ).bind(.int(rid), .int(from), .int(to))
        defer { s.reset() }
        var out: [ChunkRow] = []
        while try s.step() {
            out.append(
                ChunkRow(
                    cid: s.int(0), firstSeq: s.int(1), lastSeq: s.int(2), codec: s.int(3), rawLength: Int(s.int(4)),
                    hash: s.blob(5), bodySum: s.blob(6), body: s.blob(7)))
        }
        return out
    }

    /// Calls `body` with each event of `row` in `from...to`, reading the part before a fork
    /// through the parent run.
    func forEachEvent(
        of row: RunRow, from: Int64 = 1, to: Int64 = .max, _ body: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        let upper = min(to, row.headSeq)
        guard from <= upper else { return }
        if let parent = row.parent, let forkSeq = row.forkSeq, from <= forkSeq {
            guard let parentRow = try run(rid: parent) else {
                throw JournalError(.corrupt, "the parent of this fork is missing", context: .init(run: row.id))
            }
            try forEachEvent(of: parentRow, from: from, to: min(upper, forkSeq), body)
        }
        let ownFrom = max(from, row.firstOwnSeq)
        guard ownFrom <= upper else { return }
        for chunk in try chunks(rid: row.rid, from: ownFrom, to: upper) {
            let lines = try chunk.lines(run: row.id, journal: path)
            for (k, line) in lines.enumerated() {
                let seq = chunk.firstSeq + Int64(k)
                guard seq >= ownFrom && seq <= upper else { continue }
                let event: JournalEvent
                do {
                    event = try JournalEvent(parsing: Array(line))
                } catch {
                    throw JournalError(
                        .corrupt, "a stored event does not parse: \(error.message)",
                        context: .init(journalPath: path, run: row.id, seq: seq))
                }
                try body(event)
            }
        }
    }

    /// The latest snapshot of `row` at or before `seq` (looking through the parent of a fork).
    func snapshot(of row: RunRow, atOrBefore seq: Int64) throws(JournalError) -> PlanState? {
        let s = try db.statement(
            "SELECT seq, codec, raw_len, checksum, body FROM snapshots WHERE rid = ? AND seq <= ? ORDER BY seq DESC LIMIT 1"
        ).bind(.int(row.rid), .int(seq))
        if try s.step() {
            let snapSeq = s.int(0)
            let codec = s.int(1)
            let rawLength = Int(s.int(2))
            let checksum = s.blob(3)
            let body = s.blob(4)
            s.reset()
            return try SnapshotCodec.decode(
                codec: codec, rawLength: rawLength, checksum: checksum, body: body, run: row.id, seq: snapSeq,
                journal: path)
        }
        s.reset()
        if let parent = row.parent, let forkSeq = row.forkSeq, let parentRow = try run(rid: parent),
            var state = try snapshot(of: parentRow, atOrBefore: min(seq, forkSeq))
        {
            state.run = row.id
            return state
        }
        return nil
    }

    /// The plan state of `row` after event `seq` (the head when `nil`), from the nearest snapshot.
    func state(of row: RunRow, at seq: Int64? = nil) throws(JournalError) -> PlanState {
        let target = min(seq ?? row.headSeq, row.headSeq)
        let projection = PlanProjection()
        var state = try snapshot(of: row, atOrBefore: target) ?? projection.initial(run: row.id)
        try forEachEvent(of: row, from: state.seq + 1, to: target) { (e) throws(JournalError) in
            projection.apply(&state, e)
        }
        state.run = row.id
        return state
    }

    /// The chain hash of `row` after event `seq` (for forks).
    func chainHash(of row: RunRow, at seq: Int64) throws(JournalError) -> [UInt8] {
        if seq == row.headSeq { return row.headHash }
        if let parent = row.parent, let forkSeq = row.forkSeq, seq <= forkSeq {
            guard let parentRow = try self.run(rid: parent) else {
                throw JournalError(.corrupt, "the parent of this fork is missing", context: .init(run: row.id))
            }
            return try chainHash(of: parentRow, at: seq)
        }
        // Start from the hash at the end of the chunk before the one holding `seq`.
        let s = try db.statement(
            "SELECT last_seq, hash FROM chunks WHERE rid = ? AND last_seq < ? ORDER BY last_seq DESC LIMIT 1"
        ).bind(.int(row.rid), .int(seq))
        var chain: HashChain
        var from: Int64
        if try s.step() {
            from = s.int(0) + 1
            chain = HashChain(head: s.blob(1))
        } else {
            from = row.firstOwnSeq
            chain = HashChain(head: row.forkHash ?? HashChain.genesis)
        }
        s.reset()
        for chunk in try chunks(rid: row.rid, from: from, to: seq) {
            let lines = try chunk.lines(run: row.id, journal: path)
            for (k, line) in lines.enumerated() where chunk.firstSeq + Int64(k) <= seq {
                chain.append(line)
            }
        }
        return chain.head
    }
}

/// Encodes plan-state snapshots: JSON, LZ4, SHA-256 checksum of the stored body.
enum SnapshotCodec {
    static func encode(_ state: PlanState) throws(JournalError) -> (codec: Codec, rawLength: Int, checksum: [UInt8], body: [UInt8]) {
        let raw: [UInt8]
        do {
            raw = Array(try JSONEncoder().encode(state))
        } catch {
            throw JournalError(.io, "cannot encode a snapshot: \(error)")
        }
        let (codec, body) = Codec.encode(raw, level: 0)
        return (codec, raw.count, Array(SHA256.hash(data: body)), body)
    }

    static func decode(
        codec: Int64, rawLength: Int, checksum: [UInt8], body: [UInt8], run: String, seq: Int64, journal: String
    ) throws(JournalError) -> PlanState {
        let context = JournalError.Context(journalPath: journal, run: run, seq: seq)
        guard Array(SHA256.hash(data: body)) == checksum, let c = Codec(rawValue: codec) else {
            throw JournalError(.corrupt, "the snapshot at seq \(seq) does not match its checksum", context: context)
        }
        do {
            let raw = try c.decode(body, rawLength: rawLength)
            return try JSONDecoder().decode(PlanState.self, from: Data(raw))
        } catch {
            throw JournalError(.corrupt, "the snapshot at seq \(seq) does not decode", context: context)
        }
    }
}
