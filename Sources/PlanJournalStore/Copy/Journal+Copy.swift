import PlanJournalCore

extension Journal {
    /// The chain hash (64 hex digits) of `run` after event `seq`: for a seq at or before a fork
    /// point, the parent's. Two runs with the same hash at a seq hold the same events up to it.
    /// - Throws: `.notFound`; `.invalidEvent` when `seq` is not within 1...head.
    /// - Complexity: O(one chunk) events hashed.
    public func chainHash(of run: String, at seq: Int64) throws(JournalError) -> String {
        try withReader { (r) throws(JournalError) in
            let row = try r.requireRun(run)
            guard seq >= 1 && seq <= row.headSeq else {
                throw JournalError.invalid(nil, "seq must be within 1...\(row.headSeq)", run: run, seq: seq)
            }
            return HashChain.hex(try r.chainHash(of: row, at: seq))
        }
    }

    /// Stores seals made elsewhere (read from another journal or a `.pjl` file) after checking
    /// each against the stored events: its signature, and that the run's chain still hashes to
    /// what it signed. Seals already stored are left as they are, so storing twice is harmless.
    /// - Returns: the number of seals newly stored.
    /// - Throws: `.notFound` for a run not in the journal; `.sealBroken` (nothing stored) when a
    ///   seal does not hold, or covers events past the run's head.
    public func storeSeals(_ seals: [Seal]) throws(JournalError) -> Int {
        guard !seals.isEmpty else { return 0 }
        return try withWriter { (w) throws(JournalError) in
            try w.db.transaction { () throws(JournalError) in
                let r = JournalReader(db: w.db)
                var stored = 0
                for (run, group) in Dictionary(grouping: seals, by: \.run).sorted(by: { $0.key < $1.key }) {
                    let row = try r.requireRun(run)
                    for check in try r.checkSeals(group, of: row, trusting: []) {
                        guard check.status == .valid, let seal = check.seal else {
                            throw JournalError(
                                .sealBroken, "a seal does not hold for the stored events: \(check.message)",
                                context: .init(journalPath: displayPath, run: run, seq: check.seq))
                        }
                        try r.insert(seal, rid: row.rid)
                        stored += w.db.changes
                    }
                }
                return stored
            }
        }
    }
}
