import PlanJournalCore

/// Copies runs from a ``CopySource`` to a ``CopyDestination`` with their hashes intact: journal to
/// journal (of any backend), journal to `.pjl` file, `.pjl` file to journal.
///
/// - Forks arrive as forks: the parent first, then ``CopyDestination/fork(_:at:as:)``, then the
///   fork's own events, so nothing is stored twice and the head hashes match the source's.
/// - Resumable: a run the destination already holds in part (an interrupted copy) is continued
///   from its head after checking that the part is the same (chain hash at the destination's
///   head); one held whole is left alone. Copying again never duplicates anything.
/// - A run that differs (another event at some seq, another fork point) is a conflict naming the
///   run and the first differing seq; it is skipped, with its forks, and the other runs are still
///   copied. A destination holding the source's run and more events after it (appended there,
///   or copied by another copy that read the source later) holds the run already.
/// - Seals are copied after their run's events; the destination checks each.
public struct JournalCopier {
    private let source: any CopySource
    private let destination: any CopyDestination
    private let options: CopyOptions

    /// Creates a copier; nothing is read or written until ``copy()``.
    /// - Parameters:
    ///   - source: where the runs are read: a journal or a `.pjl` file.
    ///   - destination: where they are written: a journal or a ``PortableDestination``.
    ///   - options: which runs to copy, and how to report progress.
    public init(from source: any CopySource, to destination: any CopyDestination, options: CopyOptions = CopyOptions()) {
        self.source = source
        self.destination = destination
        self.options = options
    }

    /// The runs the copy would take, parents before their forks.
    /// - Throws: `.notFound` when a run named in ``CopyOptions/runs`` is not in the source.
    public func selectedRuns() throws(JournalError) -> [RunSummary] {
        let all = try source.runs(status: nil, limit: nil)
        // Run ids compared byte for byte, as the catalog compares them.
        var byID = RunKeyed<RunSummary>()
        for run in all where byID[run.id] == nil { byID[run.id] = run }
        for id in options.runs where byID[id] == nil {
            throw JournalError(.notFound, "no run with this id in the copy's source", context: .init(run: id))
        }
        let named = Set(options.runs.map(ExactString.init))
        var chosen = Set<ExactString>()
        for run in all {
            if !named.isEmpty && !named.contains(ExactString(run.id)) { continue }
            if let since = options.since, (run.startedAt ?? Timestamp(microseconds: .min)) < since { continue }
            if let status = options.status, run.status != status { continue }
            // A fork reads its first events through its ancestors: they come along.
            var next: RunSummary? = run
            while let r = next, chosen.insert(ExactString(r.id)).inserted {
                next = r.parent.flatMap { byID[$0] }
            }
        }
        func depth(_ r: RunSummary) -> Int {
            var d = 0
            var p = r.parent
            while let id = p, d < all.count {
                d += 1
                p = byID[id]?.parent
            }
            return d
        }
        // Parents first; then oldest first, so a copy's order is stable.
        return all.filter { chosen.contains(ExactString($0.id)) }.map { (depth($0), $0) }.sorted { a, b in
            if a.0 != b.0 { return a.0 < b.0 }
            let ta = a.1.startedAt?.microseconds ?? 0
            let tb = b.1.startedAt?.microseconds ?? 0
            return ta != tb ? ta < tb : a.1.id < b.1.id
        }.map(\.1)
    }

    /// Copies the selected runs.
    /// - Returns: the report; conflicts are in it, not thrown.
    /// - Throws: what the source or destination throw other than conflicts (I/O, corruption),
    ///   `.notFound` for a named run the source lacks.
    public func copy() async throws(JournalError) -> CopyReport {
        let clock = ContinuousClock()
        let started = clock.now
        let runs = try selectedRuns()
        var report = CopyReport()
        var failed = Set<ExactString>()
        for (k, run) in runs.enumerated() {
            options.progress?(CopyProgress(runsDone: k, runsTotal: runs.count, eventsWritten: report.eventsWritten, run: run.id))
            if let parent = run.parent, failed.contains(ExactString(parent)) {
                failed.insert(ExactString(run.id))
                report.runsSkipped.append(run.id)
                report.conflicts.append(
                    .init(run: run.id, seq: nil, message: "not copied: its parent \(parent) was not copied"))
                continue
            }
            do throws(JournalError) {
                try await copy(run, total: runs.count, done: k, into: &report)
            } catch where error.code == .conflict {
                failed.insert(ExactString(run.id))
                report.runsSkipped.append(run.id)
                report.conflicts.append(
                    .init(run: run.id, seq: error.context.seq, message: error.message))
            } catch where error.isDamage && sourceCannotRead(run) {
                // A damaged run of the source: the others are still copied (a nightly copy must
                // not stop backing up every run after it).
                failed.insert(ExactString(run.id))
                report.runsSkipped.append(run.id)
                report.unreadable.append(.init(run: run.id, seq: error.context.seq, message: error.message, code: error.code.name))
            }
        }
        options.progress?(CopyProgress(runsDone: runs.count, runsTotal: runs.count, eventsWritten: report.eventsWritten, run: nil))
        let d = clock.now - started
        report.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return report
    }

    /// Whether the source fails to read `run` whole (its events or its seals): the damage an
    /// error of the copy named is the source's, not the destination's.
    private func sourceCannotRead(_ run: RunSummary) -> Bool {
        do throws(JournalError) {
            try source.forEachEvent(of: run.id, from: 1, to: run.events) { _ in }
            _ = try source.seals(of: run.id)
            return false
        } catch {
            return error.isDamage
        }
    }

    /// Copies one run whose parent (if any) is already in the destination.
    private func copy(_ run: RunSummary, total: Int, done: Int, into report: inout CopyReport) async throws(JournalError) {
        var head: Int64
        var created = false
        if let existing = try destination.existingRun(run.id) {
            head = try checkExisting(existing, against: run)
            report.eventsAlreadyThere += head - (run.forkSeq ?? 0)
        } else if let parent = run.parent, let forkSeq = run.forkSeq {
            let sourceHash = try source.chainHash(of: parent, at: forkSeq)
            guard try destination.existingRun(parent).map({ $0.events >= forkSeq }) == true,
                try destination.chainHash(of: parent, at: forkSeq) == sourceHash
            else {
                throw conflict(run.id, forkSeq, "its parent \(parent) differs in the destination up to the fork point")
            }
            do {
                _ = try destination.fork(parent, at: forkSeq, as: run.id)
                head = forkSeq
                created = true
            } catch where error.code == .conflict {
                // Another copy made the fork meanwhile: go on from it, if it is the same run.
                guard let existing = try destination.existingRun(run.id) else { throw error }
                head = try checkExisting(existing, against: run)
            }
        } else {
            head = 0
        }
        if head == run.events && !created {
            report.runsAlreadyThere.append(run.id)
        } else {
            // Events are read in slices and each slice appended atomically, so the source's reader
            // is not held across an append and an interrupted copy keeps what it wrote.
            var batch: [JournalEvent] = []
            var next = head + 1
            let limit = Int64(max(1, options.batchEvents))
            while next <= run.events {
                let upper = min(run.events, next + limit - 1)
                batch.removeAll(keepingCapacity: true)
                try source.forEachEvent(of: run.id, from: next, to: upper) { batch.append($0) }
                guard batch.count == Int(upper - next + 1) else {
                    throw JournalError(
                        .corrupt, "the source gave \(batch.count) events for seq \(next)-\(upper)",
                        context: .init(run: run.id, seq: next))
                }
                let result: AppendResult
                do {
                    result = try await destination.append(batch, to: run.id, expecting: head == 0 ? .noRun : .exactly(head))
                } catch where error.code == .conflict {
                    // Another copy (of the same source, say) wrote this run meanwhile: what it
                    // wrote is checked like a run that was there, and the copy goes on after it.
                    guard let existing = try destination.existingRun(run.id) else { throw error }
                    head = try checkExisting(existing, against: run)
                    next = head + 1
                    continue
                }
                report.eventsWritten += Int64(batch.count)
                head = result.lastSeq
                next = upper + 1
                options.progress?(
                    CopyProgress(runsDone: done, runsTotal: total, eventsWritten: report.eventsWritten, run: run.id))
            }
            guard try destination.chainHash(of: run.id, at: run.events) == run.headHash else {
                throw conflict(run.id, run.events, "the copy's head hash differs from the source's")
            }
            report.runsCopied.append(run.id)
        }
        let seals = try source.seals(of: run.id).filter { $0.seq <= run.events }
        report.sealsWritten += try destination.storeSeals(seals)
    }

    /// Checks that the destination's `existing` run is `run` or a prefix of it, returning its head.
    private func checkExisting(_ existing: RunSummary, against run: RunSummary) throws(JournalError) -> Int64 {
        if try !sameLineage(existing, run) {
            let what = run.parent.map { "a fork of \($0) at seq \(run.forkSeq ?? 0)" } ?? "not a fork"
            let there = existing.parent.map { "a fork of \($0) at seq \(existing.forkSeq ?? 0)" } ?? "not a fork"
            throw conflict(run.id, nil, "the run is \(what) in the source but \(there) in the destination")
        }
        let first = (run.forkSeq ?? 0) + 1
        if existing.events > run.events {
            // The destination holds the source's run and more after it: events appended there,
            // another copy that read the source later, or a source holding only the part a fork
            // shares. Nothing is missing: the run is there.
            if try destination.chainHash(of: run.id, at: run.events) == run.headHash { return run.events }
            let seq = try firstDifference(run.id, from: first, to: run.events)
            throw conflict(run.id, seq, "the destination holds another event at seq \(seq)")
        }
        if existing.events > 0, try source.chainHash(of: run.id, at: existing.events) != existing.headHash {
            guard existing.events >= first else {
                throw conflict(run.id, existing.events, "the fork point differs between source and destination")
            }
            let seq = try firstDifference(run.id, from: first, to: existing.events)
            throw conflict(run.id, seq, "the destination holds another event at seq \(seq)")
        }
        return existing.events
    }

    /// Whether the destination's run forks where the source's does, from the same events: its
    /// parent may be named differently (a fork of a fork imported alone from a .pjl names the run
    /// that owns the events it shares, not the fork between).
    private func sameLineage(_ existing: RunSummary, _ run: RunSummary) throws(JournalError) -> Bool {
        if existing.parent == run.parent && existing.forkSeq == run.forkSeq { return true }
        guard existing.parent != nil, run.parent != nil, let seq = run.forkSeq, existing.forkSeq == seq else { return false }
        return try destination.chainHash(of: run.id, at: seq) == source.chainHash(of: run.id, at: seq)
    }

    /// The first seq in `from...to` where the chain hashes of source and destination differ
    /// (they differ at `to`): a binary search, as equal hashes at a seq mean equal events up to it.
    private func firstDifference(_ run: String, from: Int64, to: Int64) throws(JournalError) -> Int64 {
        var lo = from
        var hi = to
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if try source.chainHash(of: run, at: mid) == destination.chainHash(of: run, at: mid) {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo
    }

    private func conflict(_ run: String, _ seq: Int64?, _ message: String) -> JournalError {
        JournalError(.conflict, message, context: .init(run: run, seq: seq))
    }
}
