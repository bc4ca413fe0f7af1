import Foundation
import PlanJournalTestSupport
import Testing

@testable import PlanJournalCore

@Suite struct JournalEventTests {
    @Test func canonicalFormOrdersTheEnvelopeAndKeepsEverythingElse() throws {
        let line = #"{ "data": {"goal":"g", "team": "x", "n": 1.50}, "kind":"run.started", "extra":[1, 2], "seq":1, "run":"r", "ts":1795514400000001, "v":1, "actor":"system" }"#
        let e = try JournalEvent(parsing: line)
        #expect(
            e.jsonLine
                == #"{"v":1,"run":"r","seq":1,"ts":"2026-11-24T10:00:00.000001Z","kind":"run.started","actor":"system","data":{"goal":"g","team":"x","n":1.50},"extra":[1,2]}"#
        )
        #expect(e.dataString("goal") == "g")
        #expect(e.dataKeys == ["goal", "team", "n"])
        #expect(e.dataDouble("n") == 1.5)
        #expect(e.version == 1)
    }

    /// Keys are matched by their decoded text: escaped keys, keys holding a backslash, keys that
    /// only share a prefix, and repeated keys (the last one counts), through every way an event
    /// is made (parsed, parsed with whitespace, read back canonical, built from parts).
    @Test func dataKeysMatchByTheirDecodedText() throws {
        let line = #"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{"st\u0065p_id":"a","a\\b":1,"step":"short","n":1,"n":2,"\u00e9t\u00e9":"summer"}}"#
        let spaced = line.replacingOccurrences(of: "\":", with: "\" : ").replacingOccurrences(of: ",", with: " , ")
        let parsed = try JournalEvent(parsing: line)
        let built = try #require(
            JournalEvent.built(
                run: "r", seq: 1, ts: parsed.ts, kind: "note", actor: nil, cause: nil, version: nil, data: parsed.data))
        for e in [parsed, try JournalEvent(parsing: spaced), try JournalEvent(canonical: parsed.bytes), built] {
            #expect(e.dataKeys == ["step_id", "a\\b", "step", "n", "n", "été"])
            #expect(e.dataString("step_id") == "a")
            #expect(e.dataInt("a\\b") == 1)
            #expect(e.dataInt("a\\\\b") == nil)
            #expect(e.dataString("step") == "short")
            #expect(e.dataString("ste") == nil)
            #expect(e.dataInt("n") == 2)
            #expect(e.dataString("été") == "summer")
            #expect(e.rawData("t") == nil)
        }
    }

    /// Escapes in `ts` are decoded before it is read (.NET writes `+` as `\u002B`), and whole
    /// numbers written as floats are integers, as JSON Schema's `integer` takes them; the bytes
    /// stay as written.
    @Test func escapedTimesAndWholeFloatsAreRead() throws {
        let line = #"{"v":1.0,"run":"r","seq":2.0,"ts":"2026-11-24T12:00:00\u002B02:00","kind":"plan.proposed","cause":1e0,"data":{"version":1.0,"steps":[{"id":"a"}]}}"#
        let e = try JournalEvent(parsing: line)
        #expect(e.ts.description == "2026-11-24T10:00:00.000000Z")
        #expect(e.seq == 2 && e.version == 1 && e.cause == 1 && e.dataInt("version") == 1)
        #expect(e.jsonLine.contains(#""seq":2.0"#))
        #expect(try JournalEvent(parsing: #"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00\u005a","kind":"note","data":{}}"#).ts.description == "2026-11-24T10:00:00.000000Z")
        #expect(JSONValue.number("5.0").int64Value == 5 && JSONValue.number("7e0").int64Value == 7)
        #expect(JSONValue.number("1.5e1").int64Value == 15 && JSONValue.number("150e-1").int64Value == 15)
        for bad in ["2.5", "1e300", "-1.0", "1.0000000000000001", "15e-1", "0.5e0"] {
            #expect(throws: JournalError.self) {
                try JournalEvent(parsing: #"{"run":"r","seq":\#(bad),"ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#)
            }
        }
    }

    /// `"v": null` (how serializers write an absent optional) is the default version, kept as
    /// written; any other `v` that is no positive integer is still an error naming the field.
    @Test func aNullVersionIsTheDefault() throws {
        let e = try JournalEvent(parsing: #"{"v":null,"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#)
        #expect(e.version == 1 && e.jsonLine.hasPrefix(#"{"v":null,"run":"r""#))
        for bad in ["0", "\"1\"", "true", "1.5"] {
            #expect {
                try JournalEvent(parsing: #"{"v":\#(bad),"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#)
            } throws: { ($0 as? JournalError)?.context.field == "v" }
        }
    }

    /// An integer `ts` before 1973, before 1970 too, is worth a note: seconds or milliseconds, or
    /// a sign gone wrong.
    @Test(arguments: [Int64(-5), 0, 1_764_061_200, 1_764_061_200_000])
    func anIntegerTimeBefore1973IsNoted(ts: Int64) throws {
        var note: TimestampNote?
        _ = try JournalEvent(
            parsing: Array(#"{"run":"r","seq":1,"ts":\#(ts),"kind":"note","data":{}}"#.utf8), timestampNote: &note)
        #expect(note == .integerNearEpoch)
        var later: TimestampNote?
        _ = try JournalEvent(
            parsing: Array(#"{"run":"r","seq":1,"ts":1764061200000000,"kind":"note","data":{}}"#.utf8), timestampNote: &later)
        #expect(later == nil)
    }

    @Test func canonicalFormIsAFixedPoint() throws {
        for line in try Fixtures.lines(Fixtures.validContract) {
            let once = try JournalEvent(parsing: line)
            let twice = try JournalEvent(parsing: once.bytes)
            #expect(once.bytes == twice.bytes)
            #expect(try JSONComparison.normalized(once.jsonLine) == JSONComparison.normalized(line))
        }
    }

    @Test(arguments: [
        (#"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note"}"#, "data"),
        (#"{"run":"r","seq":0,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#, "seq"),
        (#"{"run":"r","seq":"1","ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#, "seq"),
        (#"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"","data":{}}"#, "kind"),
        (#"{"run":7,"seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#, "run"),
        (#"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":[]}"#, "data"),
        (#"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{},"seq":2}"#, "seq"),
        (#"{"run":"r","seq":1,"ts":true,"kind":"note","data":{}}"#, "ts"),
        (#"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{},"cause":"x"}"#, "cause"),
    ])
    func envelopeErrorsNameTheField(_ line: String, _ field: String) {
        #expect {
            try JournalEvent(parsing: line)
        } throws: { error in
            (error as? JournalError)?.context.field == field && (error as? JournalError)?.code == .invalidEvent
        }
    }

    /// NUL ends a C string and cannot be in PostgreSQL's text: a run id or step id holding one
    /// was cut short in the catalog and read back as a different run.
    @Test func idsMustNotContainNUL() throws {
        #expect(throws: JournalError.self) {
            try JournalEvent(parsing: #"{"run":"a\u0000b","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#)
        }
        #expect(throws: JournalError.self) {
            try PlanStep(wire: JSONValue(parsing: #"{"id":"a\u0000b"}"#), path: "steps[0]")
        }
        // Elsewhere a NUL is text like any other.
        let goal = try JournalEvent(parsing: #"{"run":"r","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"a\u0000b"}}"#)
        #expect(goal.dataString("goal") == "a\u{0}b")
    }

    @Test func aRunIDLongerThan128BytesIsRejected() {
        let id = String(repeating: "é", count: 65)
        #expect(throws: JournalError.self) {
            try JournalEvent(parsing: #"{"run":"\#(id)","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{}}"#)
        }
    }
}

@Suite struct CanonicalReadingTests {
    @Test func readingCanonicalBytesGivesTheSameEventAsParsing() throws {
        var lines = try Fixtures.lines(Fixtures.validContract)
        lines.append(
            #"{"v":1,"run":"r\"q","seq":9,"ts":"2026-11-24T10:00:00Z","kind":"note","actor":null,"cause":3,"data":{"s":"a \"}\" ] { \\","n":[1,{"x":"}"}],"e":{},"z":-1.5e3},"extra":{"k":["]"]}}"#)
        for line in lines {
            let parsed = try JournalEvent(parsing: line)
            let read = try JournalEvent(canonical: parsed.bytes)
            #expect(read == parsed)
            #expect(read.dataKeys == parsed.dataKeys)
        }
    }

    @Test func nonCanonicalLinesFallBackToTheValidatingParser() throws {
        let spaced = Array(#"{ "run":"r","seq":1,"ts":1795514400000000,"kind":"note","data":{ "a" : 1 } }"#.utf8)
        #expect(try JournalEvent(canonical: spaced) == JournalEvent(parsing: spaced))
        #expect(throws: JournalError.self) { try JournalEvent(canonical: Array(#"{"run":"r","seq":1,"#.utf8)) }
    }

    /// An error names a run on one line, whatever the id holds (a rejected line's id may be anything).
    @Test func anErrorNamesARunIDWithANewlineOnOneLine() {
        let e = JournalError(.invalidEvent, "bad", context: .init(run: "a\nb\rc", seq: 2))
        #expect(e.description == #"run a\nb\rc seq 2: bad"#)
    }
}
