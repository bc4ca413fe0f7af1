import Foundation
import Synchronization
import PlanJournalCore

extension Journal {
    /// Writes `run` as JSON Lines (its canonical events, one per line) through `write`.
    public func exportJSONL(run: String, to write: ([UInt8]) throws(JournalError) -> Void) throws(JournalError) {
        var block: [UInt8] = []
        block.reserveCapacity(1 << 20)
        try forEachEvent(of: run) { (e) throws(JournalError) in
            block.append(contentsOf: e.bytes)
            block.append(UInt8(ascii: "\n"))
            if block.count >= 1 << 20 {
                try write(block)
                block.removeAll(keepingCapacity: true)
            }
        }
        if !block.isEmpty { try write(block) }
    }

    /// The magic of the skippable LZ4 frame that carries a `.pjl` file's seals.
    static let sealFrameMagic: UInt32 = 0x184D_2A5A

    /// Writes `run` as a `.pjl` file: a standard LZ4 frame of its JSON Lines (`lz4 -dc` reads it),
    /// then, for a fork, its ``portableForkFrame(of:)``, and when the run has seals, a skippable
    /// frame (magic `0x184D2A5A`) holding them as JSON lines, which `lz4 -dc` skips and
    /// ``importPJL(file:options:)`` restores.
    /// - Parameter level: LZ4 level, 0 fast to 12 (default 9, like `lz4 -9`).
    public func exportPJL(run: String, level: Int32 = 9, to write: ([UInt8]) throws(JournalError) -> Void)
        throws(JournalError)
    {
        let encoder = try LZ4FrameEncoder(level: level)
        try write(try encoder.begin())
        try exportJSONL(run: run) { (block) throws(JournalError) in
            let out = try encoder.update(block)
            if !out.isEmpty { try write(out) }
        }
        try write(try encoder.end())
        if let forks = try portableForkFrame(of: run) { try write(forks) }
        if let seals = try portableSealFrame(of: run) { try write(seals) }
    }

    /// The skippable frame (magic `0x184D2A5A`) of `run`'s seals, one JSON line each, which
    /// ``importPJL(file:options:)`` restores; `nil` when the run has none.
    public func portableSealFrame(of run: String) throws(JournalError) -> [UInt8]? {
        let seals = try seals(of: run)
        guard !seals.isEmpty else { return nil }
        var payload: [UInt8] = []
        for seal in seals {
            payload += seal.record
            payload.append(UInt8(ascii: "\n"))
        }
        return LZ4FrameEncoder.skippableFrame(magic: Self.sealFrameMagic, payload: payload)
    }

    /// For a fork, the skippable frame (magic `0x184D2A5B`) of fork records from the run up to its
    /// first ancestor that is no fork: a `.pjl` file of the run's events (whose first lines are
    /// its ancestors', with their run ids) then imports as the same fork, with the same hashes.
    /// `nil` for a run that is no fork.
    /// - Parameter id: the run id the file gives a run (an export that redacts the events' run ids
    ///   redacts the records' the same way).
    public func portableForkFrame(of run: String, id: (String) -> String = { $0 }) throws(JournalError) -> [UInt8]? {
        var records: [UInt8] = []
        var next = try self.run(run)
        while let parent = next.parent, let seq = next.forkSeq {
            // An ancestor that forked at or after `seq` recorded none of the events read up to it
            // (they are labeled with an earlier run, and the file holds only those): the record
            // names the run that did, or the file would name a fork point past its parent's end.
            var owner = try self.run(parent)
            while let ownerSeq = owner.forkSeq, ownerSeq >= seq, let grandparent = owner.parent {
                owner = try self.run(grandparent)
            }
            records += PortableFork(run: id(next.id), parent: id(owner.id), forkSeq: seq, parentPartial: true).record
            records.append(UInt8(ascii: "\n"))
            next = owner
        }
        return records.isEmpty ? nil : LZ4FrameEncoder.skippableFrame(magic: PortableFork.frameMagic, payload: records)
    }

    /// Imports a `.pjl` file (LZ4 frames of JSON Lines): the same rules as ``ingest(file:options:)``,
    /// so the runs come back with identical hashes. Seals in the file are restored when they still
    /// hold for the imported events (signature and chain hash); seals of runs the import rejected
    /// are dropped with them.
    /// - Throws: `.badInput` when the file is not an LZ4 frame stream, `.sealBroken` when a seal in it
    ///   does not hold for the events (nothing is written in either case).
    public func importPJL(file path: String, options: IngestOptions = IngestOptions()) throws(JournalError)
        -> IngestReport
    {
        let collected = SealCollector()
        return try ingest(
            source: path, options: options,
            produce: { (push) throws(JournalError) in
                let decoder = try LZ4FrameDecoder(collectingSkippable: Self.sealFrameMagic)
                try Self.readFile(path) { (block) throws(JournalError) in
                    try decoder.decode(block) { (out) throws(JournalError) in try push(out) } skippable: {
                        (payload) throws(JournalError) in
                        try collected.add(payload)
                    }
                }
                guard decoder.atFrameBoundary else {
                    throw JournalError(.badInput, "the LZ4 frame stream is cut off", context: .init(file: path))
                }
            },
            beforeCommit: { (writer, report) throws(JournalError) in
                try Self.restore(collected.seals, writer: writer, report: report)
            })
    }

    /// Stores `seals` (inside the import's transaction) after checking each against its run.
    private static func restore(_ seals: [Seal], writer: JournalWriter, report: IngestReport) throws(JournalError) {
        guard !seals.isEmpty else { return }
        let rejected = Set(report.rejected.compactMap(\.run))
        let r = JournalReader(db: writer.db)
        for (run, group) in Dictionary(grouping: seals, by: \.run) where !rejected.contains(run) {
            guard let row = try r.run(named: run) else {
                throw JournalError(
                    .sealBroken, "the file has a seal of run \(run), but no events of that run",
                    context: .init(run: run))
            }
            for check in try r.checkSeals(group, of: row, trusting: []) {
                guard check.status == .valid, let seal = check.seal else {
                    throw JournalError(
                        .sealBroken, "a seal in the file does not hold for its events: \(check.message)",
                        context: .init(run: run, seq: check.seq))
                }
                try r.insert(seal, rid: row.rid)
            }
        }
    }
}

/// The seals a `.pjl` file's seal frames hold, collected on the reader thread.
private final class SealCollector: Sendable {
    private let collected = Mutex<[Seal]>([])

    var seals: [Seal] { collected.withLock { $0 } }

    /// Parses one seal frame's payload (JSON lines of seal records).
    func add(_ payload: [UInt8]) throws(JournalError) {
        var parsed: [Seal] = []
        for line in payload.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            parsed.append(try Seal(record: line))
        }
        collected.withLock { $0 += parsed }
    }
}
