extension StringProtocol {
    /// The lines of the text, split at `\n`, `\r\n` and `\r` alike (empty ones kept). Splitting a
    /// `String` on `"\n"` misses CRLF: `\r\n` is one `Character`, which is not `"\n"`.
    package var lines: [SubSequence] {
        split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    }
}
