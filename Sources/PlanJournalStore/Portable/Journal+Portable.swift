import Foundation
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

    /// Writes `run` as a `.pjl` file: a standard LZ4 frame of its JSON Lines (`lz4 -dc` reads it).
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
    }

    /// Imports a `.pjl` file (LZ4 frames of JSON Lines): the same rules as ``ingest(file:options:)``,
    /// so the runs come back with identical hashes.
    /// - Throws: `.corrupt` when the file is not an LZ4 frame stream (nothing is written).
    public func importPJL(file path: String, options: IngestOptions = IngestOptions()) throws(JournalError)
        -> IngestReport
    {
        try ingest(source: path, options: options) { (push) throws(JournalError) in
            let decoder = try LZ4FrameDecoder()
            try Self.readFile(path) { (block) throws(JournalError) in
                try decoder.decode(block) { (out) throws(JournalError) in try push(out) }
            }
            guard decoder.atFrameBoundary else {
                throw JournalError(.corrupt, "the LZ4 frame stream is cut off", context: .init(file: path))
            }
        }
    }
}
