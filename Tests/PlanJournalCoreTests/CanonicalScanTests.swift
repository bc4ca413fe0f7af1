import Testing

@testable import PlanJournalCore

/// The vectorized scans agree with a byte-at-a-time reading, wherever the special bytes fall
/// relative to the 16-byte blocks.
@Suite struct CanonicalScanTests {
    /// Where the string token at 0 ends, read one byte at a time.
    private func naiveStringEnd(_ b: [UInt8]) -> Int? {
        var k = 1
        while k < b.count {
            switch b[k] {
            case UInt8(ascii: "\""): return k + 1
            case UInt8(ascii: "\\"): k += 2
            case UInt8(ascii: "\n"): return nil
            default: k += 1
            }
        }
        return nil
    }

    /// Short strings (word by word) and long ones (`memchr` once past 32 plain bytes), with
    /// quotes, runs of backslashes and newlines anywhere.
    @Test func stringEndsAgreeWithAByteAtATimeScan() {
        var rng = SystemRandomNumberGenerator()
        let specials: [UInt8] = [UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "\n"), 0xC3, 0xA9, 0x00, 0xFF]
        for _ in 0..<4000 {
            let length = Int.random(in: 1...(Bool.random(using: &rng) ? 80 : 600), using: &rng)
            let rarity = [6, 50, 400].randomElement(using: &rng)!
            var b: [UInt8] = [UInt8(ascii: "\"")]
            while b.count <= length {
                if Int.random(in: 0..<rarity, using: &rng) == 0 {
                    let special = specials.randomElement(using: &rng)!
                    // Runs of backslashes, so escaped and unescaped quotes follow them.
                    let run = special == UInt8(ascii: "\\") ? Int.random(in: 1...4, using: &rng) : 1
                    b.append(contentsOf: repeatElement(special, count: run))
                } else {
                    b.append(UInt8.random(in: 0x23...0x5B, using: &rng))  // no quote, no backslash
                }
            }
            #expect(CanonicalScan.string(b.span, from: 0) == naiveStringEnd(b), "\(b)")
            // From an opening quote inside the buffer too.
            let shifted = [UInt8](repeating: UInt8(ascii: "x"), count: 5) + b
            #expect(CanonicalScan.string(shifted.span, from: 5) == naiveStringEnd(b).map { $0 + 5 })
        }
    }

    @Test func firstNewlineAgreesWithFirstIndex() {
        for length in 0..<70 {
            for at in [-1] + Array(0..<length) {
                var b = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                if at >= 0 { b[at] = UInt8(ascii: "\n") }
                for start in [0, 1, 15, 16, 17] where start <= length {
                    #expect(CanonicalScan.firstNewline(in: b, from: start) == b[start...].firstIndex(of: UInt8(ascii: "\n")))
                }
            }
        }
    }
    /// A word test agrees with its byte test: for every byte at every position of a word, and for
    /// random words.
    private func expectWordTest(_ wordTest: (UInt64) -> Bool, matches byteTest: (UInt8) -> Bool) {
        func word(_ bytes: [UInt8]) -> UInt64 { bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        var rng = SystemRandomNumberGenerator()
        for b in UInt8.min...UInt8.max {
            for position in 0..<8 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = b
                #expect(wordTest(word(bytes)) == byteTest(b), "byte \(b) at \(position)")
            }
        }
        for _ in 0..<20_000 {
            let bytes = (0..<8).map { _ in UInt8.random(in: Bool.random(using: &rng) ? 0x20...0x7E : 0...255, using: &rng) }
            #expect(wordTest(word(bytes)) == bytes.contains(where: byteTest), "\(bytes)")
        }
    }

    /// The word test of the validating string scan (`JSONCompactor.scanString`): a quote, a
    /// backslash, a control character or a non-ASCII byte.
    @Test func plainRunWordTestAgreesWithTheByteTest() {
        expectWordTest(JSONCompactor.endsPlainRun) { b in
            b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80
        }
    }

    /// The word tests that skip strings and the inside of containers.
    @Test func skippingWordTestsAgreeWithTheByteTests() {
        let special: Set<UInt8> = [0x22, 0x5C, 0x0A]
        let structural: Set<UInt8> = [0x22, 0x0A, 0x5B, 0x5D, 0x7B, 0x7D]
        expectWordTest(CanonicalScan.hasSpecial, matches: special.contains)
        expectWordTest(CanonicalScan.hasStructural, matches: structural.contains)
    }

    /// Where the value at 0 ends, read one byte at a time (containers and strings of the compact form).
    @Test func containerEndsAgreeWithAByteAtATimeScan() {
        var rng = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = ["{", "}", "[", "]", "\"ab\"", "\"x\\\"y\"", ",", ":", "12345", "true", "\n", "Y_y", "\u{7F}"]
            .map { Array($0.utf8) }
        for _ in 0..<4000 {
            var b: [UInt8] = [UInt8(ascii: Bool.random(using: &rng) ? "{" : "[")]
            for _ in 0..<Int.random(in: 0...30, using: &rng) { b += pieces.randomElement(using: &rng)! }
            #expect(CanonicalScan.value(b.span, from: 0) == naiveValueEnd(b), "\(String(decoding: b, as: UTF8.self))")
        }
    }

    private func naiveValueEnd(_ b: [UInt8]) -> Int? {
        var depth = 0
        var k = 0
        while k < b.count {
            switch b[k] {
            case UInt8(ascii: "\""):
                guard let end = naiveStringEnd(Array(b[k...])) else { return nil }
                k += end
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return k + 1 }
            case UInt8(ascii: "\n"): return nil
            default: break
            }
            k += 1
        }
        return nil
    }
}
