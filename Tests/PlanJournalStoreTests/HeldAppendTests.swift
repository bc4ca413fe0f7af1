import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// Appends of a write window keep each run's small chunk and catalog row in memory until the
/// window commits: reads through the journal still see every acknowledged append, a failed append
/// leaves the others as they were, and a writer killed with a window open loses nothing it
/// acknowledged (the append log is replayed).
@Suite struct HeldAppendTests {
    /// A window that stays open until something commits it (a read, or the journal closing).
    private static let longWindow = JournalConfiguration(chunkBytes: 2048, commitWindowMicroseconds: 60_000_000)

    /// Copies the journal's files as a killed process would leave them (the open window's
    /// transaction is not in them; its appends are in the log).
    private func crashCopy(of t: TemporaryJournal) throws -> String {
        let dir = NSTemporaryDirectory() + "planjournal-crash-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-pjlog"] where FileManager.default.fileExists(atPath: t.path + suffix) {
            try FileManager.default.copyItem(atPath: t.path + suffix, toPath: dir + "/journal.sqlite" + suffix)
        }
        return dir + "/journal.sqlite"
    }

    @Test func readsSeeEveryAppendHeldInTheWindow() async throws {
        let t = try TemporaryJournal(configuration: Self.longWindow)
        let a = try RunBuilder.complete(run: "a", steps: 8, payloadBytes: 300)
        let b = try RunBuilder.complete(run: "b", steps: 8, payloadBytes: 300)
        var k = 0
        while k < max(a.events.count, b.events.count) {
            // Several appends per window (reads commit it), interleaving the two runs.
            for step in k..<(k + 3) {
                if step < a.events.count {
                    _ = try await t.journal.append([a.events[step]], to: "a", expecting: .exactly(Int64(step)))
                }
                if step < b.events.count {
                    _ = try await t.journal.append([b.events[step]], to: "b", expecting: .exactly(Int64(step)))
                }
            }
            k += 3
            #expect(try t.journal.events(of: "a").map(\.bytes) == a.events.prefix(k).map(\.bytes))
            #expect(try t.journal.run("b").events == min(k, b.events.count))
        }
        #expect(try t.journal.run("a").status == "succeeded")
        #expect(try t.journal.verify().ok)
        let other = try t.reopen()
        #expect(try other.events(of: "b").map(\.bytes) == b.events.map(\.bytes))
    }

    @Test func aFailedAppendInTheWindowLeavesTheHeldRunAsItWas() async throws {
        let t = try TemporaryJournal(configuration: Self.longWindow)
        let a = try RunBuilder.complete(run: "a", steps: 6, payloadBytes: 300)
        for (k, e) in a.events.prefix(10).enumerated() {
            _ = try await t.journal.append([e], to: "a", expecting: .exactly(Int64(k)))
        }
        // A stale head and an invalid event, with the run's appends held: both rejected.
        await #expect(throws: JournalError.self) {
            try await t.journal.append([a.events[10]], to: "a", expecting: .exactly(3))
        }
        let ghost = try JournalEvent(
            run: "a", seq: 12, ts: a.events[10].ts, kind: "step.started", actor: "system",
            data: JSONValue(parsing: #"{"step_id":"ghost"}"#))
        await #expect(throws: JournalError.self) {
            try await t.journal.append([a.events[10], ghost], to: "a", expecting: .exactly(10))
        }
        for (k, e) in a.events.enumerated().dropFirst(10) {
            _ = try await t.journal.append([e], to: "a", expecting: .exactly(Int64(k)))
        }
        // An append after run.completed: rejected, after the completed run's held row was written.
        var late = a
        _ = try late.add("note", "{}")
        await #expect(throws: JournalError.self) {
            try await t.journal.append([late.events.last!], to: "a", expecting: .exactly(Int64(a.events.count)))
        }
        #expect(try t.journal.events(of: "a").map(\.bytes) == a.events.map(\.bytes))
        #expect(try t.journal.run("a").status == "succeeded")
        #expect(try t.journal.verify().ok)
    }

    @Test(arguments: [JournalConfiguration.Durability.normal, .full])
    func aWriterKilledWithAppendsHeldInItsWindowLosesNothingItAcknowledged(
        _ durability: JournalConfiguration.Durability
    ) async throws {
        var configuration = Self.longWindow
        configuration.durability = durability
        let t = try TemporaryJournal(configuration: configuration)
        let runs = try (0..<3).map { try RunBuilder.complete(run: "r\($0)", steps: 6, payloadBytes: 250) }
        // Commit a first part (a read commits the window), then leave a window open with appends held.
        for r in runs {
            for (k, e) in r.events.prefix(5).enumerated() {
                _ = try await t.journal.append([e], to: r.run, expecting: .exactly(Int64(k)))
            }
        }
        #expect(try t.journal.runs().count == 3)
        for k in 5..<runs[0].events.count {
            for r in runs where k < r.events.count {
                _ = try await t.journal.append([r.events[k]], to: r.run, expecting: .exactly(Int64(k)))
            }
        }
        let copy = try crashCopy(of: t)
        defer { try? FileManager.default.removeItem(atPath: (copy as NSString).deletingLastPathComponent) }
        let recovered = try Journal(path: copy)
        for r in runs {
            #expect(try recovered.events(of: r.run).map(\.bytes) == r.events.map(\.bytes))
            #expect(try recovered.run(r.run).status == "succeeded")
        }
        #expect(try recovered.verify().ok)
        #expect(try t.journal.verify().ok)
    }

    /// Concurrent appends go through group commit (with `.full`, through the drain thread while
    /// syncs run): each one acknowledged is in the log of a writer killed with its window open.
    @Test(arguments: [JournalConfiguration.Durability.normal, .full])
    func concurrentAppendsAcknowledgedInAnOpenWindowSurviveAKill(_ durability: JournalConfiguration.Durability)
        async throws
    {
        var configuration = Self.longWindow
        configuration.durability = durability
        let t = try TemporaryJournal(configuration: configuration)
        let runs = try (0..<8).map { try RunBuilder.complete(run: "c\($0)", steps: 5, payloadBytes: 200) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for r in runs {
                group.addTask {
                    for (k, e) in r.events.enumerated() {
                        _ = try await t.journal.append([e], to: r.run, expecting: .exactly(Int64(k)))
                    }
                }
            }
            try await group.waitForAll()
        }
        let copy = try crashCopy(of: t)
        defer { try? FileManager.default.removeItem(atPath: (copy as NSString).deletingLastPathComponent) }
        let recovered = try Journal(path: copy)
        for r in runs {
            #expect(try recovered.events(of: r.run).map(\.bytes) == r.events.map(\.bytes))
        }
        #expect(try recovered.verify().ok)
    }
}
