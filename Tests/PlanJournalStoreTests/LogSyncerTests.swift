import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// Group fsync of the append log for `.full` durability: one sync covers every flush written
/// before it started, a commit on disk makes syncs unneeded, and a failed sync is an error.
@Suite struct LogSyncerTests {
    private func syncer(in t: TemporaryJournal) throws -> LogSyncer {
        let fd = open(t.directory + "/log", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        return try #require(LogSyncer(duplicating: fd, path: t.directory + "/log"))
    }

    @Test func oneSyncCoversEveryFlushWrittenBeforeItStarted() throws {
        let t = try TemporaryJournal()
        let s = try syncer(in: t)
        let first = s.wrote()
        let second = s.wrote()
        try second.wait()
        #expect(s.syncs == 1)
        try first.wait()
        try second.wait()
        #expect(s.syncs == 1, "both flushes were written before the sync started")
        let third = s.wrote()
        try third.wait()
        #expect(s.syncs == 2)
    }

    @Test func aCommitOnDiskLeavesNothingToSync() throws {
        let t = try TemporaryJournal()
        let s = try syncer(in: t)
        let ticket = s.wrote()
        s.markDurable()
        try ticket.wait()
        #expect(s.syncs == 0)
    }

    @Test func concurrentWaitersAllReturnWithNoMoreSyncsThanWaiters() async throws {
        let t = try TemporaryJournal()
        let s = try syncer(in: t)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                let ticket = s.wrote()
                group.addTask { try ticket.wait() }
            }
            try await group.waitForAll()
        }
        #expect((1...16).contains(s.syncs))
        let done = s.syncs
        try s.wrote().wait()
        #expect(s.syncs == done + 1)
    }

    @Test func aSyncThatFailsIsAnIOErrorNamingTheLog() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        // A pipe cannot be synced (EINVAL), as a log on a failing disk cannot.
        let s = try #require(LogSyncer(duplicating: ends[1], path: "/tmp/j.sqlite-pjlog"))
        let ticket = s.wrote()
        let error = #expect(throws: JournalError.self) { try ticket.wait() }
        #expect(error?.code == .io)
        // The log is the error's file; the journal's path is added by whoever knows it.
        #expect(error?.context.file == "/tmp/j.sqlite-pjlog")
        #expect(error?.context.journalPath == nil)
        #expect(s.syncs == 0)
    }
}
