import PlanJournalCore

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

    init(_ s: any SQLStatement) {
        rid = s.int(0)
        id = s.text(1) ?? ""
        parent = s.optionalInt(2)
        forkSeq = s.optionalInt(3).map(Self.bounded)
        forkHash = s.isNull(4) ? nil : s.blob(4)
        headSeq = Self.bounded(s.int(5))
        headHash = s.blob(6)
        goal = s.text(7)
        status = s.text(8) ?? "running"
        startedAt = s.optionalInt(9)
        endedAt = s.optionalInt(10)
        inputTokens = s.int(11)
        outputTokens = s.int(12)
        costUSD = s.double(13)
        rawBytes = s.int(14)
        tailFirstSeq = s.optionalInt(15).map(Self.bounded)
        tailBytes = s.int(16)
    }

    /// A row with these values (what the writer just wrote to the catalog).
    init(
        rid: Int64, id: String, parent: Int64?, forkSeq: Int64?, forkHash: [UInt8]?, headSeq: Int64, headHash: [UInt8],
        goal: String?, status: String, startedAt: Int64?, endedAt: Int64?, inputTokens: Int64, outputTokens: Int64,
        costUSD: Double, rawBytes: Int64, tailFirstSeq: Int64?, tailBytes: Int64
    ) {
        self.rid = rid
        self.id = id
        self.parent = parent
        self.forkSeq = forkSeq
        self.forkHash = forkHash
        self.headSeq = headSeq
        self.headHash = headHash
        self.goal = goal
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
        self.rawBytes = rawBytes
        self.tailFirstSeq = tailFirstSeq
        self.tailBytes = tailBytes
    }

    /// A seq read from the database, kept within what a run can reach (a damaged one, near the
    /// integers' ends, would overflow the arithmetic on seqs; out of the run's range, it is found
    /// as damage where it is used).
    static func bounded(_ seq: Int64) -> Int64 { min(max(seq, -1), 1 << 62) }

    /// The first seq stored in this run's own chunks (later ones come from the parent).
    var firstOwnSeq: Int64 { (forkSeq ?? 0) + 1 }
}
