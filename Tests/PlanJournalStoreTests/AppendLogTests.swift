import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// The append log (`<journal>-pjlog`) of write windows: what a writer that died leaves there is
/// replayed by the next writer, and appends in a window are read at once within the process.
@Suite struct AppendLogTests {
    /// A record of the log's format, as a writer writes it before acknowledging an append.
    private func record(_ events: ArraySlice<JournalEvent>) -> [UInt8] {
        var lines: [UInt8] = []
        for e in events {
            lines.append(contentsOf: e.bytes)
            lines.append(UInt8(ascii: "\n"))
        }
        return Array("@\(events.count) \(lines.count)\n".utf8) + lines
    }

    /// A journal (write windows off) holding the first two events of run `a`, a three-step run
    /// (returned too).
    private func journalWithTwoEvents() async throws -> (TemporaryJournal, RunBuilder) {
        let t = try TemporaryJournal(configuration: JournalConfiguration(commitWindowMicroseconds: 0))
        let run = try RunBuilder.complete(run: "a", steps: 3)
        _ = try await t.journal.append(Array(run.events[0..<2]), to: "a", expecting: .noRun)
        return (t, run)
    }

    /// The record of `events` with its first line made unparsable (its `{` changed).
    private func unparsable(_ events: ArraySlice<JournalEvent>) -> [UInt8] {
        var damaged = record(events)
        damaged[damaged.firstIndex(of: UInt8(ascii: "{"))!] = UInt8(ascii: "x")
        return damaged
    }

    /// The journal of `t` opened again with `log` as its append log, which it cannot all replay:
    /// the journal and its warning, once the warning's kept copy of the log is checked (it holds
    /// `log` as it was) and removed.
    private func opened(_ t: TemporaryJournal, withLog log: [UInt8]) throws -> (Journal, warning: String) {
        try Data(log).write(to: URL(fileURLWithPath: t.path + "-pjlog"))
        let reopened = try t.reopen()
        let warning = try #require(reopened.unreplayedAppends)
        let kept = try #require(warning.components(separatedBy: "is kept in ").last)
        #expect(try Data(contentsOf: URL(fileURLWithPath: kept)) == Data(log))
        try? FileManager.default.removeItem(atPath: kept)
        return (reopened, warning)
    }

    @Test func aLogLeftByAWriterThatDiedIsReplayedWhenTheJournalOpens() async throws {
        let (t, run) = try await journalWithTwoEvents()
        // Committed before the writer died (skipped), then two appends that were not, then one
        // cut short by the kill (never acknowledged: dropped).
        var log = record(run.events[0..<2]) + record(run.events[2..<4]) + record(run.events[4..<6])
        log += record(run.events[6..<8]).dropLast(5)
        try Data(log).write(to: URL(fileURLWithPath: t.path + "-pjlog"))
        let reopened = try t.reopen()
        #expect(try reopened.events(of: "a").map(\.bytes) == run.events[0..<6].map(\.bytes))
        #expect(try reopened.verify().ok)
        // Nothing acknowledged is missing, so nothing is said or kept aside.
        #expect(reopened.unreplayedAppends == nil && reopened.keptAppendLogs().isEmpty)
        // Emptied: the file is kept for the next window, its first byte no longer starts a record.
        let emptied = try Data(contentsOf: URL(fileURLWithPath: t.path + "-pjlog"))
        #expect(emptied.first != UInt8(ascii: "@"))
        let next = try await reopened.append(Array(run.events[6...]), to: "a", expecting: .exactly(6))
        #expect(next.lastSeq == Int64(run.events.count))
    }

    /// A damaged record header (a negative, huge or overflowing length: the writer never writes
    /// one) ends the records there, as a record cut short does; it never stops a writer opening.
    /// A length past the log's end is a record a crash cut short (nothing said); any other
    /// damage is said, and the log kept aside.
    @Test(arguments: [
        ("@1 -5", true), ("@-1 5", true), ("@1 9223372036854775807", false), ("@9223372036854775807 1", true), ("@1 99999999", false),
        ("@1 7", true), ("@1 8 zz", true),
    ])
    func aDamagedRecordHeaderEndsTheLog(header: String, said: Bool) async throws {
        let (t, run) = try await journalWithTwoEvents()
        let log = record(run.events[2..<4]) + Array("\(header)\n{\"x\":1}\n".utf8)
        try Data(log).write(to: URL(fileURLWithPath: t.path + "-pjlog"))
        let reopened = try t.reopen()
        #expect((reopened.unreplayedAppends != nil) == said, "\(reopened.unreplayedAppends ?? "")")
        for kept in reopened.keptAppendLogs() { try FileManager.default.removeItem(atPath: kept) }
        #expect(try reopened.events(of: "a").map(\.bytes) == run.events[0..<4].map(\.bytes))
        let next = try await reopened.append(Array(run.events[4...]), to: "a", expecting: .exactly(4))
        #expect(next.lastSeq == Int64(run.events.count))
        #expect(try reopened.verify().ok)
    }

    /// Records that cannot be replayed (damaged: not JSON, or no longer continuing their run)
    /// are not dropped unseen: the journal opens with a warning naming them, and the log as it
    /// was is kept beside the journal.
    @Test func aDamagedRecordIsSaidAndTheLogKept() async throws {
        let (t, run) = try await journalWithTwoEvents()
        let log = record(run.events[2..<4]) + unparsable(run.events[4..<6]) + record(run.events[6..<8])
        let (reopened, warning) = try opened(t, withLog: log)
        #expect(try reopened.events(of: "a").map(\.bytes) == run.events[0..<4].map(\.bytes))
        #expect(warning.contains("could not be added to the journal (record 2 does not parse; run a seq 7-8"), "\(warning)")
        // Replayed once: the next opening has nothing to say.
        #expect(try t.reopen().unreplayedAppends == nil)
    }

    /// A log kept aside is named by every `verify` (not only in the warning of the command that
    /// opened the journal), until it is removed.
    @Test func verifyNamesAKeptLogUntilItIsRemoved() async throws {
        let (t, run) = try await journalWithTwoEvents()
        try Data(unparsable(run.events[2..<4])).write(to: URL(fileURLWithPath: t.path + "-pjlog"))
        _ = try t.reopen()
        for _ in 0..<2 {
            let report = try t.reopen().verify()
            #expect(report.keptAppendLogs.count == 1 && report.keptAppendLogs[0].hasPrefix(t.path + "-pjlog.unreplayed-"), "\(report)")
            #expect(try t.reopen().verify(run: "a").keptAppendLogs.count == 1)
        }
        try FileManager.default.removeItem(atPath: try #require(try t.reopen().keptAppendLogs().first))
        #expect(try t.reopen().verify().keptAppendLogs.isEmpty)
    }

    /// A byte of a record changed where the lines stay valid events (a letter of the actor) fails
    /// the record's checksum: it is not replayed as if the writer had written it, and said. The
    /// records after it are replayed when they can be.
    @Test func aRecordThatFailsItsChecksumIsNotReplayed() async throws {
        let (t, run) = try await journalWithTwoEvents()
        let first = AppendLogFormat.record(of: Array(run.events[2..<4]))
        var changed = AppendLogFormat.record(of: Array(run.events[4..<6]))
        let key = Array(#""actor":""#.utf8)
        let actor = try #require(changed.indices.first { Array(changed[$0..<($0 + key.count)]) == key }) + key.count
        changed[actor] = changed[actor] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
        // Still two valid events: only the checksum tells the record from one the writer wrote.
        let parsed = try #require(AppendLogFormat.parse(changed, count: changed.count).records.first)
        #expect(try parsed.lines.map { try JournalEvent(canonical: $0).seq } == [5, 6] && !parsed.intact)
        let log = first + changed + AppendLogFormat.record(of: Array(run.events[4..<6]))
        let (reopened, warning) = try opened(t, withLog: log)
        #expect(try reopened.events(of: "a").map(\.bytes) == run.events[0..<6].map(\.bytes))
        #expect(warning.contains("could not be added to the journal (record 2 fails its checksum)"), "\(warning)")
        #expect(try reopened.verify().ok)
    }

    /// Opened through a symbolic link, the journal's append log is the one beside its file, where
    /// SQLite keeps the WAL: a log left by a writer that used the real name is replayed, and a
    /// writer using the link leaves no log of its own beside the link.
    @Test func theLogOfAJournalOpenedThroughALinkIsBesideItsFile() async throws {
        let (t, run) = try await journalWithTwoEvents()
        try Data(record(run.events[2..<4])).write(to: URL(fileURLWithPath: t.path + "-pjlog"))
        let links = t.directory + "/links"
        try FileManager.default.createDirectory(atPath: links, withIntermediateDirectories: true)
        let link = links + "/alias.sqlite"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: t.path)
        let linked = try Journal(path: link, configuration: JournalConfiguration(commitWindowMicroseconds: 5_000_000))
        #expect(try linked.events(of: "a").count == 4)
        _ = try await linked.append(Array(run.events[4..<6]), to: "a", expecting: .exactly(4))
        #expect(!FileManager.default.fileExists(atPath: link + "-pjlog"))
        #expect(FileManager.default.fileExists(atPath: t.path + "-pjlog"))
    }

    /// A closed journal holding seqs 1-2 of run `a`, and a log (left by a writer that died) with
    /// seqs 3-4.
    private func journalWithALoggedAppend() async throws -> (TemporaryJournal, RunBuilder) {
        let (t, run) = try await journalWithTwoEvents()
        try t.journal.close()
        try Data(record(run.events[2..<4])).write(to: URL(fileURLWithPath: t.path + "-pjlog"))
        return (t, run)
    }

    /// A log whose replay fails when the journal opens (another process holds the write lock
    /// past the timeout; a full disk fails the same way) leaves the journal readable, says so,
    /// and is replayed by the next write.
    @Test func aLogThatCannotBeReplayedYetLeavesTheJournalReadable() async throws {
        let (t, run) = try await journalWithALoggedAppend()
        let holder = try SQLiteConnection(path: t.path)
        try holder.execute("BEGIN IMMEDIATE")
        let config = JournalConfiguration(busyTimeoutMilliseconds: 200, commitWindowMicroseconds: 5_000_000)
        let opened = try Journal(path: t.path, configuration: config)
        #expect(opened.unreplayedAppends?.contains("acknowledged appends not in the journal yet") == true)
        // The log keeps its records, and its lock: another journal cannot open past them.
        #expect(throws: JournalError.self) { try Journal(path: t.path, configuration: config) }
        try holder.execute("COMMIT")
        // The next read replays them, and lets the lock go.
        #expect(try opened.events(of: "a").count == 4)
        let other = try Journal(path: t.path, configuration: config)
        #expect(try other.events(of: "a").count == 4 && other.unreplayedAppends == nil)
        _ = try await other.append(Array(run.events[4..<6]), to: "a", expecting: .exactly(4))
        #expect(try opened.events(of: "a").count == 6 && opened.verify().ok)
    }

    /// A log whose records fail to replay for want of space or permission keeps them: the
    /// replay used to skip any record that failed, then empty the log.
    @Test func aReplayThatFailsKeepsTheLog() async throws {
        let (t, _) = try await journalWithALoggedAppend()
        // A trigger that refuses every insert of a chunk: the replay's own append fails.
        try SQLiteConnection(path: t.path).execute("CREATE TRIGGER refuse BEFORE INSERT ON chunks BEGIN SELECT RAISE(FAIL, 'disk full'); END")
        let opened = try Journal(path: t.path, configuration: JournalConfiguration(commitWindowMicroseconds: 5_000_000))
        #expect(opened.unreplayedAppends != nil)
        let log = try Data(contentsOf: URL(fileURLWithPath: t.path + "-pjlog"))
        #expect(log.first == UInt8(ascii: "@"))
    }

    /// Gives the journal at `path` the id `id` (as the first writer with an append log would).
    private func setJournalID(_ id: String, at path: String) throws {
        try SQLiteConnection(path: path).execute("INSERT INTO meta(key, value) VALUES ('journal_id', '\(id)')")
    }

    /// The id of the journal at `path`, once a writer with an append log has made it.
    private static func journalID(of path: String) throws -> String? {
        let s = try SQLiteConnection(path: path).statement("SELECT value FROM meta WHERE key = 'journal_id'")
        return try s.step() ? s.text(0) : nil
    }

    @Test func aWindowNamesItsJournalFirstInTheLog() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(commitWindowMicroseconds: 5_000_000))
        let e = try RunBuilder.complete(run: "a", steps: 1).events[0]
        _ = try await t.journal.append([e], to: "a", expecting: .noRun)
        let log = try Data(contentsOf: URL(fileURLWithPath: t.path + "-pjlog"))
        let stored = try #require(try Self.journalID(of: t.path))
        #expect(log.starts(with: Array("@=\(stored)\n@1 ".utf8)))
        _ = try t.journal.runs()  // commits the window
    }

    @Test func aLogOfThisJournalIsReplayedAndOneOfAnotherJournalIsNot() async throws {
        let run = try RunBuilder.complete(run: "a", steps: 3)
        // A writer of this journal died with two appends in its log: they come back.
        let mine = try TemporaryJournal(configuration: JournalConfiguration(commitWindowMicroseconds: 0))
        try setJournalID("journal-mine", at: mine.path)
        try Data(Array("@=journal-mine\n".utf8) + record(run.events[0..<2]) + record(run.events[2..<4])).write(
            to: URL(fileURLWithPath: mine.path + "-pjlog"))
        #expect(try mine.reopen().events(of: "a").map(\.bytes) == run.events[0..<4].map(\.bytes))
        // The journal file was deleted and made again (a new id), and the old journal's log lay
        // beside it: none of it belongs here, and it is emptied.
        let fresh = try TemporaryJournal(configuration: JournalConfiguration(commitWindowMicroseconds: 0))
        try Data(Array("@=journal-gone\n".utf8) + record(run.events[0..<2])).write(
            to: URL(fileURLWithPath: fresh.path + "-pjlog"))
        let reopened = try fresh.reopen()
        #expect(try reopened.runs().isEmpty)
        let emptied = try Data(contentsOf: URL(fileURLWithPath: fresh.path + "-pjlog"))
        #expect(emptied.first != UInt8(ascii: "@"))
        let next = try await reopened.append(Array(run.events[0..<1]), to: "a", expecting: .noRun)
        #expect(next.lastSeq == 1)
    }

    @Test(arguments: [JournalConfiguration.Durability.normal, .full])
    func anAppendInAWindowIsInTheLogBeforeItReturnsAndSyncedWithFullDurability(
        _ durability: JournalConfiguration.Durability
    ) async throws {
        let t = try TemporaryJournal(
            configuration: JournalConfiguration(durability: durability, commitWindowMicroseconds: 5_000_000))
        let run = try RunBuilder.complete(run: "a", steps: 2)
        for (k, e) in run.events.prefix(4).enumerated() {
            _ = try await t.journal.append([e], to: "a", expecting: .exactly(Int64(k)))
            let log = try Data(contentsOf: URL(fileURLWithPath: t.path + "-pjlog"))
            #expect(log.range(of: Data(e.bytes)) != nil, "seq \(k + 1) is in the log when its append returns")
        }
        let syncs = t.journal.writer.with { w in w.appendLog?.syncer?.syncs ?? -1 }
        if durability == .full {
            #expect(syncs >= 1, "the log was synced before the appends returned")
        } else {
            #expect(syncs == 0)
        }
        _ = try t.journal.runs()  // commits the window
        let reopened = try t.reopen()
        #expect(try reopened.events(of: "a").map(\.bytes) == run.events.prefix(4).map(\.bytes))
        #expect(try reopened.verify().ok)
    }

    @Test func anAppendWhoseLogCannotBeSyncedIsCommittedBeforeItReturns() async throws {
        let t = try TemporaryJournal(
            configuration: JournalConfiguration(durability: .full, commitWindowMicroseconds: 5_000_000))
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        // A pipe cannot be synced (EINVAL), as a log on a failing disk cannot.
        let failing = try #require(LogSyncer(duplicating: ends[1], path: t.path + "-pjlog"))
        t.journal.writer.with { w in w.appendLog?.syncer = failing }
        let run = try RunBuilder.complete(run: "a", steps: 1)
        let result = try await t.journal.append(Array(run.events.prefix(2)), to: "a", expecting: .noRun)
        #expect(result.lastSeq == 2)
        // Not durable in the log, so the window was committed (with its sync) instead, and
        // another connection sees the append without this journal's help.
        #expect(t.journal.writer.with { w in w.windowStart == nil })
        let s = try SQLiteConnection(path: t.path).statement("SELECT head_seq FROM runs WHERE id = 'a'")
        #expect(try s.step())
        #expect(s.int(0) == 2)
    }

    @Test func appendsOfAnOpenWindowAreReadAtOnceAndByTheNextJournal() async throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "a", steps: 3)
        for (k, e) in run.events.enumerated() {
            _ = try await t.journal.append([e], to: "a", expecting: .exactly(Int64(k)))
            #expect(try t.journal.run("a").events == k + 1)
        }
        let other = try t.reopen()
        #expect(try other.events(of: "a").map(\.bytes) == run.events.map(\.bytes))
        #expect(try other.verify().ok)
    }

    @Test func aSecondJournalOnTheFileTurnsWindowsOffAndBothSeeEveryAppend() async throws {
        let t = try TemporaryJournal()
        let other = try t.reopen()
        let run = try RunBuilder.complete(run: "a", steps: 3)
        for (k, e) in run.events.enumerated() {
            let journal = k % 2 == 0 ? t.journal : other
            _ = try await journal.append([e], to: "a", expecting: .exactly(Int64(k)))
            #expect(try t.journal.run("a").events == k + 1)
            #expect(try other.run("a").events == k + 1)
        }
    }

    /// Waits (up to 5 s) until `condition` holds: a released `Journal` closes once a pending
    /// window timer has let go of it.
    private func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// A writer stopped (Ctrl-Z, SIGSTOP) inside a window holds the log's exclusive lock: a
    /// journal opened meanwhile waits the busy timeout, then fails saying why (it waited for ever,
    /// readers too); once the window ends it opens.
    @Test func aWindowThatNeverEndsMakesOthersFailAfterTheBusyTimeout() async throws {
        let t = try TemporaryJournal()
        let path = t.directory + "/stopped.sqlite"
        _ = try Journal(path: path)
        let holder = open(path + "-pjlog", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        defer { close(holder) }
        #expect(flock(holder, LOCK_EX) == 0)
        var config = JournalConfiguration()
        config.busyTimeoutMilliseconds = 300
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            _ = try Journal(path: path, configuration: config)
        } throws: { error in
            let e = error as? JournalError
            return e?.code == .io && e?.message.contains("append log") == true && e?.message.contains("SIGSTOP") == true
        }
        #expect(clock.now - start >= .milliseconds(300))
        #expect(flock(holder, LOCK_UN) == 0)
        #expect(try Journal(path: path, configuration: config).runs().isEmpty)
    }

    /// `close()` commits the open window into the database file and removes the log, so the file
    /// alone holds every acknowledged append (a process that ended after appending left its last
    /// window in the log and the WAL, for the next writer to commit).
    @Test func closeLeavesEveryAppendInTheDatabaseFileAlone() async throws {
        let t = try TemporaryJournal()
        let path = t.directory + "/closed.sqlite"
        let run = try RunBuilder.complete(run: "a", steps: 2)
        let journal = try Journal(path: path)
        for e in run.events { _ = try await journal.append([e], to: "a", expecting: .exactly(e.seq - 1)) }
        try journal.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-pjlog"))
        let alone = t.directory + "/alone.sqlite"
        try FileManager.default.copyItem(atPath: path, toPath: alone)
        let copy = try Journal(path: alone)
        #expect(try copy.events(of: "a").map(\.bytes) == run.events.map(\.bytes))
        #expect(try copy.verify().ok)
        // A reader's open transaction does not hold up close (a truncating checkpoint waited the
        // whole busy timeout for it).
        let reader = try SQLiteConnection(path: path)
        try reader.run("BEGIN")
        let s = try reader.statement("SELECT count(*) FROM runs")
        #expect(try s.step())
        var quick = JournalConfiguration()
        quick.busyTimeoutMilliseconds = 20_000
        let second = try Journal(path: path, configuration: quick)
        _ = try await second.append(try RunBuilder.complete(run: "c", steps: 1).events, to: "c", expecting: .noRun)
        let clock = ContinuousClock()
        let start = clock.now
        try second.close()
        #expect(clock.now - start < .seconds(10))
        s.reset()
        try reader.run("COMMIT")
        // The journal still takes appends (each committed on its own).
        let more = try RunBuilder.complete(run: "b", steps: 1)
        _ = try await journal.append(more.events, to: "b", expecting: .noRun)
        #expect(try journal.events(of: "b").count == more.events.count)
    }

    /// A writer that waits out the busy timeout behind another process's write lock says what
    /// held it, not only SQLite's "database is locked".
    @Test func aWriteLockHeldPastTheBusyTimeoutIsExplained() async throws {
        let t = try TemporaryJournal()
        let path = t.directory + "/locked.sqlite"
        _ = try Journal(path: path)
        let holder = try SQLiteConnection(path: path)
        try holder.run("BEGIN IMMEDIATE")
        var config = JournalConfiguration()
        config.busyTimeoutMilliseconds = 200
        let journal = try Journal(path: path, configuration: config)
        await #expect {
            _ = try await journal.append(try RunBuilder.complete(run: "x", steps: 1).events, to: "x", expecting: .noRun)
        } throws: { error in
            let e = error as? JournalError
            return e?.isLockTimeout == true && e?.message.contains("held the journal's write lock") == true
        }
        try holder.run("ROLLBACK")
    }

    @Test func theLastWriterToCloseRemovesTheLog() async throws {
        let t = try TemporaryJournal()
        let path = t.directory + "/closing.sqlite"
        let log = path + "-pjlog"
        let run = try RunBuilder.complete(run: "a", steps: 2)
        var first: Journal? = try Journal(path: path)
        var second: Journal? = try Journal(path: path)
        _ = try await first?.append(Array(run.events[0..<3]), to: "a", expecting: .noRun)
        _ = try await second?.append(Array(run.events[3...]), to: "a", expecting: .exactly(3))
        first = nil
        try await Task.sleep(for: .milliseconds(50))
        #expect(FileManager.default.fileExists(atPath: log), "another writer still has the journal open")
        second = nil
        #expect(try await eventually { !FileManager.default.fileExists(atPath: log) })
        let reopened = try Journal(path: path)
        #expect(try reopened.events(of: "a").map(\.bytes) == run.events.map(\.bytes))
        #expect(try reopened.verify().ok)
    }

    @Test func aWriterWhoseLogWasRemovedUnderItWritesTheNextWindowToTheLogsPath() async throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(commitWindowMicroseconds: 60_000_000))
        let log = t.path + "-pjlog"
        let run = try RunBuilder.complete(run: "a", steps: 2)
        _ = try await t.journal.append([run.events[0]], to: "a", expecting: .noRun)
        _ = try t.journal.runs()  // commits the window
        // As a writer closing between this one's opening of the file and its lock would.
        #expect(unlink(log) == 0)
        _ = try await t.journal.append([run.events[1]], to: "a", expecting: .exactly(1))
        let written = try Data(contentsOf: URL(fileURLWithPath: log))
        #expect(written.starts(with: Array("@=".utf8)))
        #expect(written.range(of: Data(run.events[1].bytes)) != nil, "the open window's append is in the log")
        // What a killed writer would leave: the next writer replays it.
        let dir = t.directory + "/copy"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-pjlog"] where FileManager.default.fileExists(atPath: t.path + suffix) {
            try FileManager.default.copyItem(atPath: t.path + suffix, toPath: dir + "/journal.sqlite" + suffix)
        }
        let recovered = try Journal(path: dir + "/journal.sqlite")
        #expect(try recovered.events(of: "a").map(\.bytes) == run.events[0..<2].map(\.bytes))
        _ = try t.journal.runs()
    }
}
