/// What the readers of JSON Lines skip: blank lines, and a UTF-8 byte order mark before the first
/// line, in one place for every reader.
extension LineBuffer {
    /// The UTF-8 byte order mark, which some writers put before what they write (Windows and .NET
    /// tools, some runtimes); RFC 8259 lets a reader skip it.
    package static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// `bytes` without a byte order mark at their start.
    package static func droppingByteOrderMark(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        bytes.starts(with: byteOrderMark) ? bytes.dropFirst(byteOrderMark.count) : bytes
    }

    /// Whether `byte` is JSON whitespace: a space, a tab, a carriage return or a newline.
    package static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// Whether `bytes` hold nothing but JSON whitespace: a blank line (a line holds no newline,
    /// so spaces, tabs and the carriage return of a CRLF), or a blank body.
    /// - Complexity: O(*n*), stopping at the first other byte.
    package static func isBlank(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.allSatisfy(isWhitespace)
    }
}
