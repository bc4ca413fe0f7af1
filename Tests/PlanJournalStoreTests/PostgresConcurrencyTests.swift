import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// PostgreSQL-only concurrency: ingests of disjoint runs commit side by side, ingests of the same
/// run take turns and win once per seq, and live subscriptions are woken by `NOTIFY`. Each check
/// holds one writer's transaction open at a known point (a `beforeCommit` that waits) instead of
/// timing anything. Skipped loudly without `$PLANJ_TEST_POSTGRES_URL` (see ``PostgresFixture``).
@Suite struct PostgresConcurrencyTests {
    let fixture = PostgresFixture.fromEnvironment()

    /// Ingests `text` on a thread of its own with a transaction that, once every event is stored,
    /// signals `reached` and stays open until `release` is signalled.
    static func ingestHeldOpen(
        _ journal: Journal, text: String, reached: DispatchSemaphore, release: DispatchSemaphore
    ) -> Task<IngestReport, any Error> {
        onThread {
            try journal.ingest(
                source: "held", options: IngestOptions(), lockingRuns: true,
                produce: { (push) throws(JournalError) in try push(Array(text.utf8)) },
                beforeCommit: { (_, _) throws(JournalError) in
                    reached.signal()
                    release.wait()
                })
        }
    }

    /// Runs blocking `body` on a thread of its own, not on the cooperative pool (which has as
    /// many threads as cores: two blocked writers would starve the test itself).
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> Task<T, any Error> {
        Task {
            try await withCheckedThrowingContinuation { continuation in
                Thread { continuation.resume(with: Result { try body() }) }.start()
            }
        }
    }

    /// Waits (on a thread of its own) until `semaphore` is signalled.
    static func wait(for semaphore: DispatchSemaphore) async {
        _ = try? await onThread { semaphore.wait() }.value
    }

    /// Advisory locks some session waits for (to know a writer is blocked, without timing it).
    static func waitingLocks(_ url: String) throws -> Int64 {
        let db = try PGConnection(url: url)
        let rows = try db.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND \(thisDatabase)", [])
        if case .int(let n)? = rows.first?.first { return n }
        return 0
    }

    /// A claim whose session the server ended (a restart, idle_session_timeout) is taken again
    /// when the driver confirms it, unless another process took the run meanwhile.
    @Test func aClaimWhoseSessionEndedIsTakenAgainOrFoundTaken() throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal(configuration: JournalConfiguration())
        let admin = try PGConnection(url: journal.path, lockTimeoutMilliseconds: 5000, durability: .normal)
        // Claims are the two-key advisory locks (objsubid 2).
        let endClaims = "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
        let claim = try journal.claim(run: "r")
        _ = try admin.query(endClaims, [])
        try claim.confirm()
        #expect(throws: JournalError.self) { _ = try journal.claim(run: "r") }
        _ = try admin.query(endClaims, [])
        let other = try Journal(path: journal.path).claim(run: "r")
        #expect { try claim.confirm() } throws: { ($0 as? JournalError)?.code == .conflict }
        withExtendedLifetime(other) {}
    }

    @Test func ingestsOfDisjointRunsCommitWhileAnotherIngestIsOpen() async throws {
        guard let fixture else { return }
        // A small training size, so both ingests train a compression dictionary at once.
        let configuration = JournalConfiguration(busyTimeoutMilliseconds: 5_000, dictionaryTrainingBytes: 4_096)
        let journal = try fixture.makeJournal(configuration: configuration)
        let other = try fixture.reopen(journal, configuration: configuration)
        let first = try (0..<3).map { try RunBuilder.complete(run: "a\($0)", steps: 8, payloadBytes: 900) }
        let second = try (0..<3).map { try RunBuilder.complete(run: "b\($0)", steps: 8, payloadBytes: 900) }
        let reached = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let held = Self.ingestHeldOpen(journal, text: first.map(\.jsonl).joined(), reached: reached, release: release)
        await Self.wait(for: reached)
        // The first ingest's transaction is open (its runs stored, not committed): a second ingest
        // of other runs commits meanwhile, waiting for no journal-wide lock (it would fail with
        // the lock timeout if it did).
        let report: IngestReport
        do {
            report = try other.ingest(text: second.map(\.jsonl).joined())
        } catch {
            release.signal()
            _ = try? await held.value
            throw error
        }
        #expect(report.eventsWritten == second.map(\.events.count).reduce(0, +))
        #expect(try Set(other.runs().map(\.id)) == Set(second.map(\.run)))
        release.signal()
        let firstReport = try await held.value
        #expect(firstReport.eventsWritten == first.map(\.events.count).reduce(0, +))
        for run in first + second {
            #expect(try other.events(of: run.run).map(\.bytes) == run.events.map(\.bytes))
        }
        #expect(try other.verify().ok)
    }

    @Test func ingestsOfTheSameRunTakeTurnsAndTheLaterOneConflicts() async throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let other = try fixture.reopen(journal)
        let winner = try RunBuilder.complete(run: "same", steps: 3)
        // The same run with other payloads: the same seqs, different events.
        let loser = try RunBuilder.complete(run: "same", steps: 3, payloadBytes: 333)
        let reached = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let held = Self.ingestHeldOpen(journal, text: winner.jsonl, reached: reached, release: release)
        await Self.wait(for: reached)
        // The first ingest holds the run, its events stored and not committed; a second ingest of
        // the same run waits for the run's lock.
        let second = Self.onThread { try other.ingest(text: loser.jsonl) }
        while try Self.waitingLocks(journal.path) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        release.signal()
        #expect(try await held.value.eventsWritten == winner.events.count)
        // Then it reads the committed run: its events at the same seqs differ, a conflict.
        let report = try await second.value
        #expect(report.eventsWritten == 0)
        #expect(report.rejected.first?.run == "same")
        #expect(report.rejected.first?.code == JournalError.Code.conflict.name, "\(report.rejected)")
        #expect(try other.events(of: "same").map(\.bytes) == winner.events.map(\.bytes))
        // Ingesting the winner's events again skips them all.
        let again = try other.ingest(text: winner.jsonl)
        #expect(again.eventsSkipped == winner.events.count && again.eventsWritten == 0)
        #expect(try other.verify().ok)
    }

    /// Locks of this test's database only: other tests' databases on the same server hold locks
    /// too (counting them made the lock-order test start before both ingests held a run).
    static let thisDatabase = "database = (SELECT oid FROM pg_database WHERE datname = current_database())"

    /// Runs locked by some session, exclusively (the per-run locks of writers).
    static func heldRunLocks(_ url: String) throws -> Int64 {
        let db = try PGConnection(url: url)
        let rows = try db.query(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND granted AND \(thisDatabase)", [])
        if case .int(let n)? = rows.first?.first { return n }
        return 0
    }

    @Test(.timeLimit(.minutes(1)))
    func ingestsThatMeetSharedRunsInOppositeOrdersEndWithOneConflictAndNothingLost() async throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let other = try fixture.reopen(journal)
        // Runs of more than 512 events: the parser hands the writer its first batch of lines
        // before the input goes on.
        let one = try RunBuilder.complete(run: "one", steps: 110)
        let two = try RunBuilder.complete(run: "two", steps: 110)
        let go = DispatchSemaphore(value: 0)
        func ingest(_ journal: Journal, _ first: RunBuilder, _ second: RunBuilder) -> Task<IngestReport, any Error> {
            Self.onThread {
                try journal.ingest(
                    source: first.run + "-first", options: IngestOptions(), lockingRuns: true,
                    produce: { (push) throws(JournalError) in
                        try push(Array(first.jsonl.utf8))
                        go.wait()
                        try push(Array(second.jsonl.utf8))
                    })
            }
        }
        let a = ingest(journal, one, two)
        let b = ingest(other, two, one)
        // Each holds its first run; then each goes on to the run the other holds.
        while try Self.heldRunLocks(journal.path) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        go.signal()
        go.signal()
        var reports: [IngestReport] = []
        var conflicts: [JournalError] = []
        for task in [a, b] {
            do {
                reports.append(try await task.value)
            } catch let error as JournalError {
                conflicts.append(error)
            }
        }
        #expect(reports.count == 1 && conflicts.count == 1, "\(conflicts)")
        #expect(conflicts.first?.code == .conflict, "\(conflicts)")
        #expect(conflicts.first?.message.contains("deadlock") == true, "\(conflicts)")
        #expect(reports.first?.eventsWritten == one.events.count + two.events.count)
        #expect(try other.events(of: "one").map(\.bytes) == one.events.map(\.bytes))
        #expect(try other.events(of: "two").map(\.bytes) == two.events.map(\.bytes))
        #expect(try other.verify().ok)
    }

    @Test(.timeLimit(.minutes(1)))
    func aSubscriptionIsWokenByANotificationOfAnotherConnectionsCommit() async throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let writer = try fixture.reopen(journal)
        let run = try RunBuilder.complete(run: "live", steps: 2)
        _ = try await writer.append([run.events[0]], to: "live", expecting: .noRun)
        // Polling once an hour: only the notifications can bring the later events.
        var seen: [Int64] = []
        for try await e in journal.subscribe(to: "live", pollInterval: .seconds(3600)) {
            seen.append(e.seq)
            if e.seq < run.events.count {
                let next = run.events[Int(e.seq)]
                _ = try await writer.append([next], to: "live", expecting: .exactly(e.seq))
            }
        }
        #expect(seen == run.events.map(\.seq))
    }

    @Test func anAnyAppendFromAStaleCachedHeadConflictsNamingTheHeadItExpectedAndFound() async throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let other = try fixture.reopen(journal)
        var b = RunBuilder(run: "cached")
        try b.add("run.started", #"{"goal":"g"}"#)
        for n in 1...3 { try b.add("note", #"{"n":\#(n)}"#) }
        // `journal` keeps the head it wrote (2) and appends from it without reading the catalog.
        _ = try await journal.append(Array(b.events[0..<2]), to: "cached", expecting: .noRun)
        _ = try await other.append([b.events[2]], to: "cached", expecting: .exactly(2))
        do {
            _ = try await journal.append([b.events[2]], to: "cached")
            Issue.record("an append from a stale head was accepted")
        } catch {
            #expect(error.code == .conflict && error.context.run == "cached" && error.context.seq == 3, "\(error)")
            #expect(error.context.journalPath == (try PostgresURL(journal.path).redacted))
            #expect(
                error.message
                    == "another writer got there first: its events start at seq 3, so the append expected the head of run "
                    + "cached at seq 2 (the head this writer last saw), but found its head at seq 3; nothing of the "
                    + "append was written", "\(error)")
        }
        // Read again, the run's head is known: the next append continues it.
        _ = try await journal.append([b.events[3]], to: "cached")
        #expect(try journal.verify().ok)
    }

    /// The backends of the journal's database that listen (a subscription's ``PGListener``).
    static func listeners(_ admin: PGConnection) throws -> Set<Int64> {
        let rows = try admin.query(
            """
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()
            """, [])
        return Set(rows.compactMap { if case .int(let pid)? = $0.first { pid } else { nil } })
    }

    @Test(.timeLimit(.minutes(1)))
    func aSubscriptionListensAgainAfterItsConnectionIsTerminated() async throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let writer = try fixture.reopen(journal)
        let admin = try PGConnection(url: journal.path)
        let run = try RunBuilder.complete(run: "relisten", steps: 2)
        _ = try await writer.append([run.events[0]], to: "relisten", expecting: .noRun)
        // Polling once an hour: only the notifications of a new listening connection can bring the
        // events appended after the first one's backend is ended (twice).
        var seen: [Int64] = []
        for try await e in journal.subscribe(to: "relisten", pollInterval: .seconds(3600)) {
            seen.append(e.seq)
            guard e.seq < run.events.count else { continue }
            if e.seq == 1 || e.seq == 4 {
                let before = try Self.listeners(admin)
                #expect(before.count == 1)
                for pid in before { _ = try admin.query("SELECT pg_terminate_backend(\(pid), 10000)", []) }
                while try Self.listeners(admin).subtracting(before).isEmpty {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            _ = try await writer.append([run.events[Int(e.seq)]], to: "relisten", expecting: .exactly(e.seq))
        }
        #expect(seen == run.events.map(\.seq))
    }

    /// An append whose `COMMIT` loses its connection is settled on a new one: here the server
    /// rolled the commit back, so the append is done again and succeeds (it failed with
    /// `journal.commit_uncertain`, the run left for its caller to read; see also
    /// `appendsOfAnUncertainCommitAreSettledByWhatTheJournalHolds`).
    @Test(.timeLimit(.minutes(1)))
    func aCommitWhoseConnectionIsLostIsSettledOnANewOne() async throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let run = try RunBuilder.complete(run: "uncertain", steps: 2)
        _ = try await journal.append([run.events[0]], to: "uncertain", expecting: .noRun)
        // A deferred trigger makes the first COMMIT take its time; the connection is ended meanwhile.
        let admin = try PGConnection(url: journal.path)
        try admin.execute("CREATE SEQUENCE slow_once")
        try admin.execute(
            """
            CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN IF nextval('slow_once') = 1 THEN PERFORM pg_sleep(30); END IF; RETURN NULL; END $$
            """)
        try admin.execute(
            """
            CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON runs DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION slow_commit()
            """)
        let appending = Task {
            try await journal.append([run.events[1]], to: "uncertain", expecting: .exactly(1))
        }
        var ended = false
        while !ended {
            let rows = try admin.query(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND query = 'COMMIT' AND state = 'active'
                """, [])
            ended = !rows.isEmpty
            if !ended { try await Task.sleep(for: .milliseconds(20)) }
        }
        let result = try await appending.value
        #expect(result.firstSeq == 2 && result.lastSeq == 2)
        let commits = try admin.query("SELECT last_value FROM slow_once", [])
        guard case .int(2)? = commits.first?.first else {
            Issue.record("the append was not committed twice (lost, then done again): \(commits)")
            return
        }
        try admin.execute("DROP TRIGGER slow_commit ON runs")
        #expect(try fixture.reopen(journal).run("uncertain").events == 2)
        #expect(try journal.verify().ok)
    }
}
