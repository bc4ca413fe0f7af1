import CLZ4
import PlanJournalCore

/// LZ4 block compression (liblz4): one buffer in, one buffer out, no framing.
///
/// The stored length of the original is kept beside the block (``decompress(_:originalLength:)``
/// needs it). LZ4 block format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md
enum LZ4Block {
    /// The most bytes one byte of an LZ4 block can decode to: a match's length grows by 255 per
    /// byte of its length field.
    static let maxExpansion = 256

    /// Compresses `input`; level 0 is LZ4 fast, 1...12 LZ4 HC at that level.
    static func compress(_ input: some Collection<UInt8>, level: Int32) -> [UInt8] {
        let source = Array(input)
        guard !source.isEmpty else { return [] }
        let bound = Int(LZ4_compressBound(Int32(source.count)))
        // Not zeroed first: only the bytes liblz4 writes are kept (none when it fails).
        return [UInt8](unsafeUninitializedCapacity: bound) { dst, count in
            let written = source.withUnsafeBytes { src in
                let s = src.baseAddress!.assumingMemoryBound(to: CChar.self)
                let d = UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self)
                return level <= 0
                    ? LZ4_compress_default(s, d, Int32(source.count), Int32(bound))
                    : LZ4_compress_HC(s, d, Int32(source.count), Int32(bound), level)
            }
            count = Int(max(0, written))
        }
    }

    /// Decompresses a block of at most `capacity` bytes once decoded, whose length is not stored
    /// (the blocks of the legacy frame format, `lz4 -l`).
    /// - Throws: ``JournalError`` `.badInput` when the block does not decode.
    static func decompress(_ input: [UInt8], upTo capacity: Int) throws(JournalError) -> [UInt8] {
        var n: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: capacity) { dst, count in
            n = input.withUnsafeBytes { src in
                LZ4_decompress_safe(
                    src.baseAddress?.assumingMemoryBound(to: CChar.self),
                    UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(input.count),
                    Int32(capacity))
            }
            count = max(0, Int(n))
        }
        guard n >= 0 else { throw JournalError(.badInput, "a block of the legacy LZ4 format does not decode") }
        return out
    }

    /// Decompresses a block whose original length is known; `dictionary` is the one it was
    /// compressed against (empty for none).
    /// - Throws: ``JournalError`` `.corrupt` when the block is damaged.
    static func decompress(_ input: [UInt8], dictionary: [UInt8] = [], originalLength: Int) throws(JournalError)
        -> [UInt8]
    {
        guard originalLength > 0 else { return [] }
        // A stored length is not covered by the body's checksum: one no block of this size can
        // decode to is damage, found before any memory is reserved for it.
        guard originalLength <= min(Int(Int32.max), (input.count + 1) * maxExpansion) else {
            throw JournalError(
                .corrupt, "an LZ4 block of \(input.count) bytes is said to hold \(originalLength) bytes, more than it can")
        }
        var n: Int32 = 0
        // Not zeroed first: liblz4 writes every byte, or fails (and the bytes are not used).
        let out = [UInt8](unsafeUninitializedCapacity: originalLength) { dst, count in
            n = dictionary.withUnsafeBytes { dict in
                input.withUnsafeBytes { src in
                    LZ4_decompress_safe_usingDict(
                        src.baseAddress?.assumingMemoryBound(to: CChar.self),
                        UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(input.count),
                        Int32(originalLength), dict.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(dict.count))
                }
            }
            count = n == originalLength ? originalLength : 0
        }
        guard n == originalLength else {
            throw JournalError(.corrupt, "an LZ4 block does not decode (liblz4 returned \(n))")
        }
        return out
    }
}
