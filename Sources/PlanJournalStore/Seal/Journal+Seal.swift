import PlanJournalCore

extension Journal {
    /// Seals `run` as it stands: signs its chain hash at its last seq with `key` and stores the seal.
    ///
    /// The chain is recomputed from the stored events first, so a run whose events were already
    /// changed is refused rather than blessed. Events appended later leave the seal valid (it
    /// covers the prefix up to its seq); seal again to cover them too.
    /// - Returns: the stored seal.
    /// - Throws: `.notFound`; `.chainBroken` / `.corrupt` when the run fails verification; `.io`.
    public func seal(run: String, with key: SealingKey) throws(JournalError) -> Seal {
        try withWriter { (writer) throws(JournalError) in
            do throws(JournalError) {
                return try writer.db.transaction { () throws(JournalError) in
                    let r = JournalReader(db: writer.db)
                    let row = try r.requireRun(run)
                    let walk = try r.walkChain(of: row, wanted: [row.headSeq])
                    guard walk.hashes[row.headSeq] == row.headHash, walk.brokenChunk == nil else {
                        throw JournalError(
                            .chainBroken,
                            "the run's stored events do not match its hash chain, so it cannot be sealed (see `planj verify`)",
                            context: .init(run: run, seq: walk.brokenChunk?.lowerBound))
                    }
                    let seal = try Seal.make(
                        run: row.id, seq: row.headSeq, hash: row.headHash, trail: walk.trail, key: key, at: .now)
                    try r.insert(seal, rid: row.rid)
                    return seal
                }
            } catch {
                throw error.adding(journalPath: displayPath, run: run)
            }
        }
    }

    /// The stored seals of `run`, oldest first (no check is made: see ``checkSeals(run:trusting:)``).
    /// - Throws: `.notFound`, `.io`.
    public func seals(of run: String) throws(JournalError) -> [Seal] {
        try withReader { (r) throws(JournalError) in
            let row = try r.requireRun(run)
            return try r.seals(of: row)
        }
    }

    /// Checks every seal of `run`: its signature, that the events up to its seq still hash to what
    /// it signed (the chain is recomputed from the stored events), and, when `trusted` is not
    /// empty, that its key is trusted.
    ///
    /// One result per seal, in the order stored; with `trusted` keys and no seal by any of them, an
    /// extra ``SealCheck/Status/unsealed`` result. A run with no seal and no trusted keys gives `[]`.
    /// - Parameter trusted: the keys whose seals count (empty: any key, only integrity is checked).
    /// - Throws: `.notFound`, `.io`; what the checks find is in the results, not thrown.
    /// - Complexity: O(events up to the highest sealed seq).
    public func checkSeals(run: String, trusting trusted: [SealPublicKey] = []) throws(JournalError) -> [SealCheck] {
        try withReader { (r) throws(JournalError) in
            try r.checkSeals(of: try r.requireRun(run), trusting: Set(trusted))
        }
    }
}

extension JournalReader {
    /// What recomputing a run's chain found.
    struct ChainWalk {
        /// The recomputed chain hash after each wanted seq (seqs past a damaged chunk are missing).
        var hashes: [Int64: [UInt8]] = [:]
        /// The first ``Seal/trailBytesPerEvent`` bytes of each of those hashes, in seq order.
        var trail: [UInt8] = []
        /// The seqs of the first fully read chunk whose recomputed hash differs from its stored one,
        /// or that cannot be decoded.
        var brokenChunk: ClosedRange<Int64>?
    }

    /// Recomputes `row`'s chain from its first event (through the parent of a fork) up to the
    /// highest wanted seq, trusting no stored hash, and compares it with the stored chunk hashes.
    /// - Parameter wanted: the seqs whose whole hash ``ChainWalk/hashes`` keeps; `limit` is the highest.
    func walkChain(of row: RunRow, wanted: Set<Int64>) throws(JournalError) -> ChainWalk {
        var walk = ChainWalk()
        guard let limit = wanted.max(), limit >= 1 else { return walk }
        var chain = HashChain()
        for segment in try lineage(of: row, from: 1, to: limit) {
            guard try walkChain(segment.row, upTo: segment.to, wanted: wanted, chain: &chain, into: &walk) else { break }
        }
        return walk
    }

    /// Walks the chunks `row` stores itself up to `limit`; false when it stopped at a damaged chunk.
    private func walkChain(
        _ row: RunRow, upTo limit: Int64, wanted: Set<Int64>, chain: inout HashChain, into walk: inout ChainWalk
    ) throws(JournalError) -> Bool {
        // A batch of chunks at a time: memory stays bounded however long the run.
        var source = ChunkSource(reader: self, run: row.id, rid: row.rid, from: row.firstOwnSeq, to: limit)
        while let chunk = try source.nextChunk() {
            let lines: [ArraySlice<UInt8>]
            do {
                lines = try chunk.lines(run: row.id, reader: self)
            } catch {
                if walk.brokenChunk == nil { walk.brokenChunk = chunk.firstSeq...chunk.lastSeq }
                return false
            }
            var whole = chain
            for (k, line) in lines.enumerated() {
                let seq = chunk.firstSeq + Int64(k)
                whole.append(line)
                if seq <= limit {
                    chain = whole
                    if wanted.contains(seq) { walk.hashes[seq] = chain.head }
                    walk.trail += chain.head.prefix(Seal.trailBytesPerEvent)
                }
            }
            if whole.head != chunk.hash, walk.brokenChunk == nil {
                walk.brokenChunk = chunk.firstSeq...chunk.lastSeq
            }
        }
        return true
    }

    /// The seals of `row`, oldest first.
    func seals(of row: RunRow) throws(JournalError) -> [Seal] {
        let s = try db.statement(
            "SELECT seq, hash, trail, public_key, signature, sealed_at FROM seals WHERE rid = ? ORDER BY sid"
        ).bind(.int(row.rid))
        defer { s.reset() }
        var out: [Seal] = []
        while try s.step() {
            // A stored key that is not 32 bytes cannot verify anything: keep it so the signature check fails.
            out.append(
                Seal(
                    run: row.id, seq: s.int(0), hash: HashChain.hex(s.blob(1)), trail: s.blob(2),
                    publicKey: SealPublicKey(trusted: s.blob(3)), signature: s.blob(4),
                    sealedAt: Timestamp(microseconds: s.int(5))))
        }
        return out
    }

    /// Stores `seal` for the run with row id `rid` (inside the caller's transaction); a seal already
    /// stored (same run and signature) is left as it is.
    func insert(_ seal: Seal, rid: Int64) throws(JournalError) {
        guard let hash = HashChain.bytes(hex: seal.hash) else {
            throw JournalError(.corrupt, "the seal's hash is not 64 hex digits", context: .init(run: seal.run))
        }
        try db.statement(
            """
            INSERT INTO seals(rid, seq, hash, trail, key_id, public_key, signature, sealed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """
        ).bind(
            .int(rid), .int(seal.seq), .blob(hash), .blob(seal.trail), .text(seal.keyID), .blob(seal.publicKey.rawRepresentation),
            .blob(seal.signature), .int(seal.sealedAt.microseconds)
        ).run()
    }

    /// Checks the seals of `row`: see ``Journal/checkSeals(run:trusting:)``.
    func checkSeals(of row: RunRow, trusting trusted: Set<SealPublicKey>) throws(JournalError) -> [SealCheck] {
        try checkSeals(try seals(of: row), of: row, trusting: trusted)
    }

    /// Checks `seals` (of `row`, stored or about to be) against `row`'s recomputed chain.
    func checkSeals(_ seals: [Seal], of row: RunRow, trusting trusted: Set<SealPublicKey>) throws(JournalError)
        -> [SealCheck]
    {
        let walk = try walkChain(of: row, wanted: Set(seals.map(\.seq)))
        var out: [SealCheck] = []
        var trustedSeal = false
        /// The last seq a valid seal by a trusted key covers.
        var signedThrough: Int64 = 0
        for seal in seals {
            let who = "the seal by key \(seal.keyID) over seq 1-\(seal.seq)"
            func result(_ status: SealCheck.Status, _ seq: Int64?, _ message: String) {
                out.append(SealCheck(run: row.id, seal: seal, status: status, seq: seq, message: message))
            }
            guard seal.isSignatureValid else {
                result(.signatureInvalid, seal.seq, "\(who) has a signature that does not verify: the seal was changed")
                continue
            }
            if trusted.contains(seal.publicKey) { trustedSeal = true }
            if seal.seq > row.headSeq {
                result(
                    .changedAfterSealing, row.headSeq + 1,
                    "\(who) covers events that are gone: the run now ends at seq \(row.headSeq)")
                continue
            }
            if walk.hashes[seal.seq].map(HashChain.hex) != seal.hash {
                // The trail is signed, so where the recomputed chain leaves it is the first change;
                // past a damaged chunk nothing was recomputed, so the change is there at the latest.
                let first = seal.firstDifference(from: walk.trail) ?? walk.brokenChunk?.lowerBound
                result(
                    .changedAfterSealing, first,
                    first.map { "the event at seq \($0) was changed after sealing: \(who) no longer matches the events" }
                        ?? "an event at or before seq \(seal.seq) was changed after sealing: \(who) no longer matches the events")
                continue
            }
            if !trusted.isEmpty, !trusted.contains(seal.publicKey) {
                result(.untrustedKey, seal.seq, "\(who) is sound, but key \(seal.keyID) is not trusted")
                continue
            }
            result(.valid, seal.seq, "\(who) is valid")
            if trusted.contains(seal.publicKey) { signedThrough = max(signedThrough, seal.seq) }
        }
        // Events appended after the last trusted seal are not what the key holder signed.
        if !trusted.isEmpty, trustedSeal, signedThrough > 0, signedThrough < row.headSeq {
            out.append(
                SealCheck(
                    run: row.id, seal: nil, status: .unsealedTail, seq: signedThrough + 1,
                    message: "seq \(signedThrough + 1)-\(row.headSeq) come after the last valid seal by a trusted key "
                        + "(over seq 1-\(signedThrough)): they are not signed; seal the run again to cover them"))
        }
        if !trusted.isEmpty, !trustedSeal {
            let keys = trusted.map(\.keyID).sorted().joined(separator: ", ")
            let others = Set(out.filter { $0.status == .untrustedKey }.compactMap { $0.seal?.keyID }).sorted()
            out.append(
                SealCheck(
                    run: row.id, seal: nil, status: .unsealed, seq: nil,
                    message: "the run has no seal by a trusted key (\(keys))"
                        + (others.isEmpty ? "" : "; it is sealed by \(others.joined(separator: ", ")), not trusted")))
        }
        return out
    }
}
