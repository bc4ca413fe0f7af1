import Foundation
import PlanJournalCore
import PlanJournalTestSupport
import Testing

@testable import PlanJournalStore

/// Long strings that an earlier run of the same ingest holds are stored once (a
/// ``StringReference``), and every read returns the events as they were appended.
@Suite struct StringReferenceTests {
    /// A file that several runs read: 1.4 KB of JSON string contents, escapes included.
    static let sharedFile = String(
        repeating: #"def handler(event):\n    return \"ok\" if event else None  # shared\n"#, count: 20)

    /// A complete run whose steps each observe `content` (JSON string contents) and something of their own.
    static func run(_ id: String, observing content: String, notes: String? = nil, steps: Int = 2) throws -> RunBuilder {
        var b = RunBuilder(run: id)
        try b.add("run.started", #"{"goal":"read the handler for \#(id)"}"#)
        let plan = (0..<steps).map { #"{"id":"s\#($0)","description":"read","depends_on":[]}"# }
        try b.add("plan.proposed", #"{"version":1,"steps":[\#(plan.joined(separator: ","))]}"#, actor: "planner")
        for k in 0..<steps {
            try b.add("step.started", #"{"step_id":"s\#(k)","attempt":1}"#, actor: "executor")
            let own = notes ?? String(repeating: "\(id) step \(k) line; ", count: 40)
            try b.add("step.observed", #"{"step_id":"s\#(k)","ok":true,"content":"\#(content)","notes":"\#(own)"}"#)
            try b.add("step.completed", #"{"step_id":"s\#(k)","output":"done"}"#, actor: "executor")
        }
        try b.add("run.completed", #"{"status":"succeeded"}"#)
        return b
    }

    private func referencingChunks(_ t: TemporaryJournal) throws -> [String] {
        let db = try SQLiteConnection(path: t.path)
        let s = try db.statement(
            "SELECT runs.id FROM chunks JOIN runs USING (rid) WHERE chunks.codec & 8 != 0 ORDER BY runs.id")
        defer { s.reset() }
        var out: [String] = []
        while try s.step() { out.append(s.text(0) ?? "") }
        return out
    }

    private func expectStored(_ journal: Journal, _ runs: [RunBuilder]) throws {
        for r in runs {
            #expect(try journal.events(of: r.run).map(\.jsonLine) == r.events.map(\.jsonLine), "run \(r.run)")
        }
    }

    @Test func aStringAnEarlierRunHoldsIsStoredOnceAndReadBackAsAppended() throws {
        let t = try TemporaryJournal()
        let runs = try ["a", "b", "c"].map { try Self.run($0, observing: Self.sharedFile) }
        let report = try t.journal.ingest(text: runs.map(\.jsonl).joined())
        #expect(report.rejected.isEmpty)
        #expect(try referencingChunks(t) == ["b", "c"])
        try expectStored(t.journal, runs)
        #expect(try t.journal.verify().ok)
        // A new connection, nothing cached: the same events, and the export of one run alone.
        let reopened = try t.reopen()
        try expectStored(reopened, runs)
        #expect(try reopened.state(of: "c").steps.map(\.status) == [.completed, .completed])
        // The referencing chunk holds the file once less: it stores fewer bytes than it reads back.
        let db = try SQLiteConnection(path: t.path)
        let s = try db.statement("SELECT chunks.raw_len, runs.raw_bytes FROM chunks JOIN runs USING (rid) WHERE id = 'c'")
        defer { s.reset() }
        #expect(try s.step())
        #expect(s.int(0) + Int64(Self.sharedFile.utf8.count) * 2 - 100 < s.int(1))
    }

    @Test func aStringStoredAfterAReferenceInItsLineIsFoundWhereItWasAppended() throws {
        let t = try TemporaryJournal()
        let second = String(repeating: "a second file, read by b first; ", count: 30)
        // b references a's copy of the shared file and holds `second` after it, in the same line;
        // c references b's `second`, which sits behind that reference in b's stored line.
        let runs = [
            try Self.run("a", observing: Self.sharedFile),
            try Self.run("b", observing: Self.sharedFile, notes: second),
            try Self.run("c", observing: second),
        ]
        _ = try t.journal.ingest(text: runs.map(\.jsonl).joined())
        #expect(try referencingChunks(t) == ["b", "c"])
        try expectStored(try t.reopen(), runs)
        #expect(try t.journal.verify().ok)
    }

    @Test func filesIngestedOneAfterAnotherReferenceEachOthersStringsButNotRolledBackOnes() throws {
        let t = try TemporaryJournal()
        let a = try Self.run("a", observing: Self.sharedFile)
        let b = try Self.run("b", observing: Self.sharedFile)
        _ = try t.journal.ingest(text: a.jsonl, source: "a.jsonl")
        _ = try t.journal.ingest(text: b.jsonl, source: "b.jsonl")
        #expect(try referencingChunks(t) == ["b"])
        // An ingest rolled back after its chunks were written: its strings are not referenced later.
        let fresh = String(repeating: "a file only the rolled-back run read; ", count: 20)
        let c = try Self.run("c", observing: fresh)
        #expect(throws: JournalError.self) {
            try t.journal.ingest(
                source: "c.jsonl", options: IngestOptions(),
                produce: { (push) throws(JournalError) in try push(Array(c.jsonl.utf8)) },
                beforeCommit: { _, _ throws(JournalError) in throw JournalError(.io, "stopped before commit") })
        }
        #expect(try t.journal.runs().map(\.id).sorted() == ["a", "b"])
        // e takes the catalog row c had; d then reads the file c read.
        let e = try Self.run("e", observing: "nothing long")
        let d = try Self.run("d", observing: fresh)
        _ = try t.journal.ingest(text: e.jsonl + d.jsonl, source: "d.jsonl")
        #expect(try referencingChunks(t) == ["b"])
        try expectStored(try t.reopen(), [a, b, d, e])
        #expect(try t.journal.verify().ok)
    }

    @Test func aRejectedRunsStringsStayReadableInTheRunsThatReferencedThem() throws {
        let t = try TemporaryJournal()
        let a = try Self.run("a", observing: Self.sharedFile)
        let b = try Self.run("b", observing: Self.sharedFile)
        // A line after a's run.completed rejects a, after b's chunk referenced a's strings.
        var late = a
        try late.add("x.note", #"{"text":"too late"}"#)
        let report = try t.journal.ingest(text: a.jsonl + b.jsonl + late.events.last!.jsonLine + "\n")
        #expect(report.rejected.map(\.run) == ["a"])
        #expect(try t.journal.runs().map(\.id) == ["b"])
        try expectStored(t.journal, [b])
        #expect(try t.journal.verify().ok)
        // The index forgot a: later runs reference b's copy (or their own), never a's.
        let c = try Self.run("c", observing: Self.sharedFile)
        let d = try Self.run("d", observing: Self.sharedFile)
        #expect(try t.journal.ingest(text: c.jsonl + d.jsonl).rejected.isEmpty)
        try expectStored(try t.reopen(), [b, c, d])
        #expect(try t.journal.verify().ok)
    }

    @Test func aChangedByteOfAReferencedChunkFailsVerifyForEveryRunThatReadsIt() throws {
        let t = try TemporaryJournal()
        let runs = try ["a", "b"].map { try Self.run($0, observing: Self.sharedFile) }
        _ = try t.journal.ingest(text: runs.map(\.jsonl).joined())
        #expect(try referencingChunks(t) == ["b"])
        try StoredEventTamperer.flipMiddleByte(
            ofChunk: "SELECT cid, body FROM chunks JOIN runs USING (rid) WHERE id = 'a'", in: t.path)
        let report = try t.reopen().verify()
        #expect(Set(report.problems.map(\.run)) == ["a", "b"])
        // b's problem names the run whose chunk is damaged: a is the one to restore.
        let b = try #require(report.problems.first { $0.run == "b" })
        #expect(b.message.contains("it holds text stored once in run a (its chunk of seq 1-"), "\(b.message)")
    }

    @Test func aDamagedReferenceIsReportedAsCorruptNamingItsRun() throws {
        let t = try TemporaryJournal()
        let runs = try ["a", "b"].map { try Self.run($0, observing: Self.sharedFile) }
        _ = try t.journal.ingest(text: runs.map(\.jsonl).joined())
        let db = try SQLiteConnection(path: t.path)
        // b's events stored raw, with its first long string pointing at a run that does not exist.
        var stored = Array(runs[1].jsonl.utf8)
        let file = Array(Self.sharedFile.utf8)
        let at = try #require(stored.firstRange(of: file))
        var reference: [UInt8] = []
        StringReference(rid: 999, seq: 1, offset: 0, length: file.count).write(into: &reference)
        stored.replaceSubrange(at, with: reference)
        try db.statement(
            "UPDATE chunks SET codec = 8, dict = NULL, raw_len = ?, body = ?, body_sum = ? WHERE rid = (SELECT rid FROM runs WHERE id = 'b')"
        ).bind(.int(Int64(stored.count)), .blob(stored), .blob(ChunkRow.checksum(stored))).run()
        let journal = try t.reopen()
        #expect {
            try journal.events(of: "b")
        } throws: { error in
            let e = error as? JournalError
            return e?.code == .corrupt && e?.context.run == "b" && e?.message.contains("seq 1 of a run") == true
        }
        #expect(try journal.verify().problems.map(\.run) == ["b"])
        try expectStored(journal, [runs[0]])
    }

    @Test func repeatsWithinOneChunkAreLeftToLZ4AndEveryReplacementExpandsBack() throws {
        let long = Array(String(repeating: #"x\"y\\"#, count: 200).utf8)
        func line(_ seq: Int, _ s: [UInt8]) -> [UInt8] {
            Array(#"{"seq":\#(seq),"data":{"a":""#.utf8) + s + Array(#"","b":"short"}}"#.utf8) + [10]
        }
        let first = line(1, long) + line(2, long)
        let repeats = RepeatedStrings()
        #expect(repeats.replace(in: first, rid: 1, first: 1) == nil)
        let second = line(3, long) + line(4, Array("other".utf8))
        let (stored, targets) = try #require(repeats.replace(in: second, rid: 2, first: 3))
        #expect(targets == [1])
        #expect(stored.count < second.count - long.count + 40)
        let lines: [Int64: [UInt8]] = [1: Array(line(1, long).dropLast())]
        let back = try StringReference.expand(stored) { (r) throws(JournalError) in
            #expect(r.rid == 1 && r.seq == 1)
            return lines[r.seq]![r.offset..<(r.offset + r.length)]
        }
        #expect(back == second)
        // Bytes that are no JSON Lines, or that hold the marker byte, are left as they are.
        #expect(repeats.replace(in: Array(#"{"a":"unterminated"#.utf8) + long, rid: 3, first: 1) == nil)
        #expect(repeats.replace(in: line(1, long) + [0], rid: 3, first: 1) == nil)
    }

    @Test func aReferenceReadsBackItsOwnFields() throws {
        var bytes: [UInt8] = Array("ab".utf8)
        let r = StringReference(rid: 12, seq: 3_000_000_000, offset: 0, length: 70_000)
        r.write(into: &bytes)
        bytes += Array("cd".utf8)
        let (read, end) = try #require(StringReference.read(bytes, at: 2))
        #expect(read == r)
        #expect(Array(bytes[end...]) == Array("cd".utf8))
        #expect(StringReference.read([0] + Array("1,2,3".utf8) + [0], at: 0) == nil)
        #expect(StringReference.read([0] + Array("1,2,x,4".utf8) + [0], at: 0) == nil)
        #expect(StringReference.read([0] + Array("1,2,3,4".utf8), at: 0) == nil)
    }
}
