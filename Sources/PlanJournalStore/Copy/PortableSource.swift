import PlanJournalCore

/// A `.pjl` file read as the source of a copy: its runs (forks rebuilt from the file's fork
/// records), their events as stored, and their seals.
///
/// The file is read whole into memory when opened (its events, decompressed, plus a hash per
/// event), which suits files of up to a few hundred MB; a journal is the source for more.
public final class PortableSource: CopySource {
    /// The file.
    public let path: String
    // By run id, compared byte for byte, as the catalog compares them.
    private var runsByID = RunKeyed<SourceRun>()
    private var sealsByRun = RunKeyed<[Seal]>()
    /// Runs the file holds only up to a fork point (an exported fork's ancestors).

    private struct SourceRun {
        var summary: RunSummary
        /// The run's own events, from ``firstOwnSeq``.
        var events: [JournalEvent] = []
        var hashes: [[UInt8]] = []
        var firstOwnSeq: Int64
    }

    /// Reads and checks `path`: every line parses, each run's seqs continue without gaps (a fork's
    /// from its fork point), and each fork names a parent in the file.
    /// - Throws: `.usage` when the file cannot be read; `.badInput` when it is not a stream of LZ4
    ///   frames or its runs do not hold together; `.syntax`/`.invalidEvent` for a bad line.
    public init(file path: String) throws(JournalError) {
        self.path = path
        let decoder = try LZ4FrameDecoder(collectingSkippable: [Journal.sealFrameMagic, PortableFork.frameMagic])
        var pending = LineBuffer()
        var line = 0
        var order: [String] = []
        var forks: [PortableFork] = []
        var seals: [Seal] = []
        var parsed: [ExactString: [JournalEvent]] = [:]
        func take(_ raw: ArraySlice<UInt8>) throws(JournalError) {
            line += 1
            // A byte order mark before the first line, as `import` and `ingest` allow.
            let raw = line == 1 ? LineBuffer.droppingByteOrderMark(raw) : raw
            guard !raw.isEmpty else { return }
            let event: JournalEvent
            do {
                event = try JournalEvent(parsing: Array(raw))
            } catch {
                throw error.adding(file: path, line: line)
            }
            if parsed[ExactString(event.run)] == nil { order.append(event.run) }
            parsed[ExactString(event.run), default: []].append(event)
        }
        do {
            try Journal.readFile(path) { (block) throws(JournalError) in
                try decoder.decode(block) { (out) throws(JournalError) in
                    pending.append(out)
                    while let line = pending.nextLine() { try take(line) }
                } skippable: { (payload) throws(JournalError) in
                    for record in payload.split(separator: UInt8(ascii: "\n")) where !record.isEmpty {
                        if decoder.lastCollectedMagic == PortableFork.frameMagic {
                            forks.append(try PortableFork(record: record))
                        } else {
                            seals.append(try Seal(record: record))
                        }
                    }
                }
            }
        } catch {
            throw error.adding(file: path)
        }
        guard decoder.atFrameBoundary else {
            throw JournalError(.badInput, "the LZ4 frame stream is cut off", context: .init(file: path))
        }
        if !pending.rest.isEmpty { try take(pending.rest) }
        let forkOf = Dictionary(forks.map { (ExactString($0.run), $0) }, uniquingKeysWith: { a, _ in a })
        for fork in forks where parsed[ExactString(fork.run)] == nil {
            parsed[ExactString(fork.run)] = []
            order.append(fork.run)
        }
        // Parents before forks, so each fork finds its parent's hashes.
        var pendingRuns = order
        while !pendingRuns.isEmpty {
            let before = pendingRuns.count
            var waiting: [String] = []
            for id in pendingRuns {
                if let fork = forkOf[ExactString(id)], runsByID[fork.parent] == nil {
                    guard parsed[ExactString(fork.parent)] != nil || forkOf[ExactString(fork.parent)] != nil else {
                        throw JournalError(
                            .badInput, "the file has fork \(id) of run \(fork.parent), but no events of that run",
                            context: .init(file: path, run: id))
                    }
                    waiting.append(id)
                } else {
                    try add(id, events: parsed[ExactString(id)] ?? [], fork: forkOf[ExactString(id)])
                }
            }
            pendingRuns = waiting
            if pendingRuns.count == before {
                throw JournalError(.badInput, "the file's forks form a cycle", context: .init(file: path))
            }
        }
        for seal in seals { sealsByRun[seal.run] = (sealsByRun[seal.run] ?? []) + [seal] }
    }

    /// Whether the `.pjl` file at `path` holds forks (written by `planj copy`), which only a copy
    /// (``JournalCopier`` from a ``PortableSource``) can rebuild; plain import cannot.
    /// - Parameter path: a regular file (it is read twice: here, then by the import).
    /// - Throws: `.usage` when the file cannot be opened, `.badInput` when it is not LZ4 frames or
    ///   is cut off.
    /// - Complexity: a few bytes read per LZ4 block; nothing is decompressed.
    public static func hasForks(file path: String) throws(JournalError) -> Bool {
        try LZ4FrameWalker.skippableMagics(inFile: path).contains(PortableFork.frameMagic)
    }

    private func add(_ id: String, events: [JournalEvent], fork: PortableFork?) throws(JournalError) {
        var run = SourceRun(summary: PortableDestination.emptySummary(id), firstOwnSeq: 1)
        var chain = HashChain()
        if let fork, let parent = runsByID[fork.parent] {
            guard fork.forkSeq <= parent.summary.events else {
                throw JournalError(
                    .badInput, "fork \(id) starts after the end of its parent \(fork.parent)",
                    context: .init(file: path, run: id, seq: fork.forkSeq))
            }
            chain = HashChain(head: try hash(of: fork.parent, at: fork.forkSeq))
            run.firstOwnSeq = fork.forkSeq + 1
            run.summary.parent = fork.parent
            run.summary.forkSeq = fork.forkSeq
            run.summary.events = fork.forkSeq
            run.summary.goal = parent.summary.goal
            run.summary.startedAt = parent.summary.startedAt
        }
        for e in events {
            guard e.seq == run.summary.events + 1 else {
                throw JournalError(
                    .badInput,
                    "run \(id) has seq \(e.seq) after seq \(run.summary.events) in the file (is it a fork exported without its parent?)",
                    context: .init(file: path, run: id, seq: e.seq))
            }
            chain.append(e.bytes)
            run.hashes.append(chain.head)
            run.summary.events = e.seq
            run.summary.rawBytes += Int64(e.bytes.count + 1)
            if e.seq == 1 {
                run.summary.startedAt = e.ts
                run.summary.goal = e.data["goal"]?.stringValue
            }
            if e.kind == "run.completed" {
                run.summary.status = e.data["status"]?.stringValue ?? "completed"
                run.summary.endedAt = e.ts
            }
        }
        run.events = events
        run.summary.headHash = HashChain.hex(chain.head)
        runsByID[id] = run
    }

    private func require(_ run: String) throws(JournalError) -> SourceRun {
        guard let r = runsByID[run] else {
            throw JournalError(.notFound, "no run with this id in the file", context: .init(file: path, run: run))
        }
        return r
    }

    private func hash(of run: String, at seq: Int64) throws(JournalError) -> [UInt8] {
        let r = try require(run)
        guard seq >= 1, seq <= r.summary.events else {
            throw JournalError.invalid(nil, "seq must be within 1...\(r.summary.events)", run: run, seq: seq)
        }
        if seq < r.firstOwnSeq, let parent = r.summary.parent { return try hash(of: parent, at: seq) }
        return r.hashes[Int(seq - r.firstOwnSeq)]
    }

    /// The file's runs, newest first.
    public func runs(status: String?, limit: Int?) throws(JournalError) -> [RunSummary] {
        let all = runsByID.values.map(\.summary).filter { status == nil || $0.status == status }.sorted {
            ($0.startedAt?.microseconds ?? 0, $0.id) > ($1.startedAt?.microseconds ?? 0, $1.id)
        }
        return limit.map { Array(all.prefix($0)) } ?? all
    }

    /// The chain hash (hex) of `run` after event `seq` (through the parent for a fork's shared events).
    /// - Throws: `.notFound` when the file has no such run; `.invalidEvent` when `seq` is not within
    ///   1 and the run's last seq.
    public func chainHash(of run: String, at seq: Int64) throws(JournalError) -> String {
        HashChain.hex(try hash(of: run, at: seq))
    }

    /// Calls `body` with each event of `run` with seq in `from...to`, in order (through the parent for
    /// a fork's shared part); seqs past the run's end are not visited.
    /// - Throws: `.notFound` when the file has no such run; what `body` throws.
    public func forEachEvent(
        of run: String, from: Int64, to: Int64, _ body: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        let r = try require(run)
        if from < r.firstOwnSeq, let parent = r.summary.parent {
            try forEachEvent(of: parent, from: from, to: min(to, r.firstOwnSeq - 1), body)
        }
        var k = max(from, r.firstOwnSeq)
        while k <= min(to, r.summary.events) {
            try body(r.events[Int(k - r.firstOwnSeq)])
            k += 1
        }
    }

    /// The seals of `run` in the file's seal frame, as the file lists them.
    /// - Throws: `.notFound` when the file has no such run.
    public func seals(of run: String) throws(JournalError) -> [Seal] {
        _ = try require(run)
        return sealsByRun[run] ?? []
    }
}
