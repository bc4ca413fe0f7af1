import PlanJournalCore

extension Journal {
    /// Recomputes each run's catalog row (goal, status, times, tokens, cost: what `planj runs`
    /// lists) from its events where the two differ. An older planj counted some values otherwise
    /// (a token count written as `2.0` counted 0), and `verify` reports such a row as differing
    /// from the events. Events, hashes, chunks and snapshots are not touched.
    /// - Returns: the ids of the runs whose row was rewritten.
    /// - Complexity: O(events): every run is folded from its first event.
    public func refreshCatalog() throws(JournalError) -> [String] {
        let rows = try withReader { (r) throws(JournalError) in try r.allRuns() }
        var refreshed: [String] = []
        for row in rows {
            let state = try fold(PlanProjection(), run: row.id, upTo: row.headSeq)
            guard Self.catalogMismatch(row, state) != nil else { continue }
            var updated = row
            updated.summarize(state)
            try withWriter { (w) throws(JournalError) in
                // Only while the run is as folded: a writer that moved its head meanwhile wrote a current row.
                _ = try w.db.transaction { () throws(JournalError) in
                    try w.writeHead(updated, replacing: (row.headSeq, row.headHash), chunk: nil)
                }
                w.dropCache()
            }
            refreshed.append(row.id)
        }
        return refreshed
    }
}
