import PlanJournalCore

/// How a chunk or snapshot body is encoded.
enum Codec: Int64 {
    case raw = 0
    /// An LZ4 block.
    case lz4 = 1
    /// An LZ4 block compressed against a dictionary of the `dictionaries` table.
    case lz4Dictionary = 2

    /// Encodes `raw` (LZ4 at `level`, against `dictionary` when given, or raw when compression
    /// does not pay).
    static func encode(
        _ raw: [UInt8], level: Int32, dictionary: CompressionDictionary? = nil, codec: LZ4DictionaryCodec? = nil
    ) -> (Codec, [UInt8]) {
        if let dictionary, let codec {
            let packed = codec.compress(raw, dictionary: dictionary, level: level)
            if !packed.isEmpty && packed.count < raw.count { return (.lz4Dictionary, packed) }
        } else {
            let packed = LZ4Block.compress(raw, level: level)
            if !packed.isEmpty && packed.count < raw.count { return (.lz4, packed) }
        }
        return (.raw, raw)
    }

    /// Decodes a body; `dictionary` is needed for ``lz4Dictionary``.
    func decode(_ body: [UInt8], rawLength: Int, dictionary: CompressionDictionary? = nil) throws(JournalError)
        -> [UInt8]
    {
        switch self {
        case .raw:
            guard body.count == rawLength else { throw JournalError(.corrupt, "a stored body has the wrong length") }
            return body
        case .lz4:
            return try LZ4Block.decompress(body, originalLength: rawLength)
        case .lz4Dictionary:
            guard let dictionary else { throw JournalError(.corrupt, "a chunk names a dictionary that is missing") }
            return try LZ4Block.decompress(body, dictionary: dictionary.bytes, originalLength: rawLength)
        }
    }
}
