import PlanJournalCore

extension Journal {
    /// Starts a new run that shares `run`'s events 1...`seq` (read through the parent, nothing
    /// copied) and continues on its own from `seq + 1`.
    /// - Parameters:
    ///   - seq: the last shared event (1...head).
    ///   - id: the new run's id.
    /// - Throws: `.notFound`; `.conflict` when `id` exists; `.invalidEvent` for a bad seq.
    public func fork(_ run: String, at seq: Int64, as id: String) throws(JournalError) -> RunSummary {
        try withWriter { (w) throws(JournalError) in
            try w.db.transaction { () throws(JournalError) in
                let parent = try w.reader.requireRun(run)
                guard seq >= 1 && seq <= parent.headSeq else {
                    throw JournalError.invalid(nil, "a fork point must be within 1...\(parent.headSeq)", run: run, seq: seq)
                }
                if let problem = JournalEvent.runIDProblem(id) { throw JournalError.invalid("run", "a run id \(problem)") }
                guard try w.reader.run(named: id) == nil else {
                    throw JournalError(
                        .conflict, "a run with this id already exists: name the fork another way (`planj runs --forks-of \(run)` lists its forks)",
                        context: .init(run: id))
                }
                let hash = try w.reader.chainHash(of: parent, at: seq)
                let state = try w.reader.state(of: parent, at: seq)
                try w.db.statement(
                    """
                    INSERT INTO runs(id, parent, fork_seq, fork_hash, head_seq, head_hash, goal, status, started_at,
                      ended_at, input_tokens, output_tokens, cost_usd)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
                ).bind(
                    .text(id), .int(parent.rid), .int(seq), .blob(hash), .int(seq), .blob(hash),
                    // A fork at or after the parent's run.completed has ended as the parent did.
                    state.goal.map { .text($0) } ?? .null, .text(state.status),
                    state.startedAt.map { .int($0.microseconds) } ?? .null, state.endedAt.map { .int($0.microseconds) } ?? .null,
                    .int(state.totals.inputTokens), .int(state.totals.outputTokens), .double(state.totals.costUSD)
                ).run()
                guard let row = try w.reader.run(named: id) else {
                    throw JournalError(.io, "the fork was not written", context: .init(run: id))
                }
                return Self.summary(row, parentID: parent.id)
            }
        }
    }
}
