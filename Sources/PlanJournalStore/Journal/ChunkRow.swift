import Crypto
import PlanJournalCore

/// One stored chunk: a run's consecutive events as JSON Lines, LZ4-compressed.
struct ChunkRow {
    var cid: Int64
    var firstSeq: Int64
    var lastSeq: Int64
    var codec: Int64
    var rawLength: Int
    /// The chain hash after `lastSeq`.
    var hash: [UInt8]
    /// The first 16 bytes of SHA-256 of `body`: catches a changed stored byte even where the
    /// decoded events would come out the same.
    var bodySum: [UInt8]
    /// The dictionary the body was compressed against, if any.
    var dictionary: Int64?
    var body: [UInt8]

    static func checksum(_ body: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: body).prefix(16))
    }

    /// The chunk's JSON Lines, decoded.
    func lines(run: String, journal: String, dictionaries: DictionaryCache) throws(JournalError) -> [ArraySlice<UInt8>] {
        guard Self.checksum(body) == bodySum else {
            throw JournalError(
                .corrupt, "the stored bytes of seq \(firstSeq)-\(lastSeq) do not match their checksum",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        guard let c = Codec(rawValue: codec) else {
            throw JournalError(
                .corrupt, "chunk of seq \(firstSeq)-\(lastSeq) has unknown codec \(codec)",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        let raw: [UInt8]
        do {
            raw = try c.decode(body, rawLength: rawLength, dictionary: try dictionary.map(dictionaries.dictionary))
        } catch {
            throw error.adding(journalPath: journal, run: run, seq: firstSeq)
        }
        let out = Self.lines(of: raw)
        if out.count != Int(lastSeq - firstSeq + 1) || raw.last != UInt8(ascii: "\n") {
            throw JournalError(
                .corrupt, "chunk of seq \(firstSeq)-\(lastSeq) holds the wrong number of events",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        return out
    }

    /// The non-empty lines of `raw`.
    static func lines(of raw: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = 0
        while start < raw.count {
            let end = ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: raw, from: start) ?? raw.count
            if end > start { out.append(raw[start..<end]) }
            start = end + 1
        }
        return out
    }
}
