import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// PostgreSQL-only failures: the server going away in the middle of a write, newer schemas, and
/// concurrent first opens. Skipped loudly without `$PLANJ_TEST_POSTGRES_URL` (see
/// ``PostgresFixture``).
@Suite struct PostgresFailureTests {
    let fixture = PostgresFixture.fromEnvironment()

    /// Ends every other connection to the journal's database, as a server restart would.
    static func terminateOthers(_ journal: String) throws {
        let admin = try PGConnection(url: journal)
        _ = try admin.query(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            [])
    }

    /// Ingest (``PGConnection/beginRunWrites()``), import and copy (``PGConnection/beginWrite()``)
    /// commit durably on a session whose appends do not (`--durability normal`): what they report
    /// written survives a crash of the server.
    @Test func bulkWritesCommitDurably() throws {
        guard let fixture else { return }
        let db = try PGConnection(url: try fixture.makeDatabase())
        func setting() throws -> String? {
            guard case .text(let value)? = try db.query("SHOW synchronous_commit", []).first?.first else { return nil }
            return value
        }
        #expect(try setting() == "off")
        for (begin, durable) in [({ try db.beginWrite() }, true), ({ try db.beginRunWrites() }, true), ({ try db.beginAppend(runs: ["r"]) }, false)]
            as [(() throws -> Void, Bool)]
        {
            try begin()
            #expect(try setting() == (durable ? "on" : "off"))
            try db.execute("ROLLBACK")
        }
        #expect(try setting() == "off")
    }

    /// A database shared with another application that has a table `meta` of its own: planj
    /// refuses it and writes nothing (it overwrote the other application's format_version).
    /// Connections probe a server that goes silent (``PGSocket``): the kernel holds a keepalive
    /// timer on the socket (column `tr` 2 of `/proc/net/tcp`), so a lost server or network ends
    /// the connection instead of leaving a query waiting for ever.
    @Test func connectionsProbeASilentServer() throws {
        guard let fixture else { return }
        let db = try PGConnection(url: try fixture.makeDatabase())
        guard case .int(let port)? = try db.query("SELECT inet_client_port()", []).first?.first else {
            Issue.record("no client port: not a TCP connection")
            return
        }
        let hex = String(port, radix: 16, uppercase: true)
        let local = ":" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let sockets = ["/proc/net/tcp", "/proc/net/tcp6"]
            // Read to the end: the kernel gives these files a page at a time, and their size as 0.
            .compactMap { path in (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd()).flatMap { $0 } }
            .map { String(decoding: $0, as: UTF8.self) }
            .flatMap { $0.split(separator: "\n").dropFirst() }
            .map { $0.split(separator: " ") }
            .filter { $0.count > 5 && $0[1].hasSuffix(local) }
        #expect(sockets.count == 1, "\(sockets)")
        #expect(sockets.first?[5].hasPrefix("02:") == true, "timer of the socket: \(sockets.first.map { String($0[5]) } ?? "none")")
    }

    @Test func anotherApplicationsMetaTableIsLeftAlone() throws {
        guard let fixture else { return }
        let url = try fixture.makeDatabase()
        let other = try PGConnection(url: url)
        try other.execute("CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL)")
        try other.execute("INSERT INTO meta VALUES ('format_version', '2'), ('app', 'billing')")
        #expect { _ = try Journal(path: url).runs() } throws: { ($0 as? JournalError)?.message.contains("table meta is not planj's") == true }
        // Nor one without planj's columns.
        let bare = try fixture.makeDatabase()
        try PGConnection(url: bare).execute("CREATE TABLE meta(a text)")
        #expect { _ = try Journal(path: bare).runs() } throws: { ($0 as? JournalError)?.message.contains("table meta is not planj's") == true }
        let kept = try other.query("SELECT count(*) FROM meta WHERE (key, value) IN (('format_version', '2'), ('app', 'billing'))", [])
        let tables = try other.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", [])
        guard case .int(2)? = kept.first?.first, case .int(1)? = tables.first?.first else {
            Issue.record("the other application's meta table was changed, or tables were added: \(kept) \(tables)")
            return
        }
    }

    @Test func aConnectionLostMidIngestLeavesNoPartialRunAndTheJournalReconnects() throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let text = try String(contentsOfFile: Fixtures.validContract, encoding: .utf8)
        let path = journal.path
        do {
            _ = try journal.ingest(
                source: "contract", options: IngestOptions(),
                produce: { (push) throws(JournalError) in try push(Array(text.utf8)) },
                beforeCommit: { (_, _) throws(JournalError) in
                    do { try Self.terminateOthers(path) } catch { throw JournalError(.io, "\(error)") }
                })
            Issue.record("the ingest committed although its connection was ended")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains("closed the connection") || error.message.contains("terminat"), "\(error)")
            #expect(error.context.journalPath != nil)
        }
        // Nothing of the interrupted ingest is there, seen from another handle.
        #expect(try fixture.reopen(journal).runs().isEmpty)
        // The same journal connects again and ingests.
        let report = try journal.ingest(text: text)
        #expect(report.eventsWritten > 0)
        #expect(try journal.verify(run: nil, trusting: []).ok)
    }

    /// A connection lost before the append's `COMMIT` was sent (a server restart, an
    /// administrator ending it) rolled the append back: it is done again on a new connection
    /// and acknowledged once (it failed with "the PostgreSQL server closed the connection").
    @Test(.timeLimit(.minutes(1)))
    func anAppendWhoseConnectionIsLostBeforeItsCommitIsDoneAgain() async throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let run = try RunBuilder.complete(run: "lost", steps: 2)
        _ = try await journal.append([run.events[0]], to: "lost", expecting: .noRun)
        // The first update of the run's row ends its own connection; a sequence counts the
        // updates outside every transaction.
        let admin = try PGConnection(url: journal.path)
        try admin.execute("CREATE SEQUENCE lose_once")
        try admin.execute(
            """
            CREATE FUNCTION lose_once() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN
              IF nextval('lose_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF;
              RETURN NEW;
            END $$
            """)
        try admin.execute("CREATE TRIGGER lose_once BEFORE UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION lose_once()")
        let result = try await journal.append([run.events[1]], to: "lost", expecting: .exactly(1))
        #expect(result.firstSeq == 2 && result.lastSeq == 2)
        let updates = try admin.query("SELECT last_value FROM lose_once", [])
        guard case .int(2)? = updates.first?.first else {
            Issue.record("the run's row was not updated twice (lost once, then done again): \(updates)")
            return
        }
        try admin.execute("DROP TRIGGER lose_once ON runs")
        #expect(try fixture.reopen(journal).run("lost").events == 2)
        #expect(try journal.verify().ok)
    }

    /// A further connection of a process that reached the server before (a reader opened in
    /// the middle of a run) waits while the server refuses connections, as a reconnection does:
    /// a restart failed `planj run` with "connection refused" when a reader was opened then. A
    /// first connection still fails at once (more often a wrong port than a restart).
    @Test(.timeLimit(.minutes(1)))
    func aFurtherConnectionWaitsOutARefusingServer() async throws {
        guard let fixture else { return }
        var server = try #require(URLComponents(string: fixture.serverURL))
        let target = (server.host ?? "127.0.0.1", server.port ?? 5432)
        // A port nothing listens on until a forwarder to the server takes it a second from now.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) == 0 && getsockname(probe, $0, &length) == 0 }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(probe)
        server.port = port
        var query = (server.queryItems ?? []).filter { $0.name != "sslmode" }
        query.append(URLQueryItem(name: "sslmode", value: "disable"))
        server.queryItems = query
        let url = try #require(server.string)
        #expect(throws: JournalError.self) { _ = try PGConnection(url: url) }
        let forwarder = """
            import socket, threading, time
            time.sleep(1)
            listener = socket.create_server(("127.0.0.1", \(port)))
            def pipe(a, b):
                while True:
                    data = a.recv(65536)
                    if not data: break
                    b.sendall(data)
                b.close()
            while True:
                client, _ = listener.accept()
                upstream = socket.create_connection(("\(target.0)", \(target.1)))
                threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
                threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
            """
        let p = TestProcess()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", forwarder]
        try p.run()
        defer { p.signal(SIGKILL) }
        let connection = try PGConnection(url: url, waitingWhenRefused: true)
        #expect(try connection.query("SELECT 1", []).count == 1)
    }

    /// A database's (or role's) `statement_timeout` shorter than the busy timeout does not cut
    /// an append waiting for another writer of its run (it failed "canceling statement due to
    /// statement timeout"); a query of `planj sql` still runs under it.
    @Test(.timeLimit(.minutes(1)))
    func aStatementTimeoutDoesNotCutAWriterWaitingItsTurn() async throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let run = try RunBuilder.complete(run: "st", steps: 2)
        _ = try await journal.append([run.events[0]], to: "st", expecting: .noRun)
        let admin = try PGConnection(url: journal.path)
        let name = try admin.query("SELECT current_database()", []).first?.first
        guard case .text(let database)? = name else { throw JournalError(.io, "no database name") }
        try admin.execute("ALTER DATABASE \(database) SET statement_timeout = '200ms'")
        let reopened = try fixture.reopen(journal)
        // Another session holds the run's lock for a second.
        let holding = Task {
            try await ChildProcess.run(
                "psql",
                [
                    journal.path, "-q", "-c",
                    "SET statement_timeout = 0; BEGIN; SELECT pg_advisory_xact_lock(\(PGLockKeys.key(run: "st"))); "
                        + "SELECT pg_sleep(1); COMMIT;",
                ])
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while try PostgresConcurrencyTests.heldRunLocks(journal.path) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let result = try await reopened.append([run.events[1]], to: "st", expecting: .exactly(1))
        #expect(result.lastSeq == 2)
        #expect(try await holding.value.status == 0)
        #expect(throws: JournalError.self) { _ = try reopened.query("SELECT pg_sleep(0.5)") }
    }

    @Test func aJournalFromANewerPlanjIsRefused() throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        let db = try PGConnection(url: journal.path)
        try db.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
        do {
            _ = try fixture.reopen(journal)
            Issue.record("a journal at format version 99 was opened")
        } catch let e as JournalError {
            #expect(e.code == .unsupportedVersion)
            #expect(e.context.journalPath != nil)
        }
    }

    @Test func openingAndReadingDoNotWaitForAWriter() throws {
        guard let fixture else { return }
        let journal = try fixture.makeJournal()
        _ = try journal.ingest(file: Fixtures.validContract)
        // Another process holds the journal's write lock (a long ingest, say).
        let other = try PGConnection(url: journal.path)
        try other.beginWrite()
        defer { try? other.run("ROLLBACK") }
        let reopened = try fixture.reopen(journal, configuration: JournalConfiguration(busyTimeoutMilliseconds: 500))
        #expect(try !reopened.runs().isEmpty)
        #expect(try reopened.verify().ok)
        // A write waits for the lock, then fails with the lock timeout, naming the journal.
        let run = try #require(try reopened.runs().first?.id)
        do {
            _ = try reopened.fork(run, at: 1, as: "blocked")
            Issue.record("a fork was written while another writer held the lock")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains("lock timeout"), "\(error)")
            #expect(error.context.journalPath != nil)
        }
    }

    @Test func severalConnectionsMigrateTheSameNewDatabaseAtOnce() async throws {
        guard let fixture else { return }
        let url = try fixture.makeDatabase()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask { try Journal(path: url).formatVersion() }
            }
            for try await version in group { #expect(version == Journal.supportedFormatVersion) }
        }
    }
}
