import PlanJournalCore

extension JournalReader {
    /// The chunk's events as appended: its body decompressed and, when it holds
    /// ``StringReference``s, with each replaced by the string it names (read over this reader's
    /// connection, so inside a transaction the chunks written in it are found too).
    /// - Throws: `.corrupt` for a damaged chunk, or a reference that names no stored string.
    func expandedBody(of chunk: ChunkRow, run: String) throws(JournalError) -> [UInt8] {
        if let expanded = chunk.expanded { return expanded }
        let stored = try chunk.stored(run: run, journal: path, dictionary: try chunk.dictionary.map(dictionaries.dictionary))
        guard chunk.hasReferences else { return stored }
        do {
            return try StringReference.expand(stored) { (reference) throws(JournalError) in
                try string(reference, depth: 1)
            }
        } catch {
            throw error.adding(journalPath: path, run: run, seq: chunk.firstSeq)
        }
    }

    /// The bytes `reference` names, from the (cached) chunk that holds its event: sliced from its
    /// line as stored, which holds the string itself (only its own references before the string,
    /// if any, are resolved).
    private func string(_ reference: StringReference, depth: Int) throws(JournalError) -> ArraySlice<UInt8> {
        // A reference always names an event stored before it; a longer path is a damaged journal.
        guard depth <= 64 else { throw JournalError(.corrupt, "stored string references form a loop") }
        if let known = referencedChunks.string(reference) { return known[...] }
        let chunk: ReferencedChunks.Entry
        if let cached = referencedChunks.entry(rid: reference.rid, seq: reference.seq) {
            chunk = cached
        } else {
            guard let row = try chunks(rid: reference.rid, from: reference.seq, to: reference.seq).first else {
                throw JournalError(
                    .corrupt, "a stored string reference names seq \(reference.seq) of a run whose events are missing")
            }
            let stored: [UInt8]
            do {
                stored = try row.stored(run: "", journal: path, dictionary: try row.dictionary.map(dictionaries.dictionary))
            } catch {
                // The damage is in another run's chunk: named, so the reader of a report knows
                // which run to restore (its name is looked up only here, not on every read).
                let owner = (try? run(rid: reference.rid))??.id ?? "#\(reference.rid)"
                throw JournalError(
                    .corrupt,
                    "it holds text stored once in run \(owner) (its chunk of seq \(row.firstSeq)-\(row.lastSeq)), which is damaged: \(error.message)")
            }
            chunk = ReferencedChunks.Entry(rid: reference.rid, first: row.firstSeq, last: row.lastSeq, stored: stored)
            referencedChunks.add(chunk)
        }
        guard var line = chunk.line(reference.seq) else {
            throw JournalError(.corrupt, "a stored string reference names seq \(reference.seq) of a damaged chunk")
        }
        let end = reference.offset + reference.length
        if ByteSearch.firstIndex(of: StringReference.marker, in: line.span, 0..<min(end, line.count)) != nil {
            line = try StringReference.expand(Array(line)) { (inner) throws(JournalError) in
                try string(inner, depth: depth + 1)
            }[...]
        }
        guard reference.offset >= 0, end <= line.count else {
            throw JournalError(.corrupt, "a stored string reference points past the event it names")
        }
        let bytes = Array(line[(line.startIndex + reference.offset)..<(line.startIndex + end)])
        referencedChunks.add(reference, bytes)
        return bytes[...]
    }
}

/// The strings references were last resolved to (a prompt or file repeated in many runs is
/// read once), and the chunks they came from, most recent first: the strings a chunk references
/// mostly sit in a few chunks (the runs that first read a file, first sent a prompt).
///
/// Not `Sendable`: it belongs to one connection's reader.
final class ReferencedChunks {
    struct Entry {
        var rid: Int64
        var first: Int64
        var last: Int64
        /// The chunk's JSON Lines as stored (string references not resolved).
        var body: [UInt8]
        /// Where each event's line starts in `body`.
        var starts: [Int] = []

        init(rid: Int64, first: Int64, last: Int64, stored body: [UInt8]) {
            (self.rid, self.first, self.last, self.body) = (rid, first, last, body)
            var k = 0
            while k < body.count {
                starts.append(k)
                k = (CanonicalScan.firstNewline(in: body, from: k) ?? body.count) + 1
            }
        }

        /// The line of event `seq` (without its newline).
        func line(_ seq: Int64) -> ArraySlice<UInt8>? {
            let k = Int(seq - first)
            guard k >= 0, k < starts.count else { return nil }
            let end =
                k + 1 < starts.count ? starts[k + 1] - 1 : body.count - (body.last == UInt8(ascii: "\n") ? 1 : 0)
            return body[starts[k]..<max(starts[k], end)]
        }
    }

    private var entries: [Entry] = []
    private var entryBytes = 0
    /// Bytes of chunks kept (besides the latest): about four of 128 KiB.
    private let chunkBudget = 512 << 10
    private var strings: [StringReference: [UInt8]] = [:]
    private var stringBytes = 0
    /// Bytes of strings kept.
    private let stringBudget = 512 << 10

    func string(_ reference: StringReference) -> [UInt8]? { strings[reference] }

    func add(_ reference: StringReference, _ bytes: [UInt8]) {
        if stringBytes + bytes.count > stringBudget {
            strings.removeAll()
            stringBytes = 0
        }
        strings[reference] = bytes
        stringBytes += bytes.count
    }

    func entry(rid: Int64, seq: Int64) -> Entry? {
        guard let k = entries.firstIndex(where: { $0.rid == rid && $0.first <= seq && seq <= $0.last }) else { return nil }
        if k > 0 { entries.insert(entries.remove(at: k), at: 0) }
        return entries[0]
    }

    func add(_ entry: Entry) {
        entries.insert(entry, at: 0)
        entryBytes += entry.body.count
        while entries.count > 1 && entryBytes > chunkBudget { entryBytes -= entries.removeLast().body.count }
    }

    /// Forgets every chunk (the transaction that wrote some of them was rolled back or undone).
    func reset() {
        entries.removeAll()
        entryBytes = 0
        strings.removeAll()
        stringBytes = 0
    }
}
