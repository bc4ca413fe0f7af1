import Foundation
import CLZ4
import PlanJournalCore

/// Reads standard LZ4 frames (one or several concatenated), piece by piece, and frames of the
/// legacy format (`lz4 -l`: blocks of at most 8 MiB decoded, each after its compressed size).
///
/// Skippable frames (magic `0x184D2A50`-`0x184D2A5F`, a 4-byte little-endian size, then that many
/// bytes) are not decompressed: as the LZ4 frame format says, decoders skip them. Those with
/// one of ``collectedSkippableMagics`` are handed to the caller (`.pjl` files carry their seals in
/// one, and the forks `planj copy` writes in another).
final class LZ4FrameDecoder {
    private var context: OpaquePointer?
    private var output = [UInt8](repeating: 0, count: 1 << 20)
    /// The magics of the skippable frames whose payload ``decode(_:into:skippable:)`` passes on.
    private let collectedSkippableMagics: Set<UInt32>
    /// The magic of the skippable frame last handed to the caller.
    private(set) var lastCollectedMagic: UInt32 = 0
    /// The largest skippable payload collected (larger ones are an error, not a memory blow-up).
    private let maxCollectedBytes: Int

    private enum Mode {
        /// Between frames, with the first bytes of the next frame's header read so far (up to 8).
        case boundary([UInt8])
        /// Inside an LZ4 frame: liblz4 reads it.
        case frame
        /// Inside a skippable frame, with the bytes still to come (and the payload, when collected).
        case skipping(magic: UInt32, remaining: Int, payload: [UInt8]?)
        /// In a legacy frame, between blocks, with the bytes of the next block's size read so far.
        case legacy([UInt8])
        /// In a legacy frame, inside a block: its bytes so far and the bytes still to come.
        case legacyBlock(block: [UInt8], remaining: Int)
    }

    /// The magic of a frame of the legacy format.
    static let legacyMagic: UInt32 = 0x184C_2102

    /// Whether `magic` opens a frame (standard, legacy or skippable): in a legacy frame, a block
    /// size equal to one is the next frame.
    static func opensFrame(_ magic: UInt32) -> Bool { magic == 0x184D_2204 || magic == legacyMagic || isSkippable(magic) }

    private var mode = Mode.boundary([])

    /// Whether the last frame ended cleanly (false while inside a frame).
    var atFrameBoundary: Bool {
        switch mode {
        case .boundary(let header), .legacy(let header): header.isEmpty
        default: false
        }
    }

    /// - Parameters:
    ///   - collectingSkippable: the magic of skippable frames to collect (others are skipped).
    ///   - maxCollectedBytes: the largest such frame accepted.
    convenience init(collectingSkippable: UInt32? = nil, maxCollectedBytes: Int = 64 << 20) throws(JournalError) {
        try self.init(collectingSkippable: Set(collectingSkippable.map { [$0] } ?? []), maxCollectedBytes: maxCollectedBytes)
    }

    /// - Parameters:
    ///   - collectingSkippable: the magics of skippable frames to collect (others are skipped);
    ///     ``lastCollectedMagic`` tells which one a payload came in.
    ///   - maxCollectedBytes: the largest such frame accepted.
    init(collectingSkippable: Set<UInt32>, maxCollectedBytes: Int = 64 << 20) throws(JournalError) {
        var ctx: OpaquePointer?
        let rc = LZ4F_createDecompressionContext(&ctx, clz4_frame_version())
        guard LZ4F_isError(rc) == 0, let ctx else {
            throw JournalError(.io, "cannot create an LZ4 frame decoder")
        }
        context = ctx
        collectedSkippableMagics = collectingSkippable
        self.maxCollectedBytes = maxCollectedBytes
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    /// Whether `magic` opens a skippable frame.
    static func isSkippable(_ magic: UInt32) -> Bool { magic & 0xFFFF_FFF0 == 0x184D_2A50 }

    /// Decodes `input`, passing each piece of output to `sink` and the payload of each collected
    /// skippable frame to `skippable`.
    /// - Throws: ``JournalError`` `.badInput` when the input is not a valid LZ4 frame.
    func decode(
        _ input: [UInt8], into sink: ([UInt8]) throws(JournalError) -> Void,
        skippable: ([UInt8]) throws(JournalError) -> Void = { _ in }
    ) throws(JournalError) {
        var offset = 0
        while offset < input.count {
            switch mode {
            case .boundary(var header):
                // Read the magic (and, for a skippable frame, its size) before deciding who reads on.
                let need = header.count < 4 ? 4 : Self.isSkippable(Self.littleEndian(header[0..<4])) ? 8 : 4
                let take = min(need - header.count, input.count - offset)
                header += input[offset..<(offset + take)]
                offset += take
                if header.count < 4 {
                    mode = .boundary(header)
                    continue
                }
                let magic = Self.littleEndian(header[0..<4])
                if magic == Self.legacyMagic {
                    mode = .legacy([])
                } else if Self.isSkippable(magic) {
                    if header.count < 8 {
                        mode = .boundary(header)
                        continue
                    }
                    let size = Int(Self.littleEndian(header[4..<8]))
                    let collect = collectedSkippableMagics.contains(magic)
                    if collect && size > maxCollectedBytes {
                        throw JournalError(.badInput, "a skippable LZ4 frame of \(size) bytes is larger than expected")
                    }
                    mode = .skipping(magic: magic, remaining: size, payload: collect ? [] : nil)
                    try finishSkippable(skippable)
                } else {
                    mode = .frame
                    _ = try decompress(header, from: 0, into: sink)
                }
            case .frame:
                let before = offset
                offset = try decompress(input, from: offset, into: sink)
                if offset == before { return }  // liblz4 takes nothing more (cannot happen with room to write)
            case .legacy(var size):
                let take = min(4 - size.count, input.count - offset)
                size += input[offset..<(offset + take)]
                offset += take
                guard size.count == 4 else {
                    mode = .legacy(size)
                    continue
                }
                let length = Self.littleEndian(size[...])
                if Self.opensFrame(length) {
                    mode = .boundary(size)  // the next frame's magic
                } else {
                    guard length <= Self.legacyMaxCompressed else {
                        throw JournalError(.badInput, "not a valid LZ4 frame: a legacy block of \(length) bytes")
                    }
                    mode = .legacyBlock(block: [], remaining: Int(length))
                    try finishLegacyBlock(into: sink)
                }
            case .legacyBlock(var block, let remaining):
                let take = min(remaining, input.count - offset)
                block += input[offset..<(offset + take)]
                offset += take
                mode = .legacyBlock(block: block, remaining: remaining - take)
                try finishLegacyBlock(into: sink)
            case .skipping(let magic, let remaining, var payload):
                let take = min(remaining, input.count - offset)
                payload?.append(contentsOf: input[offset..<(offset + take)])
                offset += take
                mode = .skipping(magic: magic, remaining: remaining - take, payload: payload)
                try finishSkippable(skippable)
            }
        }
    }

    /// The largest compressed block of the legacy format: the bound of LZ4 for 8 MiB.
    private static let legacyMaxCompressed: UInt32 = (8 << 20) + (8 << 20) / 255 + 16

    /// Decodes a legacy block that has been read whole, and waits for the next one.
    private func finishLegacyBlock(into sink: ([UInt8]) throws(JournalError) -> Void) throws(JournalError) {
        guard case .legacyBlock(let block, 0) = mode else { return }
        mode = .legacy([])
        try sink(try LZ4Block.decompress(block, upTo: 8 << 20))
    }

    /// Hands over a skippable frame that has been read whole, and returns to the boundary.
    private func finishSkippable(_ skippable: ([UInt8]) throws(JournalError) -> Void) throws(JournalError) {
        guard case .skipping(let magic, 0, let payload) = mode else { return }
        mode = .boundary([])
        if let payload {
            lastCollectedMagic = magic
            try skippable(payload)
        }
    }

    /// Feeds `input[offset...]` to liblz4 until the input or the frame ends; returns the new offset.
    private func decompress(_ input: [UInt8], from start: Int, into sink: ([UInt8]) throws(JournalError) -> Void)
        throws(JournalError) -> Int
    {
        var offset = start
        while offset < input.count {
            var srcSize = input.count - offset
            var dstSize = output.count
            let hint = input.withUnsafeBytes { src in
                output.withUnsafeMutableBytes { dst in
                    LZ4F_decompress(context, dst.baseAddress, &dstSize, src.baseAddress! + offset, &srcSize, nil)
                }
            }
            guard LZ4F_isError(hint) == 0 else {
                throw JournalError(.badInput, "not a valid LZ4 frame: \(LZ4FrameErrorName.words(hint))")
            }
            offset += srcSize
            if dstSize > 0 { try sink(Array(output[0..<dstSize])) }
            if hint == 0 {
                mode = .boundary([])
                return offset
            }
            if srcSize == 0 && dstSize == 0 { break }
        }
        return offset
    }

    private static func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var v: UInt32 = 0
        for (k, b) in bytes.enumerated() { v |= UInt32(b) << (8 * UInt32(k)) }
        return v
    }
}

/// liblz4's name of a frame error in words: `ERROR_decompressionFailed` is "decompression failed".
enum LZ4FrameErrorName {
    static func words(_ code: Int) -> String {
        var name = String(cString: LZ4F_getErrorName(code))
        if name.hasPrefix("ERROR_") { name.removeFirst(6) }
        // `GENERIC` whole; `contentChecksum_invalid` word by word.
        if name == name.uppercased() { return name.lowercased().replacingOccurrences(of: "_", with: " ") }
        var out = ""
        for c in name {
            if c.isUppercase {
                out += " " + c.lowercased()
            } else {
                out.append(c == "_" ? " " : c)
            }
        }
        return out.trimmingCharacters(in: .whitespaces)
    }
}
