import CLZ4
import PlanJournalCore

/// Writes a standard LZ4 frame (what the `lz4` command reads), piece by piece.
///
/// LZ4 frame format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md
final class LZ4FrameEncoder {
    private var context: OpaquePointer?
    private var preferences = LZ4F_preferences_t()
    private var scratch: [UInt8] = []

    /// - Parameter level: 0 fast, up to 12 (HC); frames carry a content checksum.
    init(level: Int32 = 9) throws(JournalError) {
        var ctx: OpaquePointer?
        let rc = LZ4F_createCompressionContext(&ctx, clz4_frame_version())
        guard LZ4F_isError(rc) == 0, let ctx else {
            throw JournalError(.io, "cannot create an LZ4 frame context")
        }
        context = ctx
        preferences.compressionLevel = level
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.frameInfo.blockSizeID = LZ4F_max256KB
    }

    deinit { LZ4F_freeCompressionContext(context) }

    /// The frame header.
    func begin() throws(JournalError) -> [UInt8] {
        scratch = [UInt8](repeating: 0, count: Int(LZ4F_HEADER_SIZE_MAX))
        let n = scratch.withUnsafeMutableBytes { LZ4F_compressBegin(context, $0.baseAddress, $0.count, &preferences) }
        return try take(n)
    }

    /// Compressed bytes for `input` (possibly none until enough is buffered).
    func update(_ input: [UInt8]) throws(JournalError) -> [UInt8] {
        let bound = LZ4F_compressBound(input.count, &preferences)
        if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
        let n = input.withUnsafeBytes { src in
            scratch.withUnsafeMutableBytes { dst in
                LZ4F_compressUpdate(context, dst.baseAddress, dst.count, src.baseAddress, src.count, nil)
            }
        }
        return try take(n)
    }

    /// The rest of the frame: buffered data, end mark and checksum.
    func end() throws(JournalError) -> [UInt8] {
        let bound = LZ4F_compressBound(0, &preferences)
        if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
        let n = scratch.withUnsafeMutableBytes { LZ4F_compressEnd(context, $0.baseAddress, $0.count, nil) }
        return try take(n)
    }

    private func take(_ n: Int) throws(JournalError) -> [UInt8] {
        guard LZ4F_isError(n) == 0 else {
            throw JournalError(.io, "LZ4 frame compression failed: \(LZ4FrameErrorName.words(n))")
        }
        return Array(scratch[0..<n])
    }
}

extension LZ4FrameEncoder {
    /// A skippable frame: `magic` (`0x184D2A50`-`0x184D2A5F`), the payload's size (4 bytes, little
    /// endian), then the payload. LZ4 decoders (the `lz4` command too) skip it.
    static func skippableFrame(magic: UInt32, payload: [UInt8]) -> [UInt8] {
        precondition(LZ4FrameDecoder.isSkippable(magic) && payload.count <= Int(UInt32.max))
        var out: [UInt8] = []
        out.reserveCapacity(8 + payload.count)
        for v in [magic, UInt32(payload.count)] {
            for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) }
        }
        return out + payload
    }
}
