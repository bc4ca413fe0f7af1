import CLZ4
import PlanJournalCore

/// LZ4 block compression against a shared dictionary (up to 64 KiB of content that recurs across
/// runs: system prompts, plans, files fetched again), so small, independent chunks compress
/// like one long stream.
///
/// Loading a dictionary into an LZ4 stream indexes all of it, which costs as much as compressing
/// a small chunk; so the dictionary is loaded once into a prepared stream state, and each chunk
/// starts from a copy of that state (liblz4's documented alternative to `LZ4_attach_dictionary`,
/// which the shared library does not export).
///
/// Not `Sendable`: it owns liblz4 stream states; use one per thread.
final class LZ4DictionaryCodec {
    private let preparedFast = UnsafeMutablePointer<LZ4_stream_t>.allocate(capacity: 1)
    private let workingFast = UnsafeMutablePointer<LZ4_stream_t>.allocate(capacity: 1)
    private let preparedHC = UnsafeMutablePointer<LZ4_streamHC_t>.allocate(capacity: 1)
    private let workingHC = UnsafeMutablePointer<LZ4_streamHC_t>.allocate(capacity: 1)
    /// The dictionary's bytes at a fixed address (prepared states point into them).
    private let dictionaryBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// What the prepared state holds: ids alone may name another dictionary later (one a rollback
    /// took back is numbered again), so its bytes are compared too (the same buffer compares at once).
    private var prepared: (dictionary: Int64, bytes: [UInt8], level: Int32)?

    init() {
        LZ4_initStream(preparedFast, MemoryLayout<LZ4_stream_t>.size)
        LZ4_initStream(workingFast, MemoryLayout<LZ4_stream_t>.size)
        LZ4_initStreamHC(preparedHC, MemoryLayout<LZ4_streamHC_t>.size)
        LZ4_initStreamHC(workingHC, MemoryLayout<LZ4_streamHC_t>.size)
    }

    deinit {
        preparedFast.deallocate()
        workingFast.deallocate()
        preparedHC.deallocate()
        workingHC.deallocate()
        dictionaryBuffer.deallocate()
    }

    private func prepare(_ dictionary: CompressionDictionary, level: Int32) {
        if let p = prepared, p.dictionary == dictionary.id, p.level == level, p.bytes == dictionary.bytes { return }
        let length = min(dictionary.bytes.count, 64 * 1024)
        dictionary.bytes.withUnsafeBytes { src in
            dictionaryBuffer.copyMemory(from: src.baseAddress!, byteCount: length)
        }
        let d = dictionaryBuffer.assumingMemoryBound(to: CChar.self)
        if level <= 0 {
            LZ4_resetStream_fast(preparedFast)
            LZ4_loadDict(preparedFast, d, Int32(length))
        } else {
            LZ4_resetStreamHC_fast(preparedHC, level)
            LZ4_loadDictHC(preparedHC, d, Int32(length))
        }
        prepared = (dictionary.id, dictionary.bytes, level)
    }

    /// Compresses `input` against `dictionary`; level 0 is LZ4 fast, 1...12 LZ4 HC.
    func compress(_ input: [UInt8], dictionary: CompressionDictionary, level: Int32) -> [UInt8] {
        guard !input.isEmpty else { return [] }
        prepare(dictionary, level: level)
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        // Not zeroed first: only the bytes liblz4 writes are kept (none when it fails).
        return [UInt8](unsafeUninitializedCapacity: bound) { dst, count in
            let written = input.withUnsafeBytes { src in
                let s = src.baseAddress!.assumingMemoryBound(to: CChar.self)
                let o = UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self)
                if level <= 0 {
                    workingFast.update(from: preparedFast, count: 1)
                    return LZ4_compress_fast_continue(workingFast, s, o, Int32(input.count), Int32(bound), 1)
                } else {
                    workingHC.update(from: preparedHC, count: 1)
                    return LZ4_compress_HC_continue(workingHC, s, o, Int32(input.count), Int32(bound))
                }
            }
            count = Int(max(0, written))
        }
    }
}
