/// Text from runs (goals, outputs, errors, ids) made safe to print on a terminal: control
/// characters other than newline and tab become U+FFFD, so an agent's output cannot move the
/// cursor, clear the screen or retitle the window of whoever reads its run.
package enum TerminalText {
    package static func safe(_ text: String) -> String {
        guard needsCleaning(text) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(isControl(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(out)
    }

    /// C0 controls but newline and tab, DEL, C1 controls, and the bidirectional embeddings,
    /// overrides and isolates (U+202A...U+202E, U+2066...U+2069), which make text shown after
    /// them read in another order than it is (`abc\u{202E}gnp.exe` shows as `abcexe.png`).
    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        (s.value < 0x20 && s != "\n" && s != "\t") || (s.value >= 0x7F && s.value <= 0x9F)
            || (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value)
    }

    /// A scan of the bytes, the common case (nothing to clean) without decoding: the characters
    /// of ``isControl(_:)`` in UTF-8. C1 controls are U+0080...U+009F, `C2 80`...`C2 9F`; the
    /// bidirectional controls `E2 80 AA`...`E2 80 AE` and `E2 81 A6`...`E2 81 A9`.
    private static func needsCleaning(_ text: String) -> Bool {
        var (previous, beforeThat): (UInt8, UInt8) = (0, 0)
        for b in text.utf8 {
            if (b < 0x20 && b != 0x0A && b != 0x09) || b == 0x7F || (previous == 0xC2 && b <= 0x9F) { return true }
            if beforeThat == 0xE2 && ((previous == 0x80 && (0xAA...0xAE).contains(b)) || (previous == 0x81 && (0xA6...0xA9).contains(b))) {
                return true
            }
            (previous, beforeThat) = (b, previous)
        }
        return false
    }
}
