/// Unpaired UTF-16 surrogate escapes, such as `"\ud83e"`: JSON's grammar allows them, and
/// Python's `json.dumps` and JavaScript's `JSON.stringify` write them (for text cut inside an
/// emoji, or bytes decoded with `surrogateescape`), but they spell no character, and strict
/// readers (jq, Rust's serde_json) refuse them. Where planj reads JSON that agents wrote (ingest,
/// append, the subprocess protocol), each is read as `\ufffd` (U+FFFD), as Go and browsers read
/// it, so the journal never holds one.
enum JSONLoneSurrogates {
    /// The reason ``JSONCompactor`` gives for an unpaired surrogate escape.
    static let reason = "lone surrogate in a \\u escape"

    /// `bytes` with every unpaired surrogate escape inside a string written as `\ufffd`; `nil` when
    /// it holds none. Each escape keeps its length, so byte offsets in errors stay right.
    static func replaced(in bytes: [UInt8]) -> [UInt8]? {
        let n = bytes.count
        /// The code unit of the four hex digits after the `u` at `p`.
        func unit(at p: Int) -> UInt32? {
            guard p + 4 < n else { return nil }
            var u: UInt32 = 0
            for j in 1...4 {
                guard let digit = JSONCompactor.hexValue(bytes[p + j]) else { return nil }
                u = u << 4 | digit
            }
            return u
        }
        var out = bytes
        var changed = false
        var inString = false
        var k = 0
        while k < n {
            let c = bytes[k]
            guard inString else {
                if c == UInt8(ascii: "\"") { inString = true }
                k += 1
                continue
            }
            if c == UInt8(ascii: "\"") { inString = false }
            guard c == UInt8(ascii: "\\"), k + 1 < n else {
                k += 1
                continue
            }
            guard bytes[k + 1] == UInt8(ascii: "u"), let u = unit(at: k + 1) else {
                k += 2
                continue
            }
            if (0xD800...0xDBFF).contains(u), k + 7 < n, bytes[k + 6] == UInt8(ascii: "\\"), bytes[k + 7] == UInt8(ascii: "u"),
                let low = unit(at: k + 7), (0xDC00...0xDFFF).contains(low)
            {
                k += 12
                continue
            }
            if (0xD800...0xDFFF).contains(u) {
                out.replaceSubrange((k + 2)..<(k + 6), with: "fffd".utf8)
                changed = true
            }
            k += 6
        }
        return changed ? out : nil
    }
}
