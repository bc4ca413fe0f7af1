/// Text from runs (goals, outputs, errors, ids) made safe to print on a terminal: control
/// characters other than newline and tab become U+FFFD, so an agent's output cannot move the
/// cursor, clear the screen or retitle the window of whoever reads its run.
enum TerminalText {
    static func safe(_ text: String) -> String {
        guard needsCleaning(text) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(isControl(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(out)
    }

    /// C0 controls but newline and tab, DEL, and C1 controls.
    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        (s.value < 0x20 && s != "\n" && s != "\t") || (s.value >= 0x7F && s.value <= 0x9F)
    }

    /// A scan of the bytes: C1 controls are U+0080...U+009F, `C2 80`...`C2 9F` in UTF-8.
    private static func needsCleaning(_ text: String) -> Bool {
        var afterC2 = false
        for b in text.utf8 {
            if (b < 0x20 && b != 0x0A && b != 0x09) || b == 0x7F || (afterC2 && b <= 0x9F) { return true }
            afterC2 = b == 0xC2
        }
        return false
    }
}
