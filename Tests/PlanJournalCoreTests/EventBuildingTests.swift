import Testing

@testable import PlanJournalCore

/// Events built from their parts in Swift are exactly the events their JSON line parses to.
@Suite struct EventBuildingTests {
    /// The event the parts' JSON line parses to (the reference the direct build must match).
    private func parsed(
        run: String, seq: Int64, ts: Timestamp, kind: String, actor: String?, cause: Int64?, version: Int?,
        data: JSONValue
    ) throws -> JournalEvent {
        var out: [UInt8] = [UInt8(ascii: "{")]
        if let version { out += Array("\"v\":\(version),".utf8) }
        out += Array("\"run\":".utf8)
        JSONString.appendQuoted(run, to: &out)
        out += Array(",\"seq\":\(seq),\"ts\":\"\(ts)\",\"kind\":".utf8)
        JSONString.appendQuoted(kind, to: &out)
        if let actor {
            out += Array(",\"actor\":".utf8)
            JSONString.appendQuoted(actor, to: &out)
        }
        if let cause { out += Array(",\"cause\":\(cause)".utf8) }
        out += Array(",\"data\":".utf8)
        data.write(to: &out)
        out.append(UInt8(ascii: "}"))
        return try JournalEvent(parsing: out)
    }

    private static let strings = [
        "", "plain", "quote \" and backslash \\", "tab\tnewline\ncontrol\u{1}", "ünïcødé 日本語 🚀", "step_id", "\u{7F}",
    ]
    private static let numbers = ["0", "-1", "42", "12345678901234567890", "-0.5", "1e-07", "6.02E+23", "3.0"]

    private func randomValue(_ rng: inout some RandomNumberGenerator, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number(Self.numbers.randomElement(using: &rng)!)
        case 3, 4: return .string(Self.strings.randomElement(using: &rng)!)
        case 5: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            return .object(
                (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                    .init(Self.strings.randomElement(using: &rng)!, randomValue(&rng, depth: depth + 1))
                })
        }
    }

    @Test func builtEventsEqualTheirParsedLines() throws {
        var rng = SystemRandomNumberGenerator()
        let kinds = ["step.started", "step.completed", "x.acme.heartbeat", "run.started", "künd"]
        for _ in 0..<2000 {
            let members: [JSONValue.Member] = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                .init(Self.strings.randomElement(using: &rng)!, randomValue(&rng, depth: 1))
            }
            let run = ["01JD-run", "ünicode-run", "run \"quoted\""].randomElement(using: &rng)!
            let seq = Int64.random(in: 1...1_000_000, using: &rng)
            let ts = Timestamp(microseconds: Int64.random(in: -10_000_000_000_000_000...4_000_000_000_000_000, using: &rng))
            let kind = kinds.randomElement(using: &rng)!
            let actor = Bool.random(using: &rng) ? Self.strings.randomElement(using: &rng)! : nil
            let cause = Bool.random(using: &rng) ? Int64.random(in: 0...seq, using: &rng) : nil
            let version = Bool.random(using: &rng) ? Int.random(in: 1...3, using: &rng) : nil
            let built = JournalEvent.built(
                run: run, seq: seq, ts: ts, kind: kind, actor: actor, cause: cause, version: version,
                data: .object(members))
            let reference = try parsed(
                run: run, seq: seq, ts: ts, kind: kind, actor: actor, cause: cause, version: version,
                data: .object(members))
            #expect(built == reference, "\(reference.jsonLine)")
        }
    }

    @Test func partsOnlyTheParserCanJudgeAreLeftToIt() throws {
        let ts = Timestamp(microseconds: 1_700_000_000_000_000)
        func build(_ data: JSONValue, run: String = "r", seq: Int64 = 1, kind: String = "x.k") -> JournalEvent? {
            JournalEvent.built(run: run, seq: seq, ts: ts, kind: kind, actor: nil, cause: nil, version: nil, data: data)
        }
        for literal in ["01", "1.", ".5", "+1", "abc", "", "1e", "--1", "NaN"] {
            #expect(!JSONValue.isNumberLiteral(literal), "\(literal)")
            #expect(build(.object([.init("n", .number(literal))])) == nil)
            #expect(throws: JournalError.self) {
                _ = try JournalEvent(run: "r", seq: 1, ts: ts, kind: "x.k", data: .object([.init("n", .number(literal))]))
            }
        }
        // Whitespace around a number is JSON the parser compacts: left to it, and canonical then.
        #expect(build(.object([.init("n", .number(" 1 "))])) == nil)
        #expect(try JournalEvent(run: "r", seq: 1, ts: ts, kind: "x.k", data: .object([.init("n", .number(" 1 "))])).rawData("n") == Array("1".utf8)[...])
        for literal in Self.numbers { #expect(JSONValue.isNumberLiteral(literal), "\(literal)") }
        var deep = JSONValue.null
        for _ in 0..<150 { deep = .array([deep]) }
        #expect(build(.object([.init("deep", deep)])) == nil)
        #expect(try JournalEvent(run: "r", seq: 1, ts: ts, kind: "x.k", data: .object([.init("deep", deep)])).seq == 1)
        #expect(build(.array([])) == nil)
        #expect(build(.object([]), run: "") == nil)
        #expect(build(.object([]), seq: 0) == nil)
        #expect(build(.object([]), kind: "") == nil)
        #expect(build(.object([]), run: String(repeating: "r", count: 129)) == nil)
    }
}
