import Foundation
import PlanJournalCore

/// A `.pjl` file being written by a copy: every run in one LZ4 frame of JSON Lines (a fork with
/// only its own events), then a skippable frame of fork records and one of seals.
///
/// The file is written beside its final path and moved there by ``finish()``, so an interrupted
/// copy leaves no half-written file under that name (run it again to write the file whole).
public final class PortableDestination: CopyDestination {
    /// The file's final path.
    public let path: String
    /// The temporary file beside the target, renamed to it when complete; `nil` for a device or
    /// pipe, written in place.
    private let partialPath: String?
    /// The file `partialPath` is renamed to (the file a symbolic link names).
    private let target: String
    /// Whether the handle is closed when done (not one of the process's own descriptors).
    private let closesHandle: Bool
    private let handle: FileHandle
    private let encoder: LZ4FrameEncoder
    private var block: [UInt8] = []
    /// By run id, compared byte for byte (`RunKeyed`), as the catalog compares them.
    private var written = RunKeyed<WrittenRun>()
    private var forks: [PortableFork] = []
    private var seals: [Seal] = []
    private var finished = false

    /// What the file holds of one run: its own events' chain hashes and catalog values.
    private struct WrittenRun {
        var summary: RunSummary
        /// The chain hash after each own event (index 0 is seq `firstOwnSeq`).
        var hashes: [[UInt8]]
        var firstOwnSeq: Int64
    }

    /// Starts writing `path` (through a temporary file beside it).
    /// - Parameter level: LZ4 level, 0 fast to 12 (default 9, like `lz4 -9`).
    /// - Throws: `.io` when the file cannot be created.
    public init(path: String, level: Int32 = 9) throws(JournalError) {
        self.path = path
        let destination = try OutputPath.target(path)
        switch destination {
        case .file(let file):
            let (partial, h) = try OutputPath.createTemporary(for: file)
            (handle, partialPath, target, closesHandle) = (h, partial, file, true)
        case .stream, .descriptor:
            let (h, closes) = try destination.openStream(path: path)
            (handle, partialPath, target, closesHandle) = (h, nil, path, closes)
        }
        encoder = try LZ4FrameEncoder(level: level)
        try write(try encoder.begin())
    }

    deinit {
        if !finished {
            if closesHandle { try? handle.close() }
            if let partialPath { OutputPath.removeTemporary(partialPath) }
        }
    }

    /// The run as this file holds it so far; `nil` when this copy has not written it.
    public func existingRun(_ run: String) throws(JournalError) -> RunSummary? { written[run]?.summary }

    /// The chain hash (hex) of `run` after event `seq`, of a run written to this file (a fork's shared
    /// events read through its parent).
    /// - Throws: `.notFound` when the file holds no such event.
    public func chainHash(of run: String, at seq: Int64) throws(JournalError) -> String {
        HashChain.hex(try hash(of: run, at: seq))
    }

    private func hash(of run: String, at seq: Int64) throws(JournalError) -> [UInt8] {
        guard let w = written[run], seq >= 1, seq <= w.summary.events else {
            throw JournalError(.notFound, "the file being written has no such event", context: .init(run: run, seq: seq))
        }
        if seq < w.firstOwnSeq, let parent = w.summary.parent { return try hash(of: parent, at: seq) }
        return w.hashes[Int(seq - w.firstOwnSeq)]
    }

    /// Records `id` as a fork of `run` at `seq` in the file's fork frame: the shared events are not
    /// written again.
    /// - Returns: the fork's catalog entry.
    /// - Throws: `.conflict` when `run` is not in the file yet or `id` already is.
    public func fork(_ run: String, at seq: Int64, as id: String) throws(JournalError) -> RunSummary {
        guard let parent = written[run]?.summary, written[id] == nil else {
            throw JournalError(.conflict, "cannot fork in the file: parent missing or run already written", context: .init(run: id))
        }
        var summary = parent
        summary.id = id
        summary.parent = run
        summary.forkSeq = seq
        summary.events = seq
        summary.status = "running"
        summary.headHash = try chainHash(of: run, at: seq)
        summary.rawBytes = 0
        written[id] = WrittenRun(summary: summary, hashes: [], firstOwnSeq: seq + 1)
        forks.append(PortableFork(run: id, parent: run, forkSeq: seq))
        return summary
    }

    /// Adds `events` to the file's frame of runs; they must continue the run as this file holds it.
    /// - Returns: the seqs written and the run's new head hash.
    /// - Throws: `.conflict` when the run's head in the file is not as `expecting` says (as a
    ///   journal's append); `.invalidEvent` (field `seq`) for an event of another run or one that
    ///   does not continue it; `.io` when writing fails.
    public func append(_ events: [JournalEvent], to run: String, expecting: ExpectedSeq) async throws(JournalError)
        -> AppendResult
    {
        try expecting.check(run: run, head: written[run]?.summary.events)
        var w = written[run] ?? WrittenRun(summary: Self.emptySummary(run), hashes: [], firstOwnSeq: 1)
        var chain = HashChain(head: w.summary.events == 0 ? HashChain.genesis : try hash(of: run, at: w.summary.events))
        for e in events {
            guard e.run == run, e.seq == w.summary.events + 1 else {
                throw JournalError.invalid("seq", "events must continue the run", run: run, seq: e.seq)
            }
            chain.append(e.bytes)
            w.hashes.append(chain.head)
            w.summary.events = e.seq
            w.summary.rawBytes += Int64(e.bytes.count + 1)
            if e.seq == 1 { w.summary.startedAt = e.ts }
            if e.kind == "run.completed" {
                w.summary.status = e.data["status"]?.stringValue ?? "completed"
                w.summary.endedAt = e.ts
            }
            block += e.bytes
            block.append(UInt8(ascii: "\n"))
        }
        w.summary.headHash = HashChain.hex(chain.head)
        written[run] = w
        if block.count >= 1 << 20 { try flushBlock() }
        return AppendResult(run: run, firstSeq: events.first?.seq ?? 0, lastSeq: w.summary.events, head: chain.head)
    }

    /// Keeps seals for the seal frame, after checking each: its signature, and its hash against
    /// the chain of the events written.
    public func storeSeals(_ seals: [Seal]) throws(JournalError) -> Int {
        var added = 0
        for seal in seals where !self.seals.contains(seal) {
            guard seal.isSignatureValid, try chainHash(of: seal.run, at: seal.seq) == seal.hash else {
                throw JournalError(
                    .sealBroken, "a seal does not hold for the events copied", context: .init(run: seal.run, seq: seal.seq))
            }
            self.seals.append(seal)
            added += 1
        }
        return added
    }

    /// Ends the frame of events, writes the fork and seal frames, and moves the file into place.
    /// - Throws: `.io` when writing or moving fails.
    public func finish() throws(JournalError) {
        try flushBlock()
        try write(try encoder.end())
        if !forks.isEmpty {
            try write(LZ4FrameEncoder.skippableFrame(magic: PortableFork.frameMagic, payload: Self.lines(forks.map(\.record))))
        }
        if !seals.isEmpty {
            try write(LZ4FrameEncoder.skippableFrame(magic: Journal.sealFrameMagic, payload: Self.lines(seals.map(\.record))))
        }
        if closesHandle { try? handle.close() }
        if let partialPath { try OutputPath.moveIntoPlace(partialPath, target) }
        finished = true
    }

    private static func lines(_ records: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for r in records {
            out += r
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    private func flushBlock() throws(JournalError) {
        guard !block.isEmpty else { return }
        let out = try encoder.update(block)
        block.removeAll(keepingCapacity: true)
        if !out.isEmpty { try write(out) }
    }

    private func write(_ bytes: [UInt8]) throws(JournalError) {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw JournalError(.io, "cannot write the output file: \(ErrorReason.of(error))", context: .init(file: partialPath ?? path))
        }
    }

    static func emptySummary(_ run: String) -> RunSummary {
        RunSummary(
            id: run, goal: nil, status: "running", events: 0, startedAt: nil, endedAt: nil, parent: nil, forkSeq: nil,
            inputTokens: 0, outputTokens: 0, costUSD: 0, headHash: HashChain.hex(HashChain.genesis), rawBytes: 0)
    }
}
