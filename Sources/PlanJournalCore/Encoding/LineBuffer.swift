/// Bytes read from a stream, cut into lines as their newlines arrive. Each byte is searched for a
/// newline once, however many reads its line spans, so a line of many megabytes costs one scan
/// instead of one per read; the bytes of finished lines are dropped once they are at least half
/// of what is held.
package struct LineBuffer {
    private var bytes: [UInt8] = []
    /// Where the unfinished line starts.
    private var start = 0
    /// How far that line is known to hold no newline.
    private var scanned = 0

    package init() {}

    /// Adds bytes read from the stream.
    package mutating func append(_ data: some Collection<UInt8>) {
        if start > 0 && start * 2 >= bytes.count {
            bytes.removeSubrange(..<start)
            scanned -= start
            start = 0
        }
        bytes.append(contentsOf: data)
    }

    /// The next complete line, without its newline; `nil` until one has arrived.
    package mutating func nextLine() -> ArraySlice<UInt8>? {
        guard let newline = ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: bytes.span, scanned..<bytes.count) else {
            scanned = bytes.count
            return nil
        }
        let line = bytes[start..<newline]
        start = newline + 1
        scanned = start
        return line
    }

    /// The bytes after the last newline (a last line that has no newline, at the end of the stream).
    package var rest: ArraySlice<UInt8> { bytes[start...] }
}
