import Foundation
import PlanJournalCore

/// Walks a file of LZ4 frames by their headers and block sizes, decompressing nothing: what a
/// file holds (which skippable frames) is known after reading a few bytes per block.
///
/// It checks the structure only (magics, header sizes, that every block fits in the file); what
/// is inside the blocks is left to ``LZ4FrameDecoder``.
enum LZ4FrameWalker {
    private static let frameMagic: UInt32 = 0x184D_2204

    /// The magics of the skippable frames of the file at `path`, in the order they come.
    /// - Throws: `.usage` when the file cannot be opened, `.badInput` when it is not LZ4 frames or
    ///   is cut off, `.io` when it cannot be read.
    static func skippableMagics(inFile path: String) throws(JournalError) -> [UInt32] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw JournalError(.usage, "cannot open the input file", context: .init(file: path))
        }
        defer { try? handle.close() }
        do {
            return try walk(handle, path: path)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.io, "cannot read the input: \(ErrorReason.of(error))", context: .init(file: path))
        }
    }

    private static func walk(_ handle: FileHandle, path: String) throws -> [UInt32] {
        let size = try handle.seekToEnd()
        var offset: UInt64 = 0
        var found: [UInt32] = []
        /// `count` bytes at `offset` (and moves past them), or a "cut off" error.
        func read(_ count: Int) throws -> [UInt8] {
            guard offset + UInt64(count) <= size else {
                throw JournalError(.badInput, "the LZ4 frame stream is cut off", context: .init(file: path))
            }
            try handle.seek(toOffset: offset)
            let bytes = [UInt8](try handle.read(upToCount: count) ?? Data())
            guard bytes.count == count else {
                throw JournalError(.badInput, "the LZ4 frame stream is cut off", context: .init(file: path))
            }
            offset += UInt64(count)
            return bytes
        }
        func skip(_ count: UInt64) throws {
            guard offset + count <= size else {
                throw JournalError(.badInput, "the LZ4 frame stream is cut off", context: .init(file: path))
            }
            offset += count
        }
        func le32(_ b: [UInt8], _ at: Int = 0) -> UInt32 {
            UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
        }
        var pending: UInt32?
        while offset < size || pending != nil {
            let magic = try pending ?? le32(read(4))
            pending = nil
            if LZ4FrameDecoder.isSkippable(magic) {
                found.append(magic)
                try skip(UInt64(le32(try read(4))))
                continue
            }
            if magic == LZ4FrameDecoder.legacyMagic {
                // Blocks, each after its compressed size, until the file ends or a magic comes.
                while offset < size {
                    let block = le32(try read(4))
                    if LZ4FrameDecoder.opensFrame(block) {
                        pending = block
                        break
                    }
                    try skip(UInt64(block))
                }
                continue
            }
            guard magic == frameMagic else {
                // A file that opens with `{`: JSON Lines, which `planj ingest` reads.
                let hint = offset == 4 && magic & 0xFF == UInt32(UInt8(ascii: "{")) ? " (the file is JSON Lines: load it with planj ingest)" : ""
                throw JournalError(
                    .badInput, String(format: "not a valid LZ4 frame: unknown magic 0x%08X at byte %llu", magic, offset - 4) + hint,
                    context: .init(file: path))
            }
            let descriptor = try read(2)
            let flags = descriptor[0]
            guard flags >> 6 == 1 else {
                throw JournalError(.badInput, "not a valid LZ4 frame: unknown frame version", context: .init(file: path))
            }
            let blockChecksums = flags & 0x10 != 0
            // Content size (8), dictionary id (4), then the header checksum (1).
            try skip((flags & 0x08 != 0 ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0) + 1)
            while true {
                let block = le32(try read(4))
                if block == 0 { break }
                try skip(UInt64(block & 0x7FFF_FFFF) + (blockChecksums ? 4 : 0))
            }
            if flags & 0x04 != 0 { try skip(4) }
        }
        return found
    }
}
