/// How many terminal columns text takes: a character is one column, or two when a terminal
/// draws it wide (emoji, and the wide and fullwidth characters of East Asian scripts); marks
/// that combine with a character take none of their own. An approximation of `wcswidth` that
/// keeps tables of ids and goals in any script aligned.
enum DisplayWidth {
    /// The columns of `s`.
    static func of(_ s: String) -> Int {
        // Most cells are ASCII: one column a byte.
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return s.utf8.count }
        return s.reduce(0) { $0 + columns($1) }
    }

    /// `s` cut to at most `width` columns.
    static func prefix(_ s: String, columns width: Int) -> String {
        var used = 0
        var out = ""
        for c in s {
            let w = columns(c)
            if used + w > width { break }
            used += w
            out.append(c)
        }
        return out
    }

    private static func columns(_ c: Character) -> Int {
        guard let first = c.unicodeScalars.first else { return 0 }
        if c.unicodeScalars.contains(where: { $0.value == 0xFE0F }) { return 2 }  // emoji presentation
        return isWide(first.value) || first.properties.isEmojiPresentation ? 2 : 1
    }

    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            true
        default: false
        }
    }
}
