/// Skipping compact JSON values without checking them, within one line.
package enum CanonicalScan {
    /// The index past the closing quote of the string token at `start` (which holds the opening
    /// quote); `nil` when the line ends first.
    @inline(__always)
    package static func string(_ s: Span<UInt8>, from start: Int) -> Int? {
        var k = start + 1
        let n = s.count
        let raw = s.bytes
        var words = 0
        while true {
            // Eight bytes at a time while none of them is a quote, a backslash or a newline; a
            // string still going after four such words is long (a prompt, an observation): `memchr`.
            while k <= n &- 8 && !hasSpecial(raw.unsafeLoadUnaligned(fromByteOffset: k, as: UInt64.self)) {
                k &+= 8
                words &+= 1
                if words == 4 { return longString(s, at: k) }
            }
            // The next special byte is within eight bytes (or the line ends).
            while k < n {
                let c = s[k]
                if c == UInt8(ascii: "\"") { return k + 1 }
                if c == UInt8(ascii: "\\") {
                    k += 2
                    break
                }
                if c == UInt8(ascii: "\n") { return nil }
                k += 1
            }
            if k >= n { return nil }
        }
    }

    /// The end of a string whose bytes before `k` hold no quote, backslash or newline, found with
    /// `memchr`: the first quote not escaped by an odd run of backslashes. A newline before it
    /// (not in canonical JSON) hands over to the byte-at-a-time reading, which decides as
    /// ``string(_:from:)`` always has.
    private static func longString(_ s: Span<UInt8>, at start: Int) -> Int? {
        var k = start
        while let quote = ByteSearch.firstIndex(of: UInt8(ascii: "\""), in: s, k..<s.count) {
            if ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: s, k..<quote) != nil { return bytewise(s, at: k) }
            // The byte before `k` is no backslash, so the run stops at `k` at the latest.
            var b = quote - 1
            while b >= k && s[b] == UInt8(ascii: "\\") { b -= 1 }
            if (quote - 1 - b) % 2 == 0 { return quote + 1 }
            k = quote + 1
        }
        return nil
    }

    /// The end of the string that continues at `k` (not inside an escape), one byte at a time.
    private static func bytewise(_ s: Span<UInt8>, at start: Int) -> Int? {
        var k = start
        while k < s.count {
            switch s[k] {
            case UInt8(ascii: "\""): return k + 1
            case UInt8(ascii: "\\"): k += 2
            case UInt8(ascii: "\n"): return nil
            default: k += 1
            }
        }
        return nil
    }

    /// The high bit of every byte of `w` that equals `byte`, and maybe of some bytes after one
    /// that does: exact about whether there is one, which is all the word scans need. Words are
    /// loaded unaligned from a `RawSpan` (bounds-checked; any bit pattern is a valid `UInt64`).
    @inline(__always)
    static func bytes(_ w: UInt64, equalTo byte: UInt8) -> UInt64 {
        let x = w ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs
    }

    /// The high bit of every byte of `w` below `limit` (at most 0x80), with the same exactness.
    @inline(__always)
    static func bytes(_ w: UInt64, below limit: UInt8) -> UInt64 {
        (w &- ones &* UInt64(limit)) & ~w & highs
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `w` is `"`, `\` or a newline.
    @inline(__always)
    static func hasSpecial(_ w: UInt64) -> Bool {
        bytes(w, equalTo: 0x22) | bytes(w, equalTo: 0x5C) | bytes(w, equalTo: 0x0A) != 0
    }

    /// Whether any byte of `w` is a quote, a bracket, a brace or a newline (what skipping a
    /// container must stop at). `| 0x20` maps `[` to `{` and `]` to `}` and no other byte to
    /// either.
    @inline(__always)
    static func hasStructural(_ w: UInt64) -> Bool {
        let folded = w | (ones &* 0x20)
        return bytes(w, equalTo: 0x22) | bytes(w, equalTo: 0x0A) | bytes(folded, equalTo: 0x7B)
            | bytes(folded, equalTo: 0x7D) != 0
    }

    /// The index of the first newline in `bytes` at or after `start`, if any.
    package static func firstNewline(in bytes: [UInt8], from start: Int) -> Int? {
        ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: bytes.span, min(max(0, start), bytes.count)..<bytes.count)
    }

    /// The index past the value at `start`; `nil` when the line ends first.
    static func value(_ s: Span<UInt8>, from start: Int) -> Int? {
        let n = s.count
        guard start < n else { return nil }
        switch s[start] {
        case UInt8(ascii: "\""):
            return string(s, from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var k = start
            let raw = s.bytes
            while k < n {
                // Inside the container, eight bytes at a time while none of them is structural.
                if depth > 0 {
                    while k <= n &- 8 && !hasStructural(raw.unsafeLoadUnaligned(fromByteOffset: k, as: UInt64.self)) {
                        k &+= 8
                    }
                    if k >= n { return nil }
                }
                let c = s[k]
                switch c {
                case UInt8(ascii: "\""):
                    guard let end = string(s, from: k) else { return nil }
                    k = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return k + 1 }
                case UInt8(ascii: "\n"):
                    return nil
                default:
                    break
                }
                k += 1
            }
            return nil
        default:
            var k = start
            while k < n {
                let c = s[k]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == UInt8(ascii: "\n") {
                    break
                }
                k += 1
            }
            return k > start ? k : nil
        }
    }

    /// Whether the bytes at `range` are `name`.
    @inline(__always)
    static func equals(_ s: Span<UInt8>, _ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        var k = 0
        for p in range {
            if s[p] != name.utf8Start[k] { return false }
            k += 1
        }
        return true
    }
}
