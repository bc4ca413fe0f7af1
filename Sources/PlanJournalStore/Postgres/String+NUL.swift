extension String {
    /// The text with each NUL replaced by U+FFFD: as PostgreSQL's `text`, which holds no NUL,
    /// stores text derived from events (ids cannot contain a NUL).
    var withNULReplaced: String {
        utf8.contains(0) ? String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 })) : self
    }
}
