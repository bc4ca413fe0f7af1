import PlanJournalCore

/// Where a run stands for a writer: its catalog values, its validator and its folded state.
struct RunCursor {
    /// `nil` until the run has a catalog row.
    var rid: Int64?
    var id: String
    var headSeq: Int64
    var headHash: [UInt8]
    var validator: RunValidator
    var state: PlanState
    var tailFirstSeq: Int64?
    var tailBytes: Int64
    var rawBytes: Int64
    var parent: Int64?
    var forkSeq: Int64?
    /// The catalog row this cursor was read from (`nil` for a new run).
    var row: RunRow?

    /// A run with no events.
    init(newRun id: String) {
        self.id = id
        headSeq = 0
        headHash = HashChain.genesis
        validator = RunValidator(run: id)
        state = PlanState(run: id)
        tailBytes = 0
        rawBytes = 0
    }

    init(row: RunRow, state: PlanState) {
        rid = row.rid
        id = row.id
        headSeq = row.headSeq
        headHash = row.headHash
        validator = RunValidator(state: state)
        self.state = state
        tailFirstSeq = row.tailFirstSeq
        tailBytes = row.tailBytes
        rawBytes = row.rawBytes
        parent = row.parent
        forkSeq = row.forkSeq
        self.row = row
    }
}

/// A run's writes inside the current transaction: the events accepted so far, buffered until
/// they fill a chunk.
struct RunWrite {
    /// The run as it was before this transaction (to undo a rejected run): its catalog values; its
    /// `state` and `validator` are left empty.
    let start: RunCursor
    /// The run after the accepted events.
    var cursor: RunCursor
    /// Canonical lines (each ending in a newline) not yet in a chunk, in memory. The first ones
    /// may have been moved to a spill file (``spill(to:)``): the buffered lines are those of
    /// `spilled`, then `buffer`.
    private(set) var buffer: [UInt8] = []
    /// The pieces of the buffered lines moved to a spill file, in order.
    private var spilled: (file: SpillFile, segments: [SpillFile.Segment])?
    /// Bytes of the buffered lines in the spill file.
    private var spilledBytes = 0
    /// The seq of the first buffered line.
    private(set) var bufferFirstSeq: Int64 = 0
    /// Where each buffered line starts (counting the spilled ones first).
    private var lineStarts: [Int] = []
    /// Events accepted in this transaction.
    var accepted = 0
    /// Events skipped because the journal already holds them (idempotent ingest).
    var skipped = 0
    /// Snapshots taken but not yet written (their seq must be in a chunk first).
    var pendingSnapshots: [PlanState] = []
    /// The first seq of the last chunk this transaction wrote for the run.
    var lastChunkFirstSeq: Int64?
    /// A small uncompressed chunk not yet inserted: the catalog update writes it.
    var deferredChunk: DeferredChunk?
    /// What the append that writes this run expected (for the message of a conflict found at the
    /// catalog update); `nil` outside appends.
    var expecting: ExpectedSeq?
    /// Whether a tail compaction merged the chunk held for the run in the open write window.
    var compactedHeld = false

    /// A small chunk stored as it is (codec raw), waiting for the catalog update.
    struct DeferredChunk {
        var first: Int64
        var last: Int64
        /// The chain hash after `last`.
        var hash: [UInt8]
        var body: [UInt8]
    }

    init(_ cursor: RunCursor) {
        // `start` keeps the catalog values only: sharing the folded state and validator with
        // `cursor` would make the first change to them copy both.
        var start = cursor
        start.state = PlanState(run: cursor.id)
        start.validator = RunValidator(run: cursor.id)
        self.start = start
        self.cursor = cursor
    }

    /// What undoing this run's writes needs, without its buffers and state.
    struct Undo {
        var id: String
        var rid: Int64?
        /// The catalog row before this transaction (`nil` for a run it created).
        var startRow: RunRow? { startBox?.row }
        var accepted: Int
        /// `startRow` out of line: an ingest keeps an undo record for every run it finished, and
        /// a catalog row inline made each of them (and each slot of the table holding them) over
        /// 200 bytes larger.
        private let startBox: StartRowBox?

        init(id: String, rid: Int64?, startRow: RunRow?, accepted: Int) {
            self.id = id
            self.rid = rid
            self.accepted = accepted
            startBox = startRow.map(StartRowBox.init)
        }

        private final class StartRowBox {
            let row: RunRow
            init(_ row: RunRow) { self.row = row }
        }
    }

    var undoRecord: Undo {
        Undo(id: start.id, rid: cursor.rid, startRow: start.row, accepted: accepted)
    }
}

/// A run's appends of the open write window that are not in the tables yet (see
/// ``JournalWriter/held``).
struct HeldRun {
    /// The catalog row after the held appends.
    var row: RunRow
    /// The head the catalog row has in the tables (the update checks it did not move).
    var catalogHead: (seq: Int64, hash: [UInt8])
    /// The run's small chunk of the window (codec raw), `nil` when a compaction merged it.
    var chunk: RunWrite.DeferredChunk?
}

extension RunWrite {
    /// Bytes of the buffered lines, in memory and spilled.
    var bufferedBytes: Int { spilledBytes + buffer.count }

    /// Appends `event`'s line (the run's next event) to the buffer.
    mutating func buffer(_ event: JournalEvent) {
        if bufferedBytes == 0 { bufferFirstSeq = event.seq }
        lineStarts.append(bufferedBytes)
        buffer.append(contentsOf: event.bytes)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// The buffered line of `seq` without its newline; `nil` when it is not in the buffer.
    /// - Throws: `.io` when a spilled line cannot be read back.
    func bufferedLine(_ seq: Int64) throws(JournalError) -> ArraySlice<UInt8>? {
        guard bufferedBytes > 0, seq >= bufferFirstSeq, seq - bufferFirstSeq < Int64(lineStarts.count) else { return nil }
        let k = Int(seq - bufferFirstSeq)
        let start = lineStarts[k]
        let end = (k + 1 < lineStarts.count ? lineStarts[k + 1] : bufferedBytes) - 1
        if start >= spilledBytes { return buffer[(start - spilledBytes)..<(end - spilledBytes)] }
        return try bufferedLines()[start..<end]
    }

    /// The buffered lines, spilled ones included.
    /// - Throws: `.io` when spilled lines cannot be read back.
    func bufferedLines() throws(JournalError) -> [UInt8] {
        guard let spilled else { return buffer }
        var lines: [UInt8] = []
        lines.reserveCapacity(bufferedBytes)
        for segment in spilled.segments { lines += try spilled.file.read(segment) }
        lines += buffer
        return lines
    }

    /// Moves the lines in memory to `file`, giving their memory back (an ingest with many runs
    /// open at once).
    mutating func spill(to file: SpillFile) throws(JournalError) {
        guard !buffer.isEmpty else { return }
        let segment = try file.append(buffer)
        spilled = (file, (spilled?.segments ?? []) + [segment])
        spilledBytes += buffer.count
        buffer = []
    }

    /// Empties the buffer once its lines are in a chunk (or dropped: the spilled ones are freed).
    mutating func clearBuffer() {
        if let spilled {
            spilled.segments.forEach(spilled.file.release)
            self.spilled = nil
            spilledBytes = 0
        }
        buffer.removeAll(keepingCapacity: true)
        lineStarts.removeAll(keepingCapacity: true)
    }
}
