import Testing

@testable import PlanJournalCore

@Suite struct JSONCompactorTests {
    private func compact(_ text: String) throws -> String {
        var c = JSONCompactor(Array(text.utf8))
        var out: [UInt8] = []
        try c.copyValue(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func dropsWhitespaceButKeepsTokensExactly() throws {
        let input = #" { "a" : [ 1 , 2.50 , -0 , 1e-07 , 12345678901234567890 ] , "s" : "x \" \u00e9 \n" , "t" : true } "#
        #expect(try compact(input) == #"{"a":[1,2.50,-0,1e-07,12345678901234567890],"s":"x \" \u00e9 \n","t":true}"#)
    }

    @Test(arguments: [
        #"{"a":1"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":"\x"}"#, #"[1,]"#, #"{"a" 1}"#, "\"tab\there\"", #"nul"#,
        #""\u12G4""#,
    ])
    func rejectsMalformedJSON(_ input: String) {
        #expect(throws: JSONSyntaxError.self) { try compact(input) }
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82]] {
            var c = JSONCompactor(bytes)
            var out: [UInt8] = []
            #expect(throws: JSONSyntaxError.self) { try c.copyValue(into: &out) }
        }
    }

    /// A UTF-16 surrogate alone is no character: jq and Rust's serde_json refuse it, so a
    /// journal that kept one could not be read back through `planj events | jq`. The compactor
    /// refuses it; readers of agents' JSON write it as `\ufffd` first, and then read it.
    @Test func loneSurrogatesAreReadAsTheReplacementCharacter() throws {
        let cases = [
            (#""\ud800""#, #""\ufffd""#), (#""\udc00""#, #""\ufffd""#), (#""\ud800x""#, #""\ufffdx""#),
            (#""\ud800\u0041""#, #""\ufffd\u0041""#), (#""\udbff\ud800""#, #""\ufffd\ufffd""#),
            (#"{"\uDC01":"\\ud800 \ud83d\ude00"}"#, #"{"\ufffd":"\\ud800 \ud83d\ude00"}"#),
        ]
        for (lone, replaced) in cases {
            #expect(throws: JSONSyntaxError.self, "\(lone)") { try compact(lone) }
            #expect(JSONLoneSurrogates.replaced(in: Array(lone.utf8)) == Array(replaced.utf8), "\(lone)")
            #expect(try JSONValue(parsing: lone) == JSONValue(parsing: replaced))
        }
        #expect(try compact(#""\ud83d\ude00 \uD83D\uDE00""#) == #""\ud83d\ude00 \uD83D\uDE00""#)
        #expect(JSONLoneSurrogates.replaced(in: Array(#""\ud83d\ude00 \\ud800""#.utf8)) == nil)
        let event = try JournalEvent(
            parsing: #"{"run":"r\ud83d\ude00","seq":1,"ts":"2026-11-24T10:00:00Z","kind":"run.started","data":{"goal":"cut \ud83e"}}"#)
        #expect(event.run == "r😀" && event.dataString("goal") == "cut \u{FFFD}")
        #expect(String(decoding: event.bytes, as: UTF8.self).contains(#""goal":"cut \ufffd""#))
        // Read again after the replacement, a line still says what is worth a note about its time
        // (keys sorted: the first read stopped at data, before ts).
        var note: TimestampNote?
        _ = try JournalEvent(
            parsing: Array(#"{"data":{"goal":"\ud83e"},"kind":"run.started","run":"r","seq":1,"ts":"2026-11-24T10:00:00.1234567Z"}"#.utf8),
            timestampNote: &note)
        #expect(note == .rounded)
        // Not in a run id: `r\ud800` and `r\udc00` would both read `r\u{FFFD}`, one run of two.
        for run in [#"r\ud800"#, #"r\udc00"#, #"\ud83e"#] {
            let line = #"{"run":""# + run + #"","seq":2,"ts":"2026-11-24T10:00:00Z","kind":"note","data":{"text":"\ud83e"}}"#
            #expect {
                try JournalEvent(parsing: line)
            } throws: { error in
                let e = error as? JournalError
                return e?.code == .invalidEvent && e?.context.field == "run" && e?.context.seq == 2
                    && e?.message.contains("surrogate") == true
            }
        }
    }

    @Test func acceptsMultiByteUTF8() throws {
        #expect(try compact("\"Räkna 🧮 ✓\"") == "\"Räkna 🧮 ✓\"")
    }

    @Test func rejectsHostileNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONSyntaxError.self) { try compact(deep) }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\n\u00e9\ud83e\uddee""#)
        #expect(value == .string("a\"b\\c/d\né🧮"))
    }

    @Test func valueRoundTripsThroughItsCompactText() throws {
        let text = #"{"b":[1,2,{"c":null}],"a":"x","n":1e-07,"big":12345678901234567890,"f":false}"#
        let value = try JSONValue(parsing: text)
        #expect(value.jsonText == text)
        #expect(value["big"] == .number("12345678901234567890"))
    }
}
