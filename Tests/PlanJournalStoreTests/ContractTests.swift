import Foundation
import PlanJournalCore
import PlanJournalStore
import PlanJournalTestSupport
import Testing

/// The shared contract examples against a real journal file.
@Suite struct ContractTests {
    /// Every event of every run, as (run, seq, line), for comparing journals.
    private func dump(_ journal: Journal) throws -> [String] {
        var out: [String] = []
        for run in try journal.runs().sorted(by: { $0.id < $1.id }) {
            out.append("\(run.id) \(run.status) \(run.events) \(run.headHash)")
            for e in try journal.events(of: run.id) { out.append(e.jsonLine) }
        }
        return out
    }

    /// Run ids are compared byte for byte, as the catalog compares them: `café` in NFC and in
    /// NFD are two runs, also when their events interleave in one input (Swift's `String`
    /// equality merged them, and both were lost to a false conflict).
    @Test func runIDsThatDifferOnlyInNormalizationAreTwoRuns() async throws {
        let t = try TemporaryJournal()
        let (nfc, nfd) = ("caf\u{E9}", "cafe\u{301}")
        let line = { (run: String, seq: Int, kind: String, data: String) in
            #"{"run":"\#(run)","seq":\#(seq),"ts":"2026-11-24T10:00:0\#(seq)Z","kind":"\#(kind)","data":\#(data)}"# + "\n"
        }
        let input = line(nfc, 1, "run.started", #"{"goal":"nfc"}"#) + line(nfd, 1, "run.started", #"{"goal":"nfd"}"#)
            + line(nfc, 2, "note", "{}") + line(nfd, 2, "note", "{}")
        let report = try t.journal.ingest(text: input)
        #expect(report.rejected.isEmpty && report.eventsWritten == 4)
        let goals = try t.journal.runs().map { ($0.id.utf8.count, $0.goal) }.sorted { $0.0 < $1.0 }
        #expect(goals.map(\.1) == ["nfc", "nfd"])
        #expect(try t.journal.events(of: nfd).count == 2 && t.journal.verify().ok)
        // Appends keep them apart too (the chain heads a writer remembers are per run).
        let e3 = try JournalEvent(parsing: line(nfc, 3, "note", "{}"))
        let f3 = try JournalEvent(parsing: line(nfd, 3, "note", "{}"))
        _ = try await t.journal.append([e3], to: nfc, expecting: .exactly(2))
        _ = try await t.journal.append([f3], to: nfd, expecting: .exactly(2))
        #expect(try t.journal.verify().ok)
    }

    /// A run continued under another Unicode spelling of its id is a new run that does not start
    /// at seq 1: the rejection says why, on ingest and on append.
    @Test func aRunContinuedUnderAnotherSpellingOfItsIDIsNamed() async throws {
        let t = try TemporaryJournal()
        let (nfc, nfd) = ("caf\u{E9}", "cafe\u{301}")
        let line = { (run: String, seq: Int, kind: String, data: String) in
            #"{"run":"\#(run)","seq":\#(seq),"ts":"2026-11-24T10:00:0\#(seq)Z","kind":"\#(kind)","data":\#(data)}"# + "\n"
        }
        _ = try t.journal.ingest(text: line(nfc, 1, "run.started", #"{"goal":"g"}"#) + line(nfc, 2, "note", "{}"))
        let report = try t.journal.ingest(text: line(nfd, 3, "note", "{}"))
        let message = try #require(report.rejected.first?.message)
        #expect(message.contains("another Unicode spelling (composed, NFC, at seq 2)"), "\(message)")
        await #expect {
            _ = try await t.journal.append([JournalEvent(parsing: line(nfd, 3, "note", "{}"))], to: nfd, expecting: .any)
        } throws: { ($0 as? JournalError)?.message.contains("another Unicode spelling") == true }
        // Ids with one spelling only get the plain message.
        let plain = try t.journal.ingest(text: line("other", 3, "note", "{}"))
        #expect(plain.rejected.first?.message.contains("Unicode") == false)
    }

    /// A kind written with escapes (`run.c\u006fmpleted`, as a serializer that escapes letters
    /// writes it) is the kind it spells for every reader, as it is for validation: read back, the
    /// event is a known kind, kept as written, and the fold ends the run.
    @Test func aKindWrittenWithEscapesIsTheKindItSpells() throws {
        let t = try TemporaryJournal()
        let lines = [
            #"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.st\u0061rted","data":{"goal":"g"}}"#,
            #"{"run":"r","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"plan.proposed","data":{"version":1,"steps":[{"id":"a"}]}}"#,
            #"{"run":"r","seq":3,"ts":"2026-11-24T10:00:02Z","kind":"step.started","data":{"step_id":"a"}}"#,
            #"{"run":"r","seq":4,"ts":"2026-11-24T10:00:03Z","kind":"step.completed","data":{"step_id":"a","output":"x"}}"#,
            #"{"run":"r","seq":5,"ts":"2026-11-24T10:00:04Z","kind":"run.c\u006fmpleted","data":{"status":"succeeded"}}"#,
        ]
        let report = try t.journal.ingest(text: lines.joined(separator: "\n") + "\n")
        #expect(report.rejected.isEmpty, "\(report.rejected)")
        let events = try t.reopen().events(of: "r")
        #expect(events.map(\.knownKind) == [.runStarted, .planProposed, .stepStarted, .stepCompleted, .runCompleted])
        #expect(events.last?.jsonLine.contains(#""kind":"run.c\u006fmpleted""#) == true)
        let state = try t.journal.state(of: "r")
        #expect(state.status == "succeeded" && state.endedAt != nil)
    }

    /// Files that each start with a byte order mark, concatenated (`cat a.jsonl b.jsonl`), carry
    /// one into the middle of the input: it is skipped at the start of any line, as at the
    /// start of the input, and the events read back without it.
    @Test func aByteOrderMarkStartingAnyLineIsSkipped() throws {
        let t = try TemporaryJournal()
        let bom = "\u{FEFF}"
        let text = bom + #"{"run":"bm","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"# + "\r\n"
            + bom + #"{"run":"bm","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"note","data":{}}"# + "\r\n"
        let report = try t.journal.ingest(text: text)
        #expect(report.rejected.isEmpty && report.eventsWritten == 2, "\(report.rejected)")
        #expect(try t.journal.events(of: "bm").allSatisfy { $0.jsonLine.hasPrefix("{") })
        let appended = try JournalEvent(parsing: bom + #"{"run":"bm","seq":3,"ts":"2026-11-24T10:00:02Z","kind":"note","data":{}}"#)
        #expect(appended.seq == 3 && appended.jsonLine.hasPrefix("{"))
    }

    /// Text with a NUL (a goal, say) is stored whole in the catalog, not cut at the NUL as a C
    /// string would be.
    @Test func aNULInsideTextIsKeptInTheCatalog() throws {
        let t = try TemporaryJournal()
        _ = try t.journal.ingest(text: #"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"a\u0000b"}}"# + "\n")
        #expect(try t.journal.runs().first?.goal == "a\u{0}b")
    }

    @Test func validContractIngestsAndReadsBackValueForValue() throws {
        let t = try TemporaryJournal()
        let report = try t.journal.ingest(file: Fixtures.validContract)
        #expect(report.rejected.isEmpty)
        #expect(report.eventsWritten == 33)
        let input = try Fixtures.lines(Fixtures.validContract)
        var stored: [String: [String]] = [:]
        for run in try t.journal.runs() {
            stored[run.id] = try t.journal.events(of: run.id).map(\.jsonLine)
        }
        #expect(Set(stored.keys) == ["01JDQ8Z7K2V3M4N5P6Q7R8S9T0", "run-2026-11-24/ünïcode ✓"])
        var cursor: [String: Int] = [:]
        for line in input {
            let e = try JournalEvent(parsing: line)
            let k = cursor[e.run, default: 0]
            cursor[e.run] = k + 1
            #expect(try JSONComparison.normalized(stored[e.run]![k]) == JSONComparison.normalized(line))
        }
        // Extra fields, big integers and tiny floats keep their exact text.
        let note = try t.journal.events(of: "run-2026-11-24/ünïcode ✓", from: 4, to: 4)[0]
        #expect(note.jsonLine.contains(#""big":12345678901234567890"#))
        #expect(note.jsonLine.contains(#""float":1e-07"#))
        let started = try t.journal.events(of: "01JDQ8Z7K2V3M4N5P6Q7R8S9T0", to: 1)[0]
        #expect(started.dataString("team") == "platform")
        #expect(try t.journal.verify().ok)
    }

    /// Expected line and field of each invalid example (contract/invalid/README.md).
    static let expectations: [String: (line: Int, field: String?)] = [
        "seq-gap.jsonl": (2, "seq"), "first-not-started.jsonl": (1, "kind"), "missing-goal.jsonl": (1, "data.goal"),
        "wrong-type.jsonl": (2, "data.version"), "cycle.jsonl": (2, "data.steps"),
        "unknown-dependency.jsonl": (2, "data.steps[0].depends_on"), "duplicate-step-id.jsonl": (2, "data.steps[1].id"),
        "unknown-step.jsonl": (3, "data.step_id"), "after-completed.jsonl": (3, "kind"),
        "bad-status.jsonl": (2, "data.status"), "bad-timestamp.jsonl": (1, "ts"), "truncated-line.jsonl": (2, nil),
        "empty-run-id.jsonl": (1, "run"), "not-utf8.jsonl": (1, nil),
    ]

    @Test(arguments: Fixtures.invalidContractFiles)
    func invalidExampleIsRejectedWholeNamingItsLineAndLeavesTheJournalAsItWas(_ file: String) throws {
        let name = (file as NSString).lastPathComponent
        let expected = try #require(Self.expectations[name], "no expectation for \(name)")
        let t = try TemporaryJournal()
        _ = try t.journal.ingest(file: Fixtures.validContract)
        let before = try dump(t.journal)
        let report = try t.journal.ingest(file: file)
        #expect(report.eventsWritten == 0)
        #expect(report.rejected.count == 1)
        let r = try #require(report.rejected.first)
        #expect(r.line == expected.line)
        if let field = expected.field { #expect(r.field == field) }
        if name != "empty-run-id.jsonl" { #expect(r.run == "r-bad") }
        let message = r.error(source: file).description
        #expect(message.contains("line \(expected.line)"))
        #expect(try dump(t.journal) == before)
        #expect(try t.journal.verify().ok)
    }

    @Test func aBadRunIsRejectedWhileTheOtherRunsOfTheFileLand() throws {
        let t = try TemporaryJournal()
        let good = try RunBuilder.complete(run: "good", steps: 4)
        var bad = RunBuilder(run: "bad")
        try bad.add("run.started", #"{"goal":"g"}"#)
        try bad.add("plan.proposed", #"{"version":1,"steps":[{"id":"a"}]}"#)
        try bad.add("step.started", #"{"step_id":"nope"}"#)
        // Interleave the two runs line by line.
        var lines: [String] = []
        for k in 0..<max(good.events.count, bad.events.count) {
            if k < good.events.count { lines.append(good.events[k].jsonLine) }
            if k < bad.events.count { lines.append(bad.events[k].jsonLine) }
        }
        let report = try t.journal.ingest(text: lines.joined(separator: "\n") + "\n")
        #expect(report.runsWritten == ["good"])
        #expect(report.rejected.map(\.run) == ["bad"])
        #expect(report.rejected.first?.line == 6)
        #expect(try t.journal.runs().map(\.id) == ["good"])
        #expect(try t.journal.events(of: "good").count == good.events.count)
    }

    /// A line that names no run may be an event of any run open at that line: those are
    /// rejected whole; a run completed before it, or started after it, lands (it used to reject
    /// every run of the input).
    @Test func aLineThatNamesNoRunRejectsOnlyTheRunsOpenAtIt() throws {
        let t = try TemporaryJournal()
        let before = try RunBuilder.complete(run: "before", steps: 2)
        let open = try RunBuilder.complete(run: "open", steps: 2)
        let after = try RunBuilder.complete(run: "after", steps: 2)
        var lines = before.events.map(\.jsonLine)
        lines += open.events[..<3].map(\.jsonLine)
        lines.append(#"{"v":1,"ru"#)
        lines.append("[1,2]")
        lines += open.events[3...].map(\.jsonLine)
        lines += after.events.map(\.jsonLine)
        let report = try t.journal.ingest(text: lines.joined(separator: "\n") + "\n")
        #expect(try t.journal.runs().map(\.id).sorted() == ["after", "before"])
        #expect(report.rejected.map(\.run) == [nil, "open"])
        #expect(report.rejected.first?.line == before.events.count + 4)
        #expect(report.rejected.first?.ignoredLines == 1)
        #expect(report.rejected.last?.message.contains("names no run") == true)
        #expect(report.eventsWritten == before.events.count + after.events.count)
        #expect(try t.journal.verify().ok)

        // Ingested again, the completed runs are not suspects (they take no more events), and a
        // run whose events were all there already is not reported as written.
        let again = try t.journal.ingest(text: lines.joined(separator: "\n") + "\n")
        #expect(again.rejected.map(\.run) == [nil, "open"])
        #expect(again.runsWritten.isEmpty && again.eventsWritten == 0)

        // A line naming two runs (one key escaped) is not the first one's: it is blamed on the run
        // its plain key names (the one jq and Python read), not on another run.
        let twoRuns = [
            #"{"run":"a2","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
            #"{"r\u0075n":"b2","run":"a2","seq":2,"ts":"2026-11-24T10:00:01Z","kind":"run.completed","data":{"status":"succeeded"}}"#,
        ]
        let named = try t.journal.ingest(text: twoRuns.joined(separator: "\n") + "\n")
        #expect(named.rejected.map(\.run) == ["a2"] && named.runsWritten.isEmpty)

        // A "run" inside data (or inside a string) is not the line's run.
        let v3 = try RunBuilder.complete(run: "v3", steps: 1)
        let garbled = #"{"seq":1,"data":{"goal":"x","run":"v3"},"note":"\"run\":\"v3\"","kind":"run.started"} trailing"#
        let second = try t.journal.ingest(text: ([garbled] + v3.events.map(\.jsonLine)).joined(separator: "\n") + "\n")
        #expect(second.rejected.map(\.run) == [nil])
        #expect(second.runsWritten == ["v3"])

        // An empty run id names the run "", which no valid line belongs to: runs open beside it land.
        let e4 = try RunBuilder.complete(run: "e4", steps: 1)
        var withEmpty = e4.events.map(\.jsonLine)
        withEmpty.insert(#"{"v":1,"run":"","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#, at: 2)
        let empty = try t.journal.ingest(text: withEmpty.joined(separator: "\n") + "\n")
        #expect(empty.rejected.map(\.run) == [""] && empty.runsWritten == ["e4"])

        // A run id written with escapes after the field that is wrong (Python's json.dumps with
        // sort_keys), or one no event may have (U+0000, too long): the line is that run's, and
        // the run open beside it lands (each used to be a line naming no run).
        let long = String(repeating: "x", count: JournalEvent.maxRunIDBytes + 1)
        for (line, id) in [
            (#"{"data":null,"kind":"run.started","run":"agent-\u00fc","seq":1,"ts":"2026-11-24T10:00:00Z"}"#, "agent-ü"),
            (#"{"data":{},"kind":"run.started","run":"q\"\\\u0041","seq":1,"ts":"yesterday"}"#, #"q"\A"#),
            (#"{"run":"a\u0000b","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#, "a\u{0}b"),
            (#"{"run":"\#(long)","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#, long),
        ] {
            let beside = try RunBuilder.complete(run: "beside-" + UUID().uuidString, steps: 1)
            var mixed = beside.events.map(\.jsonLine)
            mixed.insert(line, at: 2)
            let report = try t.journal.ingest(text: mixed.joined(separator: "\n") + "\n")
            #expect(report.rejected.map(\.run) == [id] && report.runsWritten == [beside.run], "\(line)")
            #expect(report.rejected.first?.line == 3 && report.rejected.first?.seq == 1)
        }
    }

    /// Two different events at one seq of the same input are bad input naming `seq`, not a
    /// conflict with the journal (which held nothing of the run).
    @Test func aSeqTwiceInTheInputIsInvalidNotAConflict() throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "twice", steps: 2)
        var lines = run.events.map(\.jsonLine)
        lines.insert(lines[2].replacingOccurrences(of: #""seq":3,"#, with: #""seq":3,"again":true,"#), at: 3)
        let report = try t.journal.ingest(text: lines.joined(separator: "\n") + "\n")
        let r = try #require(report.rejected.first)
        #expect(r.code == JournalError.Code.invalidEvent.name && r.field == "seq" && r.seq == 3 && r.line == 4)
        #expect(r.message.contains("twice in the input"))
        #expect(try t.journal.runs().isEmpty)
    }

    /// An error found before the envelope's seq was read still names the seq the line shows.
    @Test func anErrorBeforeTheSeqStillNamesIt() throws {
        let t = try TemporaryJournal()
        let line = #"{"ts":"yesterday","run":"r","data":{"seq":9},"seq":3,"kind":"note"}"#
        let report = try t.journal.ingest(text: line + "\n")
        #expect(report.rejected.first?.seq == 3 && report.rejected.first?.field == "ts")
        let year10000 = #"{"run":"r","seq":1,"ts":253402300800000000,"kind":"run.started","data":{"goal":"g"}}"#
        #expect(try t.journal.ingest(text: year10000 + "\n").rejected.first?.message.contains("0001-9999") == true)
    }

    @Test func reIngestSkipsWhatIsStoredContinuesRunsAndFlagsConflicts() throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "r1", steps: 5)
        let half = run.events.count / 2
        let first = try t.journal.ingest(text: run.events[..<half].map { $0.jsonLine + "\n" }.joined())
        #expect(first.eventsWritten == half)
        // The whole run again: the stored half is skipped, the rest appended.
        let second = try t.journal.ingest(text: run.jsonl)
        #expect(second.eventsSkipped == half)
        #expect(second.eventsWritten == run.events.count - half)
        let third = try t.journal.ingest(text: run.jsonl)
        #expect(third.eventsWritten == 0 && third.eventsSkipped == run.events.count)
        // A different event at a stored seq is a conflict, and nothing changes.
        let headBefore = try t.journal.run("r1").headHash
        let changed = run.events[2].jsonLine.replacingOccurrences(of: "\"attempt\":1", with: "\"attempt\":2")
        let lines = run.events.map(\.jsonLine).enumerated().map { $0.offset == 2 ? changed : $0.element }
        let fourth = try t.journal.ingest(text: lines.joined(separator: "\n"))
        #expect(fourth.rejected.first?.code == JournalError.Code.conflict.name)
        #expect(fourth.rejected.first?.seq == 3)
        #expect(try t.journal.run("r1").headHash == headBefore)
        #expect(try t.journal.verify().ok)
    }

    /// Lines as one input: `ranges` of the run's events (by index), one after another.
    private func lines(_ run: RunBuilder, _ ranges: Range<Int>...) -> String {
        ranges.flatMap { run.events[$0].map { $0.jsonLine + "\n" } }.joined()
    }

    @Test(arguments: [128 * 1024, 600])
    func anEventRepeatedInTheSameInputIsSkippedLikeOneStoredBefore(chunkBytes: Int) throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: chunkBytes))
        let run = try RunBuilder.complete(run: "twice", steps: 6)
        let open = try RunBuilder.complete(run: "open", steps: 6)
        let n = run.events.count
        // A finished run logged twice, and an unfinished one whose logs overlap (rotated with some
        // lines in both files), interleaved: each lands once, the repeats are skipped.
        let text =
            lines(run, 0..<n) + lines(open, 0..<(n / 2)) + lines(run, 0..<n) + lines(open, (n / 2 - 3)..<(n - 1))
        let report = try t.journal.ingest(text: text)
        #expect(report.rejected.isEmpty)
        #expect(report.eventsWritten == n + n - 1)
        #expect(report.eventsSkipped == n + 3)
        #expect(try t.journal.events(of: "twice").map(\.bytes) == run.events.map(\.bytes))
        #expect(try t.journal.events(of: "open").map(\.bytes) == open.events[..<(n - 1)].map(\.bytes))
        #expect(try t.journal.verify().ok)
    }

    @Test(arguments: [1, 5, 30])
    func aDifferentEventAtASeqOfTheSameInputIsAConflictNamingItsLine(repeatedIndex: Int) throws {
        let t = try TemporaryJournal(configuration: JournalConfiguration(chunkBytes: 600))
        let run = try RunBuilder.complete(run: "r", steps: 6)
        let n = run.events.count
        let e = run.events[repeatedIndex]
        let changed = try JournalEvent(
            run: e.run, seq: e.seq, ts: e.ts, kind: "note", actor: e.actor, cause: e.cause, data: .object([]))
        let report = try t.journal.ingest(text: lines(run, 0..<n) + changed.jsonLine + "\n")
        #expect(report.rejected.first?.code == JournalError.Code.conflict.name)
        #expect(report.rejected.first?.line == n + 1)
        #expect(report.rejected.first?.seq == e.seq)
        #expect(try t.journal.runs().isEmpty)
    }

    @Test func overlongLinesAndCutOffFilesLeaveTheJournalIntact() throws {
        let t = try TemporaryJournal()
        let run = try RunBuilder.complete(run: "big", steps: 2, payloadBytes: 4000)
        let report = try t.journal.ingest(text: run.jsonl, options: IngestOptions(maxLineBytes: 1000))
        #expect(report.rejected.first?.run == "big")
        #expect(report.rejected.first?.message.contains("over the 1000-byte limit") == true)
        #expect(try t.journal.runs().isEmpty)
        // A file cut in its last line (a writer stopped in the middle of it): that line is left
        // out, the events before it land.
        let cut = String(run.jsonl.dropLast(40))
        let partial = try t.journal.ingest(text: cut)
        #expect(partial.rejected.isEmpty && partial.tornLine?.line == run.events.count && partial.tornLine?.run == "big")
        #expect(try t.journal.run("big").events == Int64(run.events.count - 1))
        // Cut in the middle, with lines after the cut, the run is rejected whole.
        let middle = String(run.jsonl.dropLast(40)) + "\n" + run.events[run.events.count - 1].jsonLine + "\n"
        let other = middle.replacingOccurrences(of: #""run":"big""#, with: #""run":"big2""#)
        let rejected = try t.journal.ingest(text: other)
        #expect(rejected.rejected.first?.code == JournalError.Code.syntax.name && rejected.rejected.first?.run == "big2")
        #expect(try t.journal.runs().map(\.id) == ["big"])
    }

    @Test func aByteOrderMarkAndWindowsLineEndsAreReadAsThePlainText() throws {
        let run = try RunBuilder.complete(run: "win", steps: 2)
        let plain = try TemporaryJournal()
        _ = try plain.journal.ingest(text: run.jsonl)
        let windows = try TemporaryJournal()
        let text = "\u{FEFF}" + run.jsonl.replacingOccurrences(of: "\n", with: "\r\n")
        let report = try windows.journal.ingest(text: text)
        #expect(report.rejected.isEmpty)
        #expect(try dump(windows.journal) == dump(plain.journal))
    }

    /// A line whose run id holds a lone surrogate is rejected under the id as written, not as the
    /// U+FFFD it reads as: a valid run of that id lands.
    @Test func aRunIDWithALoneSurrogateTakesNoValidRunWithIt() throws {
        let t = try TemporaryJournal()
        let lines = [
            #"{"run":"x\ufffd","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
            #"{"run":"x\ud800","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"g"}}"#,
        ]
        let report = try t.journal.ingest(text: lines.joined(separator: "\n") + "\n")
        #expect(report.runsWritten == ["x\u{FFFD}"] && report.rejected.map(\.run) == [#"x\ud800"#])
        #expect(report.rejected.first?.field == "run")
    }
}
