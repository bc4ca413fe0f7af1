/// Reads one JSON text from bytes, checking its syntax and UTF-8, and writes it back compact.
///
/// Strings and numbers are copied exactly as written (escapes, exponent and digits kept), so the
/// compact form holds the same values as the input, including integers beyond 64 bits; only the
/// whitespace between tokens is dropped. Nesting deeper than ``maxDepth`` is rejected so hostile
/// input cannot exhaust the stack.
///
/// - Complexity: O(n) in the input, one pass, no allocation besides the output's growth.
struct JSONCompactor {
    /// The deepest nesting accepted.
    static let maxDepth = 200

    let src: [UInt8]
    /// The read position; after a successful read it is just past the value.
    var i: Int
    /// Whether any whitespace between tokens was skipped (the input was not already compact).
    var sawWhitespace = false

    init(_ src: [UInt8], at start: Int = 0) {
        self.src = src
        self.i = start
    }

    var atEnd: Bool { i >= src.count }

    mutating func skipWhitespace() {
        while i < src.count {
            switch src[i] {
            case 0x20, 0x0A, 0x0D, 0x09:
                i += 1
                sawWhitespace = true
            default: return
            }
        }
    }

    /// Consumes `byte` after optional whitespace, or throws `expected`.
    mutating func expect(_ byte: UInt8, _ expected: String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard i < src.count else { throw JSONSyntaxError("unexpected end of line, expected \(expected)", at: i) }
        guard src[i] == byte else { throw JSONSyntaxError("expected \(expected)", at: i) }
        i += 1
    }

    /// Consumes `byte` after optional whitespace if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if i < src.count && src[i] == byte {
            i += 1
            return true
        }
        return false
    }

    /// Copies the next value to `out`, compact.
    mutating func copyValue<Out: JSONOutput>(into out: inout Out, depth: Int = 0) throws(JSONSyntaxError) {
        skipWhitespace()
        guard i < src.count else { throw JSONSyntaxError("unexpected end of line, expected a value", at: i) }
        switch src[i] {
        case UInt8(ascii: "{"):
            try copyObject(into: &out, depth: depth + 1)
        case UInt8(ascii: "["):
            try copyArray(into: &out, depth: depth + 1)
        case UInt8(ascii: "\""):
            let range = try scanString()
            out.append(contentsOf: src[range])
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let range = try scanNumber()
            out.append(contentsOf: src[range])
        case UInt8(ascii: "t"):
            try copyLiteral("true", into: &out)
        case UInt8(ascii: "f"):
            try copyLiteral("false", into: &out)
        case UInt8(ascii: "n"):
            try copyLiteral("null", into: &out)
        default:
            throw JSONSyntaxError("unexpected character '\(Self.printable(src[i]))'", at: i)
        }
    }

    private mutating func copyLiteral<Out: JSONOutput>(_ word: StaticString, into out: inout Out) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        let start = i
        guard start + n <= src.count else { throw JSONSyntaxError("truncated literal", at: start) }
        var k = 0
        while k < n {
            if src[start + k] != word.utf8Start[k] {
                throw JSONSyntaxError("invalid literal", at: start)
            }
            k += 1
        }
        i += n
        out.append(contentsOf: src[start..<i])
    }

    private mutating func copyObject<Out: JSONOutput>(into out: inout Out, depth: Int) throws(JSONSyntaxError) {
        guard depth <= Self.maxDepth else { throw JSONSyntaxError.tooDeep(at: i) }
        i += 1
        out.append(UInt8(ascii: "{"))
        if consume(UInt8(ascii: "}")) {
            out.append(UInt8(ascii: "}"))
            return
        }
        while true {
            let key = try scanKey()
            out.append(contentsOf: src[key])
            try expect(UInt8(ascii: ":"), "':'")
            out.append(UInt8(ascii: ":"))
            try copyValue(into: &out, depth: depth)
            if consume(UInt8(ascii: ",")) {
                out.append(UInt8(ascii: ","))
                continue
            }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            out.append(UInt8(ascii: "}"))
            return
        }
    }

    private mutating func copyArray<Out: JSONOutput>(into out: inout Out, depth: Int) throws(JSONSyntaxError) {
        guard depth <= Self.maxDepth else { throw JSONSyntaxError.tooDeep(at: i) }
        i += 1
        out.append(UInt8(ascii: "["))
        if consume(UInt8(ascii: "]")) {
            out.append(UInt8(ascii: "]"))
            return
        }
        while true {
            try copyValue(into: &out, depth: depth)
            if consume(UInt8(ascii: ",")) {
                out.append(UInt8(ascii: ","))
                continue
            }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            out.append(UInt8(ascii: "]"))
            return
        }
    }

    /// Reads an object key (a string) after optional whitespace; returns its token range, quotes included.
    mutating func scanKey() throws(JSONSyntaxError) -> Range<Int> {
        skipWhitespace()
        guard i < src.count else { throw JSONSyntaxError("unexpected end of line, expected a key", at: i) }
        guard src[i] == UInt8(ascii: "\"") else { throw JSONSyntaxError("expected a string key", at: i) }
        return try scanString()
    }

    /// Validates the string token at `i` (escapes, control characters, UTF-8) and returns its
    /// range, quotes included.
    mutating func scanString() throws(JSONSyntaxError) -> Range<Int> {
        let start = i
        i += 1
        let array = src
        let bytes = array.span
        let n = bytes.count
        while i < n {
            // The common case: a run of plain printable ASCII, eight bytes at a time.
            var k = i
            let raw = bytes.bytes
            while k <= n &- 8 && !Self.endsPlainRun(raw.unsafeLoadUnaligned(fromByteOffset: k, as: UInt64.self)) { k &+= 8 }
            while k < n {
                let b = bytes[k]
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { break }
                k += 1
            }
            i = k
            guard i < n else { break }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return start..<i
            } else if b == UInt8(ascii: "\\") {
                try scanEscape()
            } else if b < 0x20 {
                throw JSONSyntaxError("control character in string", at: i)
            } else {
                try scanUTF8Sequence()
            }
        }
        throw JSONSyntaxError("unterminated string", at: start)
    }

    /// Whether any byte of `w` ends a run of plain printable ASCII in a string: a quote, a
    /// backslash, a control character or a byte of a multi-byte UTF-8 sequence.
    @inline(__always)
    static func endsPlainRun(_ w: UInt64) -> Bool {
        CanonicalScan.bytes(w, equalTo: 0x22) | CanonicalScan.bytes(w, equalTo: 0x5C) | CanonicalScan.bytes(w, below: 0x20)
            | (w & 0x8080_8080_8080_8080) != 0
    }

    private mutating func scanEscape() throws(JSONSyntaxError) {
        let at = i
        i += 1
        guard i < src.count else { throw JSONSyntaxError("unterminated escape", at: at) }
        switch src[i] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 1
        case UInt8(ascii: "u"):
            let unit = try hexEscape(at: at)
            // UTF-16 surrogates come in pairs: one alone is no character (jq rejects it, and no
            // UTF-8 spells it). Readers of agents' JSON replace it first (``JSONLoneSurrogates``).
            if unit >= 0xDC00 && unit <= 0xDFFF { throw JSONSyntaxError(JSONLoneSurrogates.reason, at: at) }
            if unit >= 0xD800 && unit <= 0xDBFF {
                guard i + 1 < src.count, src[i] == UInt8(ascii: "\\"), src[i + 1] == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(JSONLoneSurrogates.reason, at: at)
                }
                let low = i
                i += 1
                let second = try hexEscape(at: low)
                guard second >= 0xDC00 && second <= 0xDFFF else { throw JSONSyntaxError(JSONLoneSurrogates.reason, at: at) }
            }
        default:
            throw JSONSyntaxError("invalid escape", at: at)
        }
    }

    /// The four hex digits after the `u` at `i` (moving past them); `at` is where the escape began.
    private mutating func hexEscape(at: Int) throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 < src.count else { throw JSONSyntaxError("truncated \\u escape", at: at) }
        var unit: UInt32 = 0
        for k in 1...4 {
            guard let digit = Self.hexValue(src[i + k]) else { throw JSONSyntaxError("invalid \\u escape", at: at) }
            unit = unit << 4 | UInt32(digit)
        }
        i += 5
        return unit
    }

    /// Validates one multi-byte UTF-8 sequence at `i` (no overlongs, no surrogates, at most U+10FFFF).
    private mutating func scanUTF8Sequence() throws(JSONSyntaxError) {
        let b0 = src[i]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw JSONSyntaxError("invalid UTF-8", at: i)
        }
        guard i + length <= src.count else { throw JSONSyntaxError("invalid UTF-8 (truncated sequence)", at: i) }
        let b1 = src[i + 1]
        guard b1 >= lower && b1 <= upper else { throw JSONSyntaxError("invalid UTF-8", at: i) }
        var k = 2
        while k < length {
            guard src[i + k] & 0xC0 == 0x80 else { throw JSONSyntaxError("invalid UTF-8", at: i) }
            k += 1
        }
        i += length
    }

    /// Validates the number token at `i` and returns its range.
    mutating func scanNumber() throws(JSONSyntaxError) -> Range<Int> {
        let start = i
        if src[i] == UInt8(ascii: "-") { i += 1 }
        guard i < src.count, Self.isDigit(src[i]) else { throw JSONSyntaxError("invalid number", at: start) }
        if src[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < src.count && Self.isDigit(src[i]) { i += 1 }
        }
        if i < src.count && src[i] == UInt8(ascii: ".") {
            i += 1
            guard i < src.count, Self.isDigit(src[i]) else { throw JSONSyntaxError("invalid number", at: start) }
            while i < src.count && Self.isDigit(src[i]) { i += 1 }
        }
        if i < src.count && (src[i] == UInt8(ascii: "e") || src[i] == UInt8(ascii: "E")) {
            i += 1
            if i < src.count && (src[i] == UInt8(ascii: "+") || src[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < src.count, Self.isDigit(src[i]) else { throw JSONSyntaxError("invalid number", at: start) }
            while i < src.count && Self.isDigit(src[i]) { i += 1 }
        }
        return start..<i
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    static func printable(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }
}

/// Where ``JSONCompactor`` writes: a byte array, or nowhere (validation only).
protocol JSONOutput {
    /// Bytes written so far (0 when discarding).
    var count: Int { get }
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: ArraySlice<UInt8>)
}

extension Array: JSONOutput where Element == UInt8 {}

/// Discards what is written: ``JSONCompactor`` then only validates.
struct DiscardingOutput: JSONOutput {
    var count: Int { 0 }
    @inline(__always) mutating func append(_ byte: UInt8) {}
    @inline(__always) mutating func append(contentsOf bytes: ArraySlice<UInt8>) {}
}
