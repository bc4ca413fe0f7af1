import CLZ4
import PlanJournalCore

/// Reads standard LZ4 frames (one or several concatenated), piece by piece.
final class LZ4FrameDecoder {
    private var context: OpaquePointer?
    private var output = [UInt8](repeating: 0, count: 1 << 20)
    /// Whether the last frame ended cleanly (false while inside a frame).
    private(set) var atFrameBoundary = true

    init() throws(JournalError) {
        var ctx: OpaquePointer?
        let rc = LZ4F_createDecompressionContext(&ctx, clz4_frame_version())
        guard LZ4F_isError(rc) == 0, let ctx else {
            throw JournalError(.io, "cannot create an LZ4 frame decoder")
        }
        context = ctx
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    /// Decodes `input`, passing each piece of output to `sink`.
    /// - Throws: ``JournalError`` `.corrupt` when the input is not a valid LZ4 frame.
    func decode(_ input: [UInt8], into sink: ([UInt8]) throws(JournalError) -> Void) throws(JournalError) {
        var offset = 0
        while offset < input.count {
            var srcSize = input.count - offset
            var dstSize = output.count
            let hint = input.withUnsafeBytes { src in
                output.withUnsafeMutableBytes { dst in
                    LZ4F_decompress(context, dst.baseAddress, &dstSize, src.baseAddress! + offset, &srcSize, nil)
                }
            }
            guard LZ4F_isError(hint) == 0 else {
                throw JournalError(.corrupt, "not a valid LZ4 frame: \(String(cString: LZ4F_getErrorName(hint)))")
            }
            offset += srcSize
            atFrameBoundary = hint == 0
            if dstSize > 0 { try sink(Array(output[0..<dstSize])) }
            if srcSize == 0 && dstSize == 0 { break }
        }
    }
}
