import Crypto
import PlanJournalCore

/// One stored chunk: a run's consecutive events as JSON Lines, LZ4-compressed.
struct ChunkRow: Sendable {
    var cid: Int64
    var firstSeq: Int64
    var lastSeq: Int64
    var codec: Int64
    var rawLength: Int
    /// The chain hash after `lastSeq`.
    var hash: [UInt8]
    /// The checksum of `body` (``checksum(_:)``): catches a changed stored byte even where the
    /// decoded events would come out the same.
    var bodySum: [UInt8]
    /// The dictionary the body was compressed against, if any.
    var dictionary: Int64?
    var body: [UInt8]
    /// The chunk's events as appended, when its string references were resolved ahead
    /// (``JournalReader/ChunkSource``), so that any thread may read them.
    var expanded: [UInt8]? = nil

    /// Set in `codec` when the chunk holds ``StringReference``s.
    static let referencesFlag: Int64 = 8

    /// Whether the chunk holds ``StringReference``s, resolved over a connection.
    var hasReferences: Bool { codec & Self.referencesFlag != 0 }

    /// The checksum a chunk written now carries: XXH64 of its body, eight bytes.
    static func checksum(_ body: [UInt8]) -> [UInt8] {
        XXH64.digest(body)
    }

    /// Whether `sum` is the checksum of `body`: XXH64 (eight bytes, format version 4 on), or the
    /// first 16 bytes of SHA-256 that chunks of older journals carry.
    static func checksum(_ body: [UInt8], matches sum: [UInt8]) -> Bool {
        switch sum.count {
        case 8: XXH64.digest(body) == sum
        case 16: Array(SHA256.hash(data: body).prefix(16)) == sum
        default: false
        }
    }

    /// The chunk's JSON Lines, decoded.
    func lines(run: String, reader: JournalReader) throws(JournalError) -> [ArraySlice<UInt8>] {
        let raw = try reader.expandedBody(of: self, run: run)
        let journal = reader.path
        let out = Self.lines(of: raw)
        if out.count != Int(lastSeq - firstSeq + 1) || raw.last != UInt8(ascii: "\n") {
            throw wrongCount(run: run, journal: journal)
        }
        return out
    }

    /// The chunk's JSON Lines as one buffer (each line ending in a newline), checked to hold its
    /// events: for writing them into another chunk without splitting them.
    func body(run: String, reader: JournalReader) throws(JournalError) -> [UInt8] {
        let raw = try reader.expandedBody(of: self, run: run)
        let journal = reader.path
        var count = 0
        var start = 0
        while let end = CanonicalScan.firstNewline(in: raw, from: start), end > start {
            count += 1
            start = end + 1
        }
        guard count == Int(lastSeq - firstSeq + 1), start == raw.count else { throw wrongCount(run: run, journal: journal) }
        return raw
    }

    /// The chunk's events as appended, from its body decompressed against `dictionary` (the one
    /// the chunk names, already loaded: this form needs no connection, so any thread may call it);
    /// a chunk with string references must have been resolved ahead (``expanded``).
    func decoded(run: String, journal: String, dictionary: CompressionDictionary?) throws(JournalError) -> [UInt8] {
        guard hasReferences else { return try stored(run: run, journal: journal, dictionary: dictionary) }
        guard let expanded else {
            throw JournalError(
                .corrupt, "the string references of seq \(firstSeq)-\(lastSeq) were not resolved",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        return expanded
    }

    /// The chunk's body, checked against its checksum and decompressed against `dictionary`: its
    /// events as appended, but for the ``StringReference``s it may hold.
    func stored(run: String, journal: String, dictionary: CompressionDictionary?) throws(JournalError) -> [UInt8] {
        guard Self.checksum(body, matches: bodySum) else {
            throw JournalError(
                .corrupt, "the stored bytes of seq \(firstSeq)-\(lastSeq) do not match their checksum",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        guard let c = Codec(rawValue: codec & ~Self.referencesFlag) else {
            throw JournalError(
                .corrupt, "chunk of seq \(firstSeq)-\(lastSeq) has unknown codec \(codec)",
                context: .init(journalPath: journal, run: run, seq: firstSeq))
        }
        do {
            return try c.decode(body, rawLength: rawLength, dictionary: dictionary)
        } catch {
            throw error.adding(journalPath: journal, run: run, seq: firstSeq)
        }
    }

    private func wrongCount(run: String, journal: String) -> JournalError {
        JournalError(
            .corrupt, "chunk of seq \(firstSeq)-\(lastSeq) holds the wrong number of events",
            context: .init(journalPath: journal, run: run, seq: firstSeq))
    }

    /// Calls `body` with each event of the chunk with seq in `from...to`, read in one pass over the
    /// decoded lines (events before `from` are skipped unparsed; reading stops after `to`).
    /// - Throws: `.corrupt` for a damaged chunk or a stored line that does not parse; what `body` throws.
    func forEachEvent(
        run: String, from: Int64, to: Int64, journal: String, dictionary: CompressionDictionary?,
        _ body: (JournalEvent) throws(JournalError) -> Void
    ) throws(JournalError) {
        let raw = try decoded(run: run, journal: journal, dictionary: dictionary)
        let reader = CanonicalLineReader(runHint: run)
        let newline = UInt8(ascii: "\n")
        var pos = 0
        var seq = firstSeq
        while pos < raw.count {
            if raw[pos] == newline {
                pos += 1
                continue
            }
            if seq > to {
                // Past the range asked for; past the chunk's own last seq, a line is one too many.
                if seq > lastSeq { throw wrongCount(run: run, journal: journal) }
                return
            }
            var end: Int
            if seq < from {
                end = ByteScan.firstIndex(of: newline, in: raw, from: pos) ?? raw.count
            } else {
                let event: JournalEvent
                if let (e, stop) = reader.read(raw, at: pos), stop < raw.count, raw[stop] == newline {
                    event = e
                    end = stop
                } else {
                    end = ByteScan.firstIndex(of: newline, in: raw, from: pos) ?? raw.count
                    do {
                        event = try JournalEvent(parsing: Array(raw[pos..<end]))
                    } catch {
                        throw JournalError(
                            .corrupt, "a stored event does not parse: \(error.message)",
                            context: .init(journalPath: journal, run: run, seq: seq))
                    }
                }
                guard event.seq == seq else {
                    throw JournalError(
                        .corrupt, "the event stored at seq \(seq) says it is seq \(event.seq)",
                        context: .init(journalPath: journal, run: run, seq: seq))
                }
                try body(event)
            }
            pos = end + 1
            seq += 1
        }
        if seq - 1 != lastSeq || raw.last != newline { throw wrongCount(run: run, journal: journal) }
    }

    /// The events of the chunk with seq in `from...to` (see ``forEachEvent(run:from:to:journal:dictionary:_:)``).
    func events(run: String, from: Int64, to: Int64, journal: String, dictionary: CompressionDictionary?)
        throws(JournalError) -> [JournalEvent]
    {
        var out: [JournalEvent] = []
        out.reserveCapacity(Int(min(lastSeq, to) - max(firstSeq, from) + 1))
        try forEachEvent(run: run, from: from, to: to, journal: journal, dictionary: dictionary) { out.append($0) }
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
